"""The HTTP server (FastAPI): the public API, the worker protocol, health and metrics."""
