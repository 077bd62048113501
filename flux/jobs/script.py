"""One attempt's files, command and environment, following the job platform's conventions.

A private job directory (0700, a fresh random name under the work root) holds:

    <filename>            the script, under the name it was submitted with
    payload.json          the payload (`{}` when there is none)
    output.json           written by the script, if it wants an output
    __flux_runner__.cjs   Node only: calls the exported function (see `NODE_RUNNER`)

Python and Bash scripts read `$PAYLOAD` (or the file `$FLUX_PAYLOAD_FILE`) and may write JSON
to `$FLUX_OUTPUT`. A Node script exports a function, `module.exports = async (payload) =>
...`; the runner calls it with the payload and writes what it returns to `$FLUX_OUTPUT`.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from flux.jobs.deps import DepsMount
from flux.jobs.runtimes import Runtime, trust_env
from flux.jobs.spec import RESERVED_FILENAMES, JobSpecError, ScriptSpec

PAYLOAD_FILE = "payload.json"
OUTPUT_FILE = "output.json"
NODE_RUNNER_FILE = "__flux_runner__.cjs"
# One environment string may hold at most 128 KiB (MAX_ARG_STRLEN); a payload above this goes
# only in the file, and the logs say so.
MAX_PAYLOAD_ENV_BYTES = 120_000
BASE_PATH = "/usr/local/bin:/usr/bin:/bin"

# CommonJS (.cjs) whatever a package.json nearby says. The job ends when the exported
# function settles (serverless style): keep-alive sockets or timers it leaves behind must not
# hold the job until its timeout. Errors print their stack and exit 1. An ES module
# (`export default`) is loaded with import() when require() refuses it.
NODE_RUNNER = r"""'use strict';
const fs = require('fs');
const path = require('path');
const url = require('url');

async function load(file) {
  try {
    return require(file);
  } catch (err) {
    const esm = err && (err.code === 'ERR_REQUIRE_ESM' ||
      (err instanceof SyntaxError && /\b(import|export)\b/.test(String(err.message))));
    if (!esm) throw err;
    let target = file;
    if (!file.endsWith('.mjs')) {
      target = path.join(path.dirname(file), '__flux_module__.mjs');
      fs.copyFileSync(file, target);
    }
    return await import(url.pathToFileURL(target).href);
  }
}

(async () => {
  const exported = await load(process.argv[2]);
  let fn = exported;
  if (typeof fn !== 'function' && fn && typeof fn.default === 'function') fn = fn.default;
  if (typeof fn !== 'function') return;  // a plain script: it ran when it was loaded
  const payload = JSON.parse(fs.readFileSync(process.env.FLUX_PAYLOAD_FILE, 'utf8'));
  const result = await fn(payload);
  if (result !== undefined) {
    const text = JSON.stringify(result);
    if (text !== undefined) fs.writeFileSync(process.env.FLUX_OUTPUT, text);
  }
  process.exit(0);
})().catch((err) => {
  process.stderr.write(String((err && err.stack) || err) + '\n');
  process.exit(1);
});
"""


@dataclass(slots=True)
class PreparedAttempt:
    job_dir: Path
    argv: list[str]
    env: dict[str, str]
    read_only: tuple[Path, ...]
    notes: list[str] = field(default_factory=list)  # said in the logs before the script runs

    @property
    def output_file(self) -> Path:
        return self.job_dir / OUTPUT_FILE

    def remove(self) -> None:
        shutil.rmtree(self.job_dir, ignore_errors=True)


def prepare_attempt(
    spec: ScriptSpec, runtime: Runtime, deps: DepsMount | None, work_root: Path
) -> PreparedAttempt:
    """Write the attempt's files; the caller runs `argv` in `job_dir` and then `remove()`s."""
    if spec.filename in RESERVED_FILENAMES:
        raise JobSpecError(f"the script cannot be named {spec.filename}: Flux uses that name")
    work_root.mkdir(parents=True, exist_ok=True, mode=0o700)
    job_dir = work_root / f"job-{secrets.token_hex(8)}"
    job_dir.mkdir(mode=0o700)
    try:
        return _fill(job_dir, spec, runtime, deps)
    except BaseException:
        shutil.rmtree(job_dir, ignore_errors=True)
        raise


def _fill(
    job_dir: Path, spec: ScriptSpec, runtime: Runtime, deps: DepsMount | None
) -> PreparedAttempt:
    script = job_dir / spec.filename
    _write_new(script, spec.source.encode())
    payload = json.dumps({} if spec.payload is None else spec.payload, ensure_ascii=False)
    _write_new(job_dir / PAYLOAD_FILE, payload.encode())
    notes = []
    if runtime.family == "node":
        runner = job_dir / NODE_RUNNER_FILE
        _write_new(runner, _NODE_RUNNER_BYTES)
        argv = [str(runtime.executable), str(runner), str(script)]
        if deps is not None:
            # ES modules ignore NODE_PATH; they find packages in a node_modules beside them.
            (job_dir / "node_modules").symlink_to(deps.path / "node_modules")
    else:
        argv = [str(runtime.executable), str(script)]
    env = {
        "HOME": str(job_dir),
        "TMPDIR": "/tmp",
        "PATH": _path(runtime),
        "LANG": "C.UTF-8",
        "PYTHONUNBUFFERED": "1",
        **trust_env(),
        **spec.env,
    }
    if deps is not None:
        for key, value in deps.env.items():
            env[key] = f"{value}{os.pathsep}{env[key]}" if env.get(key) else value
    if len(payload.encode()) <= MAX_PAYLOAD_ENV_BYTES:
        env["PAYLOAD"] = payload
    else:
        env.pop("PAYLOAD", None)
        notes.append(
            f"[flux] the payload is too large for the PAYLOAD variable "
            f"({len(payload.encode())} bytes); read the file $FLUX_PAYLOAD_FILE instead"
        )
    env["FLUX_PAYLOAD_FILE"] = str(job_dir / PAYLOAD_FILE)
    env["FLUX_OUTPUT"] = str(job_dir / OUTPUT_FILE)
    env["FLUX_JOB_DIR"] = str(job_dir)
    read_only = runtime.mounts + (deps.read_only if deps is not None else ())
    return PreparedAttempt(job_dir, argv, env, read_only, notes)


_NODE_RUNNER_BYTES = NODE_RUNNER.encode()
_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC


def _write_new(path: Path, data: bytes) -> None:
    """Create `path` (it must not exist yet: the job directory is fresh) and write `data`.
    Plain os.open/os.write: Path.write_text's buffered text file costs several times more
    per file, and every job writes two or three."""
    fd = os.open(path, _NEW_FILE, 0o666)  # as open(): the umask decides
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    finally:
        os.close(fd)


def _path(runtime: Runtime) -> str:
    """PATH with the job's interpreter first, so that `python3` in a script is the same one."""
    base = BASE_PATH.split(":")
    bin_dir = str(runtime.bin_dir)
    return ":".join([bin_dir, *base] if bin_dir not in base else base)
