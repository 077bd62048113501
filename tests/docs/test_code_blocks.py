"""Every fenced code block of the guides runs, as a reader would run it, against a live server.

Pages: every `docs/**/*.md` except the generated tables (`docs/reference/`,
`docs/configuration.md`), and `README.md`. One test per page, so a failure names the page.

Conventions for writers (what this module does with a block, by its info string):

- Each page's blocks run **in order**, in one fresh temporary working directory per page
  (it holds a link `examples` to the repository's `examples/`, as a checkout has it). A block
  that fails stops its page: later blocks usually build on it.
- `title="name"` on any block (```python title="orders.py"```, ```bash title="job.sh"```,
  ```json title="dag.json"```): the block is written to that file (sub-directories are
  created), not run; JSON, TOML and YAML files are also parsed.
- Untitled ```python: run with `python3` (timeout 60 s), the working directory first on
  `PYTHONPATH`, then this checkout.
- Untitled ```bash, ```sh, ```shell: run with `bash -euo pipefail` (timeout 180 s) with `flux`
  (this checkout) first on `PATH`. Any process a block leaves behind is killed when it ends.
- ```text, ```console, ```output: shown output, not run.
- ```json, ```toml, ```yaml: parsed (`json.loads`, `tomllib`, `yaml.safe_load`).
- Any other language, or none, without a title: the test fails; tag shown output ```text.
- In what is run or written, `http://localhost:8000` becomes the live server's URL, and
  `FLUX_SERVER_URL`, `FLUX_WORKERS__SERVER_URL` (the CLI's default) and
  `FLUX_MCP__SERVER_URL` point at it. Other `FLUX_*` variables of the caller are removed, so
  commands that open the database directly (`flux db`, `flux secrets --local`) use
  `./.flux` of the page's directory.
- A block preceded (on the last non-blank line before its fence) by
  `<!-- not-run: <reason> -->` is not run; the reason is required (an empty one fails the
  test), and every such block is listed in the terminal summary. Use it only for what truly
  cannot run here: a Docker engine, systemd, apt-get, a server on a fixed port (this module
  provides the server), long benchmarks, cloud services.

The server: one `flux start server` for the module (embedded worker, SQLite in a temporary
home, bubblewrap sandboxes) on a free loopback port, shared by the pages in file order.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import yaml

from tests.conftest import REPO, FluxServer, clean_env

from .conftest import NOT_RUN

pytestmark = pytest.mark.slow

SERVER_ENV = {"FLUX_JOBS__SANDBOX": "bwrap"}
DOCS = REPO / "docs"
GENERATED = (DOCS / "reference", DOCS / "configuration.md")
DOC_URL = "http://localhost:8000"

PYTHON = ("python", "py", "python3")
SHELL = ("bash", "sh", "shell")
SHOWN = ("text", "console", "output")
PARSED = ("json", "toml", "yaml", "yml")
TIMEOUTS = {"python": 60.0, "bash": 180.0}

_OPEN = re.compile(r"^(?P<indent> *)(?P<fence>`{3,}|~{3,})\s*(?P<info>[^`]*?)\s*$")
_NOT_RUN = re.compile(r"^\s*<!--\s*not-run\b:?(?P<reason>.*?)-->\s*$")
_ATTRIBUTE = re.compile(r'(\w+)="([^"]*)"')


@dataclass(frozen=True)
class Block:
    page: str
    line: int  # of the opening fence, from 1
    lang: str
    title: str | None
    body: str
    not_run: str | None  # the reason given, "" when the marker has none

    def where(self) -> str:
        return f"{self.page}:{self.line} (```{self.lang or '<no language>'})"


def guide_pages() -> list[Path]:
    pages = [
        path
        for path in sorted(DOCS.rglob("*.md"))
        if not any(path == g or g in path.parents for g in GENERATED)
    ]
    return [*pages, REPO / "README.md"]


def parse_blocks(page: Path) -> list[Block]:
    return parse_blocks_text(page.read_text(), str(page.relative_to(REPO)))


def parse_blocks_text(text: str, name: str) -> list[Block]:
    lines = text.splitlines()
    blocks: list[Block] = []
    previous = ""  # the last non-blank line outside a block
    index = 0
    while index < len(lines):
        opening = _OPEN.match(lines[index])
        if opening is None:
            if lines[index].strip():
                previous = lines[index]
            index += 1
            continue
        indent, fence = len(opening["indent"]), opening["fence"]
        body: list[str] = []
        end = index + 1
        while end < len(lines) and not _closes(lines[end], fence):
            body.append(lines[end][indent:] if lines[end][:indent].isspace() else lines[end])
            end += 1
        info = opening["info"]
        marker = _NOT_RUN.match(previous)
        blocks.append(
            Block(
                page=name,
                line=index + 1,
                lang=info.split()[0].lower().lstrip(".{") if info.split() else "",
                title=dict(_ATTRIBUTE.findall(info)).get("title"),
                body="\n".join(body) + "\n",
                not_run=marker["reason"].strip() if marker else None,
            )
        )
        previous = ""
        index = end + 1
    return blocks


def _closes(line: str, fence: str) -> bool:
    stripped = line.strip()
    return stripped.startswith(fence) and set(stripped) == {fence[0]}


@dataclass
class Page:
    """Where a page's blocks run: its working directory and the environment they get."""

    work: Path
    scripts: Path
    env: dict[str, str]
    server_url: str

    def run(self, block: Block) -> None:
        if block.not_run is not None:
            if not block.not_run:
                pytest.fail(f"{block.where()}: `<!-- not-run: ... -->` needs a reason")
            return
        if block.title is not None:
            self._write(block)
        elif block.lang in PYTHON:
            self._execute(block, "python", [sys.executable])
        elif block.lang in SHELL:
            self._execute(block, "bash", ["bash", "-euo", "pipefail"])
        elif block.lang in PARSED:
            _parse(block, block.body)
        elif block.lang not in SHOWN:
            pytest.fail(
                f"{block.where()}: no rule runs this block; give it a language this test "
                f'runs or parses, a title="file", ```text for shown output, or a '
                f"`<!-- not-run: reason -->` line\n{block.body}"
            )

    def _write(self, block: Block) -> None:
        assert block.title is not None
        target = (self.work / block.title).resolve()
        if self.work.resolve() not in target.parents:
            pytest.fail(f"{block.where()}: title {block.title!r} is outside the working directory")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(self._live(block.body))
        if block.lang in PARSED:
            _parse(block, block.body)

    def _live(self, text: str) -> str:
        return text.replace(DOC_URL, self.server_url)

    def _execute(self, block: Block, kind: str, command: list[str]) -> None:
        script = self.scripts / f"line{block.line}.{'py' if kind == 'python' else 'sh'}"
        script.write_text(self._live(block.body))
        outcome = _run_in_group([*command, str(script)], self.work, self.env, TIMEOUTS[kind])
        if outcome.returncode != 0:
            pytest.fail(
                f"{block.where()} exited with {outcome.returncode}\n"
                f"--- block ---\n{block.body}"
                f"--- stdout ---\n{outcome.stdout}\n--- stderr ---\n{outcome.stderr}",
                pytrace=False,
            )


def _parse(block: Block, text: str) -> None:
    try:
        if block.lang == "json":
            json.loads(text)
        elif block.lang == "toml":
            tomllib.loads(text)
        else:
            yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        pytest.fail(f"{block.where()} does not parse: {exc}\n{text}", pytrace=False)


@dataclass(frozen=True)
class Outcome:
    returncode: int
    stdout: str
    stderr: str


def _run_in_group(command: list[str], cwd: Path, env: dict[str, str], timeout: float) -> Outcome:
    """Runs a block in a process group of its own, which is killed when the block ends, so
    that whatever it started in the background (a server, `sleep &`) does not outlive it."""
    process = subprocess.Popen(
        command,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        stdout, stderr = process.communicate(timeout=timeout)
        code = process.returncode
    except subprocess.TimeoutExpired:
        _kill_group(process)
        stdout, stderr = process.communicate()
        stderr += f"\n[killed: still running after {timeout:.0f} s]"
        code = -1
    finally:
        _kill_group(process)
    return Outcome(code, stdout, stderr)


def _kill_group(process: subprocess.Popen[str]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def live_server(flux_server: FluxServer) -> FluxServer:
    """The module's server once its embedded worker is connected (jobs need it)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        workers = httpx.get(f"{flux_server.url}/workers", timeout=5).json()
        if any(worker["status"] == "connected" for worker in workers):
            return flux_server
        time.sleep(0.1)
    log = (flux_server.cwd / "server.log").read_text()
    pytest.fail(f"the embedded worker did not connect within 60 s:\n{log}")


@pytest.fixture(scope="module")
def flux_bin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A `flux` command that runs this checkout with this interpreter, whatever is installed."""
    directory = tmp_path_factory.mktemp("bin")
    command = directory / "flux"
    command.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m flux.cli.main "$@"\n')
    command.chmod(0o755)
    return directory


@pytest.fixture
def page_dir(tmp_path: Path, live_server: FluxServer, flux_bin: Path) -> Iterator[Page]:
    work, scripts = tmp_path / "work", tmp_path / "blocks"
    work.mkdir()
    scripts.mkdir()
    (work / "examples").symlink_to(REPO / "examples")
    url = live_server.url
    env = clean_env(
        PYTHONPATH=f"{work}{os.pathsep}{REPO}",
        PATH=f"{flux_bin}{os.pathsep}{os.environ['PATH']}",
        FLUX_SERVER_URL=url,
        FLUX_WORKERS__SERVER_URL=url,
        FLUX_MCP__SERVER_URL=url,
    )
    yield Page(work, scripts, env, url)


@pytest.mark.timeout(900)
@pytest.mark.parametrize("page", guide_pages(), ids=lambda page: str(page.relative_to(REPO)))
def test_every_block_runs(page: Path, page_dir: Page, request: pytest.FixtureRequest) -> None:
    blocks = parse_blocks(page)
    not_run = request.config.stash.setdefault(NOT_RUN, [])
    for block in blocks:
        if block.not_run:
            not_run.append(f"{block.page}:{block.line}: {block.not_run}")
        page_dir.run(block)


def test_the_parser_reads_fences_titles_and_markers() -> None:
    """The rules above, on a page written for the purpose (a parser that found no block would
    make every page pass)."""
    text = (
        "Intro\n\n```bash\necho one\n```\n\n<!-- not-run: needs a Docker engine -->\n\n"
        '```python title="x.py"\nprint(1)\n```\n'
        '- item\n\n  ```json\n  {"a": 1}\n  ```\n<!-- not-run: -->\n````text\n```\n````\n'
    )
    blocks = parse_blocks_text(text, "docs/example.md")
    assert [(b.lang, b.title, b.not_run, b.line) for b in blocks] == [
        ("bash", None, None, 3),
        ("python", "x.py", "needs a Docker engine", 9),
        ("json", None, None, 14),
        ("text", None, "", 18),
    ]
    assert blocks[2].body == '{"a": 1}\n'
    assert blocks[3].body == "```\n"


def test_a_failing_block_fails_its_page_with_where_and_why(tmp_path: Path) -> None:
    """What a writer sees when a block is wrong, has no rule, or skips without a reason."""
    (tmp_path / "work").mkdir()
    (tmp_path / "blocks").mkdir()
    page = Page(tmp_path / "work", tmp_path / "blocks", clean_env(), "http://127.0.0.1:9")
    text = (
        '```bash\necho "$((6 * 7))" > answer.txt\nfalse\necho never\n```\n\n'
        "```ini\n[a]\n```\n\n<!-- not-run:   -->\n```bash\nexit 0\n```\n\n"
        '```json title="broken.json"\n{"a": \n```\n'
    )
    wrong, no_rule, no_reason, broken = parse_blocks_text(text, "docs/example.md")

    with pytest.raises(pytest.fail.Exception) as failure:
        page.run(wrong)
    assert "docs/example.md:1 (```bash) exited with 1" in str(failure.value)
    assert (tmp_path / "work" / "answer.txt").read_text() == "42\n"
    for block, message in [
        (no_rule, "docs/example.md:7 (```ini): no rule runs this block"),
        (no_reason, "docs/example.md:12 (```bash): `<!-- not-run: ... -->` needs a reason"),
        (broken, "docs/example.md:16 (```json) does not parse"),
    ]:
        with pytest.raises(pytest.fail.Exception, match=re.escape(message)):
            page.run(block)
