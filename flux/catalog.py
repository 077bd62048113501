"""Reading an uploaded workflow file without running it.

The server must never import users' code (importing runs it), so a file is parsed with `ast`
and its workflows are found by their decorators: `@workflow`, `@workflow.with_options(...)`,
`@flux.workflow...`, or any alias bound by `from flux import workflow as wf`. Options given
as literals (`name=`, `secret_requests=`, `requests=ResourceRequest(...)`, `schedule=cron(...)`)
are read and validated with the same domain types the decorator uses; options that are not
literals cannot be known without running the file and are left out (except `name`, which the
server must know, so a computed name is refused). The queue options (`concurrency=`,
`concurrency_key=`, `rate_limit=`, `rate_limit_key=`, `priority=`) must be literals too:
leaving out a limit the author wrote would run more at once than asked. A file's version is
the sha256 of its bytes.
"""

from __future__ import annotations

import ast
import hashlib
import io
import re
import tokenize
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flux.builtin_workflows import RESERVED_PREFIX
from flux.domain.limits import LimitError, Limits, check_priority
from flux.domain.names import name_problem, shown
from flux.domain.resource_request import ResourceRequest
from flux.domain.schedule import cron, interval, once
from flux.domain.sizes import parse_size
from flux.errors import FluxError

MAX_FILENAME_LENGTH = 255
_FILENAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*\.py")
_SCHEDULES: dict[str, Callable[..., Any]] = {"cron": cron, "interval": interval, "once": once}
_REQUEST_BUILDERS = {"with_cpu", "with_memory", "with_gpu", "with_packages"}
_LIMIT_OPTIONS = ("concurrency", "concurrency_key", "rate_limit", "rate_limit_key", "priority")


class CatalogError(FluxError, ValueError):
    """An uploaded file that cannot be registered (the API answers 400 with the message)."""


class WorkflowSyntaxError(CatalogError):
    def __init__(self, filename: str, message: str, line: int | None, column: int | None):
        self.filename, self.message, self.line, self.column = filename, message, line, column
        where = f" at line {line}" if line else ""
        where += f", column {column}" if line and column else ""
        super().__init__(f"syntax error in {filename}{where}: {message}")


@dataclass(frozen=True, slots=True)
class ParsedWorkflow:
    name: str
    version: str
    filename: str
    line: int
    secret_requests: list[str] = field(default_factory=list)
    requests: dict[str, Any] | None = None
    schedule: dict[str, Any] | None = None
    limits: dict[str, Any] | None = None  # `flux.domain.limits.Limits.to_dict()`
    priority: int = 0

    def metadata(self) -> dict[str, Any]:
        meta = {
            "secret_requests": self.secret_requests,
            "requests": self.requests,
            "schedule": self.schedule,
            "line": self.line,
        }
        # Only when declared: most workflows have neither.
        if self.limits:
            meta["limits"] = self.limits
        if self.priority:
            meta["priority"] = self.priority
        return meta


@dataclass(frozen=True, slots=True)
class ParsedFile:
    filename: str
    version: str
    source: str
    workflows: list[ParsedWorkflow]


def validate_filename(filename: str | None) -> str:
    """The upload's base name, if it is a plain `.py` file name (no directories, no `..`)."""
    if not filename:
        raise CatalogError("the upload has no file name; send it as multipart field 'file'")
    if len(filename) > MAX_FILENAME_LENGTH:
        raise CatalogError(f"file name is longer than {MAX_FILENAME_LENGTH} characters")
    if not _FILENAME.fullmatch(filename) or ".." in filename:
        shown = filename[:80].encode("unicode_escape").decode("ascii")
        raise CatalogError(
            f"invalid file name '{shown}': use a plain name ending in .py "
            "(letters, digits, '_', '.', '-'; no directories)"
        )
    return filename


def parse_file(filename: str | None, content: bytes, max_bytes: int) -> ParsedFile:
    """The workflows of an uploaded file. Raises CatalogError (WorkflowSyntaxError)."""
    name = validate_filename(filename)
    if len(content) > max_bytes:
        raise CatalogError(f"{name} is {len(content)} bytes; the limit is {max_bytes}")
    source = _decode(name, content)
    tree = _parse(name, source)
    version = hashlib.sha256(content).hexdigest()
    workflows = _Finder(name, version).find(tree)
    if not workflows:
        raise CatalogError(
            f"{name} defines no workflow: decorate an async function with @workflow "
            "at the top level of the file"
        )
    for wf in workflows:
        problem = name_problem(wf.name)
        if problem is not None:
            raise CatalogError(f"{name}: workflow name '{shown(wf.name)}' {problem}")
        if wf.name.startswith(RESERVED_PREFIX):
            raise CatalogError(
                f"{name}: workflow name '{wf.name}' is reserved (names starting with "
                f"'{RESERVED_PREFIX}' belong to Flux's built-in workflows)"
            )
    return ParsedFile(name, version, source, workflows)


def _decode(filename: str, content: bytes) -> str:
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(content).readline)
        return content.decode(encoding)
    except (SyntaxError, LookupError, UnicodeDecodeError) as exc:
        raise CatalogError(f"{filename} is not readable Python source text: {exc}") from None


def _parse(filename: str, source: str) -> ast.Module:
    try:
        return ast.parse(source, filename=filename)
    except SyntaxError as exc:
        raise WorkflowSyntaxError(filename, exc.msg, exc.lineno, exc.offset) from None
    except ValueError as exc:  # e.g. NUL bytes in the source
        raise WorkflowSyntaxError(filename, str(exc), None, None) from None


class _Finder:
    def __init__(self, filename: str, version: str):
        self._filename, self._version = filename, version
        # Names under which `flux.workflow` (the decorator) and `flux` are bound in the file.
        self._decorators = {"workflow", "flux.workflow"}

    def find(self, tree: ast.Module) -> list[ParsedWorkflow]:
        found: dict[str, ParsedWorkflow] = {}
        for node in tree.body:
            self._note_imports(node)
            if isinstance(node, ast.AsyncFunctionDef | ast.FunctionDef):
                for decorator in node.decorator_list:
                    parsed = self._workflow(node, decorator)
                    if parsed is None:
                        continue
                    if parsed.name in found:
                        raise CatalogError(
                            f"{self._filename}: workflow '{parsed.name}' is defined twice "
                            f"(lines {found[parsed.name].line} and {parsed.line})"
                        )
                    found[parsed.name] = parsed
        return list(found.values())

    def _note_imports(self, node: ast.stmt) -> None:
        if isinstance(node, ast.ImportFrom) and node.module in ("flux", "flux.workflow"):
            for alias in node.names:
                if alias.name == "workflow":
                    self._decorators.add(alias.asname or "workflow")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "flux" and alias.asname:
                    self._decorators.add(f"{alias.asname}.workflow")

    def _workflow(
        self, node: ast.AsyncFunctionDef | ast.FunctionDef, decorator: ast.expr
    ) -> ParsedWorkflow | None:
        options: dict[str, ast.expr] = {}
        target = decorator
        if isinstance(decorator, ast.Call):
            func = decorator.func
            if not (isinstance(func, ast.Attribute) and func.attr == "with_options"):
                return None
            target = func.value
            options = {kw.arg: kw.value for kw in decorator.keywords if kw.arg}
        if _dotted(target) not in self._decorators:
            return None
        limits, priority = self._limits(node, options)
        return ParsedWorkflow(
            name=self._name(node, options.get("name")),
            version=self._version,
            filename=self._filename,
            line=node.lineno,
            secret_requests=self._secret_requests(node, options.get("secret_requests")),
            requests=self._requests(node, options.get("requests")),
            schedule=self._schedule(node, options.get("schedule")),
            limits=limits,
            priority=priority,
        )

    def _limits(
        self, node: ast.AST, options: dict[str, ast.expr]
    ) -> tuple[dict[str, Any] | None, int]:
        values: dict[str, Any] = {}
        for option in _LIMIT_OPTIONS:
            if option not in options:
                continue
            value = _literal(options[option])
            if value is _NOT_LITERAL:
                raise self._fail(
                    options[option],
                    f"{option}= must be a literal: the server reads it without running the file",
                )
            values[option] = value
        priority = values.pop("priority", None)
        try:
            limits = Limits(**values)
            priority = 0 if priority is None else check_priority(priority)
        except LimitError as exc:
            raise self._fail(node, str(exc)) from None
        return (limits.to_dict() if limits else None), priority

    def _fail(self, node: ast.AST, message: str) -> CatalogError:
        return CatalogError(f"{self._filename} line {getattr(node, 'lineno', '?')}: {message}")

    def _name(self, node: ast.AST, value: ast.expr | None) -> str:
        if value is None:
            return getattr(node, "name", "")
        name = _literal(value)
        if not isinstance(name, str) or not name:
            raise self._fail(value, "a workflow's name= must be a non-empty string literal")
        return name

    def _secret_requests(self, node: ast.AST, value: ast.expr | None) -> list[str]:
        if value is None:
            return []
        names = _literal(value)
        if isinstance(names, list | tuple) and all(isinstance(n, str) for n in names):
            return list(names)
        return []

    def _requests(self, node: ast.AST, value: ast.expr | None) -> dict[str, Any] | None:
        if not isinstance(value, ast.Call):
            return None
        func = _dotted(value.func)
        args, kwargs = _call_arguments(value)
        if args is None or kwargs is None or func is None:
            return None
        owner, _, method = func.rpartition(".")
        try:
            if func.split(".")[-1] == "ResourceRequest":
                built = ResourceRequest(*args, **kwargs)
            elif owner.split(".")[-1] == "ResourceRequest" and method in _REQUEST_BUILDERS:
                built = getattr(ResourceRequest, method)(*args, **kwargs)
            else:
                return None
            parse_size(built.memory)
            parse_size(built.disk)
        except (TypeError, ValueError) as exc:
            raise self._fail(value, f"invalid requests=: {exc}") from None
        return built.to_dict()

    def _schedule(self, node: ast.AST, value: ast.expr | None) -> dict[str, Any] | None:
        if not isinstance(value, ast.Call):
            return None
        func = _dotted(value.func)
        maker = _SCHEDULES.get((func or "").split(".")[-1])
        args, kwargs = _call_arguments(value)
        if maker is None or args is None or kwargs is None:
            return None
        try:
            made: Any = maker(*args, **kwargs)
        except (TypeError, ValueError) as exc:
            raise self._fail(value, f"invalid schedule=: {exc}") from None
        schedule: dict[str, Any] = made.to_dict()
        return schedule


def _dotted(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        owner = _dotted(node.value)
        return None if owner is None else f"{owner}.{node.attr}"
    return None


_NOT_LITERAL = object()


def _literal(node: ast.expr) -> Any:
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return _NOT_LITERAL


def _call_arguments(call: ast.Call) -> tuple[list[Any] | None, dict[str, Any] | None]:
    """The call's arguments if every one is a literal, else (None, None)."""
    args = [_literal(arg) for arg in call.args]
    kwargs = {kw.arg: _literal(kw.value) for kw in call.keywords if kw.arg}
    if len(kwargs) != len(call.keywords) or _NOT_LITERAL in args:
        return None, None
    if any(value is _NOT_LITERAL for value in kwargs.values()):
        return None, None
    return args, kwargs
