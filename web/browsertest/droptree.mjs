// Checks web/static/datasetdrop.js in Node, on fake FileSystemEntry trees
// (readEntries answering in small batches, as Chromium does for large
// folders) and fake DataTransfers: class folders, a parent folder, split
// folders, empty and image-less folders, loose files, zips, junk files,
// name clashes of flattened sub-folders, picked folders
// (webkitRelativePath) and zip names. Driven by drop_test.go; exits 1 on a
// mismatch.
import { deepStrictEqual } from "node:assert/strict";
import { readFileSync } from "node:fs";
import { check, logger } from "./lib.mjs";

const log = logger("droptree");
globalThis.window = {};
new Function(readFileSync(new URL("../static/datasetdrop.js", import.meta.url), "utf8"))();
const D = globalThis.window.QuarryDrop;

const file = (name, body = "x") => new File([body], name);
const later = (fn) => setTimeout(fn, 0);

// fileEntry and dirEntry mimic FileSystemFileEntry and
// FileSystemDirectoryEntry; a directory reads back BATCH entries a call.
const BATCH = 2;
function fileEntry(f) {
  return { isFile: true, isDirectory: false, name: f.name, file: (ok) => later(() => ok(f)) };
}
function dirEntry(name, children, fail) {
  return {
    isFile: false, isDirectory: true, name,
    createReader() {
      let at = 0;
      return {
        readEntries(ok, bad) {
          if (fail) return later(() => bad(new Error(fail)));
          const b = children.slice(at, at + BATCH);
          at += BATCH;
          later(() => ok(b));
        },
      };
    },
  };
}
// tree builds entries from {name: "content" | {sub-tree}}.
function tree(name, spec, fail) {
  return dirEntry(name, Object.entries(spec).map(([k, v]) => (typeof v === "string" ? fileEntry(file(k, v)) : tree(k, v))), fail);
}
// transfer is a DataTransfer-like object of entries.
function transfer(entries) {
  return {
    types: ["Files"],
    items: entries.map((e) => ({
      kind: "file",
      webkitGetAsEntry: () => e,
      getAsFile: () => (e.isFile ? file(e.name) : null),
    })),
  };
}

async function dropped(entries) {
  return D.classify(await D.readTaken(D.takeDrop(transfer(entries))));
}

// summary reduces a classification to names and paths.
function summary(res) {
  return {
    classes: res.classes.map((c) => [c.name, c.items.map((it) => it.path)]),
    zip: res.zip ? res.zip.name : null, parent: res.parent,
    refused: res.refused, empty: res.empty, skipped: res.skipped,
  };
}
const none = { classes: [], zip: null, parent: "", refused: [], empty: [], skipped: [] };
const imgs = (prefix, n) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`${prefix}${i}.png`, "png"]));
const paths = (prefix, n) => Array.from({ length: n }, (_, i) => `${prefix}${i}.png`);

const cases = [
  ["two class folders, nested images flattened, junk and non-images left out", [
    tree("mine", { "b.png": "1", "a.jpg": "2", ".DS_Store": "j", "notes.txt": "t", sub: { "c.PNG": "3", deeper: { "d.webp": "4" } } }),
    tree("no_mine", imgs("n", 5)),
  ], { ...none, classes: [["mine", ["a.jpg", "b.png", "sub-c.PNG", "sub-deeper-d.webp"]], ["no_mine", paths("n", 5)]], skipped: ["mine/notes.txt"] }],
  ["a parent folder: one class per sub-folder, sorted; an empty one reported", [
    tree("tiles", { "README.md": "r", zeta: imgs("z", 3), alpha: imgs("a", 2), empty: {}, __MACOSX: { "._a0.png": "j" } }),
  ], { ...none, classes: [["alpha", paths("a", 2)], ["zeta", paths("z", 3)]], parent: "tiles", empty: ["tiles/empty"], skipped: ["tiles/README.md"] }],
  ["a parent of split folders is refused", [tree("data", { train: { mine: imgs("m", 2) }, validation: { mine: imgs("v", 1) } })],
    { ...none, refused: ["data holds split folders (train, validation): zip the folder and drop the .zip"] }],
  ["empty folder and image-less folder", [tree("nothing", {}), tree("docs", { "a.txt": "a", "b.csv": "b" })],
    { ...none, empty: ["nothing"], refused: ["docs holds no images (2 other files)"] }],
  ["a loose file is refused by name, folders beside it still count", [fileEntry(file("notes.txt")), tree("mine", imgs("m", 1))],
    { ...none, classes: [["mine", ["m0.png"]]], refused: ["notes.txt is neither a folder of images nor a .zip file"] }],
  ["a loose image is refused too", [fileEntry(file("photo.png"))], { ...none, refused: ["photo.png is neither a folder of images nor a .zip file"] }],
  ["one zip", [fileEntry(file("Tiles.ZIP"))], { ...none, zip: "Tiles.ZIP" }],
  ["a zip beside folders is refused", [fileEntry(file("t.zip")), tree("mine", imgs("m", 1))],
    { ...none, refused: ["Drop either folders or one .zip, not both: t.zip, mine"] }],
  ["two zips are refused", [fileEntry(file("a.zip")), fileEntry(file("b.zip"))], { ...none, refused: ["Drop one .zip at a time, not 2: a.zip, b.zip"] }],
  ["flattened names that clash get suffixes", [tree("c", { "a-b.png": "1", a: { "b.png": "2" }, "A-B-2.png": "3" })],
    { ...none, classes: [["c", ["A-B-2.png", "a-b.png", "a-b-3.png"]]] }],
  ["a dropped junk folder is ignored", [tree(".git", { "x.png": "1" }), tree("__MACOSX", { "x.png": "1" })], none],
];

let n = 0;
for (const [name, entries, want] of cases) {
  const got = summary(await dropped(entries));
  try {
    deepStrictEqual(got, want);
  } catch (e) {
    check(false, `${name}:\n${e.message}`);
  }
  n++;
}

// Contents travel with their (flattened) names.
{
  const res = await dropped([tree("c", { "x.png": "top", s: { "x.png": "nested" } })]);
  const texts = await Promise.all(res.classes[0].items.map(async (it) => [it.path, await it.file.text()]));
  deepStrictEqual(texts, [["s-x.png", "nested"], ["x.png", "top"]]);
  n++;
}

// A reading error rejects the read.
{
  let err = null;
  await D.readTaken(D.takeDrop(transfer([tree("locked", {}, "NotReadableError")]))).catch((e) => { err = e; });
  check(err && err.message === "NotReadableError", `read error: ${err}`);
  n++;
}

// A DataTransfer without items (older browsers) falls back to its files.
{
  const res = D.classify(await D.readTaken(D.takeDrop({ files: [file("only.zip")] })));
  check(res.zip && res.zip.name === "only.zip", "files fallback");
  n++;
}

// A picked folder (webkitRelativePath) reads like a dropped one.
{
  const picked = (rel) => Object.defineProperty(file(rel.split("/").pop()), "webkitRelativePath", { value: rel });
  const files = ["set/mine/m0.png", "set/mine/m1.png", "set/no_mine/n0.png", "set/no_mine/deep/n1.png", "set/.hidden/x.png", "set/mine/.DS_Store"].map(picked);
  deepStrictEqual(summary(D.classify(D.fromFileList(files))),
    { ...none, classes: [["mine", ["m0.png", "m1.png"]], ["no_mine", ["deep-n1.png", "n0.png"]]], parent: "set" });
  const one = ["mine/m0.png", "mine/m1.png"].map(picked);
  deepStrictEqual(summary(D.classify(D.fromFileList(one))), { ...none, classes: [["mine", ["m0.png", "m1.png"]]] });
  n += 2;
}

// Zip signatures and repository paths.
for (const [bytes, want] of [[[0x50, 0x4b, 3, 4, 0], ""], [[0x50, 0x4b, 5, 6], ""], [[0x68, 0x65, 0x6c, 0x6c, 0x6f], "x.zip is not a zip archive"], [[0x50, 0x4b], "x.zip is not a zip archive"]]) {
  const got = await D.checkZip(new File([new Uint8Array(bytes)], "x.zip"));
  check(got === want, `checkZip(${bytes}) = ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
  n++;
}
for (const [name, want] of [["tiles.zip", "tiles.zip"], ["My tiles (v2).ZIP", "My_tiles__v2_.ZIP"], ["../../evil.zip", "evil.zip"],
  ["C:\\Users\\me\\set.zip", "set.zip"], [".zip", "dataset.zip"], ["..zip", "dataset.zip"], ["été.zip", "t_.zip"]]) {
  const got = D.zipPath(name);
  check(got === want, `zipPath(${name}) = ${got}, want ${want}`);
  n++;
}
log(`${n} cases pass`);
