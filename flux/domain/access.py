"""Who is calling and what they may do: roles, principals and the one rule between them.

Pure values (no I/O): the server's auth middleware builds a `Principal` per request, its
policy names the role each endpoint needs, and `allows` decides. docs/security.md has the
table of roles.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal


class Role(StrEnum):
    """admin > operator > viewer; `worker` is apart: it may only register workers."""

    ADMIN = "admin"
    OPERATOR = "operator"
    VIEWER = "viewer"
    WORKER = "worker"

    @classmethod
    def parse(cls, value: str) -> Role:
        """The role named `value`; ValueError listing the roles otherwise."""
        try:
            return cls(value.strip().lower())
        except ValueError:
            names = ", ".join(role.value for role in cls)
            raise ValueError(f"unknown role {value!r}: use one of {names}") from None


# Each user role includes the ones ranked below it; `worker` has no rank (it includes none).
_RANK = {Role.VIEWER: 1, Role.OPERATOR: 2, Role.ADMIN: 3}


def allows(principal_role: Role, required_role: Role) -> bool:
    """Whether a principal holding `principal_role` may call an endpoint that needs
    `required_role`. A worker key only passes worker endpoints; no user role passes them."""
    if required_role is Role.WORKER or principal_role is Role.WORKER:
        return principal_role is required_role
    return _RANK[principal_role] >= _RANK[required_role]


PrincipalKind = Literal["key", "anonymous", "worker"]


@dataclass(frozen=True, slots=True)
class Principal:
    """The caller of one request. `kind`: an API key, an anonymous caller the server lets in
    (why: `name`, e.g. "loopback"), or a worker on its session token (`name` the worker)."""

    kind: PrincipalKind
    role: Role
    name: str
    key_id: str | None = None

    @property
    def label(self) -> str:
        """How logs and the audit name the caller: "key ab12cd34ef56 (alice)",
        "anonymous (loopback)", "worker w1"."""
        if self.kind == "key":
            return f"key {self.key_id} ({self.name})"
        if self.kind == "worker":
            return f"worker {self.name}"
        return f"anonymous ({self.name})"
