"""Rows, cells and the rendering of the results table (text and JSON)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

OK = "ok"
UNAVAILABLE = "unavailable"
TIMEOUT = "timeout"
WRONG = "wrong"
ERROR = "error"
SKIPPED = "skipped"
# No measurement: a reference's published claim, shown as its text (e.g. "seed claims ...").
CLAIM = "claim"

NOTE_LABELS = {
    UNAVAILABLE: "not available: ",
    TIMEOUT: "timed out after ",
    WRONG: "wrong result: ",
    ERROR: "error: ",
}

# Long reasons would stretch the table; the full text goes to the notes below it.
CELL_WIDTH = 44


@dataclass(frozen=True)
class Cell:
    """One engine's value for one metric, or why there is none."""

    value: float | None = None
    status: str = OK
    detail: str = ""

    @classmethod
    def failed(cls, status: str, detail: str) -> Cell:
        return cls(None, status, detail)

    @classmethod
    def claim(cls, text: str) -> Cell:
        return cls(None, CLAIM, text)

    def text(self, unit: str) -> str:
        if self.status == OK and self.value is not None:
            suffix = f" ({self.detail})" if self.detail else ""
            return format_value(self.value, unit) + suffix
        return {
            UNAVAILABLE: f"not available: {self.detail}",
            TIMEOUT: f"> {self.detail} (timeout)",
            WRONG: "wrong result",
            ERROR: f"error: {self.detail}",
            SKIPPED: f"skipped: {self.detail}",
            CLAIM: self.detail,
        }.get(self.status, self.status)


@dataclass(frozen=True)
class Target:
    """A bound the subject engine should meet, e.g. ``<= 1 ms``."""

    op: str
    value: float

    def met_by(self, value: float) -> bool:
        return value <= self.value if self.op == "<=" else value >= self.value


@dataclass
class Row:
    id: str
    metric: str
    unit: str
    target: Target | None = None
    target_text: str = ""
    cells: dict[str, Cell] = field(default_factory=dict)

    def target_label(self) -> str:
        if self.target_text:
            return self.target_text
        if self.target is None:
            return "-"
        # Targets are round numbers: print them as written in the targets table.
        return f"{self.target.op} {self.target.value:g} {self.unit}"

    def meets_target(self, engine: str) -> bool | None:
        cell = self.cells.get(engine)
        if self.target is None or cell is None or cell.status != OK or cell.value is None:
            return None
        return self.target.met_by(cell.value)


def format_value(value: float, unit: str) -> str:
    if unit == "x":
        return f"{value:.1f}x"
    if unit == "ms":
        return f"{value:.2f} ms"
    if unit == "s":
        return f"{value:#.3g} s"
    if unit == "/s":
        return f"{value:,.1f} /s"
    if unit == "%":
        return f"{value:.0f}%"
    return f"{value:g} {unit}"


def clip(text: str) -> str:
    return text if len(text) <= CELL_WIDTH else text[: CELL_WIDTH - 3] + "..."


NOT_RUN = Cell.failed(SKIPPED, "not run")


def render_table(rows: list[Row], subject: str, references: list[str]) -> str:
    header = ["id", "metric", subject, "target", *references]
    lines = [header, *(table_line(row, subject, references) for row in rows)]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    lines.insert(1, ["-" * width for width in widths])
    return "\n".join(pad(line, widths) for line in lines)


def pad(line: list[str], widths: list[int]) -> str:
    return "  ".join(text.ljust(width) for text, width in zip(line, widths, strict=True)).rstrip()


def table_line(row: Row, subject: str, references: list[str]) -> list[str]:
    def shown(engine: str) -> str:
        return clip(row.cells.get(engine, NOT_RUN).text(row.unit))

    return [row.id, row.metric, shown(subject), row.target_label(), *map(shown, references)]


def render_notes(rows: list[Row]) -> list[str]:
    """Full text of every failed cell, once per distinct (engine, reason)."""
    notes: list[str] = []
    seen: set[tuple[str, str]] = set()
    for row in rows:
        for engine, cell in row.cells.items():
            if cell.status in (OK, SKIPPED, CLAIM) or (engine, cell.detail) in seen:
                continue
            seen.add((engine, cell.detail))
            notes.append(
                f"{row.id} {row.metric} [{engine}] {NOTE_LABELS[cell.status]}{cell.detail}"
            )
    return notes


def missed_targets(rows: list[Row], subject: str) -> list[str]:
    return [f"{row.id} {row.metric}" for row in rows if row.meets_target(subject) is False]


def write_json(path: Path, rows: list[Row], meta: dict[str, Any], subject: str) -> None:
    payload = {
        "meta": meta,
        "rows": [
            {**asdict(row), "target": row.target_label(), "meets_target": row.meets_target(subject)}
            for row in rows
        ],
    }
    path.write_text(json.dumps(payload, indent=2) + "\n")
