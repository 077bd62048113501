"""The server's output store, as a worker reaches it: large values are uploaded over the
worker protocol (`PUT /workers/{name}/outputs/{sha256}`, idempotent) before the checkpoint
that references them, and fetched (`GET`) to replay. A worker needs no disk of the server's.

Only asynchronous access: the worker's `OffloadingStore` uploads staged blobs before writes
and replaces references by their bytes after reads, so decoding never waits on the network.
"""

from __future__ import annotations

from flux.outputs.blobs import BlobStore
from flux.worker.connection import ServerConnection, ServerError


class ServerBlobStore(BlobStore):
    kind = "server"

    def __init__(self, conn: ServerConnection):
        self._conn = conn

    async def put(self, digest: str, data: bytes) -> None:
        path = self._conn.path("outputs", digest)
        await self._conn.call("PUT", path, raw=data, what="upload an output")

    async def get(self, digest: str) -> bytes | None:
        path = self._conn.path("outputs", digest)
        try:
            reply = await self._conn.call("GET", path, what="fetch an output")
        except ServerError as exc:
            if exc.status == 404:
                return None
            raise
        return reply.content

    def describe(self) -> str:
        return f"the output store of {self._conn.server_url}"
