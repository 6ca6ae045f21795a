// tjs_resize.mjs: transformers.js's RawImage.resize on many raw RGB images,
// for TestResizeAgreesWithTransformersJS, with one PIL resample code per
// job (0 nearest, 2 bilinear, 3 bicubic: sharp's affine with that libvips
// interpolator; 1 lanczos: sharp's resize with the lanczos3 kernel). Run
// from Go with the script on stdin and e2e/ as working directory.
//
// Env TJS_JOB: a JSON file {in, out, resample, cases: [[W, H, w, h], ...]}
// where in holds the W x H x 3 input bytes of every case, one after the
// other. Writes the w x h x 3 outputs to out the same way.
import fs from 'node:fs';
import { RawImage } from '@huggingface/transformers';

const job = JSON.parse(fs.readFileSync(process.env.TJS_JOB, 'utf8'));
const input = fs.readFileSync(job.in);
const out = fs.openSync(job.out, 'w');
let off = 0;
for (const [W, H, w, h] of job.cases) {
  const n = W * H * 3;
  const image = new RawImage(new Uint8ClampedArray(input.buffer, input.byteOffset + off, n), W, H, 3);
  off += n;
  const r = await image.resize(w, h, { resample: job.resample });
  if (r.width !== w || r.height !== h || r.channels !== 3 || r.data.length !== w * h * 3) {
    throw new Error(`${W}x${H} -> ${w}x${h}: got ${r.width}x${r.height}x${r.channels} (${r.data.length} bytes)`);
  }
  fs.writeSync(out, r.data);
}
fs.closeSync(out);
