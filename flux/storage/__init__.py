"""Adapters that implement `flux.engine.store.ExecutionStore`: SQLite, PostgreSQL, in-memory."""
