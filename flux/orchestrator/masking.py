"""The server's second line of defence: secret values masked in what workers send it.

Workers mask at the source (they know the values they fetched); the server masks again,
with the values of every stored secret, what it ingests from them: live log chunks,
recorded values (event values, the workflow's output) and the error text it keeps for
listings. A recorded value is only checked as bytes (the server never unpickles users'
objects to rewrite them): one that holds a secret is replaced by a placeholder, an
exception by an `ExecutionError` with the masked message, so a replay still raises.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from flux.codec import Codec
from flux.domain.masking import MASK, Masker
from flux.engine.store import EventRow
from flux.errors import ExecutionError
from flux.orchestrator.values import DisplayDecoder, describe_error
from flux.secret_managers import SecretManager, StoredSecretMasks


class IngestMasker:
    def __init__(self, secrets: SecretManager, codec: Codec, decoder: DisplayDecoder):
        self._secrets = StoredSecretMasks(secrets)
        self._codec = codec
        self._decoder = decoder

    async def masker(self) -> Masker:
        return await self._secrets.current()

    def value(self, masker: Masker, data: bytes | None, failure: bool) -> bytes | None:
        if data is None or not masker or not masker.found_in(data):
            return data
        if failure:
            text = masker.mask_text(describe_error(self._decoder.decode_raw(data)))
            return self._codec.dumps(ExecutionError(message=text), "a masked error")
        return self._codec.dumps(f"{MASK} (a value that contained a secret)", "a masked value")

    def rows(self, masker: Masker, rows: Sequence[EventRow]) -> list[EventRow]:
        if not masker:
            return list(rows)
        return [
            row
            if row.value is None or not masker.found_in(row.value)
            else dataclasses.replace(
                row, value=self.value(masker, row.value, row.type.endswith("_FAILED"))
            )
            for row in rows
        ]
