"""Benchmark suite: Flux against its reference implementations, side by side in one run.

Entry point: ``python benchmarks/run.py``. One module per benchmark group
(``local_engine`` for P1/P2); ``report`` renders the table, ``engines`` finds or installs
each engine, ``harness`` runs one workload in a fresh process and directory.
"""
