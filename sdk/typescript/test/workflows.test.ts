// Python workflows through the client: upload (source text and file), run sync / async /
// stream, pause and resume, cancel, rerun, the execution list, idempotent starts.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, test } from "node:test";
import { ConflictError, type ExecutionView, type WorkflowEvent } from "@flux/client";
import { client, unique, waitFor } from "./helpers.js";

const flux = client();
// Unique workflow names: several test runs may share one server.
const suffix = unique("w").replace("-", "_");
const HELLO = `hello_${suffix}`;
const APPROVAL = `approval_${suffix}`;
const SLOW = `slow_${suffix}`;
const BROKEN = `broken_${suffix}`;
const SOURCE = `import asyncio

from flux import ExecutionContext, task, workflow
from flux.tasks import pause


@task
async def say_hello(name: str) -> str:
    return f"Hello, {name}"


@workflow
async def ${HELLO}(ctx: ExecutionContext[str]):
    return await say_hello(ctx.input)


@workflow
async def ${APPROVAL}(ctx: ExecutionContext[str]):
    decision = await pause("manager_approval", output={"order": ctx.input})
    return f"{ctx.input}: {'approved' if decision.get('approved') else 'rejected'}"


@task
async def wait_a_long_time() -> None:
    await asyncio.sleep(60)


@workflow
async def ${SLOW}(ctx: ExecutionContext):
    await wait_a_long_time()
    return "finished"


@task
async def explode() -> str:
    raise ValueError("boom")


@workflow
async def ${BROKEN}(ctx: ExecutionContext):
    return await explode()
`;
const NAMES = [HELLO, APPROVAL, SLOW, BROKEN].sort();

before(async () => {
  const infos = await flux.uploadWorkflow({ source: SOURCE, filename: `${suffix}.py` });
  assert.deepEqual(infos.map((info) => info.name).sort(), NAMES);
});

function settled(view: ExecutionView, ...states: string[]): Promise<ExecutionView> {
  return waitFor(
    () => flux.getExecution(view.execution_id),
    (current) => states.includes(current.state),
    `run ${view.execution_id} to be ${states.join(" or ")}`,
  );
}

test("uploaded source is registered, listed and shown with its version", async () => {
  const version = createHash("sha256").update(SOURCE).digest("hex");
  const listed = await flux.listWorkflows();
  const mine = listed.filter((info) => NAMES.includes(info.name));
  assert.deepEqual(
    mine.map((info) => info.version),
    [version, version, version, version],
  );
  const detail = await flux.getWorkflow(HELLO);
  assert.equal(detail.source, SOURCE);
  assert.equal(detail.filename, `${suffix}.py`);
  assert.equal(detail.versions?.[0], version);
});

test("a workflow file is uploaded from its path", async () => {
  const name = `from_file_${suffix}`;
  const path = join(await mkdtemp(join(tmpdir(), "flux-sdk-")), "from_file.py");
  await writeFile(
    path,
    `from flux import workflow\n\n\n@workflow\nasync def ${name}(ctx):\n    return ctx.input * 2\n`,
  );
  const [info] = await flux.uploadWorkflow({ path });
  assert.equal(info?.name, name);
  assert.equal(info?.filename, "from_file.py");
  const view = await flux.run(name, 21, { mode: "sync" });
  assert.equal(view.output, 42);
});

test("a sync run answers when the run has ended, with its output", async () => {
  const view = await flux.run(HELLO, "World", { mode: "sync" });
  assert.equal(view.state, "COMPLETED");
  assert.equal(view.output, "Hello, World");
  assert.equal(view.workflow_name, HELLO);
  assert.equal(view.input, "World");
});

test("an async run answers at once; its state is read by id and by workflow", async () => {
  const started = await flux.run(HELLO, "async");
  assert.ok(
    ["CREATED", "SCHEDULED", "CLAIMED", "RUNNING", "COMPLETED"].includes(started.state),
    started.state,
  );
  const done = await settled(started, "COMPLETED");
  assert.equal(done.output, "Hello, async");
  const status = await flux.status(HELLO, started.execution_id, { detailed: true });
  assert.equal(status.state, "COMPLETED");
  assert.ok((status.events ?? []).length > 0, "detailed adds the event log");
  assert.equal((await flux.getExecution(started.execution_id)).events ?? null, null);
});

test("a streamed run yields its states until it completes", async () => {
  const events: WorkflowEvent[] = [];
  for await (const event of await flux.stream(HELLO, "stream")) {
    events.push(event);
  }
  const last = events.at(-1);
  assert.equal(last?.event, "workflow.execution.completed");
  assert.equal(last?.data.state, "COMPLETED");
  assert.equal(last?.data.output, "Hello, stream");
  assert.equal(new Set(events.map((event) => event.data.execution_id)).size, 1);
  const view = await flux.getExecution(last?.data.execution_id ?? "");
  assert.equal(view.output, "Hello, stream");
});

test("a paused run is resumed with input, once", async () => {
  const paused = await flux.run(APPROVAL, "order-1", { mode: "sync" });
  assert.equal(paused.state, "PAUSED");
  const resumed = await flux.resume(
    APPROVAL,
    paused.execution_id,
    { approved: true },
    { mode: "sync" },
  );
  assert.equal(resumed.state, "COMPLETED");
  assert.equal(resumed.output, "order-1: approved");
  await assert.rejects(
    flux.resume(APPROVAL, paused.execution_id, { approved: false }),
    (error: unknown) => {
      assert.ok(error instanceof ConflictError);
      assert.equal(error.status, 409);
      return true;
    },
  );
});

test("a streamed run ends at its pause; the resumed stream ends at completion", async () => {
  const first = await (await flux.stream(APPROVAL, "order-2")).collect();
  const paused = first.at(-1);
  assert.equal(paused?.event, "workflow.execution.paused");
  const executionId = paused?.data.execution_id ?? "";
  const second = await (
    await flux.resumeStream(APPROVAL, executionId, { approved: false })
  ).collect();
  assert.equal(second.at(-1)?.event, "workflow.execution.completed");
  assert.equal(second.at(-1)?.data.output, "order-2: rejected");
});

test("a running run is cancelled; cancelling it again is a conflict", async () => {
  const started = await flux.run(SLOW, null);
  await settled(started, "RUNNING");
  const cancelled = await flux.cancel(SLOW, started.execution_id, { mode: "sync" });
  assert.equal(cancelled.state, "CANCELLED");
  await assert.rejects(flux.cancel(SLOW, started.execution_id), ConflictError);
});

test("a failed run is rerun with a stand-in for its failed step", async () => {
  const failed = await flux.run(BROKEN, null, { mode: "sync" });
  assert.equal(failed.state, "FAILED");
  assert.match(failed.error ?? "", /boom/);
  const rerun = await flux.rerun(failed.execution_id, { step_output: "patched", mode: "sync" });
  assert.equal(rerun.state, "COMPLETED");
  assert.equal(rerun.output, "patched");
  assert.equal(rerun.rerun_of, failed.execution_id);
  assert.notEqual(rerun.execution_id, failed.execution_id);
});

test("executions are listed per workflow and state, newest first", async () => {
  const first = await flux.run(HELLO, "one", { mode: "sync" });
  const second = await flux.run(HELLO, "two", { mode: "sync" });
  const listed = await flux.listExecutions({ workflow: HELLO, state: "COMPLETED", limit: 2 });
  assert.ok(listed.count >= 2);
  assert.equal(listed.limit, 2);
  assert.deepEqual(
    listed.executions.map((view) => view.execution_id),
    [second.execution_id, first.execution_id],
  );
  const none = await flux.listExecutions({ workflow: HELLO, state: "CANCELLED" });
  assert.equal(none.count, 0);
});

test("a run started again with its idempotency key is the same run", async () => {
  const idempotencyKey = unique("run");
  const first = await flux.run(HELLO, "once", { mode: "sync", idempotencyKey });
  const again = await flux.run(HELLO, "once", { mode: "sync", idempotencyKey });
  assert.equal(again.execution_id, first.execution_id);
  assert.equal(again.output, "Hello, once");
});
