"""`small_form.parse_form` reads the forms real clients send (encoded here by httpx, as the
CLI and tests send them, and by hand in curl's layout) exactly as Starlette's streaming form
parser does, and refuses malformed bodies with a message."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.datastructures import Headers, UploadFile
from starlette.formparsers import MultiPartParser

from flux.server.small_form import FormError, SmallForm, parse_form


def encoded(data: dict[str, str], files: dict[str, tuple[str, bytes, str]]) -> tuple[str, bytes]:
    request = httpx.Request("POST", "http://x/jobs/submit", data=data, files=files)
    return request.headers["content-type"], request.read()


def by_starlette(content_type: str, body: bytes) -> SmallForm:
    async def stream() -> AsyncIterator[bytes]:
        yield body

    async def parse() -> SmallForm:
        headers = Headers({"content-type": content_type})
        form = await MultiPartParser(headers, stream()).parse()
        result = SmallForm()
        for key, value in form.multi_items():
            if isinstance(value, UploadFile):
                result.files[key] = (value.filename or "", await value.read())
                await value.close()
            else:
                result.fields[key] = value
        return result

    return asyncio.run(parse())


CURL_BODY = (
    b"--------------------------abc123\r\n"
    b'Content-Disposition: form-data; name="runtime"\r\n\r\n'
    b"node:18\r\n"
    b"--------------------------abc123\r\n"
    b'Content-Disposition: form-data; name="payload"\r\n\r\n'
    b'{"url": "https://api.example.com"}\r\n'
    b"--------------------------abc123\r\n"
    b'Content-Disposition: form-data; name="script"; filename="worker.js"\r\n'
    b"Content-Type: application/octet-stream\r\n\r\n"
    b"module.exports = async (p) => p;\r\n\r\n"
    b"--------------------------abc123--\r\n"
)


@pytest.mark.parametrize(
    ("data", "files"),
    [
        (
            {"runtime": "bash", "name": "n", "maxRetries": "0"},
            {"script": ("a.sh", b"echo hi\n", "x")},
        ),
        (
            {"runtime": "python", "payload": '{"k": "\u00e9\u00e8 \\r\\n"}'},
            {"script": ("é.py", b"print(1)\r\n", "x")},
        ),
        ({"runtime": "bash"}, {"script": ("b.sh", b"--\r\n--boundary-like\r\n\r\n", "x")}),
        ({"runtime": "bash", "script": "echo as a field"}, {"other": ("o", b"1", "x")}),
        ({"runtime": "bash", "empty": ""}, {"script": ("", b"", "x")}),
        ({}, {"script": ("../../etc/passwd", b"\x00\xff binary", "x")}),
    ],
)
def test_reads_forms_as_starlette_does(
    data: dict[str, str], files: dict[str, tuple[str, bytes, str]]
) -> None:
    content_type, body = encoded(data, files)

    assert parse_form(content_type, body, max_files=1, max_fields=20) == by_starlette(
        content_type, body
    )


def test_reads_curls_layout() -> None:
    content_type = "multipart/form-data; boundary=------------------------abc123"

    form = parse_form(content_type, CURL_BODY, max_files=1, max_fields=20)

    assert form == by_starlette(content_type, CURL_BODY)
    assert form.fields == {"runtime": "node:18", "payload": '{"url": "https://api.example.com"}'}
    assert form.files == {"script": ("worker.js", b"module.exports = async (p) => p;\r\n")}


@pytest.mark.parametrize(
    ("content_type", "body", "message"),
    [
        ("multipart/form-data", CURL_BODY, "Missing boundary"),
        ("multipart/form-data; boundary=other", CURL_BODY, "does not contain its boundary"),
        (
            "multipart/form-data; boundary=------------------------abc123",
            CURL_BODY[:-40],
            "ends before",
        ),
        (
            "multipart/form-data; boundary=b",
            b"--b\r\nContent-Disposition: form-data\r\n\r\nx\r\n--b--\r\n",
            "has no name",
        ),
        (
            "multipart/form-data; boundary=b",
            b"--b\r\nno colon here\r\n\r\nx\r\n--b--",
            "malformed header",
        ),
        ("multipart/form-data; boundary=b", b"--bjunk\r\n", "malformed after a boundary"),
    ],
)
def test_refuses_malformed_bodies(content_type: str, body: bytes, message: str) -> None:
    with pytest.raises(FormError, match=message):
        parse_form(content_type, body, max_files=1, max_fields=20)


def test_counts_files_and_fields() -> None:
    content_type, body = encoded(
        {"a": "1", "b": "2"}, {"f": ("f", b"1", "x"), "g": ("g", b"2", "x")}
    )
    with pytest.raises(FormError, match=re.escape("Too many files. Maximum number of files is 1.")):
        parse_form(content_type, body, max_files=1, max_fields=20)
    with pytest.raises(
        FormError, match=re.escape("Too many fields. Maximum number of fields is 1.")
    ):
        parse_form(content_type, body, max_files=2, max_fields=1)
