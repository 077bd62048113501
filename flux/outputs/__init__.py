"""Large outputs: values over the inline limit kept in a blob store, referenced from the log.

`flux.codec.references` is the reference format, `blobs` and `s3` the stores, `offload` the
codec's sink, `store` the `ExecutionStore` wrapper for stores reached asynchronously, `setup`
the wiring from settings, `prune` the removal of blobs nothing references.
"""

from flux.outputs.blobs import BlobInfo, BlobStore, DirectoryBlobStore
from flux.outputs.offload import Offloader
from flux.outputs.store import OffloadingStore

__all__ = ["BlobInfo", "BlobStore", "DirectoryBlobStore", "Offloader", "OffloadingStore"]
