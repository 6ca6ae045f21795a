// Checks the incremental SHA-256 of web/static/lfsupload.js (used for files
// over 32 MiB, and where WebCrypto is missing) against node:crypto, over
// lengths around the 64-byte block and padding boundaries, fed in slices
// of several sizes. Driven by upload_test.go; exits 1 on a mismatch.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { check, logger } from "./lib.mjs";

const log = logger("sha256");
globalThis.window = {};
new Function(readFileSync(new URL("../static/lfsupload.js", import.meta.url), "utf8"))();
const { Sha256 } = globalThis.window.QuarryLFS;

// data returns n deterministic bytes.
function data(n) {
  const b = new Uint8Array(n);
  let x = 2463534242;
  for (let i = 0; i < n; i++) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}

let cases = 0;
for (const n of [0, 1, 3, 55, 56, 57, 63, 64, 65, 111, 119, 120, 127, 128, 129, 1000, 4096, 65537, (1 << 20) + 13]) {
  const bytes = data(n);
  const want = createHash("sha256").update(bytes).digest("hex");
  for (const slice of [1, 7, 63, 64, 65, 1000, Math.max(n, 1)]) {
    if (slice === 1 && n > 4096) continue;
    const h = new Sha256();
    for (let at = 0; at < n; at += slice) h.update(bytes.subarray(at, at + slice));
    const got = h.hex();
    check(got === want, `sha256 of ${n} bytes in slices of ${slice}: ${got}, want ${want}`);
    cases++;
  }
}
log(`${cases} cases match node:crypto`);
