// Quarry dataset drops on /training/new: reads what is dropped on the drop
// zone (DataTransfer items, walked through FileSystemEntry trees) or picked
// with its folder picker (files with webkitRelativePath) into a tree of
// folders, then classifies it: class folders (each one a class, images
// taken from sub-folders too), a parent folder (one class per sub-folder),
// or one .zip file, which is uploaded as is and read by the server (which
// refuses unsafe zips: ../ paths, links, zip bombs). Anything else is
// refused by name. No DOM here: datasetform.js shows the result.
"use strict";
(function () {
  // IMAGE_EXTS are the image extensions the server accepts (train/dataset).
  const IMAGE_EXTS = [".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif", ".tif", ".tiff"];
  // SPLIT_NAMES are folder names the server reads as splits, not classes.
  const SPLIT_NAMES = ["train", "training", "validation", "valid", "val", "dev", "test", "testing", "eval", "evaluation"];
  const JUNK = ["__MACOSX", "Thumbs.db", "desktop.ini"];

  function ext(name) {
    const i = name.lastIndexOf(".");
    return i > 0 ? name.slice(i).toLowerCase() : "";
  }
  function isImage(name) { return IMAGE_EXTS.includes(ext(name)); }
  // isJunk: hidden and operating-system files, silently left out.
  function isJunk(name) { return name.charAt(0) === "." || JUNK.includes(name); }
  function newNode(name) { return { name: name, files: [], dirs: [] }; }

  function entryFile(entry) { return new Promise((resolve, reject) => entry.file(resolve, reject)); }
  function readBatch(reader) { return new Promise((resolve, reject) => reader.readEntries(resolve, reject)); }

  // readEntry reads a directory entry into a node ({name, files, dirs}),
  // recursively; readEntries answers in batches until an empty one.
  async function readEntry(entry) {
    const node = newNode(entry.name);
    const reader = entry.createReader();
    for (;;) {
      const batch = await readBatch(reader);
      if (!batch.length) return node;
      const files = [];
      for (const e of batch) {
        if (isJunk(e.name)) continue;
        if (e.isDirectory) node.dirs.push(await readEntry(e));
        else if (e.isFile) files.push(entryFile(e));
      }
      node.files.push(...await Promise.all(files));
    }
  }

  // takeDrop takes the entries and files of a drop's DataTransfer. It must
  // run before the drop handler returns: the items are emptied afterwards.
  function takeDrop(dt) {
    const taken = [];
    const items = dt.items ? Array.prototype.slice.call(dt.items) : [];
    for (const it of items) {
      if (it.kind !== "file") continue;
      const entry = typeof it.webkitGetAsEntry === "function" ? it.webkitGetAsEntry() : null;
      taken.push({ entry: entry, file: entry && entry.isDirectory ? null : it.getAsFile() });
    }
    if (!items.length && dt.files) for (const f of Array.prototype.slice.call(dt.files)) taken.push({ entry: null, file: f });
    return taken;
  }

  // readTaken reads what takeDrop took: {dirs: [node], files: [File]}.
  async function readTaken(taken) {
    const out = { dirs: [], files: [] };
    for (const t of taken) {
      if (t.entry && t.entry.isDirectory) {
        if (!isJunk(t.entry.name)) out.dirs.push(await readEntry(t.entry));
      } else {
        const f = t.file || (t.entry ? await entryFile(t.entry) : null);
        if (f) out.files.push(f);
      }
    }
    return out;
  }

  // fromFileList turns the files of a folder picker (webkitRelativePath
  // "FOLDER/.../NAME") into {dirs: [node], files: []}.
  function fromFileList(files) {
    const roots = new Map();
    const out = { dirs: [], files: [] };
    for (const f of Array.prototype.slice.call(files)) {
      const segs = (f.webkitRelativePath || f.name).split("/");
      if (segs.some(isJunk)) continue;
      if (segs.length < 2) { out.files.push(f); continue; }
      if (!roots.has(segs[0])) roots.set(segs[0], newNode(segs[0]));
      let node = roots.get(segs[0]);
      for (const s of segs.slice(1, -1)) {
        let next = node.dirs.find((d) => d.name === s);
        if (!next) { next = newNode(s); node.dirs.push(next); }
        node = next;
      }
      node.files.push(f);
    }
    out.dirs = Array.from(roots.values());
    return out;
  }

  // walk calls fn(file, relativePath) for every file under node.
  function walk(node, prefix, fn) {
    for (const f of node.files) fn(f, prefix + f.name);
    for (const d of node.dirs) walk(d, prefix + d.name + "/", fn);
  }

  function countImages(node) {
    let n = 0;
    walk(node, "", (f) => { if (isImage(f.name)) n++; });
    return n;
  }

  // uniqueName returns name, or name with "-2", "-3", ... before its
  // extension when seen holds it already; it adds the result to seen.
  function uniqueName(seen, name) {
    const dot = name.lastIndexOf(".");
    const stem = dot > 0 ? name.slice(0, dot) : name, tail = dot > 0 ? name.slice(dot) : "";
    let out = name;
    for (let i = 2; seen.has(out.toLowerCase()); i++) out = stem + "-" + i + tail;
    seen.add(out.toLowerCase());
    return out;
  }

  const byName = (a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

  // addClass makes node a class of the result: its images, those of
  // sub-folders flattened into it ("sub/x.png" becomes "sub-x.png"); other
  // files are skipped by name. A folder without files is empty, one with
  // files but no image is refused.
  function addClass(node, where, res) {
    const items = [], skipped = [], seen = new Set();
    let files = 0;
    walk(node, "", (f, rel) => {
      files++;
      if (isImage(f.name)) items.push({ file: f, rel: rel });
      else skipped.push(where + node.name + "/" + rel);
    });
    if (!files) { res.empty.push(where + node.name); return; }
    if (!items.length) {
      res.refused.push(where + node.name + " holds no images (" + files + (files === 1 ? " other file)" : " other files)"));
      return;
    }
    items.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
    res.classes.push({ name: node.name, items: items.map((it) => ({ file: it.file, path: uniqueName(seen, it.rel.split("/").join("-")) })) });
    res.skipped.push(...skipped);
  }

  // classifyDir reads one dropped folder: a class folder when it holds
  // images itself (or nothing but files), else a parent folder whose
  // sub-folders are the classes; a parent of split folders is refused.
  function classifyDir(node, res) {
    const direct = node.files.filter((f) => isImage(f.name));
    const subs = node.dirs.filter((d) => countImages(d) > 0);
    if (direct.length || !subs.length) { addClass(node, "", res); return; }
    const splits = subs.filter((d) => SPLIT_NAMES.includes(d.name.toLowerCase())).map((d) => d.name);
    if (splits.length) {
      res.refused.push(node.name + " holds split folders (" + splits.join(", ") + "): zip the folder and drop the .zip");
      return;
    }
    res.parent = res.parent || node.name;
    for (const f of node.files) res.skipped.push(node.name + "/" + f.name);
    for (const d of node.dirs.slice().sort(byName)) addClass(d, node.name + "/", res);
  }

  // classify turns a read drop ({dirs, files}) into {classes: [{name,
  // items: [{file, path}]}], zip, parent, refused, empty, skipped}: the
  // classes to add, or the one zip; the messages name what was refused,
  // the empty folders and the files left out.
  function classify(drop) {
    const res = { classes: [], zip: null, parent: "", refused: [], empty: [], skipped: [] };
    const zips = [];
    for (const f of drop.files) {
      if (isJunk(f.name)) continue;
      if (ext(f.name) === ".zip") zips.push(f);
      else res.refused.push(f.name + " is neither a folder of images nor a .zip file");
    }
    if (zips.length && drop.dirs.length) {
      res.refused.push("Drop either folders or one .zip, not both: " + zips.map((f) => f.name).concat(drop.dirs.map((d) => d.name)).join(", "));
      return res;
    }
    if (zips.length > 1) {
      res.refused.push("Drop one .zip at a time, not " + zips.length + ": " + zips.map((f) => f.name).join(", "));
      return res;
    }
    if (zips.length) { res.zip = zips[0]; return res; }
    for (const d of drop.dirs) classifyDir(d, res);
    return res;
  }

  // checkZip resolves to "" when the file starts like a zip archive (local
  // file header, or the end record of an empty one), else to a refusal.
  async function checkZip(file) {
    const b = new Uint8Array(await file.slice(0, 4).arrayBuffer());
    const ok = b.length === 4 && b[0] === 0x50 && b[1] === 0x4b && ((b[2] === 3 && b[3] === 4) || (b[2] === 5 && b[3] === 6));
    return ok ? "" : file.name + " is not a zip archive";
  }

  // zipPath is the repository path of an uploaded zip: its name, with
  // characters other than letters, digits, ".", "_" and "-" replaced.
  function zipPath(name) {
    const base = name.split(/[\\/]/).pop().replace(/[^A-Za-z0-9._-]/g, "_").replace(/^[._-]+/, "");
    return /\.zip$/i.test(base) && base.length > 4 ? base : "dataset.zip";
  }

  window.QuarryDrop = {
    takeDrop: takeDrop, readTaken: readTaken, readEntry: readEntry, fromFileList: fromFileList,
    classify: classify, checkZip: checkZip, zipPath: zipPath, isImage: isImage, uniqueName: uniqueName,
  };
})();
