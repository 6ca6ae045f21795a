// Headless Chromium walk of the newcomer's path (issue 6, acceptance 1),
// driven by e2e/web_newcomer_test.go, which starts a server with ONNX
// Runtime and the base model and passes everything through the environment:
//   QUARRY_URL        base URL of the running server
//   QUARRY_USER       a user with password QUARRY_PASSWORD
//   NEWCOMER_CLASS1   folder of images of the positive class (its name is the label)
//   NEWCOMER_CLASS2   folder of images of the other class
//   NEWCOMER_POSITIVE the positive label
//   NEWCOMER_MODEL    name of the model to train (in the user's namespace)
//   NEWCOMER_TILE     an image of the positive class for the demo
//   QUARRY_ARTIFACTS  directory for screenshots (newcomer-*.png)
//   QUARRY_CHROMIUM   Chromium executable
// Steps: sign in, upload two folders as a new dataset (validation report
// shown), start a 3-candidate project, watch it finish, read the
// leaderboard, publish the winner as private, open the model page and its
// demo, make it public, sign out and find it from the home page search.
// Exits 0 when every check passes; on failure saves newcomer-failure.png.
import { basename, join } from "node:path";
import { artifactsDir, check, env, launchChromium, logger, pageTools } from "./lib.mjs";

const base = env("QUARRY_URL").replace(/\/$/, "");
const user = env("QUARRY_USER");
const password = env("QUARRY_PASSWORD");
const class1 = env("NEWCOMER_CLASS1");
const class2 = env("NEWCOMER_CLASS2");
const positive = env("NEWCOMER_POSITIVE");
const model = env("NEWCOMER_MODEL");
const tile = env("NEWCOMER_TILE");
const artifacts = artifactsDir();
const executablePath = env("QUARRY_CHROMIUM");
const repo = `${user}/${model}`;
const log = logger("browser", Date.now());
const { shot, a11y } = pageTools(artifacts, log);

async function signIn(page) {
  await page.goto(`${base}/training/new`);
  check(new URL(page.url()).pathname === "/login", `signed out, /training/new should lead to /login, got ${page.url()}`);
  await page.getByLabel("Name").fill(user);
  await page.getByLabel("Password").fill(password);
  await shot(page, "newcomer-01-sign-in.png");
  await page.getByLabel("Password").press("Enter");
  await page.waitForURL(`${base}/training/new`);
  log("signed in, on /training/new");
}

async function uploadDataset(page) {
  await page.getByLabel("Positive label").fill(positive);
  await page.getByLabel("New dataset name").fill(`${model}-images`);
  await page.setInputFiles("#folder-1", class1);
  await page.setInputFiles("#folder-2", class2);
  await page.getByRole("button", { name: "Upload dataset" }).click();
  await page.locator("#upload-status").filter({ hasText: /^Uploaded \d+ images/ }).waitFor({ timeout: 60_000 });
  await page.locator("#report h3").filter({ hasText: "Dataset ready to train" }).waitFor({ timeout: 30_000 });
  const dataset = await page.locator("#dataset").inputValue();
  check(dataset === `${user}/${model}-images`, `dataset select shows ${dataset}`);
  const rows = await page.locator("#report tbody tr").allTextContents();
  check(rows.length === 2, `validation report has ${rows.length} classes: ${rows}`);
  for (const label of [basename(class1), basename(class2)]) {
    check(rows.some((r) => r.startsWith(label)), `class ${label} missing from the report: ${rows}`);
  }
  check(Number(await page.locator("#upload-progress").getAttribute("value")) === 100, "progress bar not at 100");
  log(`dataset uploaded and valid: ${rows.join(" | ")}`);
  await a11y(page, "/training/new");
  await shot(page, "newcomer-02-dataset-validated.png");
}

async function startProject(page) {
  const checked = page.locator('input[name="candidate"]:checked');
  check((await checked.count()) === 3, `${await checked.count()} candidates checked, want 3`);
  await page.getByLabel("Metric to optimise").selectOption("f1");
  await page.getByLabel("Model name").fill(model);
  await shot(page, "newcomer-03-candidates.png");
  await page.getByRole("button", { name: "Start training" }).click();
  await page.waitForURL(/\/training\/[0-9a-f]{16}$/);
  log(`project page ${page.url()}`);
  await shot(page, "newcomer-04-project-started.png");
}

async function watchProject(page) {
  const projectURL = page.url();
  let sawProgress = false;
  const deadline = Date.now() + 5 * 60_000;
  while (Date.now() < deadline) {
    const state = (await page.locator("#project-state").textContent({ timeout: 30_000 }).catch(() => "")).trim();
    if (state && state !== "running") break;
    const progress = (await page.locator("td.progress").allTextContents().catch(() => [])).join(" | ");
    if (/running|queued|starting/.test(progress)) sawProgress = true;
    await page.waitForTimeout(1000);
  }
  await page.waitForLoadState("load");
  const state = (await page.locator("#project-state").textContent()).trim();
  check(state === "succeeded", `project ended ${state}`);
  check(page.url() === projectURL, `left the project page: ${page.url()}`);
  log(`project succeeded (progress seen live: ${sawProgress})`);
  const rows = page.locator("#leaderboard tbody tr");
  check((await rows.count()) === 3, `leaderboard has ${await rows.count()} rows`);
  for (let i = 0; i < 3; i++) {
    // CV f1 ± SE and CV accuracy ± SE, then the six validation metrics.
    const cells = await rows.nth(i).locator("td[data-metric]").allTextContents();
    check(cells.length === 8 && cells.every((c) => /^\d+\.\d{4}/.test(c.trim())), `row ${i} metrics ${cells}`);
  }
  check((await page.locator("td.best").count()) >= 6, "no best value highlighted per column");
  check((await rows.first().locator(".rank").textContent()).trim() === "1", "first row is not rank 1");
  for (const img of await page.locator("figure img").all()) {
    await img.scrollIntoViewIfNeeded();
    const ok = await img.evaluate((el) => el.complete && el.naturalWidth > 0);
    check(ok, `chart ${await img.getAttribute("src")} did not load`);
  }
  check((await page.locator("figure img").count()) === 2, "confusion matrix and ROC curve not shown");
  await sortLeaderboard(page);
  await readLogs(page);
  await a11y(page, "project page");
  await shot(page, "newcomer-05-leaderboard.png");
}

// metricColumn returns the leaderboard's values of a metric, top to bottom.
async function metricColumn(page, metric) {
  const cells = await page.locator(`#leaderboard tbody td[data-metric="${metric}"]`).allTextContents();
  return cells.map((c) => parseFloat(c));
}

// sortLeaderboard sorts by loss (ascending first), reverses it, then sorts
// by f1 (descending first), checking aria-sort and the row order each time.
async function sortLeaderboard(page) {
  const sorted = (vals, dir) => vals.every((v, i) => i === 0 || dir * (v - vals[i - 1]) >= 0);
  const steps = [["loss", "ascending", 1], ["loss", "descending", -1], ["f1", "descending", -1]];
  for (const [metric, want, dir] of steps) {
    const th = page.locator(`#leaderboard th[data-sort="${metric}"]`);
    await th.getByRole("button", { name: metric }).click();
    check((await th.getAttribute("aria-sort")) === want, `${metric} heading aria-sort ${await th.getAttribute("aria-sort")}, want ${want}`);
    check((await page.locator("#leaderboard th[aria-sort]").count()) === 1, "more than one heading has aria-sort");
    const vals = await metricColumn(page, metric);
    check(vals.length === 3 && sorted(vals, dir), `rows not sorted by ${metric} ${want}: ${vals}`);
  }
  log(`leaderboard sorts by metric (f1 descending: ${await metricColumn(page, "f1")})`);
}

// readLogs opens the first candidate's logs and waits for streamed lines.
async function readLogs(page) {
  const details = page.locator("details.job-logs").first();
  check((await page.locator("details.job-logs").count()) === 3, "not one log panel per candidate");
  check((await details.locator('a[href^="/api/jobs/"]').count()) === 1, "log panel has no plain text link");
  await details.locator("summary").click();
  await details.locator("pre.log-lines").filter({ hasText: /\S/ }).waitFor({ timeout: 30_000 });
  await details.locator(".log-status").filter({ hasText: /^Job / }).waitFor({ timeout: 30_000 });
  const lines = (await details.locator("pre.log-lines").textContent()).split("\n").filter((l) => l.trim());
  check(lines.length >= 1, "log panel shows no line");
  log(`log panel streamed ${lines.length} lines, last: ${lines[lines.length - 1]}`);
}

async function publish(page) {
  await page.getByLabel("Private", { exact: true }).check();
  await page.getByRole("button", { name: "Publish" }).click();
  await page.locator("#published-link").waitFor({ timeout: 60_000 });
  await shot(page, "newcomer-06-published.png");
  await page.locator("#published-link").click();
  await page.waitForURL(`${base}/${repo}`);
  check((await page.locator(".badge.private").count()) > 0, "model page has no Private badge");
  await shot(page, "newcomer-07-model-page.png");
  log(`model page ${page.url()}`);
}

async function demo(page) {
  await page.goto(`${base}/${repo}/demo/`);
  await page.setInputFiles("#file", tile);
  await page.locator("#result").waitFor({ state: "visible", timeout: 60_000 });
  const result = await page.locator("#result").textContent();
  check(result.includes(positive), `demo result does not mention ${positive}: ${result}`);
  await shot(page, "newcomer-08-demo.png");
  log("demo classified the tile");
}

async function makePublic(page) {
  await page.goto(`${base}/settings/repos`);
  await page.getByRole("button", { name: `Make public model ${repo}`, exact: true }).click();
  await page.getByText(`${repo} is now public.`).waitFor();
  await shot(page, "newcomer-09-public.png");
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.waitForLoadState("load");
  check(await page.getByRole("link", { name: "Sign in" }).isVisible(), "still signed in after Sign out");
}

async function findIt(page) {
  await page.goto(`${base}/`);
  await page.getByLabel("Search models, datasets and spaces").fill(model);
  await page.getByRole("button", { name: "Search" }).click();
  const link = page.locator(`a[href="/${repo}"]`).first();
  await link.waitFor();
  await shot(page, "newcomer-10-search-signed-out.png");
  await link.click();
  await page.waitForURL(`${base}/${repo}`);
  log("found the model from the home page search, signed out");
}

const browser = await launchChromium(executablePath, ["--no-sandbox"]);
const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
context.setDefaultTimeout(20_000);
const page = await context.newPage();
const errors = [];
page.on("pageerror", (e) => errors.push(String(e)));
try {
  await signIn(page);
  await uploadDataset(page);
  await startProject(page);
  await watchProject(page);
  await publish(page);
  await demo(page);
  await makePublic(page);
  await findIt(page);
  check(errors.length === 0, `page errors: ${errors.join("; ")}`);
  log("newcomer path passed");
} catch (e) {
  await page.screenshot({ path: join(artifacts, "newcomer-failure.png"), fullPage: true }).catch(() => {});
  process.stdout.write(`FAIL: ${e.stack || e}\n`);
  process.exitCode = 1;
} finally {
  await browser.close();
}
