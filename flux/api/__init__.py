"""The HTTP contract: request and response models shared by the server, the worker and the
client. Nothing here does I/O."""
