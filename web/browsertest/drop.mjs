// Headless Chromium test of the drop zone on /training/new (issue 6),
// driven by drop_test.go, which starts a server (ONNX Runtime and the base
// model imported) and passes:
//   QUARRY_URL, QUARRY_USER, QUARRY_PASSWORD  server and a user
//   DROP_CLASSES   a folder of class folders: mine/ (images, notes.txt,
//                  .DS_Store) and no_mine/ (images, some in no_mine/more/)
//   DROP_ZIP       a .zip of class folders (wrapper folder, __MACOSX junk)
//   DROP_POSITIVE  the positive label
//   DROP_REPOS     two new dataset names: dropped folders, dropped zip
//   DROP_MODEL     name of the model trained on the zip
//   QUARRY_ARTIFACTS directory for screenshots (drop-*.png)
//   QUARRY_CHROMIUM  Chromium executable
// Scenarios:
//  1. the zone's folder picker, by keyboard (focus style checked) on the
//     parent folder, then by a click on the zone on one class folder (it
//     replaces the class of the same name); classes added and removed;
//  2. two class folders dropped: Playwright cannot make directory entries,
//     so a drop event is dispatched whose dataTransfer items return fake
//     FileSystemEntry trees (readEntries in batches) of real File objects;
//     a class renamed, uploaded, the validation report shows both classes;
//  3. refusals named in the live status: a loose file, an empty folder, a
//     folder without images (fake entries), then real DataTransfer drops
//     of report.pdf and of a fake.zip that is no zip; files dragged over
//     the page beside the zone are refused (dropEffect none), not opened;
//  4. the zip dropped as a real DataTransfer file, uploaded as is, the
//     server's validation report shows its classes, a one-candidate
//     project is started from it and succeeds.
// Drop_test.go then checks the repos' files byte for byte and the project.
import { readFileSync, readdirSync } from "node:fs";
import { basename, join } from "node:path";
import { artifactsDir, check, env, launchChromium, logger, pageTools, watchConsole } from "./lib.mjs";

const base = env("QUARRY_URL").replace(/\/$/, "");
const user = env("QUARRY_USER");
const password = env("QUARRY_PASSWORD");
const classesDir = env("DROP_CLASSES");
const zipPath = env("DROP_ZIP");
const positive = env("DROP_POSITIVE");
const [foldersRepo, zipRepo] = env("DROP_REPOS").split(",");
const model = env("DROP_MODEL");
const artifacts = artifactsDir();
const executablePath = env("QUARRY_CHROMIUM");
const log = logger("drop", Date.now());
const { shot, a11y } = pageTools(artifacts, log);
const parent = basename(classesDir);

// readTree reads a folder into {name, files: [{name, b64}], dirs}.
function readTree(dir) {
  const out = { name: basename(dir), files: [], dirs: [] };
  for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (e.isDirectory()) out.dirs.push(readTree(join(dir, e.name)));
    else out.files.push({ name: e.name, b64: readFileSync(join(dir, e.name)).toString("base64") });
  }
  return out;
}
const b64 = (s) => Buffer.from(s).toString("base64");

async function signIn(page) {
  await page.goto(`${base}/training/new`);
  await page.getByLabel("Name").fill(user);
  await page.getByLabel("Password").fill(password);
  await page.getByLabel("Password").press("Enter");
  await page.waitForURL(`${base}/training/new`);
  log("signed in, on /training/new");
}

// dropStatus waits for the zone's status to settle and returns its lines.
async function dropStatus(page) {
  await page.waitForFunction(() => {
    const p = document.querySelector("#drop-status p");
    return p && p.textContent !== "Reading…";
  }, null, { timeout: 30_000 });
  return (await page.locator("#drop-status p").allTextContents()).map((s) => s.trim());
}

async function expectStatus(page, want, what) {
  const got = await dropStatus(page);
  const ok = got.length === want.length && got.every((g, i) => (want[i] instanceof RegExp ? want[i].test(g) : g === want[i]));
  check(ok, `${what}: status\n  ${got.join("\n  ")}\nwant\n  ${want.join("\n  ")}`);
  log(`${what}: ${got.join(" / ")}`);
}

// fakeDrop dispatches dragover then drop on the zone with a dataTransfer
// whose items give FileSystemEntry-like trees of dirs ([readTree]) and
// file entries of files ([{name, b64}]).
async function fakeDrop(page, dirs, files = []) {
  const r = await page.evaluate(([dirs, files]) => {
    const later = (fn) => setTimeout(fn, 0);
    const toFile = (s) => new File([Uint8Array.from(atob(s.b64), (c) => c.charCodeAt(0))], s.name);
    const fileEntry = (f) => ({ isFile: true, isDirectory: false, name: f.name, file: (ok) => later(() => ok(f)) });
    const dirEntry = (d) => {
      const children = [...d.files.map((s) => fileEntry(toFile(s))), ...d.dirs.map(dirEntry)];
      return {
        isFile: false, isDirectory: true, name: d.name,
        createReader() {
          let at = 0;
          return { readEntries(ok) { const b = children.slice(at, at + 3); at += 3; later(() => ok(b)); } };
        },
      };
    };
    const entries = [...dirs.map(dirEntry), ...files.map((s) => fileEntry(toFile(s)))];
    const dt = { types: ["Files"], files: [], dropEffect: "none",
      items: entries.map((e) => ({ kind: "file", webkitGetAsEntry: () => e, getAsFile: () => null })) };
    const zone = document.getElementById("drop-zone");
    const fire = (type) => {
      const ev = new Event(type, { bubbles: true, cancelable: true });
      Object.defineProperty(ev, "dataTransfer", { value: dt });
      zone.dispatchEvent(ev);
      return ev.defaultPrevented;
    };
    const accepted = fire("dragover");
    const highlighted = zone.classList.contains("dragover");
    const handled = fire("drop");
    return { accepted, highlighted, handled, effect: dt.dropEffect, after: zone.classList.contains("dragover") };
  }, [dirs, files]);
  check(r.accepted && r.highlighted && r.effect === "copy", `dragover not accepted: ${JSON.stringify(r)}`);
  check(r.handled && !r.after, `drop not handled: ${JSON.stringify(r)}`);
}

// realDrop drops files ([{name, b64, type}]) on the zone through a
// DataTransfer made in the page, as the browser would dispatch it.
async function realDrop(page, files) {
  const r = await page.evaluate((files) => {
    const dt = new DataTransfer();
    for (const s of files) dt.items.add(new File([Uint8Array.from(atob(s.b64), (c) => c.charCodeAt(0))], s.name, { type: s.type }));
    const zone = document.getElementById("drop-zone");
    const over = new DragEvent("dragover", { bubbles: true, cancelable: true, dataTransfer: dt });
    zone.dispatchEvent(over);
    const drop = new DragEvent("drop", { bubbles: true, cancelable: true, dataTransfer: dt });
    zone.dispatchEvent(drop);
    return { accepted: over.defaultPrevented, handled: drop.defaultPrevented };
  }, files);
  check(r.accepted && r.handled, `real drop not handled: ${JSON.stringify(r)}`);
}

async function labels(page) {
  return page.locator("#class-list .label-input").evaluateAll((els) => els.map((e) => e.value));
}

// pickFolders: keyboard and mouse reach the zone's folder picker.
async function pickFolders(page) {
  await page.locator("#upload-name").focus();
  await page.keyboard.press("Tab");
  const focus = await page.evaluate(() => {
    const b = document.activeElement, zone = document.getElementById("drop-zone");
    return { id: b.id, outline: getComputedStyle(b).outlineStyle, zone: getComputedStyle(zone).borderTopStyle };
  });
  check(focus.id === "drop-pick-folder" && focus.outline === "solid" && focus.zone === "solid", `keyboard focus ${JSON.stringify(focus)}`);
  let [chooser] = await Promise.all([page.waitForEvent("filechooser"), page.keyboard.press("Enter")]);
  check(chooser.isMultiple() && (await chooser.element().getAttribute("id")) === "drop-folder-input", "Enter did not open the folder picker");
  await chooser.setFiles(classesDir);
  await expectStatus(page, ["Added 2 classes: mine (8 images), no_mine (8 images).",
    `Left out 1 file that is not an image: ${parent}/mine/notes.txt.`], "parent folder picked");
  check(JSON.stringify(await labels(page)) === JSON.stringify(["mine", "no_mine"]), `class names ${await labels(page)}`);
  check((await page.locator("#upload-name").inputValue()) === parent, "dataset name not suggested from the folder");
  const sources = await page.locator("#class-list .class-source").allTextContents();
  check(sources[1] === "From the folder no_mine: 8 images. Choosing a folder above replaces them.", `class 2 source: ${sources[1]}`);

  [chooser] = await Promise.all([page.waitForEvent("filechooser"), page.locator("#drop-title").click()]);
  await chooser.setFiles(join(classesDir, "mine"));
  await expectStatus(page, ["Added 1 class: mine (8 images).", "Left out 1 file that is not an image: mine/notes.txt."], "class folder picked by a click on the zone");
  check((await page.locator("#class-list fieldset").count()) === 2, "a class of the same name was not replaced");

  check(await page.locator("#class-list .remove-class").evaluateAll((b) => b.every((x) => x.hidden)), "remove shown with two classes");
  await page.getByRole("button", { name: "Add another class" }).click();
  check((await page.locator("#class-list fieldset").count()) === 3, "no third class");
  check(await page.getByLabel("Folder of class 3").evaluate((e) => e === document.activeElement), "new class not focused");
  await a11y(page, "/training/new with three classes");
  await shot(page, "drop-01-picked.png");
  await page.getByRole("button", { name: "Remove class 3" }).click();
  check((await page.locator("#class-list fieldset").count()) === 2, "class 3 not removed");
}

// dropFolders: two class folders dropped, one renamed, then uploaded.
async function dropFolders(page) {
  await page.reload();
  await fakeDrop(page, [readTree(join(classesDir, "mine")), readTree(join(classesDir, "no_mine"))]);
  await expectStatus(page, ["Added 2 classes: mine (8 images), no_mine (8 images).",
    "Left out 1 file that is not an image: mine/notes.txt."], "two class folders dropped");
  check(JSON.stringify(await labels(page)) === JSON.stringify(["mine", "no_mine"]), `class names ${await labels(page)}`);
  await page.locator("#label-2").fill("clear");
  await page.getByLabel("Positive label").fill(positive);
  await page.getByLabel("New dataset name").fill(foldersRepo);
  await a11y(page, "/training/new after a drop of two folders");
  await page.getByRole("button", { name: "Upload dataset" }).click();
  await page.locator("#upload-status").filter({ hasText: `Uploaded 16 images to dataset ${user}/${foldersRepo}.` }).waitFor({ timeout: 120_000 });
  await page.locator("#report h3").filter({ hasText: "Dataset ready to train" }).waitFor({ timeout: 60_000 });
  const rows = (await page.locator("#report tbody tr th").allTextContents()).sort();
  check(JSON.stringify(rows) === JSON.stringify(["clear", "mine"]), `report classes ${rows}`);
  check((await page.locator("#dataset").inputValue()) === `${user}/${foldersRepo}`, "dataset not selected");
  log(`dropped folders uploaded and valid: ${rows}`);
  await shot(page, "drop-02-folders-validated.png");
}

// refusals: what is neither a folder of images nor a zip is named.
async function refusals(page) {
  await fakeDrop(page, [{ name: "empty-class", files: [], dirs: [] }, { name: "docs", files: [{ name: "a.txt", b64: b64("text") }], dirs: [] }],
    [{ name: "notes.txt", b64: b64("notes") }]);
  await expectStatus(page, ["Folder empty-class is empty.", "Refused: notes.txt is neither a folder of images nor a .zip file.",
    "Refused: docs holds no images (1 other file)."], "fake refusals");
  await realDrop(page, [{ name: "report.pdf", b64: b64("%PDF-1.4"), type: "application/pdf" }]);
  await expectStatus(page, ["Refused: report.pdf is neither a folder of images nor a .zip file."], "real drop of a pdf");
  await realDrop(page, [{ name: "fake.zip", b64: b64("hello"), type: "application/zip" }]);
  await expectStatus(page, ["Refused: fake.zip is not a zip archive."], "real drop of a fake zip");
  const beside = await page.evaluate(() => {
    const over = (el) => {
      const dt = new DataTransfer();
      dt.items.add(new File(["x"], "x.png"));
      const ev = new DragEvent("dragover", { bubbles: true, cancelable: true, dataTransfer: dt });
      el.dispatchEvent(ev);
      return { refused: ev.defaultPrevented, effect: dt.dropEffect };
    };
    return { heading: over(document.querySelector("h1")), input: over(document.getElementById("folder-1")) };
  });
  check(beside.heading.refused && beside.heading.effect === "none" && !beside.input.refused,
    `files over the page beside the zone ${JSON.stringify(beside)}: the page must refuse them, file inputs take them`);
  check(JSON.stringify(await labels(page)) === JSON.stringify(["mine", "clear"]), `class list changed: ${await labels(page)}`);
  check(await page.locator("#zip-choice").isHidden(), "zip chosen after a refusal");
  check((await page.locator("#drop-status p.refused").count()) === 1, "refusal not marked");
  await a11y(page, "/training/new with refusals");
  await shot(page, "drop-03-refused.png");
}

// dropZip: the zip dropped, uploaded, validated and trained on.
async function dropZip(page) {
  await page.reload();
  const zip = [{ name: basename(zipPath), b64: readFileSync(zipPath).toString("base64"), type: "application/zip" }];
  const chosen = new RegExp(`^Chose the zip ${basename(zipPath).replace(".", "\\.")} \\(\\d+\\.\\d (KB|MB)\\)\\.$`);
  await realDrop(page, zip);
  await expectStatus(page, [chosen], "zip dropped");
  check(await page.locator("#class-list").isHidden(), "class list shown with a zip");
  check((await page.locator("#upload-name").inputValue()) === basename(zipPath, ".zip"), "dataset name not suggested from the zip");
  await page.getByRole("button", { name: "Use class folders instead" }).click();
  check(await page.locator("#class-list").isVisible() && await page.locator("#zip-choice").isHidden(), "zip not removed");
  check(await page.locator("#drop-pick-folder").evaluate((e) => e === document.activeElement), "focus lost after removing the zip");
  await realDrop(page, zip);
  await expectStatus(page, [chosen], "zip dropped again");
  await page.getByLabel("New dataset name").fill(zipRepo);
  await page.getByLabel("Positive label").fill(positive);
  await a11y(page, "/training/new with a zip");
  await shot(page, "drop-04-zip-chosen.png");
  await page.getByRole("button", { name: "Upload dataset" }).click();
  await page.locator("#upload-status").filter({ hasText: `Uploaded ${basename(zipPath)} to dataset ${user}/${zipRepo}.` }).waitFor({ timeout: 120_000 });
  await page.locator("#report h3").filter({ hasText: "Dataset ready to train" }).waitFor({ timeout: 60_000 });
  const rows = (await page.locator("#report tbody tr th").allTextContents()).sort();
  check(JSON.stringify(rows) === JSON.stringify(["mine", "no_mine"]), `report classes of the zip ${rows}`);
  log(`zip uploaded and valid: ${(await page.locator("#report tbody tr").allTextContents()).join(" | ")}`);
  await shot(page, "drop-05-zip-validated.png");

  for (const box of await page.locator('input[name="candidate"]').all()) {
    if (!(await box.getAttribute("value")).endsWith("|logreg")) await box.uncheck();
  }
  check((await page.locator('input[name="candidate"]:checked').count()) === 1, "not one candidate");
  await page.getByLabel("Model name").fill(model);
  await page.getByRole("button", { name: "Start training" }).click();
  await page.waitForURL(/\/training\/[0-9a-f]{16}$/);
  log(`project ${page.url()} started from the zip`);
  const deadline = Date.now() + 8 * 60_000;
  for (;;) {
    const state = (await page.locator("#project-state").textContent({ timeout: 30_000 }).catch(() => "")).trim();
    if (state && state !== "running") break;
    check(Date.now() < deadline, "the project still runs after 8 minutes");
    await page.waitForTimeout(1000);
  }
  await page.waitForLoadState("load");
  const state = (await page.locator("#project-state").textContent()).trim();
  check(state === "succeeded", `project ended ${state}`);
  check((await page.locator("#leaderboard tbody tr").count()) === 1, "leaderboard is not one row");
  await a11y(page, "project trained on the zip");
  await shot(page, "drop-06-project.png");
}

const browser = await launchChromium(executablePath);
try {
  log(`Chromium ${browser.version()} against ${base}`);
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  context.setDefaultTimeout(20_000);
  const page = await context.newPage();
  const watch = watchConsole(page);
  await page.route("**/favicon.ico", (r) => r.fulfill({ status: 204 })); // the site has none
  // Playwright intercepts file choosers once a listener exists; a
  // listener added by waitForEvent just before the key press can lose
  // the race with the chooser, so one is kept from the start.
  page.on("filechooser", () => {});
  await signIn(page);
  await a11y(page, "/training/new");
  await pickFolders(page);
  await dropFolders(page);
  await refusals(page);
  await dropZip(page);
  check(watch.problems.length === 0, `console problems:\n  ${watch.problems.join("\n  ")}`);
  log("ok");
} catch (err) {
  process.stderr.write(`${err.stack || err}\n`);
  process.exitCode = 1;
  const page = browser.contexts()[0]?.pages()[0];
  if (page) await shot(page, "drop-failure.png").catch(() => {});
} finally {
  await browser.close();
}
