"""Durable execution: running workflow code against its event log (replay), step identity,
nondeterminism detection, and the retry / fallback / rollback / timeout / cache policies.

Knows persistence only through `flux.engine.store.ExecutionStore`."""
