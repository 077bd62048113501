"""A worker that speaks the protocol of `flux.api.worker_protocol` with httpx and nothing
else: the server tests drive every call (claims, checkpoints, heartbeats) themselves."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx

from flux.api.worker_protocol import Registration
from flux.codec import Codec

GiB = 2**30


def now() -> str:
    return datetime.now(UTC).isoformat()


class FakeWorker:
    def __init__(
        self,
        url: str,
        name: str,
        bootstrap: str,
        *,
        cpu: int = 2,
        memory: int = 8 * GiB,
        packages: list[dict[str, str]] | None = None,
        max_concurrency: int = 10,
    ):
        self.url, self.name, self._bootstrap = url, name, bootstrap
        self.http = httpx.AsyncClient(base_url=url, timeout=30)
        self.registration_body = {
            "name": name,
            "resources": {
                "cpu_total": cpu,
                "cpu_available": float(cpu),
                "memory_total": memory,
                "memory_available": memory,
            },
            "packages": packages or [],
            "python_version": "3.11.7",
            "platform": "linux",
            "max_concurrency": max_concurrency,
        }
        self.token = ""
        self.codec: Codec
        self.events: asyncio.Queue[tuple[str, dict[str, Any]]] = asyncio.Queue()
        self._reader: asyncio.Task[None] | None = None
        self._server: asyncio.Task[None] | None = None

    @property
    def headers(self) -> dict[str, str]:
        return {"authorization": f"Bearer {self.token}"}

    async def register(self) -> Registration:
        response = await self.http.post(
            "/workers/register",
            json=self.registration_body,
            headers={"authorization": f"Bearer {self._bootstrap}"},
        )
        assert response.status_code == 200, response.text
        registration = Registration.model_validate_json(response.content)
        self.token = registration.session_token
        self.codec = Codec(registration.serializer, registration.codec_key)
        return registration

    # SSE

    async def connect(self) -> None:
        connected = asyncio.get_running_loop().create_future()
        self._reader = asyncio.create_task(self._read(connected))
        await asyncio.wait_for(connected, 10)

    async def _read(self, connected: asyncio.Future[None]) -> None:
        path = f"/workers/{self.name}/connect"
        async with self.http.stream("GET", path, headers=self.headers, timeout=None) as response:
            assert response.status_code == 200, await response.aread()
            event, data = "message", ""
            async for line in response.aiter_lines():
                if line.startswith("event: "):
                    event = line[7:]
                elif line.startswith("data: "):
                    data += line[6:]
                elif not line:
                    if event == "connected" and not connected.done():
                        connected.set_result(None)
                    elif event != "keepalive":
                        self.events.put_nowait((event, json.loads(data)))
                    event, data = "message", ""

    async def next_event(self, timeout: float = 5) -> tuple[str, dict[str, Any]]:
        return await asyncio.wait_for(self.events.get(), timeout)

    async def offer(self, timeout: float = 5) -> str:
        while True:
            event, data = await self.next_event(timeout)
            if event == "execution_scheduled":
                return str(data["execution_id"])

    async def disconnect(self) -> None:
        """Drop the SSE connection, as a crashed worker's would be."""
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader
            self._reader = None

    # Calls

    def path(self, *parts: str) -> str:
        return "/".join(["/workers", self.name, *parts])

    async def claim(self, execution_id: str) -> httpx.Response:
        return await self.http.post(self.path("claim", execution_id), headers=self.headers)

    def encode(self, value: Any) -> str:
        return base64.b64encode(self.codec.dumps(value)).decode()

    def decode(self, blob: str | None) -> Any:
        return None if blob is None else self.codec.loads(base64.b64decode(blob))

    def event(
        self, seq: int, type: str, source_id: str, name: str, value: Any = None
    ) -> dict[str, Any]:
        return {
            "seq": seq,
            "id": os.urandom(8).hex(),
            "type": type,
            "source_id": source_id,
            "name": name,
            "value": None if value is None else self.encode(value),
            "time": now(),
        }

    async def checkpoint(
        self,
        execution_id: str,
        epoch: int,
        events: list[dict[str, Any]],
        state: str | None = None,
        output: Any = None,
    ) -> httpx.Response:
        body: dict[str, Any] = {"epoch": epoch, "events": events, "state": state}
        if output is not None:
            body["output"] = self.encode(output)
        return await self.http.post(
            self.path("checkpoint", execution_id), json=body, headers=self.headers
        )

    async def post(self, *parts: str, body: Any = None) -> httpx.Response:
        return await self.http.post(self.path(*parts), json=body, headers=self.headers)

    # Running whole executions

    async def finish(self, claim: dict[str, Any], func: Callable[[Any], Any]) -> None:
        """Record a start and an end computed by `func(input)`, as the engine would."""
        record, epoch = claim["execution"], claim["epoch"]
        execution_id, name = record["execution_id"], record["workflow_name"]
        seq = record["events"][-1]["seq"] + 1
        value = self.decode(record["input"])
        started = self.event(seq, "WORKFLOW_STARTED", execution_id, name, value)
        response = await self.checkpoint(execution_id, epoch, [started], "RUNNING")
        assert response.status_code == 204, response.text
        output = func(value)
        done = self.event(seq + 1, "WORKFLOW_COMPLETED", execution_id, name, output)
        response = await self.checkpoint(execution_id, epoch, [done], "COMPLETED", output)
        assert response.status_code == 204, response.text

    def serve(self, func: Callable[[Any], Any]) -> None:
        """Claim and finish every execution offered, in the background."""

        async def loop() -> None:
            while True:
                event, data = await self.events.get()
                if event != "execution_scheduled":
                    continue
                response = await self.claim(data["execution_id"])
                if response.status_code == 200:
                    await self.finish(response.json(), func)

        self._server = asyncio.create_task(loop())

    async def close(self) -> None:
        if self._server is not None:
            self._server.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._server
        await self.disconnect()
        await self.http.aclose()
