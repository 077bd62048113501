"""Matching resource requests against what workers report."""

from __future__ import annotations

import json

import pytest

from flux.orchestrator.fit import Capacity, fits, parse_size, shortfall

WORKER = Capacity(cpu=4, memory=8 * 2**30, gpus=1, disk=100 * 10**9, packages={"numpy": "2.1.0"})


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("512Mi", 512 * 2**20),
        ("2Gi", 2 * 2**30),
        ("4GB", 4 * 10**9),
        ("1.5G", 1_500_000_000),
        ("1024", 1024),
        (2048, 2048),
        (None, None),
        (" 3 kib ", 3072),
    ],
)
def test_sizes(text: str | int | None, size: int | None) -> None:
    assert parse_size(text) == size


def test_unreadable_size() -> None:
    with pytest.raises(ValueError, match="cannot read size 'lots'"):
        parse_size("lots")


@pytest.mark.parametrize(
    ("request_", "reason"),
    [
        ({}, None),
        ({"cpu": 4, "memory": "8Gi", "gpu": 1, "packages": ["numpy>=2", "NumPy"]}, None),
        ({"cpu": 5}, "needs cpu=5, the worker has 4"),
        ({"gpu": 2}, "needs gpu=2, the worker has 1"),
        ({"memory": "9Gi"}, "needs memory=9Gi, the worker has 8589934592 bytes"),
        ({"packages": ["pandas"]}, "needs package pandas"),
        ({"packages": ["numpy<2"]}, "needs package numpy<2"),
    ],
)
def test_shortfall(request_: dict[str, object], reason: str | None) -> None:
    assert shortfall(json.dumps(request_), WORKER) == reason


def test_no_request_fits_anyone_and_bad_requests_fit_no_one() -> None:
    assert fits(None, Capacity())
    assert not fits(json.dumps({"memory": "lots"}), WORKER)
