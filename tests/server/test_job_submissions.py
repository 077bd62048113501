"""`POST /jobs/submit` under concurrency and with broken bodies, through a real server on
SQLite and PostgreSQL: concurrent submissions are stored together (group commit) yet each
gets its own answer, and a body that is not a proper form stores nothing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx

SCRIPT = ("job.sh", b"echo hi\n", "text/plain")


async def _count(client: httpx.AsyncClient, name: str | None = None) -> int:
    params = {"name": name} if name else {}
    count: int = (await client.get("/jobs", params=params)).json()["count"]
    return count


async def test_concurrent_submissions_each_get_their_own_answer(
    client: httpx.AsyncClient,
) -> None:
    def good(n: int) -> dict[str, str]:
        return {"runtime": "bash", "name": "burst", "payload": f'{{"n": {n}}}'}

    keyed = {"Idempotency-Key": "burst-key"}
    requests = [
        client.post("/jobs/submit", data=good(n), files={"script": SCRIPT}) for n in range(40)
    ]
    requests += [
        client.post("/jobs/submit", data=good(100), files={"script": SCRIPT}, headers=keyed)
        for _ in range(5)
    ]
    requests += [
        client.post("/jobs/submit", data={"runtime": "ruby"}, files={"script": SCRIPT})
        for _ in range(5)
    ]

    answers = await asyncio.gather(*requests)

    plain, same_key, bad = answers[:40], answers[40:45], answers[45:]
    assert {a.status_code for a in plain} == {201}
    assert len({a.json()["jobId"] for a in plain}) == 40
    assert sorted(a.status_code for a in same_key) == [200, 200, 200, 200, 201]
    assert len({a.json()["jobId"] for a in same_key}) == 1
    assert all(a.status_code == 400 and "unknown runtime" in a.json()["detail"] for a in bad)
    assert await _count(client, "burst") == 41
    one = (await client.get(f"/jobs/{plain[7].json()['jobId']}")).json()["job"]
    assert one["payload"] == {"n": 7} and one["state"] == "PENDING"


async def test_a_malformed_form_is_refused_and_stores_nothing(client: httpx.AsyncClient) -> None:
    before = await _count(client)
    body = b'--xyz\r\nContent-Disposition: form-data; name="runtime"\r\n\r\nbash\r\n--xy'
    response = await client.post(
        "/jobs/submit",
        content=body,
        headers={"content-type": "multipart/form-data; boundary=xyz"},
    )
    assert response.status_code == 400
    assert "ends before its closing boundary" in response.json()["detail"]
    response = await client.post(
        "/jobs/submit", content=body, headers={"content-type": "multipart/form-data"}
    )
    assert response.status_code == 400 and "boundary" in response.json()["detail"]
    assert await _count(client) == before


async def test_a_body_without_length_is_cut_off_at_the_limit(client: httpx.AsyncClient) -> None:
    before = await _count(client)

    async def endless() -> AsyncIterator[bytes]:
        yield b'--xyz\r\nContent-Disposition: form-data; name="script"; filename="a.sh"\r\n\r\n'
        for _ in range(64):  # 4 MiB, sent chunked: no Content-Length to refuse up front
            yield b"#" * 65536

    response = await client.post(
        "/jobs/submit",
        content=endless(),
        headers={"content-type": "multipart/form-data; boundary=xyz"},
    )
    assert response.status_code == 413
    assert "larger than the limit" in response.json()["detail"]
    assert await _count(client) == before
