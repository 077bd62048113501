"""`MaskingCodec`: a codec that never writes a known secret value into a stored value.

Every value the engine records (task inputs and outputs, errors, workflow outputs, cached
results) goes through `Codec.dumps`, so masking there covers all of them at once. The value
is masked first (strings inside containers, exception messages: `Masker.mask_value`; an
object of another type inside a container is encoded on its own and replaced by a
placeholder when its bytes hold a secret); then the encoded bytes of the whole value are
checked, and a value whose bytes still hold a secret (an object of the user's own class at
the top) is recorded as a placeholder instead. The check runs on the
encoded bytes before any large value is moved to the output store, so offloaded values are
masked too. With no secret seen yet, `dumps` costs one attribute read more.
"""

from __future__ import annotations

from typing import Any

from flux.codec.references import OutputSink
from flux.codec.serializers import Codec
from flux.domain.masking import Masker, SecretMasks


class MaskingCodec(Codec):
    def __init__(
        self,
        serializer: str,
        signing_key: bytes,
        masks: SecretMasks,
        outputs: OutputSink | None = None,
    ):
        super().__init__(serializer, signing_key, outputs)
        self.masks = masks

    def dumps(self, value: Any, what: str = "a value") -> bytes:
        masker = self.masks.current
        if not masker:
            return super().dumps(value, what)
        data = self._writer.tag + self._writer.dumps(value, what)
        # Most values hold no secret: one search of their bytes, and they are kept as they
        # are (a string holding a secret shows in the bytes, in UTF-8 or JSON-escaped).
        if masker.found_in(data):
            value = masker.mask_value(value, lambda obj: self._holds(masker, obj, what))
            data = self._writer.tag + self._writer.dumps(value, what)
            if masker.found_in(data):
                data = self._writer.tag + self._writer.dumps(masker.placeholder(value), what)
        if len(data) > self._inline_limit:
            return self._offload(data, what)
        return data

    def _holds(self, masker: Masker, obj: Any, what: str) -> bool:
        try:
            return masker.found_in(self._writer.dumps(obj, what))
        except Exception:
            return False  # the value's own encoding error is raised by `dumps` itself
