#!/usr/bin/env bash
# Retention: finished executions are deleted after retention.days (30 by default), per
# workflow with retention.workflows; a server prunes every retention.interval seconds, and
# `flux db prune` does it on demand. Paused, queued and running executions are never pruned.
#
# Run from an empty directory: bash examples/production/retention.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

cat > flux.toml <<'TOML'
[flux.retention]
days = 30                           # everything else: a month
workflows = { hello_world = 7 }     # this one: a week (0 would keep it forever)
TOML

flux db migrate
python3 "$here/../01_hello_world.py" > /dev/null   # a finished execution in ./.flux/flux.db
sleep 1
flux db prune --dry-run                  # nothing is a week old yet
flux db prune --older-than 1s --dry-run  # what an explicit age would delete
flux db prune --older-than 1s
