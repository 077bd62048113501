// Secrets through the client: set, list names, read (admin), delete, and the refusals.
import assert from "node:assert/strict";
import { test } from "node:test";
import { InvalidRequestError, NotFoundError } from "@flux/client";
import { client, unique } from "./helpers.js";

const flux = client();

test("a secret is set, listed by name, read, replaced and deleted", async () => {
  const name = unique("SDK_TOKEN").replace("-", "_").toUpperCase();
  await flux.setSecret(name, { token: "abc", scopes: ["read"] });
  assert.ok((await flux.listSecrets()).includes(name));
  assert.deepEqual(await flux.getSecret(name), { name, value: { token: "abc", scopes: ["read"] } });
  await flux.setSecret(name, "rotated");
  assert.equal((await flux.getSecret(name)).value, "rotated");

  await flux.deleteSecret(name);
  assert.ok(!(await flux.listSecrets()).includes(name));
  await assert.rejects(flux.getSecret(name), NotFoundError);
  await assert.rejects(flux.deleteSecret(name), (error: unknown) => {
    assert.ok(error instanceof NotFoundError);
    assert.match(error.detail, new RegExp(name));
    return true;
  });
});

test("a secret name the server does not accept is refused with its reason", async () => {
  await assert.rejects(flux.setSecret("not a name!", "x"), (error: unknown) => {
    assert.ok(error instanceof InvalidRequestError);
    assert.equal(error.status, 400);
    assert.ok(error.detail.length > 0);
    return true;
  });
});
