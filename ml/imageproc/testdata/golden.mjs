// Regenerate: in a scratch dir, `npm install --ignore-scripts @huggingface/transformers@4.3.1`,
// then `node golden.mjs <this testdata dir>` (sharp 0.35.5, libvips 8.18.7).
// Writes transformers.js reference outputs for ml/imageproc tests.
import { RawImage, MobileNetV2ImageProcessor } from '@huggingface/transformers';
import sharp from 'sharp';
import fs from 'fs';
const out = process.argv[2];
const W = 37, H = 23;
const d = new Uint8ClampedArray(W * H * 3);
for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) for (let c = 0; c < 3; c++)
  d[(y * W + x) * 3 + c] = (x * 37 + y * 91 + c * 53 + ((x * y) % 17) * 7) % 256;
const img = new RawImage(d, W, H, 3);
for (const [w, h] of [[16, 12], [50, 40], [37, 7]]) {
  const r = await img.resize(w, h, { resample: 2 });
  fs.writeFileSync(`${out}/tjs_resize_${w}x${h}.bin`, Buffer.from(r.data));
}
const configs = {
  stretch: { image_processor_type: 'MobileNetV2ImageProcessor', size: { height: 20, width: 30 }, do_normalize: true, image_mean: [0.5, 0.4, 0.3], image_std: [0.2, 0.25, 0.5] },
  shortest_crop: { image_processor_type: 'MobileNetV2ImageProcessor', size: { shortest_edge: 18 }, do_center_crop: true, crop_size: { height: 16, width: 16 }, do_normalize: true, image_mean: [0.5, 0.5, 0.5], image_std: [0.5, 0.5, 0.5] },
  no_normalize: { image_processor_type: 'MobileNetV2ImageProcessor', size: { height: 12, width: 12 }, rescale_factor: 0.5, image_mean: [9, 9, 9], image_std: [9, 9, 9] },
};
for (const [name, cfg] of Object.entries(configs)) {
  fs.writeFileSync(`${out}/tjs_config_${name}.json`, JSON.stringify(cfg, null, 1) + '\n');
  const p = new MobileNetV2ImageProcessor(cfg);
  const { pixel_values } = await p(img);
  fs.writeFileSync(`${out}/tjs_pixels_${name}.bin`, Buffer.from(pixel_values.data.buffer));
  console.log(name, pixel_values.dims);
}
// A tiny lossless WebP of the same pattern, for the decoder test.
await sharp(Buffer.from(d), { raw: { width: W, height: H, channels: 3 } }).webp({ lossless: true }).toFile(`${out}/pattern.webp`);
