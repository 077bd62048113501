"""The web dashboard: `/` is its page, `/dashboard/...` its files (HTML, CSS and JavaScript
modules shipped in the package, so it works offline and needs no build step), plus its read
endpoints (`routes_stats`).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.responses import FileResponse

from flux.server import routes_stats

ASSETS = Path(__file__).resolve().parent / "dashboard"
_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
}
# Scripts and styles only from these files: data shown on a page (run inputs, logs, names)
# can never become code, even if some text were ever inserted as HTML by mistake.
_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)
# `no-cache` means "check first": an upgraded server is never shown with yesterday's files.
_HEADERS = {
    "Cache-Control": "no-cache",
    "Content-Security-Policy": _POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}

router = APIRouter()
router.include_router(routes_stats.router)


@router.api_route("/", methods=["GET", "HEAD"], include_in_schema=False)
async def index(request: Request) -> Response:
    return _file(ASSETS / "index.html", request)


@router.api_route("/dashboard/{path:path}", methods=["GET", "HEAD"], include_in_schema=False)
async def asset(path: str, request: Request) -> Response:
    target = (ASSETS / path).resolve()
    if target.suffix not in _TYPES or not target.is_relative_to(ASSETS) or not target.is_file():
        raise HTTPException(404, f"no dashboard file {path!r}")
    return _file(target, request)


def _file(path: Path, request: Request) -> Response:
    # A validator from the file's size and time, so that a page reloaded all day long gets
    # "304 Not Modified" instead of the same files again.
    stat = path.stat()
    tag = f'"{stat.st_mtime_ns:x}-{stat.st_size:x}"'
    headers = {**_HEADERS, "ETag": tag}
    if request.headers.get("if-none-match") == tag:
        return Response(status_code=304, headers=headers)
    return FileResponse(path, media_type=_TYPES[path.suffix], headers=headers)
