"""Where a workflow's large values are kept: flux-core's `output_storage=` option.

    @workflow.with_options(output_storage=LocalFileStorage("/data/flux-outputs"))
    async def export(ctx): ...

Every value (task output, workflow output, input) whose encoded size is over the inline limit
(`outputs.inline_limit`, or the storage's own `inline_limit`) is kept in an output store, and
the event log records a signed reference to it; reading it back (replay, `workflow.get`, the
API) is transparent. Without `output_storage=` the configured store is used (settings
`outputs.*`: `<home>/outputs`, or S3). Choices a workflow can make:

- `LocalFileStorage(base_path=None, inline_limit=None)`: that directory (default: the
  configured local one). Values stay readable wherever the directory is: a server on the same
  machine shows them. flux-core kept every output in a file; pass `inline_limit=1` for that.
- `InlineOutputStorage()`: every value stays in the event log, however large.

In distributed mode the server owns the output store: a worker uploads large values to it,
whatever the workflow chose (`InlineOutputStorage` and `inline_limit` are still honoured).

The classes also keep flux-core's direct API (`store(reference_id, value)` returning an
`OutputStorageReference`, `retrieve(reference)`, `delete(reference)`). A subclass of
`OutputStorage` written for flux-core is accepted but not called: its workflow's values go to
the configured store.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flux.codec.references import digest_of

if TYPE_CHECKING:
    from flux.codec import Codec
    from flux.config import FluxSettings
    from flux.outputs.blobs import DirectoryBlobStore

log = logging.getLogger("flux.outputs")


@dataclass
class OutputStorageReference:
    """Where `OutputStorage.store` put a value (flux-core's reference type)."""

    storage_type: str
    reference_id: str
    metadata: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "storage_type": self.storage_type,
            "reference_id": self.reference_id,
            "metadata": self.metadata or {},
        }

    @staticmethod
    def from_dict(data: dict[str, Any]) -> OutputStorageReference:
        return OutputStorageReference(
            storage_type=data["storage_type"],
            reference_id=data["reference_id"],
            metadata=data.get("metadata") or {},
        )


class OutputStorage:
    """A workflow's choice of where its large values go (None for `inline_limit`: the
    `outputs.inline_limit` setting)."""

    storage_type = "custom"
    inline_limit: int | None = None
    keeps_blobs = True  # False: every value stays in the event log

    def directory(self, settings: FluxSettings) -> Path | None:
        """The directory this storage keeps blobs in; None: the configured store."""
        return None

    def identity(self) -> tuple[Any, ...]:
        """What tells two storages apart (engines are shared between equal ones)."""
        return (type(self).__qualname__, id(self))

    def store(self, reference_id: str, value: Any) -> OutputStorageReference:
        raise NotImplementedError(f"{type(self).__name__} does not store values directly")

    def retrieve(self, reference: OutputStorageReference) -> Any:
        raise NotImplementedError(f"{type(self).__name__} does not retrieve values directly")

    def delete(self, reference: OutputStorageReference) -> None:
        raise NotImplementedError(f"{type(self).__name__} does not delete values directly")


class InlineOutputStorage(OutputStorage):
    """Every value stays in the event log itself, however large."""

    storage_type = "inline"
    keeps_blobs = False

    def identity(self) -> tuple[Any, ...]:
        return ("inline",)

    def store(self, reference_id: str, value: Any) -> OutputStorageReference:
        return OutputStorageReference(self.storage_type, reference_id, {"value": value})

    def retrieve(self, reference: OutputStorageReference) -> Any:
        return reference.metadata.get("value")

    def delete(self, reference: OutputStorageReference) -> None:
        reference.metadata.pop("value", None)


class LocalFileStorage(OutputStorage):
    """Large values as files under `base_path` (default: `outputs.path`, else
    `<home>/outputs`), named by the sha256 of their encoded bytes."""

    storage_type = "local_file"

    def __init__(self, base_path: str | Path | None = None, *, inline_limit: int | None = None):
        if inline_limit is not None and inline_limit < 1:
            raise ValueError("inline_limit must be at least 1 byte")
        self.base_path = Path(base_path).expanduser().absolute() if base_path else None
        self.inline_limit = inline_limit

    def directory(self, settings: FluxSettings) -> Path | None:
        if self.base_path is not None:
            return self.base_path
        from flux.outputs.blobs import local_directory

        return local_directory(settings)

    def identity(self) -> tuple[Any, ...]:
        return ("local_file", str(self.base_path), self.inline_limit)

    # flux-core's direct API: the value is encoded (and signed) like any stored value.

    def _parts(self) -> tuple[DirectoryBlobStore, Codec]:
        from flux.codec import Codec
        from flux.config import Configuration
        from flux.keyring import signing_key
        from flux.outputs.blobs import DirectoryBlobStore

        settings = Configuration.get().settings
        directory = self.directory(settings)
        assert directory is not None
        return DirectoryBlobStore(directory), Codec(settings.serializer, signing_key(settings))

    def store(self, reference_id: str, value: Any) -> OutputStorageReference:
        blobs, codec = self._parts()
        data = codec.dumps(value, f"output '{reference_id}'")
        digest = digest_of(data)
        blobs.put_sync(digest, data)
        metadata = {"key": reference_id, "size": len(data), "serializer": codec.serializer}
        return OutputStorageReference(self.storage_type, digest, metadata)

    def retrieve(self, reference: OutputStorageReference) -> Any:
        from flux.errors import OutputMissingError, TamperedDataError

        self._check_type(reference)
        blobs, codec = self._parts()
        data = blobs.get_sync(reference.reference_id)
        if data is None:
            raise OutputMissingError(reference.reference_id, f"not in {blobs.describe()}")
        if digest_of(data) != reference.reference_id:
            raise TamperedDataError(f"stored output {reference.reference_id[:12]}… was changed")
        return codec.loads(data)

    def delete(self, reference: OutputStorageReference) -> None:
        self._check_type(reference)
        blobs, _ = self._parts()
        blobs.path(reference.reference_id).unlink(missing_ok=True)

    def _check_type(self, reference: OutputStorageReference) -> None:
        if reference.storage_type != self.storage_type:
            raise ValueError(f"not a {self.storage_type} reference: {reference.storage_type}")


__all__ = [
    "InlineOutputStorage",
    "LocalFileStorage",
    "OutputStorage",
    "OutputStorageReference",
]
