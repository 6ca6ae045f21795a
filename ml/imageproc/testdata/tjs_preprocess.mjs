// tjs_preprocess.mjs: transformers.js's own image preprocessing of files, as
// pipeline('image-classification') does it (RawImage.read, then the model's
// AutoProcessor), for TestPreprocessAgreesWithTransformersJS. Run from Go
// with the script on stdin and e2e/ as working directory (where
// @huggingface/transformers and sharp are installed).
//
// Env TJS_JOB: a JSON file {models, out, images: [path], configs: [name]}
// where models/NAME/preprocessor_config.json is each config. Writes
// out/I_NAME.bin (little-endian float32 pixel_values) per image I and config,
// and prints one JSON line {image, config, dims} per pair, or {image, error}
// once for a file that RawImage.read cannot read.
import fs from 'node:fs';
import path from 'node:path';
import { AutoProcessor, RawImage, env } from '@huggingface/transformers';

const job = JSON.parse(fs.readFileSync(process.env.TJS_JOB, 'utf8'));
env.allowRemoteModels = false;
env.allowLocalModels = true;
env.localModelPath = job.models + '/';
env.useFSCache = false;

const processors = {};
for (const name of job.configs) {
  processors[name] = await AutoProcessor.from_pretrained(name);
}
for (const [i, file] of job.images.entries()) {
  try {
    await RawImage.read(file);
  } catch (err) {
    console.log(JSON.stringify({ image: i, error: String(err.message ?? err) }));
    continue;
  }
  for (const name of job.configs) {
    // A fresh RawImage per config: processors convert it in place.
    const image = await RawImage.read(file);
    const { pixel_values } = await processors[name]([image]);
    const data = pixel_values.data;
    fs.writeFileSync(path.join(job.out, `${i}_${name}.bin`), Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    console.log(JSON.stringify({ image: i, config: name, dims: pixel_values.dims }));
  }
}
