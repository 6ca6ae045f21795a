// Quarry LFS uploads from the browser: sha256 of each file, one git-lfs
// batch request offering "multipart" and "basic", then a PUT of each small
// object and, for large ones (the server's multipart threshold), a PUT of
// each part followed by the completion POST with the parts' ETags.
//
// Resumable: the completion URL and the ETags of the parts sent so far are
// kept in localStorage, per repo and object. A later upload of the same
// object (same sha256) sends that URL as the object's "resume" field; when
// the server answers with header.resumed = "true" (it still holds that
// upload, see hub.LFSResumeWindow) only the missing parts are sent. Any
// refusal (an expired or unknown upload, parts gone, a failed sha256 check
// at completion) drops the saved state and starts the object afresh: the
// server checks every part's ETag and the whole object's sha256, so a
// stale state can cost a retry but never store wrong bytes.
"use strict";
(function () {
  const STATE_PREFIX = "quarry-lfs-upload:";
  const STATE_MAX_AGE_MS = 25 * 3600 * 1000; // upload URL lifetime + resume window
  const STREAM_HASH_FROM = 32 << 20; // files hashed in slices (never whole in memory)
  const HASH_SLICE = 8 << 20;
  const PARALLEL_OBJECTS = 4;
  const PARALLEL_PARTS = 3;
  const MAX_ATTEMPTS = 3; // per object: first try, renewed or fresh uploads
  const LFS_TYPE = "application/vnd.git-lfs+json";

  // ---- SHA-256 in slices (WebCrypto has no incremental digest) ----
  const K = new Int32Array([
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2]);

  // blocks hashes the whole 64-byte blocks of p[pos:pos+len] into h and
  // returns the position after them.
  function blocks(h, w, p, pos, len) {
    while (len >= 64) {
      let a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
      for (let i = 0; i < 16; i++) {
        const j = pos + i * 4;
        w[i] = (p[j] << 24) | (p[j + 1] << 16) | (p[j + 2] << 8) | p[j + 3];
      }
      for (let i = 16; i < 64; i++) {
        let u = w[i - 2];
        const s1 = ((u >>> 17) | (u << 15)) ^ ((u >>> 19) | (u << 13)) ^ (u >>> 10);
        u = w[i - 15];
        const s0 = ((u >>> 7) | (u << 25)) ^ ((u >>> 18) | (u << 14)) ^ (u >>> 3);
        w[i] = (((s1 + w[i - 7]) | 0) + ((s0 + w[i - 16]) | 0)) | 0;
      }
      for (let i = 0; i < 64; i++) {
        const t1 = (((((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7))) +
          ((e & f) ^ (~e & g))) | 0) + ((hh + ((K[i] + w[i]) | 0)) | 0) | 0;
        const t2 = ((((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10))) +
          ((a & b) ^ (a & c) ^ (b & c))) | 0;
        hh = g; g = f; f = e; e = (d + t1) | 0; d = c; c = b; b = a; a = (t1 + t2) | 0;
      }
      h[0] = (h[0] + a) | 0; h[1] = (h[1] + b) | 0; h[2] = (h[2] + c) | 0; h[3] = (h[3] + d) | 0;
      h[4] = (h[4] + e) | 0; h[5] = (h[5] + f) | 0; h[6] = (h[6] + g) | 0; h[7] = (h[7] + hh) | 0;
      pos += 64;
      len -= 64;
    }
    return pos;
  }

  // Sha256 is an incremental SHA-256: update(Uint8Array)..., then hex().
  class Sha256 {
    constructor() {
      this.h = new Int32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
      this.w = new Int32Array(64);
      this.buf = new Uint8Array(64);
      this.buffered = 0;
      this.length = 0;
    }
    update(p) {
      let pos = 0, len = p.length;
      this.length += len;
      if (this.buffered > 0) {
        const n = Math.min(64 - this.buffered, len);
        this.buf.set(p.subarray(0, n), this.buffered);
        this.buffered += n;
        pos += n;
        len -= n;
        if (this.buffered < 64) return;
        blocks(this.h, this.w, this.buf, 0, 64);
        this.buffered = 0;
      }
      const end = blocks(this.h, this.w, p, pos, len);
      this.buf.set(p.subarray(end), 0);
      this.buffered = p.length - end;
    }
    hex() {
      const bits = this.length * 8;
      const pad = new Uint8Array((this.buffered < 56 ? 64 : 128) - this.buffered);
      pad[0] = 0x80;
      const view = new DataView(pad.buffer);
      view.setUint32(pad.length - 8, Math.floor(bits / 0x100000000));
      view.setUint32(pad.length - 4, bits >>> 0);
      this.update(pad);
      return Array.from(this.h, (x) => (x >>> 0).toString(16).padStart(8, "0")).join("");
    }
  }

  function hex(buf) {
    return Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, "0")).join("");
  }

  // sha256File returns the hex sha256 of a File: through WebCrypto for
  // small files, in HASH_SLICE slices for large ones and where WebCrypto
  // is missing (pages served over plain HTTP to another host).
  async function sha256File(file) {
    if (file.size < STREAM_HASH_FROM && window.crypto && crypto.subtle) {
      return hex(await crypto.subtle.digest("SHA-256", await file.arrayBuffer()));
    }
    const h = new Sha256();
    for (let at = 0; at < file.size; at += HASH_SLICE) {
      h.update(new Uint8Array(await file.slice(at, at + HASH_SLICE).arrayBuffer()));
    }
    return h.hex();
  }

  // ---- saved multipart state ----
  // {size, chunk, parts, href (completion URL), etags {n: ETag}, savedAt},
  // kept once a part of an object of several parts has arrived.
  function stateKey(repo, oid) { return STATE_PREFIX + repo + ":" + oid; }

  function loadState(repo, oid, size) {
    try {
      const s = JSON.parse(localStorage.getItem(stateKey(repo, oid)) || "null");
      if (s && s.size === size && Date.now() - s.savedAt < STATE_MAX_AGE_MS && s.href) return s;
    } catch (e) { /* unreadable or no storage: nothing to resume */ }
    return null;
  }

  function saveState(repo, oid, s) {
    s.savedAt = Date.now();
    try { localStorage.setItem(stateKey(repo, oid), JSON.stringify(s)); } catch (e) { /* full or disabled: not resumable */ }
  }

  function dropState(repo, oid) {
    try { localStorage.removeItem(stateKey(repo, oid)); } catch (e) { /* no storage */ }
  }

  // sweep drops saved states too old to resume.
  function sweep() {
    try {
      for (let i = localStorage.length - 1; i >= 0; i--) {
        const k = localStorage.key(i);
        if (!k || !k.startsWith(STATE_PREFIX)) continue;
        let s = null;
        try { s = JSON.parse(localStorage.getItem(k)); } catch (e) { s = null; }
        if (!s || !(Date.now() - s.savedAt < STATE_MAX_AGE_MS)) localStorage.removeItem(k);
      }
    } catch (e) { /* no storage */ }
  }

  // ---- HTTP ----
  // request fetches and throws an Error carrying .status (absent on a
  // network failure) and the server's message, prefixed by what.
  async function request(what, url, init) {
    let res;
    try {
      res = await fetch(url, init);
    } catch (e) {
      throw new Error(what + ": network error (" + e.message + ")");
    }
    if (res.ok) return res;
    const body = await res.text().catch(() => "");
    let msg = res.headers.get("X-Error-Message") || "";
    try { msg = JSON.parse(body).error || msg; } catch (e) { /* not JSON */ }
    const err = new Error(what + ": " + (msg || res.statusText || "failed") + " (HTTP " + res.status + ")");
    err.status = res.status;
    throw err;
  }

  // pool runs the tasks (functions returning promises) n at a time. After
  // a failure it starts no other task, waits for the running ones and
  // rejects with the first error, so that every part that did arrive is
  // recorded.
  async function pool(tasks, n) {
    let next = 0, failed = false, first = null;
    async function worker() {
      while (!failed && next < tasks.length) {
        const task = tasks[next++];
        try { await task(); } catch (e) { if (!failed) { failed = true; first = e; } }
      }
    }
    const workers = [];
    for (let i = 0; i < Math.min(n, tasks.length); i++) workers.push(worker());
    await Promise.all(workers);
    if (failed) throw first;
  }

  // ---- upload ----
  // Uploader uploads the objects of one batch to repo ("datasets/ns/name").
  class Uploader {
    constructor(o) {
      this.o = o;
      this.resumedParts = 0; // parts kept from earlier attempts
      this.partsOfResumed = 0; // all parts of the objects they belong to
    }

    batch(objects) {
      const body = { operation: "upload", transfers: ["multipart", "basic"], hash_algo: "sha256",
        ref: { name: "refs/heads/main" }, objects: objects };
      return request("LFS batch request", "/" + this.o.repo + ".git/info/lfs/objects/batch", {
        method: "POST", credentials: "same-origin", body: JSON.stringify(body),
        headers: { "X-CSRF-Token": this.o.csrf(), Accept: LFS_TYPE, "Content-Type": LFS_TYPE },
      }).then((res) => res.json());
    }

    // renew asks for a new action for one object; resume is the saved
    // completion URL, or "" for a fresh upload. null: the server holds it.
    async renew(obj, resume) {
      const req = { oid: obj.oid, size: obj.size };
      if (resume) req.resume = resume;
      const b = await this.batch([req]);
      const got = (b.objects || [])[0];
      if (!got || got.oid !== obj.oid) throw new Error("LFS batch request: no answer for " + obj.path);
      if (got.error) throw new Error(obj.path + ": " + got.error.message);
      return (got.actions && got.actions.upload) || null;
    }

    // plan turns a multipart action into the object's state: kept ETags
    // when the server resumed the saved upload, none otherwise.
    plan(obj, up) {
      const chunk = parseInt(up.header.chunk_size, 10);
      const parts = Object.keys(up.header).filter((k) => /^[0-9]+$/.test(k)).length;
      if (!(chunk > 0) || parts !== Math.ceil(obj.size / chunk)) {
        throw new Error(obj.path + ": the server sent " + parts + " part URLs for " + obj.size + " bytes in parts of " + chunk);
      }
      const old = obj.state;
      const keep = up.header.resumed === "true" && old && old.chunk === chunk && old.parts === parts;
      obj.state = { size: obj.size, chunk: chunk, parts: parts, href: up.href, etags: keep ? old.etags : {} };
      if (keep) saveState(this.o.repo, obj.oid, obj.state);
      else if (old) dropState(this.o.repo, obj.oid);
      return Object.keys(obj.state.etags).length;
    }

    partSize(obj, n) { return Math.min(obj.state.chunk, obj.size - (n - 1) * obj.state.chunk); }

    progress(obj) {
      let done = 0;
      for (const n of Object.keys(obj.state.etags)) done += this.partSize(obj, Number(n));
      this.o.onProgress(obj.oid, done);
    }

    // sendParts PUTs the parts without an ETag, then POSTs the completion.
    async sendParts(obj, up) {
      const st = obj.state;
      const missing = [];
      for (let n = 1; n <= st.parts; n++) if (!st.etags[n]) missing.push(n);
      await pool(missing.map((n) => async () => {
        const lo = (n - 1) * st.chunk;
        const what = "sending part " + n + " of " + st.parts + " of " + obj.path;
        const res = await request(what, up.header[String(n)], { method: "PUT", body: obj.file.slice(lo, lo + st.chunk) });
        const etag = res.headers.get("ETag");
        await res.arrayBuffer(); // the (small) body, so that the request ends cleanly
        if (!etag) throw new Error(what + ": the response has no ETag");
        st.etags[n] = etag;
        if (st.parts > 1) saveState(this.o.repo, obj.oid, st); // one part: nothing to resume
        this.progress(obj);
      }), PARALLEL_PARTS);
      const parts = [];
      for (let n = 1; n <= st.parts; n++) parts.push({ partNumber: n, etag: st.etags[n] });
      await request("completing the upload of " + obj.path, up.href, {
        method: "POST", body: JSON.stringify({ oid: obj.oid, parts: parts }),
        headers: { Accept: LFS_TYPE, "Content-Type": LFS_TYPE },
      });
    }

    // multipart uploads a large object. A 403 (the URLs expired) renews
    // the URLs of the same upload. A 5xx or a network error ends the
    // attempt with the state kept for a retry. Any other refusal (parts
    // gone or not matching, sha256 mismatch) drops the state; when parts
    // of an earlier attempt were reused, the object starts afresh.
    async multipart(obj, up) {
      for (let attempt = 1; ; attempt++) {
        const reused = Object.keys(obj.state.etags).length;
        try {
          await this.sendParts(obj, up);
          dropState(this.o.repo, obj.oid);
          this.o.onProgress(obj.oid, obj.size);
          return;
        } catch (e) {
          if (!e.status || e.status >= 500 || attempt >= MAX_ATTEMPTS) throw e;
          const renewing = e.status === 403;
          if (!renewing) {
            dropState(this.o.repo, obj.oid);
            if (reused === 0) throw e;
            obj.state = null;
            this.o.onRestart(obj.path);
          }
          up = await this.renew(obj, renewing ? obj.state.href : "");
          if (!up || !up.header || !up.header.chunk_size) return this.start(obj, up, true);
          this.plan(obj, up);
          this.progress(obj);
        }
      }
    }

    // basic PUTs a whole object. A 403 (its URL expired: a large set can
    // take longer than the URLs of its batch last) asks for a new action
    // once.
    async basic(obj, up, renewed) {
      try {
        await request("sending " + obj.path, up.href, { method: "PUT", body: obj.file, headers: up.header || {} });
      } catch (e) {
        if (e.status !== 403 || renewed) throw e;
        return this.start(obj, await this.renew(obj, ""), true);
      }
      this.o.onProgress(obj.oid, obj.size);
    }

    // start sends an object by a new upload action (null: held already).
    start(obj, up, renewed) {
      if (!up) {
        this.o.onProgress(obj.oid, obj.size);
        return Promise.resolve();
      }
      if (!up.header || !up.header.chunk_size) return this.basic(obj, up, renewed);
      this.plan(obj, up);
      this.progress(obj);
      return this.multipart(obj, up);
    }

    async verify(obj, v) {
      if (!v) return;
      await request("verifying " + obj.path, v.href, {
        method: "POST", credentials: "same-origin", body: JSON.stringify({ oid: obj.oid, size: obj.size }),
        headers: Object.assign({ "X-CSRF-Token": this.o.csrf(), "Content-Type": LFS_TYPE }, v.header || {}),
      });
    }

    async run(objects) {
      const answer = await this.batch(objects.map((obj) => {
        obj.state = loadState(this.o.repo, obj.oid, obj.size);
        return obj.state ? { oid: obj.oid, size: obj.size, resume: obj.state.href } : { oid: obj.oid, size: obj.size };
      }));
      const byOid = new Map(objects.map((obj) => [obj.oid, obj]));
      const tasks = [];
      for (const got of answer.objects || []) {
        const obj = byOid.get(got.oid);
        if (!obj) throw new Error("LFS batch request: answer for an unknown object " + got.oid);
        if (got.error) throw new Error(obj.path + ": " + got.error.message);
        const up = got.actions && got.actions.upload;
        if (!up) {
          dropState(this.o.repo, obj.oid);
          this.o.onProgress(obj.oid, obj.size);
          continue;
        }
        if (up.header && up.header.chunk_size) {
          const kept = this.plan(obj, up);
          this.resumedParts += kept;
          if (kept > 0) this.partsOfResumed += obj.state.parts;
          this.progress(obj);
          tasks.push(() => this.multipart(obj, up).then(() => this.verify(obj, got.actions.verify)));
        } else {
          tasks.push(() => this.basic(obj, up).then(() => this.verify(obj, got.actions.verify)));
        }
      }
      if (this.resumedParts > 0) this.o.onResume(this.resumedParts, this.partsOfResumed);
      this.o.onStatus("Uploading " + tasks.length + " of " + objects.length + " files (" +
        (objects.length - tasks.length) + " already on the server)…");
      await pool(tasks, PARALLEL_OBJECTS);
    }
  }

  // upload stores items ([{path, file}]) as LFS objects of repo
  // ("datasets/ns/name") and sets each item's oid. o: {repo, items, csrf(),
  // onProgress(oid, bytesDone), onStatus(text), onResume(partsDone,
  // partsTotal), onRestart(path)}. Identical files are sent once.
  async function upload(o) {
    o.onStatus("Computing checksums of " + o.items.length + " files…");
    for (const it of o.items) it.oid = await sha256File(it.file);
    const objects = new Map();
    for (const it of o.items) {
      if (!objects.has(it.oid)) objects.set(it.oid, { oid: it.oid, size: it.file.size, path: it.path, file: it.file });
    }
    if (objects.size) await new Uploader(o).run(Array.from(objects.values()));
  }

  window.QuarryLFS = { upload: upload, sweep: sweep, Sha256: Sha256 };
})();
