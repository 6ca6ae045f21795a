// transformers.js side of the demo throughput benchmark (bench/demo.sh runs
// it through the Go program in this directory): the image-classification
// pipeline on a model published on Quarry, ONNX Runtime (onnxruntime-node)
// with TJS_THREADS intra-op threads, timed one image per call and in
// batches. Prints one JSON line last:
//   {version, threads, sequential_ips, batched_ips, batch_size, labels}
// (labels: the top label per image, in input order).
// Env: QUARRY_ENDPOINT, TJS_MODEL, TJS_IMAGES (JSON array of paths),
// TJS_CACHE (a fresh dir), TJS_THREADS, TJS_MODULES (node_modules holding
// @huggingface/transformers), TJS_ROUNDS.
import fs from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const need = (k) => {
  const v = process.env[k];
  if (!v) throw new Error(`${k} is not set`);
  return v;
};
const entry = join(need("TJS_MODULES"), "@huggingface", "transformers", "dist", "transformers.node.mjs");
const { pipeline, env } = await import(pathToFileURL(entry).href);

const images = JSON.parse(fs.readFileSync(need("TJS_IMAGES"), "utf8"));
const threads = Number(need("TJS_THREADS"));
const rounds = Number(process.env.TJS_ROUNDS || 3);
const batchSize = 16;

env.remoteHost = need("QUARRY_ENDPOINT").replace(/\/$/, "") + "/";
env.allowLocalModels = false;
env.useFSCache = true;
env.cacheDir = need("TJS_CACHE");
fs.mkdirSync(env.cacheDir, { recursive: true });

const classify = await pipeline("image-classification", need("TJS_MODEL"), {
  device: "cpu",
  dtype: "fp32",
  session_options: { intraOpNumThreads: threads, interOpNumThreads: 1 },
});

async function sequential() {
  const labels = [];
  for (const p of images) labels.push((await classify(p, { top_k: 1 }))[0].label);
  return labels;
}

async function batched() {
  for (let i = 0; i < images.length; i += batchSize) {
    await classify(images.slice(i, i + batchSize), { top_k: 1 });
  }
}

// best returns the highest images/s of `rounds` timed runs of fn.
async function best(fn) {
  let top = 0;
  for (let r = 0; r < rounds; r++) {
    const start = process.hrtime.bigint();
    await fn();
    const s = Number(process.hrtime.bigint() - start) / 1e9;
    top = Math.max(top, images.length / s);
  }
  return top;
}

const labels = await sequential(); // warm-up, and the labels to compare
await batched(); // warm-up of the batched shapes
const seq = await best(sequential);
const bat = await best(batched);
await classify.dispose();
console.log(JSON.stringify({ version: env.version, threads, sequential_ips: seq, batched_ips: bat,
  batch_size: batchSize, labels }));
