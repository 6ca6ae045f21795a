// Drives Quarry's demo with the real @gradio/client. Started by
// demo/gradio_node_test.go with DEMO_ROOT (the demo root URL) and DEMO_FILES
// (JSON: name -> local path of a test image).
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import { Client, handle_file } from "@gradio/client";

const root = process.env.DEMO_ROOT;
const files = JSON.parse(process.env.DEMO_FILES);
const labels = JSON.parse(process.env.DEMO_LABELS);

function checkLabel(out) {
  assert.equal(typeof out.label, "string");
  assert.equal(out.confidences.length, labels.length);
  assert.deepEqual([...out.confidences.map((c) => c.label)].sort(), [...labels].sort());
  let sum = 0;
  out.confidences.forEach((c, i) => {
    sum += c.confidence;
    if (i > 0) assert.ok(c.confidence <= out.confidences[i - 1].confidence, "confidences sorted");
  });
  assert.ok(Math.abs(sum - 1) < 1e-4, `confidences sum to ${sum}`);
  assert.equal(out.label, out.confidences[0].label);
}

test("connect, view_api, predict", async () => {
  const client = await Client.connect(root);
  const api = await client.view_api();
  assert.ok(api.named_endpoints["/predict"], "view_api lists /predict");
  assert.equal(api.named_endpoints["/predict"].parameters[0].component, "Image");
  for (const name of ["valid", "photo"]) {
    const result = await client.predict("/predict", [handle_file(files[name])]);
    checkLabel(result.data[0]);
    console.log(`# ${name}: ${JSON.stringify(result.data[0])}`);
  }
  // A Blob (browser-style upload, filename "blob") works too.
  const blob = new Blob([fs.readFileSync(files.valid)], { type: "image/png" });
  checkLabel((await client.predict("/predict", [handle_file(blob)])).data[0]);
});

test("curl-style call/predict flow", async () => {
  const form = new FormData();
  form.append("files", new Blob([fs.readFileSync(files.valid)]), "tile.png");
  const up = await fetch(`${root}/gradio_api/upload`, { method: "POST", body: form });
  assert.equal(up.status, 200);
  const [path] = await up.json();
  const post = await fetch(`${root}/gradio_api/call/predict`, {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ data: [{ path, meta: { _type: "gradio.FileData" } }] }),
  });
  const { event_id } = await post.json();
  assert.ok(event_id);
  const text = await (await fetch(`${root}/gradio_api/call/predict/${event_id}`)).text();
  const m = text.match(/^event: complete\ndata: (.*)$/m);
  assert.ok(m, `complete event in ${text}`);
  checkLabel(JSON.parse(m[1])[0]);
});

const errorCases = [
  ["text", /not a supported image/i],
  ["truncated", /corrupt or truncated/i],
  ["tiny", /too small: 1x1/i],
  ["huge", /too many pixels: 30000x30000/i],
  // The server refuses the upload with 413; @gradio/client drops that error
  // and sends an empty input, which the server explains.
  ["oversized", /files larger than 2 MB \(max_file_size\) are refused/],
];

test("errors reach the client and the next request succeeds", async () => {
  const client = await Client.connect(root);
  for (const [name, want] of errorCases) {
    await assert.rejects(client.predict("/predict", [handle_file(files[name])]), (err) => {
      assert.match(err.message, want, `${name}: ${err.message}`);
      console.log(`# ${name}: ${err.message}`);
      return true;
    });
    checkLabel((await client.predict("/predict", [handle_file(files.valid)])).data[0]);
  }
});

test("errors on the queue-free run/ path (the page's path)", async () => {
  for (const [name, want] of errorCases) {
    const form = new FormData();
    form.append("files", new Blob([fs.readFileSync(files[name])]), name);
    const up = await fetch(`${root}/gradio_api/upload`, { method: "POST", body: form });
    if (name === "oversized") {
      assert.equal(up.status, 413);
      assert.match((await up.json()).error, /larger than this demo's limit/);
      continue;
    }
    const [path] = await up.json();
    const run = await fetch(`${root}/gradio_api/run/predict`, {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ data: [{ path, meta: { _type: "gradio.FileData" } }], fn_index: 0, session_hash: "abc" }),
    });
    assert.equal(run.status, 422, name);
    assert.match((await run.json()).error, want);
  }
});

test("URLs are never fetched", async () => {
  const client = await Client.connect(root);
  await assert.rejects(client.predict("/predict", [handle_file("http://127.0.0.1:1/secret.png")]), /URLs are never fetched/);
});
