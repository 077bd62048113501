"""deploy/systemd: the unit files load in systemd without a warning (an unknown or misspelt
directive is only warned about, then ignored: a hardening option would silently be lost)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

UNITS = Path(__file__).resolve().parents[2] / "deploy" / "systemd"
FLUX = Path(sys.executable).with_name("flux")


@pytest.fixture
def installed_units(tmp_path: Path) -> list[Path]:
    """The units as they would be installed, with ExecStart pointing at this machine's `flux`
    (systemd-analyze refuses a missing executable) and the env file optional."""
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed")
    if not FLUX.exists():
        pytest.skip(f"no flux executable next to {sys.executable}")
    units = []
    for source, name in [
        ("flux-server.service", "flux-server.service"),
        ("flux-worker@.service", "flux-worker@1.service"),
    ]:
        text = (UNITS / source).read_text()
        assert "ExecStart=/opt/flux/bin/flux " in text
        text = text.replace("/opt/flux/bin/flux", str(FLUX))
        text = text.replace("EnvironmentFile=/etc/", "EnvironmentFile=-/etc/")
        unit = tmp_path / name
        unit.write_text(text)
        units.append(unit)
    return units


def test_the_units_verify_cleanly(installed_units: list[Path]) -> None:
    result = subprocess.run(
        ["systemd-analyze", "verify", *map(str, installed_units)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == "", result.stderr


def test_the_worker_keeps_what_bubblewrap_needs(installed_units: list[Path]) -> None:
    worker = installed_units[1].read_text()
    directives = {line.split("=", 1)[0] for line in worker.splitlines() if "=" in line}

    assert "NoNewPrivileges" in directives and "ProtectSystem" in directives
    # Each of these would stop bwrap from creating its namespaces or mounting /proc.
    assert not directives & {"RestrictNamespaces", "ProtectKernelTunables", "ProtectProc"}
    assert "UnsetEnvironment=FLUX_DATABASE_URL FLUX_SECURITY__ENCRYPTION_KEY" in worker
