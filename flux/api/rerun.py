"""HTTP model of `POST /executions/{execution_id}/rerun` (flux.orchestrator.rerun)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

LATEST, ORIGINAL = "latest", "original"


class RerunRequest(BaseModel):
    """Every field is optional; an empty body reruns with the original input on the latest
    version. A field counts as given when it is present, even as `null`."""

    # A misspelt field (`stepOutput`, `output`) must not silently rerun without it.
    model_config = ConfigDict(extra="forbid")

    input: Any = Field(
        default=None,
        description="replaces the run's input (the reused steps keep their recorded values)",
    )
    step_output: Any = Field(
        default=None,
        description="the value the step `step_id` returns in the new run instead of running",
    )
    step_id: str | None = Field(
        default=None,
        description="the step `step_output` stands in for; default: the step that failed",
    )
    version: str = Field(
        default=LATEST,
        description="'latest' (the newest upload), 'original' (the version the failed run "
        "ran on), or a version hash of the workflow",
    )

    @property
    def has_input(self) -> bool:
        return "input" in self.model_fields_set

    @property
    def has_step_output(self) -> bool:
        return "step_output" in self.model_fields_set
