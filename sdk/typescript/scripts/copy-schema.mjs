// tsc does not copy .d.ts sources to its output: the generated schema is copied next to the
// declarations that import it (dist/types.d.ts imports "./schema.js").
import { copyFile } from "node:fs/promises";

await copyFile(
  new URL("../src/schema.d.ts", import.meta.url),
  new URL("../dist/schema.d.ts", import.meta.url),
);
