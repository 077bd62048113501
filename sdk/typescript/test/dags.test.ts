// JSON DAG workflows through the client: a two-node run with data passed downstream, a
// definition refused before anything is stored, a DAG given a schedule instead of a run.
import assert from "node:assert/strict";
import { test } from "node:test";
import { InvalidRequestError, NotFoundError, type DagRunView } from "@flux/client";
import { client, unique, waitFor } from "./helpers.js";

const flux = client();

const EXTRACT = `import json, os
payload = json.loads(os.environ["PAYLOAD"])
print("Downloading data for", payload["input"]["day"])
with open(os.environ["FLUX_OUTPUT"], "w") as out:
    json.dump({"rows": [1, 2, 3]}, out)
`;
const PROCESS = `module.exports = async ({ upstream }) => {
  console.log("Processing...");
  return upstream["step-1"].rows.length;
};
`;

test("a two-node DAG runs in order and passes the first node's output to the second", async () => {
  const name = unique("sdk-dag");
  const submitted = await flux.submitDag({
    name,
    input: { day: "2026-12-03" },
    nodes: [
      // The name in the handler keeps this DAG's version unique on a server that ran this
      // test before: a second DAG with the same content under another name fails its runs
      // (WorkflowMismatchError, reported to the server's maintainers).
      {
        id: "step-1",
        jobName: "Extract Data",
        runtime: "python:3.9",
        handler: `# ${name}\n${EXTRACT}`,
        dependencies: [],
      },
      {
        id: "step-2",
        jobName: "Process Data",
        runtime: "node:18",
        handler: PROCESS,
        dependencies: ["step-1"],
      },
    ],
  });
  assert.equal(submitted.success, true);
  assert.equal(submitted.workflowId, name);
  assert.ok(submitted.runId);
  assert.equal(submitted.scheduleId ?? null, null);

  const run = await waitFor(
    () => flux.getDagRun(submitted.runId as string),
    (view: DagRunView) => ["COMPLETED", "FAILED", "CANCELLED"].includes(view.state),
    "DAG run",
  );
  assert.equal(run.state, "COMPLETED", run.error ?? JSON.stringify(run.nodes));
  assert.deepEqual(run.output, { "step-1": { rows: [1, 2, 3] }, "step-2": 3 });
  assert.deepEqual(run.input, { day: "2026-12-03" });
  const [first, second] = run.nodes;
  assert.equal(first?.id, "step-1");
  assert.equal(first?.state, "COMPLETED");
  assert.match(first?.logs ?? "", /Downloading data for 2026-12-03/);
  assert.equal(second?.state, "COMPLETED");
  assert.deepEqual(second?.dependencies, ["step-1"]);
  assert.match(second?.logs ?? "", /Processing\.\.\./);
  assert.ok(
    (second?.startedAt ?? "") >= (first?.finishedAt ?? "~"),
    "step-2 starts after step-1 ends",
  );
  // The DAG is a catalog workflow like an uploaded file.
  assert.ok((await flux.listWorkflows()).some((workflow) => workflow.name === name));
});

test("a DAG with a cycle is refused with the server's message and not stored", async () => {
  const name = unique("sdk-cycle");
  const node = (id: string, after: string) => ({
    id,
    runtime: "bash",
    handler: "echo hi",
    dependencies: [after],
  });
  await assert.rejects(
    flux.submitDag({ name, nodes: [node("a", "b"), node("b", "a")] }),
    (error: unknown) => {
      assert.ok(error instanceof InvalidRequestError);
      assert.equal(error.status, 400);
      assert.match(error.detail, /cycle/);
      assert.match(error.detail, /a -> b -> a|b -> a -> b/);
      return true;
    },
  );
  await assert.rejects(flux.getWorkflow(name), NotFoundError);
});

test("a DAG with cron gets a schedule instead of a run now", async () => {
  const name = unique("sdk-nightly");
  const submitted = await flux.submitDag({
    name,
    cron: "30 2 * * *",
    timezone: "Europe/Lisbon",
    nodes: [{ id: "only", runtime: "bash", handler: `echo ${name}` }],
  });
  assert.equal(submitted.runId ?? null, null);
  assert.ok(submitted.scheduleId);
  assert.ok(submitted.nextFireAt);
  const schedule = await flux.getSchedule(name);
  assert.equal(schedule.workflow, name);
  assert.equal(schedule.source, "dag");
  assert.equal(schedule.id, submitted.scheduleId);
  await flux.deleteSchedule(name);
});
