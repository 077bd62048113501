"""The worker's own stdout and stderr, with secret values masked.

Tasks run inside the worker process, so what they `print` or log lands in the worker's
output (and from there in whatever collects it). Each write is masked with the worker's
current masker; a value written in two pieces (rare: `print` writes each argument whole)
would get through.
"""

from __future__ import annotations

import logging
import sys
from typing import Any, TextIO

from flux.domain.masking import SecretMasks


class MaskedStream:
    """A text stream that masks what is written and passes everything else through."""

    def __init__(self, inner: TextIO, masks: SecretMasks):
        self._inner = inner
        self._masks = masks

    def write(self, text: str) -> int:
        self._inner.write(self._masks.mask_text(text))
        return len(text)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def mask_process_output(masks: SecretMasks) -> None:
    """Wrap sys.stdout and sys.stderr, and point log handlers writing to them at the
    wrappers (they captured the streams when logging was configured)."""
    replaced: dict[int, MaskedStream] = {}
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if isinstance(stream, MaskedStream):
            continue
        wrapper = MaskedStream(stream, masks)
        replaced[id(stream)] = wrapper
        setattr(sys, name, wrapper)
    for logger in [logging.getLogger(), *_flux_loggers()]:
        for handler in logger.handlers:
            if isinstance(handler, logging.StreamHandler) and id(handler.stream) in replaced:
                handler.setStream(replaced[id(handler.stream)])


def _flux_loggers() -> list[logging.Logger]:
    manager = logging.Logger.manager
    return [
        logger
        for name, logger in list(manager.loggerDict.items())
        if isinstance(logger, logging.Logger) and name.split(".")[0] in ("flux", "uvicorn")
    ]
