"""Reading uploaded workflow files without running them."""

from __future__ import annotations

import hashlib

import pytest

from flux.catalog import CatalogError, WorkflowSyntaxError, parse_file, validate_filename

LIMIT = 1 << 20


def parse(source: str, name: str = "wf.py") -> dict[str, dict[str, object]]:
    parsed = parse_file(name, source.encode(), LIMIT)
    return {wf.name: wf.metadata() for wf in parsed.workflows}


def test_decorator_spellings_and_aliases() -> None:
    found = parse(
        """
import flux
import flux as fx
from flux import workflow
from flux import workflow as wf
from flux.workflow import workflow as wf2

@workflow
async def a(ctx): ...

@flux.workflow
async def b(ctx): ...

@fx.workflow.with_options(name="c_named")
async def c(ctx): ...

@wf
async def d(ctx): ...

@wf2.with_options()
async def e(ctx): ...

@task
async def not_a_workflow(x): ...

@other.workflow
async def nor_this(ctx): ...

def helper(): ...
"""
    )

    assert sorted(found) == ["a", "b", "c_named", "d", "e"]


def test_literal_options_are_read_and_validated() -> None:
    found = parse(
        """
from flux import workflow, ResourceRequest, cron, interval, once

@workflow.with_options(secret_requests=("A", "B"), requests=ResourceRequest.with_memory("2Gi"),
                       schedule=interval(minutes=5))
async def one(ctx): ...

@workflow.with_options(requests=ResourceRequest(cpu=2, packages=["pandas"]),
                       schedule=once("2030-01-01T00:00:00+00:00"))
async def two(ctx): ...

@workflow.with_options(requests=computed(), schedule=make_schedule(), secret_requests=names)
async def three(ctx): ...
"""
    )

    assert found["one"]["secret_requests"] == ["A", "B"]
    assert found["one"]["requests"]["memory"] == "2Gi"  # type: ignore[index]
    assert found["one"]["schedule"] == {"type": "interval", "seconds": 300.0}
    assert found["two"]["requests"]["packages"] == ["pandas"]  # type: ignore[index]
    assert found["two"]["schedule"]["type"] == "once"  # type: ignore[index]
    assert found["three"] == {"secret_requests": [], "requests": None, "schedule": None, "line": 13}


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (
            "@workflow.with_options(requests=ResourceRequest(cpu=-1))\nasync def x(c): ...",
            "invalid requests=",
        ),
        (
            "@workflow.with_options(requests=ResourceRequest(memory='lots'))\nasync def x(c): ...",
            "cannot read size",
        ),
        (
            "@workflow.with_options(schedule=cron('* * *'))\nasync def x(c): ...",
            "must have 5 fields",
        ),
        ("@workflow.with_options(name='')\nasync def x(c): ...", "non-empty string literal"),
        (
            "@workflow\nasync def x(c): ...\n@workflow\nasync def x(c): ...",
            "defined twice (lines 3 and 5)",
        ),
    ],
)
def test_invalid_options_are_named(source: str, message: str) -> None:
    with pytest.raises(CatalogError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse("from flux import workflow, ResourceRequest, cron\n" + source)


def test_version_is_the_content_hash_and_nothing_runs() -> None:
    source = b"import os\nos._exit(3)\nfrom flux import workflow\n@workflow\nasync def w(c): ..."

    parsed = parse_file("w.py", source, LIMIT)

    assert parsed.version == hashlib.sha256(source).hexdigest()
    assert [wf.name for wf in parsed.workflows] == ["w"]


def test_syntax_errors_carry_position() -> None:
    with pytest.raises(WorkflowSyntaxError) as raised:
        parse("from flux import workflow\n\ndef f(:\n    pass\n")

    assert (raised.value.line, raised.value.column) == (3, 7)
    assert str(raised.value).startswith("syntax error in wf.py at line 3, column 7:")


def test_encodings_and_limits() -> None:
    latin = "# -*- coding: latin-1 -*-\nfrom flux import workflow\n@workflow\nasync def é(c): ...\n"
    assert [wf.name for wf in parse_file("l.py", latin.encode("latin-1"), LIMIT).workflows] == ["é"]
    with pytest.raises(CatalogError, match="not readable"):
        parse_file("u.py", b"x = '\xff'\n", LIMIT)
    with pytest.raises(CatalogError, match="the limit is 10"):
        parse_file("big.py", b"#" * 11, 10)


@pytest.mark.parametrize(
    "name",
    [
        None,
        "",
        "../a.py",
        "a/b.py",
        "a\\b.py",
        "x.txt",
        ".x.py",
        "a..py",
        "é.py",
        "a" * 300 + ".py",
    ],
)
def test_file_names_are_plain_python_names(name: str | None) -> None:
    with pytest.raises(CatalogError):
        validate_filename(name)


def test_good_file_names() -> None:
    for name in ("my_workflows.py", "v1.2-final.py", "A.py"):
        assert validate_filename(name) == name
