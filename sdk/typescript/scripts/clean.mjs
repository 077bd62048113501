// Removes the build outputs, so that a renamed or deleted source leaves nothing behind
// (a stale compiled test would still run).
import { rm } from "node:fs/promises";

for (const dir of ["../dist/", "../.test-build/", "../.readme-examples/"]) {
  await rm(new URL(dir, import.meta.url), { recursive: true, force: true });
}
