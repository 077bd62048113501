// Schedules through the client: create, preview (stored and not), pause, resume, delete; the
// refusals; and an interval schedule that really starts runs.
import assert from "node:assert/strict";
import { before, test } from "node:test";
import { ConflictError, InvalidRequestError, NotFoundError } from "@flux/client";
import { client, unique, waitFor } from "./helpers.js";

const flux = client();
const WORKFLOW = `greet_${unique("s").replace("-", "_")}`;

before(async () => {
  const source = `from flux import workflow


@workflow
async def ${WORKFLOW}(ctx):
    return f"Hello, {ctx.input}"
`;
  await flux.uploadWorkflow({ source });
});

test("a cron schedule is created, previewed, paused, resumed and deleted", async () => {
  const name = unique("weekday-report");
  const created = await flux.createSchedule({
    name,
    workflow: WORKFLOW,
    input: "team",
    cron: "0 9 * * 1-5",
    timezone: "America/New_York",
  });
  assert.equal(created.name, name);
  assert.equal(created.state, "active");
  assert.equal(created.source, "api");
  assert.deepEqual(created.input, "team");
  assert.ok(created.next_fire_at);

  const preview = await flux.previewSchedule(name, { count: 3 });
  assert.equal(preview.fire_times.length, 3);
  for (const time of preview.fire_times) {
    assert.match(time, /T09:00:00-0[45]:00$/, "09:00 New York time");
    assert.ok([1, 2, 3, 4, 5].includes(new Date(time).getUTCDay()), "a weekday");
  }
  assert.deepEqual(
    preview.fire_times[0] && new Date(preview.fire_times[0]),
    new Date(created.next_fire_at),
  );

  assert.ok((await flux.listSchedules()).some((schedule) => schedule.name === name));
  assert.equal((await flux.pauseSchedule(name)).state, "paused");
  assert.equal((await flux.getSchedule(name)).state, "paused");
  assert.equal((await flux.resumeSchedule(created.id)).state, "active");

  await assert.rejects(
    flux.createSchedule({ name, workflow: WORKFLOW, cron: "0 10 * * *" }),
    (error: unknown) => error instanceof ConflictError && error.status === 409,
  );
  await flux.deleteSchedule(name);
  await assert.rejects(flux.getSchedule(name), NotFoundError);
  await assert.rejects(flux.deleteSchedule(name), NotFoundError);
});

test("a timing that is not stored is previewed; a malformed one is refused with the reason", async () => {
  const preview = await flux.previewSchedule(
    { interval_seconds: 3600, once_at: null },
    { count: 2 },
  );
  assert.equal(preview.fire_times.length, 2);
  const [first, second] = preview.fire_times.map((time) => new Date(time).getTime());
  assert.equal((second ?? 0) - (first ?? 0), 3_600_000);

  await assert.rejects(flux.previewSchedule({ cron: "*/0 * * * *" }), (error: unknown) => {
    assert.ok(error instanceof InvalidRequestError);
    assert.equal(error.status, 400);
    assert.match(error.detail, /\*\/0/);
    return true;
  });
  const name = unique("never");
  await assert.rejects(
    flux.createSchedule({ name, workflow: WORKFLOW, cron: "0 0 30 2 *" }),
    InvalidRequestError,
  );
  await assert.rejects(flux.getSchedule(name), NotFoundError, "nothing is stored on a 400");
});

test("an interval schedule starts runs of its workflow with its input", async () => {
  const name = unique("every-second");
  await flux.createSchedule({
    name,
    workflow: WORKFLOW,
    input: "tick",
    interval_seconds: 1,
    overlap: "allow",
  });
  try {
    const fired = await waitFor(
      () => flux.getSchedule(name, { runs: 5 }),
      (schedule) => (schedule.recent_runs ?? []).some((run) => run.execution_id),
      "a fire",
      30_000,
    );
    const executionId = fired.recent_runs?.find((run) => run.execution_id)?.execution_id ?? "";
    const run = await waitFor(
      () => flux.getExecution(executionId),
      (view) => view.state === "COMPLETED",
      "the scheduled run",
    );
    assert.equal(run.workflow_name, WORKFLOW);
    assert.equal(run.output, "Hello, tick");
  } finally {
    await flux.deleteSchedule(name);
  }
});
