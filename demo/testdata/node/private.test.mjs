// Drives the demo of a PRIVATE model with the real @gradio/client: only a
// caller who may read the model gets through. Started by
// e2e/demo_private_test.go with DEMO_ROOT, DEMO_TOKEN (may read the model),
// DEMO_OTHER_TOKEN (another user's), DEMO_IMAGE and DEMO_LABELS.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Client, handle_file } from "@gradio/client";

const root = process.env.DEMO_ROOT;
const labels = JSON.parse(process.env.DEMO_LABELS);

test("anonymous callers are refused (401)", async () => {
  await assert.rejects(Client.connect(root), (err) => {
    console.log(`# anonymous: ${err.message}`);
    return true;
  });
  const resp = await fetch(`${root}/config`);
  assert.equal(resp.status, 401);
});

test("another user's token is refused (404, as if the model did not exist)", async () => {
  await assert.rejects(Client.connect(root, { token: process.env.DEMO_OTHER_TOKEN }), (err) => {
    console.log(`# other user: ${err.message}`);
    return true;
  });
  const resp = await fetch(`${root}/config`, { headers: { Authorization: `Bearer ${process.env.DEMO_OTHER_TOKEN}` } });
  assert.equal(resp.status, 404);
});

test("a reader's token: connect, view_api and predict", async () => {
  const client = await Client.connect(root, { token: process.env.DEMO_TOKEN });
  const api = await client.view_api();
  assert.ok(api.named_endpoints["/predict"]);
  const out = (await client.predict("/predict", [handle_file(process.env.DEMO_IMAGE)])).data[0];
  assert.deepEqual(out.confidences.map((c) => c.label).sort(), [...labels].sort());
  const sum = out.confidences.reduce((s, c) => s + c.confidence, 0);
  assert.ok(Math.abs(sum - 1) < 1e-4, `sum ${sum}`);
  console.log(`# reader: ${JSON.stringify(out)}`);
});
