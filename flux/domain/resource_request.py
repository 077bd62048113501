"""What an execution needs from the worker that runs it (stored now, matched at dispatch)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class ResourceRequest:
    cpu: int | None = None
    memory: str | int | None = None
    gpu: int | None = None
    disk: str | int | None = None
    packages: list[str] = field(default_factory=list)
    # Script jobs: the runtime family (python, node, bash) the worker must be able to run.
    runtime: str | None = None

    def __post_init__(self) -> None:
        for name in ("cpu", "gpu"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or value < 0):
                raise ValueError(f"ResourceRequest.{name} must be a non-negative integer")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> ResourceRequest | None:
        return cls(**data) if data else None

    @classmethod
    def with_cpu(cls, cpu: int) -> ResourceRequest:
        return cls(cpu=cpu)

    @classmethod
    def with_memory(cls, memory: str | int) -> ResourceRequest:
        return cls(memory=memory)

    @classmethod
    def with_gpu(cls, gpu: int) -> ResourceRequest:
        return cls(gpu=gpu)

    @classmethod
    def with_packages(cls, packages: list[str]) -> ResourceRequest:
        return cls(packages=list(packages))
