"""`python -m flux ...` runs the `flux` command (for environments without the script on PATH)."""

from flux.cli.main import main

main()
