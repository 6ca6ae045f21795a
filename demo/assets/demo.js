// Quarry demo page: vanilla JS, talks to the Gradio-compatible API at the demo root.
"use strict";
(function () {
  const main = document.getElementById("demo");
  const root = main.dataset.root;
  const maxSize = Number(main.dataset.maxFileSize);
  const $ = (id) => document.getElementById(id);
  const drop = $("drop"), input = $("file"), preview = $("preview"), heat = $("heat");
  const session = Math.random().toString(36).slice(2, 12);
  let current = null; // { path, prediction }
  let file = null;
  // Signed-in readers: the session cookie authenticates POSTs only with the
  // session's CSRF token in a header (a cross-site form cannot send one).
  const csrf = main.dataset.csrfToken ? { [main.dataset.csrfHeader]: main.dataset.csrfToken } : {};
  const post = (url, body, type) => fetch(url, { method: "POST", body: body,
    headers: Object.assign(type ? { "Content-Type": type } : {}, csrf) });

  function show(el, on) { if (el) el.hidden = !on; }
  function error(msg) { $("error").textContent = msg; show($("error"), !!msg); }

  async function json(resp) {
    let body = null;
    try { body = await resp.json(); } catch (e) { body = { error: "HTTP " + resp.status }; }
    if (!resp.ok) {
      let msg = body.error || body.detail || "HTTP " + resp.status;
      if (resp.status === 429 && resp.headers.get("Retry-After")) msg += " (retry in " + resp.headers.get("Retry-After") + " s)";
      throw new Error(msg);
    }
    return body;
  }

  async function upload(f) {
    const form = new FormData();
    form.append("files", f, f.name || "blob");
    const paths = await json(await post(root + "/gradio_api/upload", form));
    return paths[0];
  }

  function renderPrediction(p) {
    $("top-label").textContent = p.label;
    $("top-score").textContent = (100 * p.confidences[0].confidence).toFixed(1) + "%";
    const bars = $("bars");
    bars.replaceChildren();
    for (const c of p.confidences) {
      const li = document.createElement("li");
      const name = document.createElement("div");
      name.className = "name";
      const l = document.createElement("span"), v = document.createElement("span");
      l.textContent = c.label;
      v.textContent = (100 * c.confidence).toFixed(1) + "%";
      name.append(l, v);
      const track = document.createElement("div"), fill = document.createElement("div");
      track.className = "track"; fill.className = "fill";
      fill.style.width = (100 * c.confidence).toFixed(2) + "%";
      track.append(fill);
      li.append(name, track);
      bars.append(li);
    }
    show($("result"), true);
    const sel = $("flag-label");
    if (sel) sel.value = p.label;
  }

  function renderScan(r) {
    heat.src = r.heatmap;
    show(heat, true);
    $("scan-summary").textContent = r.positive_count + " of " + r.windows + " windows (" + r.window.w + "×" + r.window.h +
      " px, stride " + r.stride.x + ") score ≥ " + r.threshold + " for “" + r.label + "” on a " + r.width + "×" + r.height + " image.";
    const list = $("windows");
    list.replaceChildren();
    for (const w of r.positives) {
      const li = document.createElement("li");
      li.textContent = "x=" + w.x + " y=" + w.y + " w=" + w.w + " h=" + w.h + "  " + (100 * w.score).toFixed(1) + "%";
      list.append(li);
    }
    show($("scan-result"), true);
  }

  // clearPreview empties the drop zone, bringing its hint text back.
  function clearPreview() {
    if (preview.src.startsWith("blob:")) URL.revokeObjectURL(preview.src);
    preview.removeAttribute("src");
    show(preview, false); show(heat, false);
    drop.classList.remove("has-image");
  }

  // A file the browser cannot display (not an image) leaves the hint shown.
  preview.addEventListener("error", () => { if (preview.getAttribute("src")) clearPreview(); });

  let seq = 0; // the latest run; answers of earlier runs are dropped

  async function run(f) {
    const mine = ++seq;
    const stale = () => mine !== seq;
    error("");
    show($("result"), false); show($("scan-result"), false); show(heat, false);
    const flag = $("flag"); show(flag, false);
    if (f.size > maxSize) { clearPreview(); error("The file is larger than this demo's limit of " + main.dataset.maxFileSizeText + "."); return; }
    file = f;
    if (preview.src.startsWith("blob:")) URL.revokeObjectURL(preview.src);
    preview.src = URL.createObjectURL(f);
    show(preview, true);
    drop.classList.add("has-image");
    show($("busy"), true);
    try {
      const path = await upload(f);
      if (stale()) return;
      current = { path: path, prediction: null };
      if ($("scan").checked) {
        const r = await json(await post(root + "/scan",
          JSON.stringify({ path: path, label: $("scan-label").value }), "application/json"));
        if (stale()) return;
        renderScan(r);
      } else {
        const out = await json(await post(root + "/gradio_api/run/predict",
          JSON.stringify({ data: [{ path: path, meta: { _type: "gradio.FileData" } }], fn_index: 0, session_hash: session }),
          "application/json"));
        if (stale()) return;
        current.prediction = out.data[0];
        renderPrediction(out.data[0]);
      }
      show(flag, true);
    } catch (e) {
      if (stale()) return;
      file = null; current = null;
      clearPreview();
      error(e.message);
    } finally {
      if (!stale()) show($("busy"), false);
    }
  }

  input.addEventListener("change", () => { if (input.files[0]) run(input.files[0]); input.value = ""; });
  drop.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); input.click(); } });
  for (const ev of ["dragenter", "dragover"]) drop.addEventListener(ev, (e) => { e.preventDefault(); drop.classList.add("over"); });
  for (const ev of ["dragleave", "drop"]) drop.addEventListener(ev, () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => { e.preventDefault(); const f = e.dataTransfer.files[0]; if (f) run(f); });
  document.addEventListener("paste", (e) => {
    const f = [...(e.clipboardData ? e.clipboardData.files : [])].find((x) => x.type.startsWith("image/"));
    if (f) run(f);
  });
  $("scan").addEventListener("change", () => { if (file) run(file); });
  $("scan-label").addEventListener("change", () => { if (file && $("scan").checked) run(file); });
  $("clear").addEventListener("click", () => {
    seq++; file = null; current = null; error("");
    clearPreview(); show($("busy"), false);
    show($("result"), false); show($("scan-result"), false); show($("flag"), false);
  });
  for (const b of document.querySelectorAll(".example")) {
    b.addEventListener("click", async () => {
      try {
        const resp = await fetch(b.dataset.src);
        if (!resp.ok) throw new Error("Example not available (HTTP " + resp.status + ")");
        const blob = await resp.blob();
        run(new File([blob], b.dataset.src.split("/").pop(), { type: blob.type }));
      } catch (e) { error(e.message); }
    });
  }
  const flag = $("flag");
  if (flag) {
    flag.addEventListener("submit", async (e) => {
      e.preventDefault();
      if (!current) return;
      $("flag-status").textContent = "Saving…";
      try {
        await json(await post(root + "/flag",
          JSON.stringify({ path: current.path, label: $("flag-label").value, prediction: current.prediction }), "application/json"));
        $("flag-status").textContent = "Flagged, thank you.";
      } catch (err) {
        $("flag-status").textContent = err.message;
      }
    });
  }
})();
