// transformers.test.mjs: transformers.js 4.3.1 loads an image classifier
// published on Quarry (env.remoteHost) and scores images like Quarry does.
// Run by TestTransformersJSLoadsPublishedModel (transformers_test.go), which
// publishes the model and writes Quarry's own scores to $TJS_EXPECTED; this
// test writes transformers.js's outputs to $TJS_ACTUAL for the Go side.
//
// Env: QUARRY_ENDPOINT, TJS_EXPECTED, TJS_ACTUAL, TJS_CACHE (a fresh dir).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { pipeline, env } from '@huggingface/transformers';

const endpoint = process.env.QUARRY_ENDPOINT;
const expected = JSON.parse(fs.readFileSync(process.env.TJS_EXPECTED, 'utf8'));

// Fresh file cache: transformers.js keys it by repo and file only, so a
// reused directory would serve stale files (and useFSCache=false breaks
// model loading in Node).
env.remoteHost = endpoint + '/';
env.allowLocalModels = false;
env.useFSCache = true;
env.cacheDir = process.env.TJS_CACHE;
fs.mkdirSync(env.cacheDir, { recursive: true });

test('image-classification pipeline on a Quarry model matches Quarry', async () => {
  const classify = await pipeline('image-classification', expected.model, { device: 'cpu', dtype: 'fp32' });
  const results = [];
  for (const img of expected.images) {
    results.push({ path: img.path, output: await classify(img.path, { top_k: null }) });
  }
  fs.writeFileSync(process.env.TJS_ACTUAL, JSON.stringify(results, null, 2));
  let maxDiff = 0;
  for (const [i, img] of expected.images.entries()) {
    const { output } = results[i];
    assert.equal(output.length, expected.labels.length, `${img.path}: one score per label`);
    assert.deepEqual(output.map((o) => o.label).sort(), [...expected.labels].sort());
    for (let j = 1; j < output.length; j++) {
      assert.ok(output[j - 1].score >= output[j].score, `${img.path}: scores sorted descending`);
    }
    const sum = output.reduce((s, o) => s + o.score, 0);
    assert.ok(Math.abs(sum - 1) < 1e-4, `${img.path}: scores sum to ${sum}`);
    const top = Object.entries(img.scores).sort((a, b) => b[1] - a[1])[0][0];
    assert.equal(output[0].label, top, `${img.path}: top label`);
    for (const o of output) {
      const d = Math.abs(o.score - img.scores[o.label]);
      maxDiff = Math.max(maxDiff, d);
      assert.ok(d <= 1e-3, `${img.path}: ${o.label} transformers.js ${o.score} vs Quarry ${img.scores[o.label]}`);
    }
  }
  console.log(`transformers.js ${env.version}: ${results.length} images, max |score diff| vs Quarry ${maxDiff.toExponential(2)}`);
  await classify.dispose();
});

test('the model files were fetched from Quarry', () => {
  const dir = `${env.cacheDir}/${expected.model}`;
  for (const f of ['config.json', 'preprocessor_config.json', 'onnx/model.onnx']) {
    assert.ok(fs.existsSync(`${dir}/${f}`), `${f} cached from ${endpoint}`);
  }
});
