"""The server side of distributed mode: dispatch, leases, recovery, waiting.

Importing this package imports nothing: `flux.orchestrator.store` is a contract that the
storage adapters import, and must stay free of the server's dependencies.
"""
