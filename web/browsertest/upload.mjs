// Headless Chromium test of the resumable dataset upload on /training/new
// (issue 6), driven by upload_test.go, which starts a server and passes:
//   QUARRY_URL, QUARRY_USER, QUARRY_PASSWORD  server and a user
//   UPLOAD_CLASS1, UPLOAD_CLASS2  class folders; CLASS1 holds UPLOAD_BIG
//   UPLOAD_BIG       "LABEL/NAME" of the file over the multipart threshold
//   UPLOAD_BIG_OID   its sha256
//   UPLOAD_PARTS     its number of multipart parts
//   UPLOAD_POSITIVE  the positive label
//   UPLOAD_REPOS     three new dataset names, one per scenario
//   QUARRY_ARTIFACTS directory for screenshots (upload-*.png)
//   QUARRY_CHROMIUM  Chromium executable
// Scenarios, each cutting the part PUTs (page.route) after a few parts:
//  1. reload the page and upload again: only the missing parts are sent
//     (counted), "Resuming: N of M parts already uploaded" is shown, small
//     files already stored are not sent again, the report appears;
//  2. corrupt a kept part ETag, then "Retry upload": the server refuses the
//     completion and the page sends the whole file again, then succeeds;
//  3. corrupt the kept upload URL (the server treats it like an expired
//     one), then "Retry upload": a fresh upload of every part, no resume.
// Upload_test.go then checks each repo's files byte for byte.
import { artifactsDir, check, env, launchChromium, logger, pageTools } from "./lib.mjs";

const base = env("QUARRY_URL").replace(/\/$/, "");
const user = env("QUARRY_USER");
const password = env("QUARRY_PASSWORD");
const class1 = env("UPLOAD_CLASS1");
const class2 = env("UPLOAD_CLASS2");
const bigPath = env("UPLOAD_BIG");
const bigOID = env("UPLOAD_BIG_OID");
const parts = Number(env("UPLOAD_PARTS"));
const positive = env("UPLOAD_POSITIVE");
const [reloadRepo, badPartRepo, refusedRepo] = env("UPLOAD_REPOS").split(",");
const artifacts = artifactsDir();
const executablePath = env("QUARRY_CHROMIUM");
const log = logger("upload", Date.now());
const { shot, a11y } = pageTools(artifacts, log);
const STATE_PREFIX = "quarry-lfs-upload:";

// Traffic records the LFS transfers of a page, whatever the store (the
// server's signed URLs, or S3's presigned ones). It intercepts the batch
// answers (the page gets each only once it is read) to learn every
// transfer URL: part PUTs (object, part number, the action they belong to
// and whether it resumed an upload), basic PUTs and completions. Each
// request is then recorded with the status of its answer (0 while none,
// -1 when aborted).
class Traffic {
  constructor() {
    this.urls = new Map();
    this.actions = 0;
    this.reset();
  }

  async install(page) {
    await page.route("**/info/lfs/objects/batch", async (route) => {
      const res = await route.fetch();
      const body = await res.json();
      for (const o of body.objects || []) this.learn(o);
      await route.fulfill({ response: res, json: body });
    });
    page.on("request", (r) => {
      const m = this.urls.get(new URL(r.url()).href);
      if (m) this.events.push({ ...m, request: r, status: 0 });
    });
    page.on("response", (res) => {
      const e = this.events.find((x) => x.request === res.request());
      if (e) e.status = res.status();
    });
    page.on("requestfailed", (r) => {
      const e = this.events.find((x) => x.request === r);
      if (e && e.status === 0) e.status = -1; // not the end of a body after an answer
    });
  }

  learn(o) {
    const up = o.actions && o.actions.upload;
    if (!up) return;
    const action = ++this.actions;
    const header = up.header || {};
    const resumed = header.resumed === "true";
    const put = (url, m) => this.urls.set(new URL(url).href, { oid: o.oid, action, resumed, ...m });
    if (!header.chunk_size) return put(up.href, { kind: "basic" });
    for (const [k, v] of Object.entries(header)) if (/^\d+$/.test(k)) put(v, { kind: "part", n: Number(k) });
    put(up.href, { kind: "complete" });
  }

  isBigPart(url) {
    const m = this.urls.get(url.href);
    return !!m && m.kind === "part" && m.oid === bigOID;
  }

  reset() { this.events = []; }

  // big returns the recorded requests of kind for the big file.
  big(kind, status) {
    return this.events.filter((e) => e.oid === bigOID && e.kind === kind && (status === undefined || e.status === status));
  }

  // smallStored returns the other objects stored: completed, or PUT whole.
  smallStored() {
    return this.events.filter((e) => e.oid !== bigOID && e.status === 200 && e.kind !== "part").map((e) => e.oid);
  }

  // smallSent returns the other objects whose bytes were sent.
  smallSent() {
    return this.events.filter((e) => e.oid !== bigOID && e.kind !== "complete").map((e) => e.oid);
  }
}

// cutParts lets the first k part PUTs of the big file through and aborts
// the others, as a dropped connection would; it returns a function that
// lifts the cut.
async function cutParts(page, traffic, k) {
  let passed = 0;
  const match = (url) => traffic.isBigPart(url);
  const handler = (route) => (passed++ < k ? route.continue() : route.abort("connectionreset"));
  await page.route(match, handler);
  return () => page.unroute(match, handler);
}

async function signIn(page) {
  await page.goto(`${base}/training/new`);
  await page.getByLabel("Name").fill(user);
  await page.getByLabel("Password").fill(password);
  await page.getByLabel("Password").press("Enter");
  await page.waitForURL(`${base}/training/new`);
  log("signed in, on /training/new");
}

async function fillForm(page, name) {
  await page.getByLabel("Positive label").fill(positive);
  await page.getByLabel("New dataset name").fill(name);
  await page.setInputFiles("#folder-1", class1);
  await page.setInputFiles("#folder-2", class2);
}

// failedUpload waits for the failure notice and its retry button.
async function failedUpload(page) {
  const alert = page.locator("#upload-error");
  await alert.waitFor({ state: "visible", timeout: 120_000 });
  const msg = (await page.locator("#upload-error-message").textContent()).trim();
  check(/^Upload failed: sending part \d+ of \d+ of .+: network error/.test(msg), `failure message: ${msg}`);
  check(await page.getByRole("button", { name: "Retry upload" }).isVisible(), "no retry button");
  check(await page.getByRole("button", { name: "Retry upload" }).evaluate((b) => b === document.activeElement), "retry button not focused");
  log(`upload cut: ${msg}`);
  return msg;
}

async function succeeded(page) {
  await page.locator("#upload-status").filter({ hasText: /^Uploaded \d+ images/ }).waitFor({ timeout: 120_000 });
  check(await page.locator("#upload-error").isHidden(), "failure notice still shown after success");
  check(Number(await page.locator("#upload-progress").getAttribute("value")) === 100, "progress bar not at 100");
}

// savedStates returns the page's kept multipart states by key.
function savedStates(page) {
  return page.evaluate((prefix) => Object.fromEntries(Object.keys(localStorage)
    .filter((k) => k.startsWith(prefix)).map((k) => [k, JSON.parse(localStorage.getItem(k))])), STATE_PREFIX);
}

// editState changes the kept state of repo's big file with fn.
async function editState(page, repo, fn) {
  const states = await savedStates(page);
  const keys = Object.keys(states).filter((k) => k === `${STATE_PREFIX}datasets/${user}/${repo}:${bigOID}`);
  check(keys.length === 1, `kept states for ${repo}: ${Object.keys(states)}`);
  const before = JSON.stringify(states[keys[0]]);
  fn(states[keys[0]]);
  const after = JSON.stringify(states[keys[0]]);
  check(after !== before, "the kept state did not change");
  await page.evaluate(([k, v]) => localStorage.setItem(k, v), [keys[0], after]);
}

const range = (n) => Array.from({ length: n }, (_, i) => i + 1);
const sameSet = (a, b) => a.length === b.length && [...a].sort((x, y) => x - y).every((v, i) => v === [...b].sort((x, y) => x - y)[i]);

// reloadAndResume: cut after 2 parts, reload the tab, upload again.
async function reloadAndResume(page, traffic) {
  await fillForm(page, reloadRepo);
  const lift = await cutParts(page, traffic, 2);
  await page.getByRole("button", { name: "Upload dataset" }).click();
  await failedUpload(page);
  const firstParts = traffic.big("part", 200).map((e) => e.n);
  check(firstParts.length === 2, `first run stored parts ${firstParts}, want 2`);
  const firstSmall = traffic.smallStored();
  const states = await savedStates(page);
  check(Object.keys(states).length === 1, `kept states: ${Object.keys(states)}`);
  const state = states[`${STATE_PREFIX}datasets/${user}/${reloadRepo}:${bigOID}`];
  check(state && sameSet(Object.keys(state.etags).map(Number), firstParts), `kept state ${JSON.stringify(state)}`);
  await a11y(page, "/training/new after a cut upload");
  await shot(page, "upload-01-interrupted.png");
  await lift();

  traffic.reset();
  await page.reload();
  check(await page.locator("#upload-error").isHidden(), "failure notice survives a reload");
  await fillForm(page, reloadRepo);
  await page.getByRole("button", { name: "Upload dataset" }).click();
  await succeeded(page);
  const note = (await page.locator("#upload-resume").textContent()).trim();
  check(note === `Resuming: 2 of ${parts} parts already uploaded.`, `resume note: ${note}`);
  const second = traffic.big("part");
  const secondParts = second.map((e) => e.n);
  check(second.every((e) => e.status === 200 && e.resumed), "a part of the second run failed or went to a new upload");
  check(secondParts.length === parts - 2 && sameSet([...firstParts, ...secondParts], range(parts)),
    `second run sent parts ${secondParts} after ${firstParts}; want only the missing ones of ${parts}`);
  const completions = traffic.big("complete").map((e) => e.status);
  check(completions.length === 1 && completions[0] === 200, `completions ${completions}`);
  const secondSmall = traffic.smallSent();
  const resent = secondSmall.filter((o) => firstSmall.includes(o));
  check(resent.length === 0, `small files sent again: ${resent}`);
  log(`first run: parts ${firstParts}, ${firstSmall.length} small files; second: parts ${secondParts}, ${secondSmall.length} small files`);
  await page.locator("#report h3").waitFor({ timeout: 60_000 });
  const heading = (await page.locator("#report h3").textContent()).trim();
  const rows = await page.locator("#report tbody tr").allTextContents();
  check(heading === "Dataset ready to train", `report: ${heading} ${await page.locator("#report").textContent()}`);
  check(rows.length === 2, `report rows: ${rows}`);
  check((await page.locator("#dataset").inputValue()) === `${user}/${reloadRepo}`, "dataset not selected");
  check(Object.keys(await savedStates(page)).length === 0, "kept state left after success");
  log(`resumed after reload; report: ${rows.join(" | ")}`);
  await a11y(page, "/training/new after a resumed upload");
  await shot(page, "upload-02-resumed.png");
}

// badPartRestarts: cut after 2 parts, corrupt a kept ETag, retry.
async function badPartRestarts(page, traffic) {
  traffic.reset();
  await fillForm(page, badPartRepo);
  const lift = await cutParts(page, traffic, 2);
  await page.getByRole("button", { name: "Upload dataset" }).click();
  await failedUpload(page);
  const kept = traffic.big("part", 200).map((e) => e.n);
  await editState(page, badPartRepo, (s) => { s.etags[Object.keys(s.etags)[0]] = `"${"0".repeat(32)}"`; });
  await lift();
  traffic.reset();
  await page.getByRole("button", { name: "Retry upload" }).click();
  await succeeded(page);
  const note = (await page.locator("#upload-resume").textContent()).trim();
  check(note === `The earlier upload of ${bigPath} could not be resumed; sending it again from the start.`, `note: ${note}`);
  const completions = traffic.big("complete").map((e) => e.status);
  check(completions.length === 2 && completions[0] === 400 && completions[1] === 200, `completions ${completions}`);
  const resumed = traffic.big("part").filter((e) => e.resumed).map((e) => e.n);
  const fresh = traffic.big("part").filter((e) => !e.resumed).map((e) => e.n);
  check(sameSet([...kept, ...resumed], range(parts)) && resumed.length === parts - kept.length, `resumed parts ${resumed} after ${kept}`);
  check(sameSet(fresh, range(parts)), `fresh upload sent parts ${fresh}, want all ${parts}`);
  check(Object.keys(await savedStates(page)).length === 0, "kept state left after success");
  log(`bad kept ETag: completion refused, whole file sent again (${fresh.length} parts)`);
  await shot(page, "upload-03-restarted.png");
}

// refusedStartsAfresh: cut after 1 part, corrupt the kept upload URL, retry.
async function refusedStartsAfresh(page, traffic) {
  traffic.reset();
  await fillForm(page, refusedRepo);
  const lift = await cutParts(page, traffic, 1);
  await page.getByRole("button", { name: "Upload dataset" }).click();
  await failedUpload(page);
  await editState(page, refusedRepo, (s) => { s.href = s.href.replace("/complete/eyJ", "/complete/fyJ"); });
  await lift();
  traffic.reset();
  await page.getByRole("button", { name: "Retry upload" }).click();
  await succeeded(page);
  check(await page.locator("#upload-resume").isHidden(), "resume note shown for a refused upload URL");
  const sent = traffic.big("part");
  check(sent.every((e) => !e.resumed && e.status === 200), "parts sent to the refused upload");
  check(sameSet(sent.map((e) => e.n), range(parts)), `fresh upload sent parts ${sent.map((e) => e.n)}`);
  check(traffic.big("complete").length === 1, "not one completion");
  log(`refused kept URL: fresh upload of ${sent.length} parts`);
  await shot(page, "upload-04-fresh.png");
}

const browser = await launchChromium(executablePath);
try {
  log(`Chromium ${browser.version()} against ${base}`);
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => { if (m.type() === "error") log(`console: ${m.text()}`); });
  page.on("console", (m) => { if (m.type() === "error") log(`console: ${m.text()}`); });
  const traffic = new Traffic();
  await traffic.install(page);
  await signIn(page);
  await reloadAndResume(page, traffic);
  await badPartRestarts(page, traffic);
  await refusedStartsAfresh(page, traffic);
  check(errors.length === 0, `uncaught errors: ${errors}`);
  log("ok");
} catch (err) {
  process.stderr.write(`${err.stack || err}\n`);
  process.exitCode = 1;
  const page = browser.contexts()[0]?.pages()[0];
  if (page) await shot(page, "upload-failure.png").catch(() => {});
} finally {
  await browser.close();
}
