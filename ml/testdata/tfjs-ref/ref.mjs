// Usage: node ref.mjs NSFWJS_DIR INPUT.f32 N NODE OUTPUT.f32
// Runs the TF.js graph model shipped by nsfwjs (model.min.js + shards) on N
// NHWC float32 images [N,224,224,3] and writes the named node's output.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { loadGraphModel } from '@tensorflow/tfjs-converter';

const [dir, input, n, node, output] = process.argv.slice(2);
const require = createRequire(import.meta.url);
const model = require(path.resolve(dir, 'model.min.js'));
const group = model.weightsManifest[0];
const shards = group.paths.map((p) => Buffer.from(require(path.resolve(dir, p + '.min.js')), 'base64'));
const weightData = Buffer.concat(shards);
await tf.setBackend('cpu');
const graph = await loadGraphModel(tf.io.fromMemory({
  modelTopology: model.modelTopology,
  weightSpecs: group.weights,
  weightData: weightData.buffer.slice(weightData.byteOffset, weightData.byteOffset + weightData.byteLength),
}));
const buf = fs.readFileSync(input);
const x = tf.tensor4d(new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4), [Number(n), 224, 224, 3]);
const y = graph.execute(x, node);
fs.writeFileSync(output, Buffer.from(new Float32Array(y.dataSync()).buffer));
console.log(JSON.stringify({ shape: y.shape }));
