// API keys through the client, against the live server's real authentication: the key goes
// as a Bearer token on JSON calls, multipart uploads and streams; roles and revocation
// answer as UnauthorizedError with the server's message; keys and the audit are managed
// through the client. (The server under test listens on loopback: without a key the caller
// is an anonymous admin, which creates the keys here.)
import assert from "node:assert/strict";
import { test } from "node:test";
import { FluxClient, UnauthorizedError } from "@flux/client";
import { FLUX_URL, client, unique, waitFor } from "./helpers.js";

const admin = client();

function keyed(apiKey: string): FluxClient {
  return new FluxClient({ baseUrl: FLUX_URL, apiKey });
}

test(
  "without a key a loopback caller is an anonymous admin",
  { skip: Boolean(process.env.FLUX_API_KEY) },
  async () => {
    const me = await admin.whoami();
    assert.equal(me.kind, "anonymous");
    assert.equal(me.role, "admin");
  },
);

test("a viewer key reads and follows, is refused writes, and stops working once revoked", async () => {
  const name = unique("sdk-viewer");
  const created = await admin.createApiKey(name, "viewer");
  assert.match(created.key, new RegExp(`^flux_${created.id}_`));
  const viewer = keyed(created.key);

  const me = await viewer.whoami();
  assert.deepEqual([me.kind, me.name, me.role, me.key_id], ["key", name, "viewer", created.id]);

  const { jobId } = await admin.submitJob({ script: "echo from-admin", runtime: "bash" });
  await waitFor(
    () => viewer.getJob(jobId),
    (job) => job.state === "COMPLETED",
    "the job",
  );
  const events = await (await viewer.followJobLogs(jobId)).collect();
  assert.deepEqual(
    events.map((event) => event.event),
    ["log", "attempt", "end"],
  );

  await assert.rejects(
    viewer.submitJob({ script: "echo no", runtime: "bash" }),
    (error: unknown) => {
      assert.ok(error instanceof UnauthorizedError);
      assert.equal(error.status, 403);
      assert.match(
        error.detail,
        new RegExp(`key ${created.id} \\(${name}\\) has the role 'viewer'`),
      );
      return true;
    },
  );
  await assert.rejects(viewer.uploadWorkflow({ source: "x = 1\n" }), (error: unknown) => {
    return error instanceof UnauthorizedError && error.status === 403;
  });

  const revoked = await admin.revokeApiKey(created.id);
  assert.ok(revoked.revoked_at);
  assert.ok((await admin.listApiKeys()).some((key) => key.id === created.id && key.revoked_at));
  for (const call of [() => viewer.listJobs(), () => viewer.followJobLogs(jobId)]) {
    await assert.rejects(call(), (error: unknown) => {
      assert.ok(error instanceof UnauthorizedError);
      assert.equal(error.status, 401);
      assert.match(error.detail, new RegExp(`API key ${created.id} was revoked`));
      return true;
    });
  }

  const audit = await admin.audit({ action: "key", target: created.id });
  assert.deepEqual(
    audit.entries.map((entry) => entry.action),
    ["key.revoke", "key.create"],
  );
});

test("a key that is not one is refused even where no key is needed", async () => {
  await assert.rejects(keyed("not-a-key").listWorkflows(), (error: unknown) => {
    assert.ok(error instanceof UnauthorizedError);
    assert.equal(error.status, 401);
    assert.match(error.detail, /malformed API key/);
    return true;
  });
});

test("a job gets the stored secrets it names, masked in its logs", async () => {
  const secret = unique("SDK_SECRET").replace("-", "_").toUpperCase();
  await admin.setSecret(secret, "s3cret-value");
  try {
    const { jobId } = await admin.submitJob({
      script: `echo "length=\${#${secret}} value=$${secret}"`,
      runtime: "bash",
      secrets: [secret],
    });
    const job = await waitFor(
      () => admin.getJob(jobId),
      (view) => view.state === "COMPLETED",
      "the job",
    );
    assert.match(job.logs, /^length=12 value=/);
    assert.doesNotMatch(job.logs, /s3cret-value/);
  } finally {
    await admin.deleteSecret(secret);
  }
});
