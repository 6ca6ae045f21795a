// Quarry dataset form on /training/new: the class list (one fieldset per
// class: a folder input and an editable class name) and the drop zone.
// Folders dropped on the zone or picked with its folder picker fill the
// class list (datasetdrop.js reads and classifies them); a .zip replaces
// the class list and is uploaded as is. choice() gives training.js the
// files to upload, as [{path, file}].
"use strict";
(function () {
  let zip = null; // the chosen .zip File, or null
  const dropped = new WeakMap(); // class fieldset -> {name, items: [{file, path}]}

  function el(id) { return document.getElementById(id); }
  function drop() { return window.QuarryDrop; }
  function fieldsets() { return Array.from(document.querySelectorAll("#class-list .class-folder")); }

  // inputError is a problem of the form, which a retry does not solve.
  function inputError(msg) {
    const e = new Error(msg);
    e.input = true;
    return e;
  }

  function plural(n, one, many) { return n + " " + (n === 1 ? one : many); }

  function sizeText(bytes) {
    if (bytes < 1024) return plural(bytes, "byte", "bytes");
    if (bytes < 1 << 20) return (bytes / 1024).toFixed(1) + " KB";
    return (bytes / (1 << 20)).toFixed(1) + " MB";
  }

  // renumber names the classes 1..n (legends, ids, labels) and shows the
  // remove buttons while there are more than two classes.
  function renumber() {
    const all = fieldsets();
    all.forEach((fs, i) => {
      const n = i + 1;
      const folder = fs.querySelector(".folder-input"), label = fs.querySelector(".label-input");
      const labels = fs.querySelectorAll("label");
      fs.querySelector("legend").textContent = "Class " + n;
      folder.id = "folder-" + n;
      label.id = "label-" + n;
      labels[0].htmlFor = folder.id;
      labels[0].textContent = "Folder of class " + n;
      labels[1].htmlFor = label.id;
      const rm = fs.querySelector(".remove-class");
      rm.textContent = "Remove class " + n;
      rm.hidden = all.length <= 2;
    });
  }

  // addFieldset appends an empty class to the list and returns it.
  function addFieldset() {
    const fs = fieldsets()[0].cloneNode(true);
    fs.querySelector(".folder-input").value = "";
    fs.querySelector(".label-input").value = "";
    const src = fs.querySelector(".class-source");
    src.textContent = "";
    src.hidden = true;
    el("class-list").appendChild(fs);
    renumber();
    return fs;
  }

  function className(fs) {
    const typed = fs.querySelector(".label-input").value.trim();
    if (typed) return typed;
    if (dropped.has(fs)) return dropped.get(fs).name;
    const f = fs.querySelector(".folder-input").files[0];
    return f ? (f.webkitRelativePath || "").split("/")[0] : "";
  }

  function isEmpty(fs) { return !dropped.has(fs) && !fs.querySelector(".folder-input").files.length; }

  // fill makes fs hold a dropped class; its name stays editable.
  function fill(fs, cls) {
    dropped.set(fs, cls);
    fs.querySelector(".folder-input").value = "";
    fs.querySelector(".label-input").value = cls.name;
    const src = fs.querySelector(".class-source");
    src.textContent = "From the folder " + cls.name + ": " + plural(cls.items.length, "image", "images") +
      ". Choosing a folder above replaces them.";
    src.hidden = false;
  }

  // place puts each class in the fieldset of the same name, else in the
  // first empty one, else in a new one.
  function place(classes) {
    for (const cls of classes) {
      const all = fieldsets();
      const fs = all.find((f) => className(f) === cls.name) || all.find(isEmpty) || addFieldset();
      fill(fs, cls);
    }
  }

  // suggestName fills an empty dataset name from a zip or folder name.
  function suggestName(from) {
    const field = el("upload-name");
    const name = from.replace(/\.zip$/i, "").replace(/[^A-Za-z0-9._-]+/g, "-").replace(/^[^A-Za-z0-9]+/, "");
    if (!field.value.trim() && name) field.value = name;
  }

  function setZip(file) {
    zip = file;
    el("class-list").hidden = true;
    el("add-class").hidden = true;
    el("zip-choice").hidden = false;
    el("zip-summary").textContent = file.name + " (" + sizeText(file.size) +
      "). It is uploaded as is; the server reads its classes and checks its images after the upload.";
    suggestName(file.name);
  }

  function clearZip() {
    zip = null;
    el("class-list").hidden = false;
    el("add-class").hidden = false;
    el("zip-choice").hidden = true;
  }

  // status shows lines [{text, bad}] in the zone's live region.
  function status(lines) {
    const box = el("drop-status");
    box.textContent = "";
    for (const l of lines) {
      const p = document.createElement("p");
      p.textContent = l.text;
      if (l.bad) p.className = "refused";
      box.appendChild(p);
    }
  }

  function listed(names) {
    return names.slice(0, 5).join(", ") + (names.length > 5 ? " and " + (names.length - 5) + " more" : "");
  }

  // handle classifies what read resolves to ({dirs, files}) and updates
  // the form and the status.
  async function handle(read) {
    status([{ text: "Reading…" }]);
    let res;
    try {
      res = drop().classify(await read);
    } catch (e) {
      status([{ text: "Could not read what was dropped: " + (e.message || e.name || e) + ".", bad: true }]);
      return;
    }
    const lines = [];
    if (res.zip) {
      const bad = await drop().checkZip(res.zip);
      if (bad) res.refused.push(bad);
      else {
        setZip(res.zip);
        lines.push({ text: "Chose the zip " + res.zip.name + " (" + sizeText(res.zip.size) + ")." });
      }
    }
    if (res.classes.length) {
      if (zip) clearZip();
      place(res.classes);
      if (res.parent) suggestName(res.parent);
      lines.push({ text: "Added " + plural(res.classes.length, "class", "classes") + ": " +
        res.classes.map((c) => c.name + " (" + plural(c.items.length, "image", "images") + ")").join(", ") + "." });
    }
    for (const n of res.empty) lines.push({ text: "Folder " + n + " is empty.", bad: true });
    for (const m of res.refused) lines.push({ text: "Refused: " + m + ".", bad: true });
    if (res.skipped.length) {
      lines.push({ text: "Left out " + plural(res.skipped.length, "file that is", "files that are") + " not an image: " + listed(res.skipped) + "." });
    }
    if (!lines.length) lines.push({ text: "Nothing to add: drop folders of images or a .zip file.", bad: true });
    status(lines);
  }

  function hasFiles(e) {
    return !!e.dataTransfer && Array.prototype.indexOf.call(e.dataTransfer.types || [], "Files") >= 0;
  }

  function wireZone() {
    const zone = el("drop-zone"), folderPick = el("drop-folder-input"), zipPick = el("drop-zip-input");
    const over = (e) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      e.dataTransfer.dropEffect = "copy";
      zone.classList.add("dragover");
    };
    zone.addEventListener("dragenter", over);
    zone.addEventListener("dragover", over);
    zone.addEventListener("dragleave", (e) => { if (!zone.contains(e.relatedTarget)) zone.classList.remove("dragover"); });
    zone.addEventListener("drop", (e) => {
      e.preventDefault();
      zone.classList.remove("dragover");
      const taken = drop().takeDrop(e.dataTransfer);
      handle(drop().readTaken(taken));
    });
    // files dropped beside the zone (and the file inputs, which take
    // drops themselves) must not replace the page
    const elsewhere = (e) => hasFiles(e) && !zone.contains(e.target) && !(e.target instanceof HTMLInputElement && e.target.type === "file");
    window.addEventListener("dragover", (e) => {
      if (elsewhere(e)) { e.preventDefault(); e.dataTransfer.dropEffect = "none"; }
    });
    window.addEventListener("drop", (e) => { if (elsewhere(e)) e.preventDefault(); });
    zone.addEventListener("click", (e) => { if (!e.target.closest("button, input, a")) folderPick.click(); });
    el("drop-pick-folder").addEventListener("click", () => folderPick.click());
    el("drop-pick-zip").addEventListener("click", () => zipPick.click());
    folderPick.addEventListener("change", () => {
      const read = drop().fromFileList(folderPick.files);
      folderPick.value = "";
      handle(Promise.resolve(read));
    });
    zipPick.addEventListener("change", () => {
      const files = Array.from(zipPick.files);
      zipPick.value = "";
      handle(Promise.resolve({ dirs: [], files: files }));
    });
  }

  function wireClasses() {
    const list = el("class-list");
    list.addEventListener("change", (e) => {
      if (!e.target.classList.contains("folder-input")) return;
      const fs = e.target.closest(".class-folder");
      const was = dropped.get(fs);
      if (!was) return;
      dropped.delete(fs);
      const label = fs.querySelector(".label-input");
      if (label.value === was.name) label.value = "";
      fs.querySelector(".class-source").hidden = true;
    });
    list.addEventListener("click", (e) => {
      if (!e.target.classList.contains("remove-class")) return;
      const all = fieldsets();
      const i = all.indexOf(e.target.closest(".class-folder"));
      if (all.length <= 2 || i < 0) return;
      all[i].remove();
      renumber();
      fieldsets()[Math.min(i, all.length - 2)].querySelector(".folder-input").focus();
    });
    el("add-class-button").addEventListener("click", () => addFieldset().querySelector(".folder-input").focus());
    el("zip-remove").addEventListener("click", () => {
      clearZip();
      status([{ text: "The zip is no longer chosen: choose or drop class folders." }]);
      el("drop-pick-folder").focus();
    });
  }

  // collect returns [{path, file}] of the class list ("LABEL/NAME"). The
  // class names must be distinct; files with the same name in one class
  // (from sub-folders) get "-2", "-3", ... suffixes.
  function collect() {
    const out = [], names = new Map();
    fieldsets().forEach((fs, i) => {
      const n = i + 1, d = dropped.get(fs);
      let list;
      if (d) list = d.items;
      else {
        const files = Array.from(fs.querySelector(".folder-input").files || []);
        if (!files.length) throw inputError("Choose a folder for class " + n + ".");
        list = files.filter((f) => f.name.charAt(0) !== ".").map((f) => ({ file: f, path: f.name }));
        if (!list.length) throw inputError("The folder of class " + n + " holds no files.");
      }
      const label = className(fs);
      if (!label) throw inputError("Type a name for class " + n + ".");
      if (/[\\/]/.test(label)) throw inputError("The name of class " + n + " (" + label + ") cannot contain / or \\.");
      const key = label.toLowerCase();
      if (names.has(key)) throw inputError("Classes " + names.get(key) + " and " + n + " are both named " + label + ": rename one.");
      names.set(key, n);
      const seen = new Set();
      for (const it of list) out.push({ path: label + "/" + drop().uniqueName(seen, it.path), file: it.file });
    });
    return out;
  }

  // choice returns what to upload: {zip, items: [{path, file}], what}.
  // Problems of the form are thrown with e.input set.
  function choice() {
    if (zip) return { zip: true, items: [{ path: drop().zipPath(zip.name), file: zip }], what: zip.name };
    const items = collect();
    return { zip: false, items: items, what: plural(items.length, "image", "images") };
  }

  function init() {
    renumber();
    wireZone();
    wireClasses();
  }

  window.QuarryDatasetForm = { init: init, choice: choice };
})();
