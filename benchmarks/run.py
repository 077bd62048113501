"""Run the benchmark suite: ``python benchmarks/run.py [--quick] [--only P1,P2] [--json FILE]``.

Prints a table of Flux against flux-core (installed from PyPI into benchmarks/.venvs on
first use) and exits 0 whatever the numbers are.
"""

import sys
from pathlib import Path


def main() -> int:
    # Run as a script, Python puts benchmarks/ itself on sys.path; the suite's modules
    # import each other as the `benchmarks` package, so its parent must be there too.
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from benchmarks.suite import main as suite_main

    return suite_main(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
