"""Masking secret values by value: the pure masker, the masking codec, and a local run
(`workflow.run()` with no server) that fetches, returns, raises and prints a secret."""

from __future__ import annotations

import json
import pickle
import secrets
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from flux.codec import Codec
from flux.codec.masking import MaskingCodec
from flux.domain.masking import MASK, MIN_LENGTH, Masker, SecretMasks
from flux.errors import ExecutionError, RetryError
from tests.conftest import clean_env


class Custom:
    def __init__(self, value: str):
        self.value = value


def test_every_text_form_of_a_value_is_masked() -> None:
    value = 'p"a\\ss-wörd-1234'
    masker = Masker.of([value, 98765432, {"user": "admin-user", "password": "hunter2!!"}])
    text = f"plain {value} json {json.dumps(value)} ascii {json.dumps(value, ensure_ascii=False)}"
    masked = masker.mask_text(text + " number 98765432 leaf hunter2!! admin-user")
    assert value not in masked
    assert json.dumps(value)[1:-1] not in masked
    assert "98765432" not in masked and "hunter2!!" not in masked and "admin-user" not in masked
    assert masked.startswith(f'plain {MASK} json "{MASK}"')


def test_short_values_are_not_masked_and_an_empty_masker_changes_nothing() -> None:
    short = "x" * (MIN_LENGTH - 1)
    assert not Masker.of([short, True, None])
    assert Masker.of([short]).mask_text(f"a {short} b") == f"a {short} b"
    value = {"k": ["v"]}
    assert Masker().mask_value(value) is value


def test_the_longest_secret_wins_when_one_contains_another() -> None:
    masker = Masker(["abcd", "abcdefgh"])
    assert masker.mask_text("x abcdefgh y abcd") == f"x {MASK} y {MASK}"
    assert masker.mask_text("abcdefgh", keep_length=True) == "********"


def test_structures_keep_their_shape_and_objects_that_hold_a_secret_are_replaced() -> None:
    token = "tok-" + secrets.token_hex(8)
    masker = Masker.of([token])
    value = {
        "token": token,
        f"key-{token}": (1, f"Bearer {token}"),
        "set": {token},
        "object": Custom(token),
        "other": Custom("nothing secret"),
    }
    masked = masker.mask_value(value, lambda obj: masker.found_in(pickle.dumps(obj)))
    assert masked["token"] == MASK
    assert masked[f"key-{MASK}"] == (1, f"Bearer {MASK}")
    assert masked["set"] == {MASK}
    assert masked["object"] == f"{MASK} (a Custom value that contained a secret)"
    assert isinstance(masked["other"], Custom)
    assert value["token"] == token  # the caller's value is not changed


def test_exceptions_keep_their_type_with_message_and_attributes_masked() -> None:
    token = "tok-" + secrets.token_hex(8)
    masker = Masker.of([token])
    inner = ValueError(f"bad {token}")
    error = RetryError(inner, 3, 1.0, 2.0)
    masked = masker.mask_value(error)
    assert type(masked) is RetryError
    assert token not in str(masked) and MASK in str(masked)
    assert type(masked.inner_exception) is ValueError
    assert str(masked.inner_exception) == f"bad {MASK}"
    assert masked.attempts == 3
    assert str(error) != str(masked)  # the original is untouched


@pytest.mark.parametrize("serializer", ["pkl", "json"])
def test_the_masking_codec_never_encodes_a_known_value(serializer: str) -> None:
    token = "tok-" + secrets.token_hex(8)
    masks = SecretMasks()
    codec = MaskingCodec(serializer, b"k" * 32, masks)
    plain = Codec(serializer, b"k" * 32)
    value = {"token": token, "list": [token, "ok"]}
    assert token.encode() in codec.dumps(value)  # nothing seen yet: nothing masked
    masks.add([token])
    assert codec.loads(codec.dumps(value)) == {"token": MASK, "list": [MASK, "ok"]}
    error = codec.loads(codec.dumps(ValueError(f"with {token}")))
    assert isinstance(error, ValueError) and str(error) == f"with {MASK}"
    if serializer == "pkl":
        top = codec.loads(codec.dumps(Custom(token)))
        assert top == f"{MASK} (a Custom value that contained a secret)"
    assert plain.loads(codec.dumps("ok")) == "ok"  # same format: any codec reads it


def test_an_exception_that_cannot_be_rebuilt_becomes_an_execution_error() -> None:
    token = "tok-" + secrets.token_hex(8)

    class Odd(Exception):
        __slots__ = ("x",)

        def __init__(self, x: str):
            super().__init__(x)
            self.x = x

    masked = Masker.of([token]).placeholder(Odd(f"odd {token}"))
    assert isinstance(masked, ExecutionError)
    assert str(masked) == f"Odd: odd {MASK}"


LOCAL_WORKFLOW = """
import sys
from flux import task, workflow, ExecutionContext

class Box:
    def __init__(self, v):
        self.v = v

@task.with_options(secret_requests=["TOKEN"])
async def use(secrets):
    print("task prints", secrets["TOKEN"])
    return {"token": secrets["TOKEN"], "box": Box(secrets["TOKEN"]), "n": 1}

@task.with_options(secret_requests=["TOKEN"])
async def boom(secrets):
    raise ValueError("rejected " + secrets["TOKEN"])

@workflow
async def local_leak(ctx: ExecutionContext):
    out = await use()
    try:
        await boom()
    except ValueError as exc:
        out["error"] = str(exc)
    return out

ctx = local_leak.run()
stored = local_leak.get(ctx.execution_id)
print("STORED", stored.output["token"], stored.output["box"], stored.output["n"])
print("LIVE", ctx.output["token"] == sys.argv[1])
"""


def test_a_local_run_records_no_secret_value(tmp_path: Path) -> None:
    """The user's own process sees the value (it fetched it); the database never does."""
    token = "local-" + secrets.token_urlsafe(16)
    env = clean_env(FLUX_HOME=str(tmp_path / ".flux"))
    flux = [sys.executable, "-m", "flux.cli.main"]
    saved = subprocess.run(
        [*flux, "secrets", "set", "--local", "TOKEN", token],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert saved.returncode == 0, saved.stderr
    (tmp_path / "wf.py").write_text(textwrap.dedent(LOCAL_WORKFLOW))
    run = subprocess.run(
        [sys.executable, "wf.py", token],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert f"STORED {MASK} {MASK} (a Box value that contained a secret) 1" in run.stdout
    assert "LIVE True" in run.stdout
    database = tmp_path / ".flux" / "flux.db"
    with sqlite3.connect(database) as conn:
        conn.execute("PRAGMA wal_checkpoint(FULL)")
    for path in (tmp_path / ".flux").rglob("*"):
        if path.is_file():
            assert token.encode() not in path.read_bytes(), path
