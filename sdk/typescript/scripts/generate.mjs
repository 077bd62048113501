// Writes src/schema.d.ts from a running Flux server's /openapi.json, so that the client's
// request and response types are the server's own. `--check` writes nothing and exits 1 when
// the committed file differs from what the server describes now (the pytest suite runs it).
//
//   FLUX_URL=http://localhost:8000 npm run generate
//   FLUX_URL=http://localhost:8000 npm run generate -- --check
//   FLUX_URL=... FLUX_API_KEY=... npm run generate     (a server that asks for a key)
import { readFile, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import openapiTS, { astToString } from "openapi-typescript";

const HEADER =
  "// Generated from the Flux server's /openapi.json by `npm run generate`: do not edit.\n" +
  '// The client\'s types come from here (components["schemas"][...]).\n\n';

const target = fileURLToPath(new URL("../src/schema.d.ts", import.meta.url));
const base = (process.env.FLUX_URL ?? "http://localhost:8000").replace(/\/+$/, "");
const check = process.argv.includes("--check");

// FLUX_API_KEY: for a server that asks for one (a loopback server without keys does not).
const headers = process.env.FLUX_API_KEY
  ? { Authorization: `Bearer ${process.env.FLUX_API_KEY}` }
  : {};

let generated;
try {
  const response = await fetch(`${base}/openapi.json`, { headers });
  if (!response.ok) {
    throw new Error(`HTTP ${response.status}: ${(await response.text()).slice(0, 300)}`);
  }
  generated = HEADER + astToString(await openapiTS(await response.json()));
} catch (error) {
  console.error(
    `cannot read ${base}/openapi.json: ${error instanceof Error ? error.message : error}`,
  );
  console.error("start a server (flux start server) or set FLUX_URL to one");
  process.exit(2);
}

if (!check) {
  await writeFile(target, generated);
  console.log(`wrote src/schema.d.ts from ${base}/openapi.json`);
  process.exit(0);
}

const committed = await readFile(target, "utf8").catch(() => "");
if (committed === generated) {
  console.log(`src/schema.d.ts matches ${base}/openapi.json`);
  process.exit(0);
}
const before = committed.split("\n");
const after = generated.split("\n");
let line = 0;
while (line < before.length && before[line] === after[line]) line += 1;
console.error(
  `src/schema.d.ts is stale: it differs from ${base}/openapi.json from line ${line + 1}\n` +
    `  committed: ${before[line] ?? "(end of file)"}\n` +
    `  server:    ${after[line] ?? "(end of file)"}\n` +
    `regenerate it with: cd sdk/typescript && FLUX_URL=${base} npm run generate`,
);
process.exit(1);
