// What a caller sees when a call fails: each kind of refusal as its FluxError subclass with
// the server's own message; no server, a silent one, a failing one. (API keys: auth.test.)
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, test } from "node:test";
import {
  FluxClient,
  FluxError,
  InvalidRequestError,
  NotFoundError,
  UnavailableError,
} from "@flux/client";
import { FLUX_URL, client } from "./helpers.js";

const flux = client();
const servers: Server[] = [];

after(() => {
  for (const server of servers) {
    server.closeAllConnections();
    server.close();
  }
});

/** A loopback HTTP server answering with `handle`, for what a Flux server cannot be made to
 * do on demand (never answer, fail with a 503). */
async function local(handle: Parameters<typeof createServer>[1]): Promise<string> {
  const server = createServer(handle);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

test("an unknown job, run, workflow or DAG run is NotFound with the server's detail", async () => {
  const raw = await fetch(`${FLUX_URL}/jobs/job-doesnotexist`);
  const { detail } = (await raw.json()) as { detail: string };
  await assert.rejects(flux.getJob("job-doesnotexist"), (error: unknown) => {
    assert.ok(error instanceof NotFoundError);
    assert.ok(error instanceof FluxError);
    assert.equal(error.status, 404);
    assert.equal(error.detail, detail);
    assert.equal(error.message, detail);
    return true;
  });
  await assert.rejects(flux.getExecution("0123456789abcdef"), NotFoundError);
  await assert.rejects(flux.run("no_such_workflow", null), NotFoundError);
  await assert.rejects(flux.getDagRun("no-such-run"), NotFoundError);
  await assert.rejects(flux.followJobLogs("job-doesnotexist"), NotFoundError);
});

test("an unknown runtime is Invalid with the server's message and nothing is queued", async () => {
  const before = (await flux.listJobs({ name: "bad-runtime" })).count;
  await assert.rejects(
    flux.submitJob({ script: "print(1)", runtime: "cobol:85", name: "bad-runtime" }),
    (error: unknown) => {
      assert.ok(error instanceof InvalidRequestError);
      assert.equal(error.status, 400);
      assert.match(error.detail, /cobol/);
      return true;
    },
  );
  assert.equal((await flux.listJobs({ name: "bad-runtime" })).count, before);
});

test("a Python workflow that does not parse is Invalid with the parser's message", async () => {
  const source = "from flux import workflow\n\n@workflow\nasync def oops(ctx)\n    return 1\n";
  await assert.rejects(flux.uploadWorkflow({ source, filename: "oops.py" }), (error: unknown) => {
    assert.ok(error instanceof InvalidRequestError);
    assert.match(error.detail, /oops\.py/);
    return true;
  });
});

test("a query parameter out of range is Invalid with FastAPI's message in one line", async () => {
  await assert.rejects(flux.listJobs({ limit: 5000 }), (error: unknown) => {
    assert.ok(error instanceof InvalidRequestError);
    assert.equal(error.status, 422);
    assert.match(error.detail, /^query\.limit: .*1000/);
    return true;
  });
});

test("a job without a script is refused before anything is sent", async () => {
  await assert.rejects(flux.submitJob({ runtime: "bash" }), (error: unknown) => {
    assert.ok(error instanceof InvalidRequestError);
    assert.equal(error.status, undefined);
    assert.match(error.detail, /script/);
    return true;
  });
  await assert.rejects(
    flux.submitJob({ scriptPath: "/no/such/file.sh", runtime: "bash" }),
    /cannot read \/no\/such\/file\.sh/,
  );
});

test("a server that is not there is Unavailable, naming it", async () => {
  const url = await local(() => undefined);
  const server = servers.pop() as Server;
  await new Promise((resolve) => server.close(resolve)); // nothing listens there now
  const gone = new FluxClient({ baseUrl: url });
  await assert.rejects(gone.listJobs(), (error: unknown) => {
    assert.ok(error instanceof UnavailableError);
    assert.equal(error.status, undefined);
    assert.equal(error.detail, `cannot reach the Flux server at ${url}: connection refused`);
    return true;
  });
  await assert.rejects(gone.followJobLogs("job-x"), UnavailableError);
});

test("a server that does not answer in timeoutMs is Unavailable", async () => {
  const url = await local(() => undefined); // accepts, never answers
  const slow = new FluxClient({ baseUrl: url, timeoutMs: 300 });
  await assert.rejects(slow.getJob("job-x"), (error: unknown) => {
    assert.ok(error instanceof UnavailableError);
    assert.match(error.detail, /no answer within 0\.3s/);
    return true;
  });
});

test("a 5xx answer is Unavailable with its status and detail", async () => {
  const url = await local((_, response) => {
    response.writeHead(503, { "Content-Type": "application/json" });
    response.end(
      JSON.stringify({ detail: "the database is unavailable (OperationalError); retry shortly" }),
    );
  });
  await assert.rejects(new FluxClient({ baseUrl: url }).listSchedules(), (error: unknown) => {
    assert.ok(error instanceof UnavailableError);
    assert.equal(error.status, 503);
    assert.match(error.detail, /the database is unavailable/);
    return true;
  });
});

test("a fetch given to the client is the one used", async () => {
  const urls: string[] = [];
  const recording: typeof fetch = (input, init) => {
    urls.push(String(input));
    return fetch(input, init);
  };
  const traced = new FluxClient({ baseUrl: `${FLUX_URL}/`, fetch: recording });
  assert.equal((await traced.health()).status ?? "ok", (await flux.health()).status ?? "ok");
  assert.deepEqual(urls, [`${FLUX_URL}/health`]);
});
