"""A real S3-compatible server for tests: moto's `moto_server`, over HTTP on loopback."""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest


@dataclass(frozen=True)
class S3Server:
    endpoint: str
    bucket: str = "flux-outputs"
    access_key: str = "test-access-key"
    secret_key: str = "test-secret-key"
    region: str = "us-east-1"

    def client(self):  # type: ignore[no-untyped-def]
        import boto3

        return boto3.session.Session().client(
            "s3",
            endpoint_url=self.endpoint,
            region_name=self.region,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
        )

    def settings(self, prefix: str) -> dict[str, str]:
        return {
            "s3_url": f"s3://{self.bucket}/{prefix}",
            "s3_endpoint_url": self.endpoint,
            "s3_region": self.region,
            "s3_access_key_id": self.access_key,
            "s3_secret_access_key": self.secret_key,
        }

    def env(self, prefix: str) -> dict[str, str]:
        return {f"FLUX_OUTPUTS__{k.upper()}": v for k, v in self.settings(prefix).items()}

    def keys(self, prefix: str) -> list[str]:
        listed = self.client().list_objects_v2(Bucket=self.bucket, Prefix=prefix)
        return [item["Key"] for item in listed.get("Contents", [])]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.contextmanager
def running_moto(folder: Path) -> Iterator[S3Server]:
    """moto's S3 on a free loopback port, with one bucket; skips when not installed
    (`pip install 'moto[server]'`, part of the dev extra)."""
    command = shutil.which("moto_server")
    if command is None:
        pytest.skip("moto_server is not installed (pip install 'moto[server]')")
    port = _free_port()
    log = folder / "moto.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [command, "-H", "127.0.0.1", "-p", str(port)], stdout=out, stderr=out
        )
    server = S3Server(f"http://127.0.0.1:{port}")
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, log.read_text()
            try:
                httpx.get(server.endpoint, timeout=1)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, f"moto_server did not start:\n{log.read_text()}"
                time.sleep(0.1)
        server.client().create_bucket(Bucket=server.bucket)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
