"""`flux.output_storage`: flux-core's class names and direct API."""

from __future__ import annotations

from pathlib import Path

import pytest

from flux import ExecutionContext, workflow
from flux.config import Configuration
from flux.errors import TamperedDataError
from flux.output_storage import (
    InlineOutputStorage,
    LocalFileStorage,
    OutputStorage,
    OutputStorageReference,
)


def test_flux_core_names_and_defaults(flux_config: Configuration) -> None:
    @workflow
    async def plain(ctx: ExecutionContext[None]) -> None:
        return None

    assert plain.output_storage is None
    storage = LocalFileStorage()
    assert isinstance(storage, OutputStorage)
    home = Path(flux_config.settings.home)
    assert storage.directory(flux_config.settings) == home / "outputs"
    reference = OutputStorageReference("local_file", "abc", {"size": 3})
    assert OutputStorageReference.from_dict(reference.to_dict()) == reference


def test_local_file_storage_stores_retrieves_and_deletes(
    flux_config: Configuration, tmp_path: Path
) -> None:
    storage = LocalFileStorage(tmp_path / "files")
    reference = storage.store("task-1", {"rows": [1, 2, 3]})
    assert reference.storage_type == "local_file" and reference.metadata["key"] == "task-1"
    assert storage.retrieve(reference) == {"rows": [1, 2, 3]}
    (path,) = [p for p in (tmp_path / "files").rglob("*") if p.is_file()]
    path.write_bytes(path.read_bytes() + b"!")
    with pytest.raises(TamperedDataError):
        storage.retrieve(reference)
    storage.delete(reference)
    assert not path.exists()
    with pytest.raises(ValueError):
        storage.retrieve(OutputStorageReference("inline", reference.reference_id))


def test_inline_storage_round_trips() -> None:
    storage = InlineOutputStorage()
    assert storage.retrieve(storage.store("x", [1, 2])) == [1, 2]


def test_a_custom_subclass_runs_on_the_configured_store(
    flux_config: Configuration, caplog: pytest.LogCaptureFixture
) -> None:
    class MyStorage(OutputStorage):
        pass

    @workflow.with_options(output_storage=MyStorage())
    async def custom(ctx: ExecutionContext[int]) -> str:
        return "q" * ctx.input

    assert custom.run(300_000).output == "q" * 300_000
    assert any(p.is_file() for p in Path(".flux/outputs").rglob("*"))
    assert "custom OutputStorage subclass" in caplog.text
