// Script jobs through the client: the job platform document's three example scripts, their
// logs and outputs, following logs while a job runs, listing, cancelling, idempotency.
//
// The examples are the document's files (test/fixtures), word for word except the URL they
// call: this machine has no internet, so api.example.com and httpbin.org become a loopback
// service started here, and the jobs calling it ask for `network: true`. Their dependencies
// (axios, requests) really come from the npm registry and PyPI.
import assert from "node:assert/strict";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { ConflictError, type JobLogEvent, type JobView } from "@flux/client";
import { client, unique, waitFor } from "./helpers.js";

const flux = client();
const FIXTURES = new URL("../../test/fixtures/", import.meta.url);
const ENDED = ["COMPLETED", "FAILED", "CANCELLED"];

let loopback: Server;
let loopbackUrl: string;
let scratch: string;
// GET /gate answers 200 once the test opens it (404 before): a job can wait for the test.
let gateOpen = false;

before(async () => {
  loopback = createServer((request, response) => {
    if (request.url === "/gate") {
      response.writeHead(gateOpen ? 200 : 404).end();
      return;
    }
    const user = /^\/users\/(.+)$/.exec(request.url ?? "");
    const body = user
      ? { id: user[1], name: `user ${user[1]}` }
      : { slideshow: { title: "Sample" } };
    response.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => loopback.listen(0, "127.0.0.1", resolve));
  loopbackUrl = `http://127.0.0.1:${(loopback.address() as AddressInfo).port}`;
  scratch = await mkdtemp(join(tmpdir(), "flux-sdk-"));
});

after(() => {
  loopback.close();
});

/** The document's example `name`, with its internet URL pointed at the loopback service. */
async function example(name: string, url: string): Promise<string> {
  const text = await readFile(new URL(name, FIXTURES), "utf8");
  assert.ok(text.includes(url), `${name} calls ${url}`);
  const path = join(scratch, name);
  await writeFile(path, text.replace(url, loopbackUrl));
  return path;
}

function finished(jobId: string, timeoutMs = 60_000): Promise<JobView> {
  return waitFor(
    () => flux.getJob(jobId),
    (job) => ENDED.includes(job.state),
    `job ${jobId}`,
    timeoutMs,
  );
}

test("the Node.js example runs with its npm dependencies and returns its output", async () => {
  const name = unique("invoice-processor");
  const submitted = await flux.submitJob({
    scriptPath: await example("worker.js", "https://api.example.com"),
    runtime: "node:18",
    name,
    payload: { invoiceId: 1024, userId: 7 },
    dependencies: ["axios", "moment"],
    maxRetries: 5,
    network: true,
  });
  assert.equal(submitted.success, true);
  assert.match(submitted.jobId, /^job-/);
  assert.equal(submitted.state, "PENDING");

  const job = await finished(submitted.jobId, 240_000); // a cold npm install of axios
  assert.equal(job.state, "COMPLETED", job.error ?? job.logs);
  assert.equal(job.exitCode, 0);
  assert.deepEqual(job.output, { status: "success", data: { id: "7", name: "user 7" } });
  assert.match(job.logs, /🚀 Starting Job for: 7/);
  assert.match(job.logs, /✅ Data processed/);
  assert.equal(job.name, name);
  assert.equal(job.type, "GENERIC_SCRIPT");
  assert.equal(job.maxRetries, 5);
  assert.deepEqual(job.dependencies, ["axios", "moment"]);
  assert.deepEqual(job.payload, { invoiceId: 1024, userId: 7 });
  assert.deepEqual(
    job.attempts?.map((attempt) => attempt.state),
    ["COMPLETED"],
  );
});

test("the Python example runs with requests installed and prints its logs", async () => {
  const submitted = await flux.submitJob({
    scriptPath: await example("worker.py", "https://httpbin.org"),
    runtime: "python:3.9",
    payload: { userId: 42 },
    dependencies: ["requests"],
    network: true,
  });
  const job = await finished(submitted.jobId, 240_000);
  assert.equal(job.state, "COMPLETED", job.error ?? job.logs);
  assert.match(job.logs, /🐍 Processing for User: 42/);
  assert.match(job.logs, /✅ External API Status: 200/);
  assert.equal(await flux.getJobLogs(submitted.jobId), job.logs);
});

test("the Bash example given as text is followed to its end", async () => {
  const script = await readFile(new URL("worker.sh", FIXTURES), "utf8");
  const submitted = await flux.submitJob({
    script,
    runtime: "bash",
    payload: { n: 1 },
    type: "SDK_TEST",
  });
  const events: JobLogEvent[] = [];
  for await (const event of await flux.followJobLogs(submitted.jobId)) {
    events.push(event);
  }
  const text = events.flatMap((event) => (event.event === "log" ? [event.data.text] : [])).join("");
  const lines = text.split("\n");
  assert.equal(lines[0], "🔥 Starting Bash Job...");
  assert.match(lines[1] ?? "", /^Current Directory: \//);
  assert.equal(lines[2], 'Received Payload: {"n": 1}');
  assert.equal(lines[3], "✅ Job Finished");

  const kinds = events.map((event) => event.event);
  assert.deepEqual(kinds.slice(-2), ["attempt", "end"]);
  const end = events.at(-1);
  assert.ok(end?.event === "end");
  assert.equal(end.data.state, "COMPLETED");
  assert.equal(end.data.exitCode, 0);
  const attempt = events.at(-2);
  assert.ok(attempt?.event === "attempt");
  assert.equal(attempt.data.exitCode, 0);

  const job = await flux.getJob(submitted.jobId);
  assert.equal(job.logs, text);
  assert.equal(job.type, "SDK_TEST");
  // Following a finished job replays what it printed, then ends.
  const replayed = await (await flux.followJobLogs(submitted.jobId)).collect();
  assert.deepEqual(
    replayed.map((event) => event.event),
    ["log", "attempt", "end"],
  );
});

test(
  "logs are followed live: the first line arrives while the job still runs",
  { timeout: 60_000 },
  async () => {
    // The job prints, then waits until the test has seen that line through the stream.
    const script = [
      "import time, urllib.request",
      'print("waiting for the client", flush=True)',
      "while True:",
      "    try:",
      `        urllib.request.urlopen("${loopbackUrl}/gate")`,
      "        break",
      "    except Exception:",
      "        time.sleep(0.05)",
      'print("released", flush=True)',
      "",
    ].join("\n");
    const { jobId } = await flux.submitJob({ script, runtime: "python", network: true });
    const stream = await flux.followJobLogs(jobId);
    const seen: string[] = [];
    try {
      for await (const event of stream) {
        seen.push(event.event === "log" ? event.data.text : event.event);
        if (event.event === "log" && event.data.text.includes("waiting for the client")) {
          assert.equal((await flux.getJob(jobId)).state, "RUNNING");
          gateOpen = true;
        }
      }
    } finally {
      gateOpen = false;
    }
    assert.deepEqual(seen, ["waiting for the client\n", "released\n", "attempt", "end"]);
  },
);

test("a running job is cancelled once; cancelling it again is a conflict", async () => {
  const script = "echo started; sleep 60; echo never";
  const submitted = await flux.submitJob({ script, runtime: "bash", filename: "wait.sh" });
  await waitFor(
    () => flux.getJob(submitted.jobId),
    (job) => job.logs.includes("started"),
    "job start",
  );
  // The answer comes as soon as the cancel is recorded; the worker kills the attempt next.
  await flux.cancelJob(submitted.jobId);
  const job = await waitFor(
    () => flux.getJob(submitted.jobId),
    (job) => ENDED.includes(job.state),
    "cancel",
  );
  assert.equal(job.state, "CANCELLED");
  assert.doesNotMatch(job.logs, /never/);
  await assert.rejects(flux.cancelJob(submitted.jobId), (error: unknown) => {
    assert.ok(error instanceof ConflictError);
    assert.equal(error.status, 409);
    assert.match(error.detail, /CANCELLED|ended|finished/i);
    return true;
  });
});

test("jobs are listed newest first, filtered by name and state, paged", async () => {
  const name = unique("listed");
  const ids: string[] = [];
  for (const n of [1, 2, 3]) {
    ids.push((await flux.submitJob({ script: `echo ${n}`, runtime: "bash", name })).jobId);
  }
  await Promise.all(ids.map((id) => finished(id)));
  const all = await flux.listJobs({ name });
  assert.equal(all.count, 3);
  assert.deepEqual(
    all.jobs.map((job) => job.jobId),
    [...ids].reverse(),
  );
  const page = await flux.listJobs({ name, limit: 1, offset: 1 });
  assert.equal(page.count, 3);
  assert.deepEqual(
    page.jobs.map((job) => job.jobId),
    [ids[1]],
  );
  assert.equal((await flux.listJobs({ name, state: "FAILED" })).count, 0);
  assert.equal((await flux.listJobs({ name, state: "COMPLETED" })).count, 3);
});

test("a submission repeated with its idempotency key answers with the first job", async () => {
  const key = unique("key");
  const first = await flux.submitJob({ script: "echo once", runtime: "bash", idempotencyKey: key });
  const again = await flux.submitJob({ script: "echo once", runtime: "bash", idempotencyKey: key });
  assert.equal(again.jobId, first.jobId);
  assert.equal(first.replayed, false);
  assert.equal(again.replayed, true);
});

test("a job scheduled with runAt waits for its time", async () => {
  const runAt = new Date(Date.now() + 60 * 60 * 1000);
  const submitted = await flux.submitJob({ script: "echo later", runtime: "bash", runAt });
  assert.equal(submitted.state, "PENDING");
  assert.equal(new Date(submitted.runAt ?? "").getTime(), runAt.getTime());
  const cancelled = await flux.cancelJob(submitted.jobId);
  assert.equal(cancelled.state, "CANCELLED");
  assert.deepEqual(cancelled.attempts, []);
});
