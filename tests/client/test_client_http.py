"""What the client sends and how it reads answers, on a mock transport: error mapping,
validation messages, SSE framing. The behaviour against a real server is in
`test_client_server.py`."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable, Iterator

import httpx
import pytest

from flux.client import (
    AuthenticationError,
    ConflictError,
    FluxClient,
    FluxClientError,
    InvalidRequestError,
    NotFoundError,
    ServerError,
    ServerUnavailableError,
)
from flux.config import Configuration

NOW = "2025-01-02T03:04:05Z"
VIEW = {
    "execution_id": "e1",
    "workflow_name": "hello_world",
    "state": "COMPLETED",
    "output": "Hello, World",
    "created_at": NOW,
    "updated_at": NOW,
}

Handler = Callable[[httpx.Request], httpx.Response]


def client_for(handler: Handler, **kwargs: object) -> FluxClient:
    return FluxClient("http://flux.test/", transport=httpx.MockTransport(handler), **kwargs)  # type: ignore[arg-type]


def test_run_sends_the_input_as_json_and_reads_the_view() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=VIEW)

    with client_for(handler) as client:
        view = client.run("hello_world", "World", mode="sync")
    assert (view.execution_id, view.state, view.output) == ("e1", "COMPLETED", "Hello, World")
    request = seen[0]
    assert (request.method, request.url.path) == ("POST", "/workflows/hello_world/run/sync")
    assert request.headers["content-type"] == "application/json"
    assert json.loads(request.content) == "World"


def test_no_input_is_sent_as_null() -> None:
    bodies: list[bytes] = []

    def handler(request: httpx.Request) -> httpx.Response:
        bodies.append(request.content)
        return httpx.Response(200, json={**VIEW, "state": "SCHEDULED"})

    with client_for(handler) as client:
        client.run("hello_world")
        client.resume("hello_world", "e1")
    assert bodies == [b"null", b"null"]


def test_names_are_one_path_segment_and_flags_are_query_parameters() -> None:
    urls: list[httpx.URL] = []

    def handler(request: httpx.Request) -> httpx.Response:
        urls.append(request.url)
        return httpx.Response(200, json=VIEW)

    with client_for(handler) as client:
        client.status("a/b?c", "e 1", detailed=True)
        client.cancel("w", "e1", mode="sync")
        client.get_execution("e1")
    assert urls[0].raw_path == b"/workflows/a%2Fb%3Fc/status/e%201?detailed=true"
    assert (urls[1].path, urls[1].params["mode"]) == ("/workflows/w/cancel/e1", "sync")
    assert (urls[2].path, urls[2].params["detailed"]) == ("/executions/e1", "false")


def test_list_executions_leaves_out_unset_filters() -> None:
    params: list[httpx.QueryParams] = []

    def handler(request: httpx.Request) -> httpx.Response:
        params.append(request.url.params)
        return httpx.Response(200, json={"count": 0, "limit": 5, "offset": 0, "executions": []})

    with client_for(handler) as client:
        client.list_executions(limit=5)
        client.list_executions(workflow="w", state="FAILED", offset=10)
    assert dict(params[0]) == {"limit": "5", "offset": "0"}
    assert dict(params[1]) == {"limit": "50", "offset": "10", "workflow": "w", "state": "FAILED"}


def test_token_is_sent_as_a_bearer_header() -> None:
    headers: list[str | None] = []

    def handler(request: httpx.Request) -> httpx.Response:
        headers.append(request.headers.get("authorization"))
        return httpx.Response(200, json=[])

    with client_for(handler, token="s3cret") as client:
        client.list_workflows()
    with client_for(handler) as client:
        client.list_workflows()
    assert headers == ["Bearer s3cret", None]


@pytest.mark.parametrize(
    ("status", "error_class"),
    [
        (400, InvalidRequestError),
        (401, AuthenticationError),
        (403, AuthenticationError),
        (404, NotFoundError),
        (409, ConflictError),
        (422, InvalidRequestError),
        (500, ServerError),
        (503, ServerUnavailableError),
    ],
)
def test_status_codes_map_to_errors_with_the_servers_detail(
    status: int, error_class: type[FluxClientError]
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, json={"detail": "workflow 'x' not found"})

    with client_for(handler) as client, pytest.raises(error_class) as caught:
        client.get_workflow("x")
    assert caught.value.status_code == status
    assert "workflow 'x' not found" in str(caught.value)


def test_validation_errors_become_one_readable_line() -> None:
    detail = [
        {"loc": ["body", "name"], "msg": "String should have at least 1 character"},
        {"loc": ["query", "limit"], "msg": "Input should be less than 1000"},
    ]

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(422, json={"detail": detail})

    with client_for(handler) as client, pytest.raises(InvalidRequestError) as caught:
        client.set_secret("A", "v")
    assert str(caught.value) == (
        "name: String should have at least 1 character; query.limit: Input should be less than 1000"
    )


def test_an_answer_that_is_not_json_still_gives_its_text() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(502, text="Bad Gateway from the proxy")

    with client_for(handler) as client, pytest.raises(ServerUnavailableError) as caught:
        client.health()
    assert str(caught.value) == "Bad Gateway from the proxy"


def test_an_unexpected_answer_shape_is_a_client_error_not_a_pydantic_one() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"nope": 1})

    with client_for(handler) as client, pytest.raises(FluxClientError) as caught:
        client.get_workflow("w")
    assert "unexpected answer to GET /workflows/w" in str(caught.value)


def test_a_refused_connection_names_the_server() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    with FluxClient(url) as client, pytest.raises(ServerUnavailableError) as caught:
        client.list_workflows()
    assert str(caught.value) == f"cannot reach the Flux server at {url}: connection refused"
    assert caught.value.status_code is None


def test_a_timeout_says_how_long_it_waited() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    with client_for(handler, timeout=2.5) as client, pytest.raises(ServerUnavailableError) as c:
        client.list_workflows()
    assert str(c.value) == "cannot reach the Flux server at http://flux.test: no answer within 2.5s"


def test_an_unknown_mode_is_refused_before_sending() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise AssertionError("nothing should be sent")

    with client_for(handler) as client, pytest.raises(ValueError, match="mode must be"):
        client.run("w", None, mode="stream")  # type: ignore[arg-type]


def _sse(chunks: list[bytes]) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        def body() -> Iterator[bytes]:
            yield from chunks

        return httpx.Response(200, content=body(), headers={"content-type": "text/event-stream"})

    return handler


def test_stream_parses_events_split_across_chunks() -> None:
    chunks = [
        b": keep-alive comment\n\nevent: workflow.execution.running\r\n",
        b'data: {"execution_id": "e1", "state": "RUN',
        b'NING"}\nid: 1\n\nevent: workflow.execution.completed\ndata: {"output":\n',
        b'data: "done"}\n\nevent: note\ndata: not json\n\n',
    ]
    with client_for(_sse(chunks)) as client:
        events = list(client.stream("w", 1))
    assert [(e.event, e.data, e.id) for e in events] == [
        ("workflow.execution.running", {"execution_id": "e1", "state": "RUNNING"}, "1"),
        ("workflow.execution.completed", {"output": "done"}, "1"),
        ("note", "not json", "1"),
    ]


def test_stream_errors_are_raised_when_it_is_opened() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404, json={"detail": "workflow 'nope' not found"})

    with client_for(handler) as client, pytest.raises(NotFoundError, match="'nope' not found"):
        client.stream("nope")


def test_default_server_url_comes_from_the_settings() -> None:
    config = Configuration.get()
    config.override(workers={"server_url": "http://elsewhere:9000/"})
    try:
        assert FluxClient().server_url == "http://elsewhere:9000"
    finally:
        config.reset()
