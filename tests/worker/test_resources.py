"""What a worker reports about its machine."""

from __future__ import annotations

import shutil
from pathlib import Path

from flux.api.worker_protocol import GPUInfo
from flux.worker import resources

MEMINFO = """MemTotal:       24576000 kB
MemFree:         1000000 kB
MemAvailable:   20000000 kB
Buffers:          100000 kB
"""

NVIDIA = """NVIDIA A100-SXM4-40GB, 40960, 40000
Tesla T4, 15360, 100
garbage line
"""


def test_parse_meminfo() -> None:
    assert resources.parse_meminfo(MEMINFO) == (24576000 * 1024, 20000000 * 1024)


def test_parse_meminfo_without_available_uses_free() -> None:
    assert resources.parse_meminfo("MemTotal: 10 kB\nMemFree: 4 kB\n") == (10240, 4096)


def test_parse_nvidia_smi() -> None:
    mib = 1024 * 1024
    assert resources.parse_nvidia_smi(NVIDIA) == [
        GPUInfo(name="NVIDIA A100-SXM4-40GB", memory_total=40960 * mib, memory_free=40000 * mib),
        GPUInfo(name="Tesla T4", memory_total=15360 * mib, memory_free=100 * mib),
    ]


def test_no_nvidia_smi_means_no_gpus() -> None:
    if shutil.which("nvidia-smi") is None:
        assert resources.gpus() == []


def test_snapshot_of_this_machine(tmp_path: Path) -> None:
    report = resources.snapshot(tmp_path / "not-yet-created", known_gpus=[])
    assert report.cpu_total >= 1
    assert 0 <= report.cpu_available <= report.cpu_total
    assert 0 < report.memory_available <= report.memory_total
    assert 0 < report.disk_free <= report.disk_total
    assert report.gpus == []


def test_installed_packages_are_listed_once() -> None:
    packages = resources.packages()
    names = [p.name.lower() for p in packages]
    assert "pydantic" in names and "httpx" in names
    assert len(names) == len(set(names))
    assert names == sorted(names)
