"""Errors a user of Flux can catch. Each names what went wrong and where."""

from __future__ import annotations

from typing import Any


class FluxError(Exception):
    """Base class of every error Flux raises on purpose."""

    def __reduce__(self) -> tuple[Any, ...]:
        # Errors are recorded in the event log. Their __init__ signatures differ from their
        # `args`, so the default pickling would rebuild them wrongly (or not at all).
        return (_restore_error, (type(self), self.args, self.__dict__))


def _restore_error(cls: type[FluxError], args: tuple[Any, ...], state: dict[str, Any]) -> FluxError:
    error = cls.__new__(cls)
    error.args = args
    error.__dict__.update(state)
    return error


class ExecutionError(FluxError):
    """A step or workflow failed; `inner_exception` is the original error, when there is one."""

    def __init__(self, inner_exception: BaseException | None = None, message: str | None = None):
        self.inner_exception = inner_exception
        super().__init__(
            message or (str(inner_exception) if inner_exception else "execution error")
        )


class RetryError(ExecutionError):
    """A task failed on every attempt its retry policy allowed."""

    def __init__(self, inner_exception: BaseException, attempts: int, delay: float, backoff: float):
        self.attempts = attempts
        self.delay = delay
        self.backoff = backoff
        super().__init__(
            inner_exception, f"failed after {attempts} attempt(s): {inner_exception!r}"
        )


class ExecutionTimeoutError(ExecutionError):
    """A task ran longer than its `timeout`."""

    def __init__(self, kind: str, name: str, step_id: str, timeout: float):
        self.kind, self.name, self.step_id, self.timeout = kind, name, step_id, timeout
        super().__init__(message=f"{kind} '{name}' ({step_id}) timed out after {timeout}s")


class WorkflowNotFoundError(FluxError):
    def __init__(self, name: str):
        self.name = name
        super().__init__(f"workflow '{name}' not found")


class ExecutionNotFoundError(FluxError):
    def __init__(self, execution_id: str):
        self.execution_id = execution_id
        super().__init__(f"execution '{execution_id}' not found")


class ExecutionStateError(FluxError):
    """The execution is not in a state that allows what was asked (e.g. resuming a finished run)."""

    def __init__(self, execution_id: str, state: str, action: str):
        self.execution_id, self.state, self.action = execution_id, state, action
        super().__init__(f"cannot {action} execution '{execution_id}': it is {state}")


class IdempotencyKeyError(FluxError, ValueError):
    """An idempotency key that cannot be used (empty, too long, not printable): 400."""


class IdempotencyConflictError(FluxError):
    """An idempotency key already started an execution of another workflow: 409."""

    def __init__(self, key: str, execution_id: str, workflow: str):
        self.key, self.execution_id, self.workflow = key, execution_id, workflow
        super().__init__(
            f"idempotency key '{key}' already started execution '{execution_id}' of '{workflow}'"
        )


class WorkflowMismatchError(FluxError):
    """An execution id was passed to a workflow other than the one that recorded it."""

    def __init__(self, execution_id: str, recorded: str, given: str):
        super().__init__(
            f"execution '{execution_id}' belongs to workflow '{recorded}', not '{given}'"
        )


class NondeterminismError(FluxError):
    """Replaying a recorded run found the workflow code doing something else than it recorded.

    Raised at the first step that diverged; the run is left as it was so that the old code
    (or a fixed new version) can still finish it.
    """

    def __init__(self, execution_id: str, step_id: str, expected: str, found: str):
        self.execution_id, self.step_id = execution_id, step_id
        self.expected, self.found = expected, found
        super().__init__(
            f"nondeterminism in execution '{execution_id}' at step {step_id}: "
            f"the recorded run has {expected}, the code now has {found}"
        )


class SerializationError(FluxError):
    """A value could not be turned into bytes (or back) with the configured serializer."""

    def __init__(self, what: str, serializer: str, cause: BaseException | str):
        self.what = what
        super().__init__(f"cannot serialize {what} with the '{serializer}' serializer: {cause}")


class TamperedDataError(FluxError):
    """A stored value's signature does not match its bytes: it was changed outside Flux or
    written with another key. It is refused, never unpickled."""


class OutputMissingError(FluxError):
    """A stored value kept in the output store (a large output) cannot be found there."""

    def __init__(self, digest: str, detail: str = "not in the output store"):
        self.digest = digest
        super().__init__(f"stored output {digest[:12]}… is not available: {detail}")


class OutputStoreError(FluxError):
    """A large value could not be written to the output store."""


class GraphValidationError(FluxError, ValueError):
    """A `Graph` is malformed: unknown node, missing start/end, or a cycle (named)."""


class SecretNotFoundError(FluxError, KeyError):
    def __init__(self, names: list[str]):
        self.names = names
        super().__init__(f"secret(s) not found: {', '.join(sorted(names))}")

    def __str__(self) -> str:
        return str(self.args[0])


class EncryptionKeyError(FluxError):
    """The encryption key is missing, or is not the one the stored secrets were written with."""


class ConfigurationError(FluxError, ValueError):
    pass


class ScheduleError(FluxError, ValueError):
    """A schedule that cannot be used: a malformed or impossible cron, an unknown timezone,
    a bad interval or policy. The API answers 400 with the message; nothing is stored."""


class ScheduleNotFoundError(FluxError):
    def __init__(self, key: str):
        self.key = key
        super().__init__(f"schedule '{key}' not found")


class ScheduleExistsError(FluxError):
    def __init__(self, name: str):
        self.name = name
        super().__init__(f"a schedule named '{name}' already exists")


class ScriptError(ExecutionError):
    """A sandboxed script (a job's attempt, or `run_script` in a workflow) did not succeed:
    it exited non-zero, broke a limit, or could not start. `attempt` is the attempt's record
    (a plain dict: exit_code, reason, limit, logs, ...)."""

    def __init__(self, message: str, attempt: dict[str, Any] | None = None):
        self.attempt = attempt or {}
        super().__init__(message=message)


class PauseRequested(BaseException):
    """Internal control flow: unwinds a workflow to its pause point. BaseException so that
    user `except Exception` blocks cannot swallow it."""

    def __init__(self, step_id: str, name: str, output: Any = None):
        self.step_id, self.name, self.output = step_id, name, output
        super().__init__(name)
