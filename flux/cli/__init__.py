"""The `flux` command line. Each topic is a click group in its own module (`flux.cli.<topic>`)."""
