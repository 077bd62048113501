// The README's quick start, run as written (an ES module importing "@flux/client") against
// the server under test, in a directory holding the files it names. (Every example of the
// README is type-checked by `npm run build`: scripts/readme-examples.mjs.)
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { FLUX_URL } from "./helpers.js";

const PACKAGE = fileURLToPath(new URL("../../", import.meta.url));
// The files the quick start names.
const WORKER_JS = `module.exports = async (payload) => {
  console.log("invoice", payload.invoiceId);
  return { paid: true };
};
`;
const HELLO_PY = `from flux import ExecutionContext, task, workflow


@task
async def say_hello(name: str) -> str:
    return f"Hello, {name}"


@workflow
async def hello_world(ctx: ExecutionContext[str]):
    return await say_hello(ctx.input)
`;

async function quickStart(): Promise<string> {
  const readme = await readFile(join(PACKAGE, "README.md"), "utf8");
  const section = readme.split("## Quick start")[1] ?? "";
  const block = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
  assert.ok(block, "the README has a quick start block");
  return block.replace("http://localhost:8000", FLUX_URL);
}

test("the README's quick start runs and prints what it says", async () => {
  const code = await quickStart();
  // Inside the package, so that "@flux/client" resolves to it as it would once installed.
  const scripts = join(PACKAGE, ".test-build", "readme");
  await mkdir(scripts, { recursive: true });
  const program = join(scripts, "quick-start.mjs");
  await writeFile(program, code);
  const cwd = await mkdtemp(join(tmpdir(), "flux-readme-"));
  await writeFile(join(cwd, "worker.js"), WORKER_JS);
  await writeFile(join(cwd, "hello.py"), HELLO_PY);
  const { stdout } = await promisify(execFile)(process.execPath, [program], {
    cwd,
    timeout: 120_000,
  });
  assert.deepEqual(stdout.split("\n"), [
    "invoice 1024",
    "COMPLETED { paid: true }",
    "COMPLETED Hello, World",
    "404 workflow 'nope' not found",
    "",
  ]);
});
