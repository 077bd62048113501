#!/usr/bin/env bash
# Checking a change before deploying it: `flux workflow check FILE` replays the recorded runs
# of FILE's workflows against the code in FILE (running no task) and exits 1 when one of them
# would take another path, naming the step. Put it in CI before `flux workflow register`.
#
# Start a server first (`flux start server`), then, from an empty directory:
#   bash examples/production/check_before_deploy.sh
# (FLUX_WORKERS__SERVER_URL points it at another server.)
set -euo pipefail

cat > greet.py <<'PY'
from flux import task, workflow

@task
async def fetch_user(user_id):
    return {"id": user_id, "name": "Ada"}

@task
async def send_greeting(user):
    return f"Hello, {user['name']}"

@workflow
async def greet(ctx):
    user = await fetch_user(ctx.input)
    return await send_greeting(user)
PY
flux workflow register greet.py > /dev/null
flux workflow run greet 7 --mode sync > /dev/null            # a recorded run to check against

# A compatible change: a step added after the ones recorded.
cat >> greet.py <<'PY'

@task
async def log_greeting(text):
    return text
PY
sed -i 's/    return await send_greeting(user)/    text = await send_greeting(user)\n    await log_greeting(text)\n    return text/' greet.py
flux workflow check greet.py > /dev/null && echo "compatible change: exit 0"

# A breaking change: the step recorded second now calls another task.
sed -i 's/text = await send_greeting(user)/text = await log_greeting(user["name"])/' greet.py
if flux workflow check greet.py --format json > report.json; then
    echo "breaking change not caught"; exit 1
fi
python3 -c "
import json
for run in json.load(open('report.json')):
    if run['status'] == 'diverged':
        print(f\"breaking change: exit 1, step {run['step_id']}: {run['expected']} -> {run['found']}\")
        break
"
