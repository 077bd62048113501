"""Runtime discovery and the mapping from `python:3.9` / `node:18` to an interpreter.

The mapping tests use a fake machine (small scripts standing for interpreters, laid out like
PATH, pyenv and nvm), so that they say exactly what is expected whatever the real machine
has; one test checks the real machine's interpreters."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from flux.jobs.runtimes import Runtimes, trust_env
from flux.jobs.spec import JobSpecError, parse_runtime


def fake_exe(path: Path, version_text: str, marker: Path | None = None) -> Path:
    """A program that prints `version_text` for `--version` (and leaves `marker` if run)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    touch = f"touch {marker}\n" if marker else ""
    path.write_text(f"#!/bin/sh\n{touch}echo '{version_text}'\n")
    path.chmod(0o755)
    return path


@pytest.fixture
def machine(tmp_path: Path) -> tuple[Runtimes, Path]:
    """PATH: python3 -> python3.11 (3.11.2), node 20.11.1, bash 5.2.15, and a pyenv shim;
    pyenv: 3.8.18, 3.9.18, 3.11.7, 3.12.1 and a virtualenv; nvm: node 18.19.0."""
    bin_dir = tmp_path / "usr" / "bin"
    fake_exe(bin_dir / "python3.11", "Python 3.11.2")
    (bin_dir / "python3").symlink_to("python3.11")
    fake_exe(bin_dir / "node", "v20.11.1")
    fake_exe(bin_dir / "bash", "GNU bash, version 5.2.15(1)-release (x86_64-pc-linux-gnu)")
    shims = tmp_path / "pyenv" / "shims"
    fake_exe(shims / "python3", "Python 3.13.0", marker=tmp_path / "shim-ran")
    fake_exe(shims / "python3.13", "Python 3.13.0", marker=tmp_path / "shim-ran")
    for version in ("3.8.18", "3.9.18", "3.11.7", "3.12.1"):
        minor = ".".join(version.split(".")[:2])
        fake_exe(tmp_path / "pyenv" / "versions" / version / "bin" / f"python{minor}", "unused")
    fake_exe(tmp_path / "pyenv" / "versions" / "my-venv" / "bin" / "python3.10", "Python 3.10")
    fake_exe(tmp_path / "nvm" / "versions" / "node" / "v18.19.0" / "bin" / "node", "unused")
    runtimes = Runtimes.discover(
        docker_images={"python": "python:{version}-slim", "node": "node:{version}-slim"},
        path=f"{shims}:{bin_dir}",
        home=tmp_path,
        pyenv_root=str(tmp_path / "pyenv"),
        nvm_dir=str(tmp_path / "nvm"),
    )
    return runtimes, tmp_path


def resolve(runtimes: Runtimes, text: str) -> str:
    return runtimes.resolve(parse_runtime(text)).label


def test_discovery_reports_each_family(machine: tuple[Runtimes, Path]) -> None:
    runtimes, root = machine
    assert runtimes.report() == {
        "python": ["3.8.18", "3.9.18", "3.11.2", "3.12.1"],
        "node": ["18.19.0", "20.11.1"],
        "bash": ["5.2.15"],
    }
    assert not (root / "shim-ran").exists()  # shims are skipped, never run


def test_requests_map_to_the_same_or_the_oldest_newer_version(
    machine: tuple[Runtimes, Path],
) -> None:
    runtimes, _ = machine
    assert resolve(runtimes, "python:3.9") == "python 3.9.18"
    assert resolve(runtimes, "python:3.10") == "python 3.11.2"
    assert resolve(runtimes, "python:3.7") == "python 3.8.18"
    assert resolve(runtimes, "python:3.11") == "python 3.11.2"  # PATH before pyenv
    assert resolve(runtimes, "python:3.9.2") == "python 3.9.18"
    assert resolve(runtimes, "node:18") == "node 18.19.0"
    assert resolve(runtimes, "node:19") == "node 20.11.1"
    assert resolve(runtimes, "node:16") == "node 18.19.0"
    assert resolve(runtimes, "bash:4") == "bash 5.2.15"


def test_plain_names_take_what_is_on_path(machine: tuple[Runtimes, Path]) -> None:
    runtimes, _ = machine
    assert resolve(runtimes, "python") == "python 3.11.2"
    assert resolve(runtimes, "python:3") == "python 3.11.2"
    assert resolve(runtimes, "node") == "node 20.11.1"
    assert resolve(runtimes, "bash") == "bash 5.2.15"


def test_versions_beyond_what_is_here_are_refused(machine: tuple[Runtimes, Path]) -> None:
    runtimes, _ = machine
    expected = (
        "runtime python:3.14 is not available on this worker; available: "
        "python 3.8, 3.9, 3.11, 3.12, node 18, 20, bash 5.2"
    )
    with pytest.raises(JobSpecError) as refused:
        runtimes.resolve(parse_runtime("python:3.14"))
    assert str(refused.value) == expected
    for text in ("node:22", "python:4", "python:2.7", "bash:6"):
        with pytest.raises(JobSpecError, match="is not available on this worker"):
            runtimes.resolve(parse_runtime(text))
    with pytest.raises(JobSpecError, match="available: none"):
        Runtimes([]).resolve(parse_runtime("node"))


def test_mounts_and_images(machine: tuple[Runtimes, Path]) -> None:
    runtimes, root = machine
    pyenv = runtimes.resolve(parse_runtime("python:3.9"))
    assert pyenv.mounts == (root / "pyenv" / "versions" / "3.9.18",)
    assert pyenv.image == "python:3.9-slim"
    node = runtimes.resolve(parse_runtime("node:20"))
    assert node.image == "node:20-slim"
    assert node.mounts == (root / "usr",)  # not under the real /usr: mounted as a prefix


def test_the_real_machine(runtimes: Runtimes) -> None:
    report = runtimes.report()
    assert report["bash"] and report["node"] and report["python"]
    python = runtimes.resolve(parse_runtime("python"))
    assert "shims" not in python.executable.parts
    assert python.executable == python.executable.resolve()
    found = subprocess.run(
        [str(python.executable), "-c", "import platform; print(platform.python_version())"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert found.stdout.strip() == python.version
    node = runtimes.resolve(parse_runtime("node"))
    assert node.npm is not None


def test_discovery_is_cheap() -> None:
    import time

    started = time.perf_counter()
    Runtimes.discover()
    # ~30 ms here (node's start-up dominates); generous for a loaded CI machine.
    assert time.perf_counter() - started < 1.0


def test_trust_env_keeps_only_certificates_a_sandbox_shows() -> None:
    environ = {
        "SSL_CERT_FILE": "/etc/ssl/certs/ca-certificates.crt",
        "NODE_EXTRA_CA_CERTS": "/home/me/corp.pem",
        "OTHER": "x",
    }
    assert trust_env(environ) == {"SSL_CERT_FILE": "/etc/ssl/certs/ca-certificates.crt"}
