// Headless Chromium run of a model's demo page (issue 4, acceptance 4).
// Driven by e2e/demo_browser_test.go, which starts the server, publishes an
// image classifier and writes the input images; everything comes through
// the environment:
//   DEMO_URL          the demo root, e.g. http://127.0.0.1:1234/alice/mines/demo
//   DEMO_TILE         a 224 px tile that should classify as DEMO_LABEL
//   DEMO_LABEL        the expected top label of DEMO_TILE
//   DEMO_LABELS       JSON array of the model's labels
//   DEMO_SCENE        a large image for scan mode (PNG)
//   DEMO_TEXT         a non-image file (the page must explain the error)
//   DEMO_SCAN_OUT     file to write the /scan answer to (without the heat map)
//   QUARRY_ARTIFACTS  directory for screenshots
//   QUARRY_CHROMIUM   Chromium executable
// It exits 0 when every check passes, else prints the failure and exits 1
// (a screenshot of the failing page is saved as demo-failure.png).
import { writeFileSync } from "node:fs";
import { artifactsDir, check, env, logger, pageTools, runChromium, watchConsole } from "./lib.mjs";

const root = env("DEMO_URL").replace(/\/$/, "");
const tile = env("DEMO_TILE");
const wantLabel = env("DEMO_LABEL");
const labels = JSON.parse(env("DEMO_LABELS"));
const scene = env("DEMO_SCENE");
const text = env("DEMO_TEXT");
const scanOut = env("DEMO_SCAN_OUT");
const artifacts = artifactsDir();
const executablePath = env("QUARRY_CHROMIUM");
const log = logger("demo");
const { shot, a11y } = pageTools(artifacts, log);

// badUpload picks a text file: the page shows the server's message, and
// the drop zone keeps its hint instead of a broken preview.
async function badUpload(page, watch) {
  watch.allow((t) => /Failed to load resource: the server responded with a status of 4\d\d/.test(t));
  await page.setInputFiles("#file", text);
  const err = page.locator("#error");
  await err.waitFor({ state: "visible" });
  const msg = (await err.textContent()).trim();
  check(msg.length > 10 && !/^HTTP \d+$/.test(msg), `error message for a text file: ${JSON.stringify(msg)}`);
  check(await page.locator("#drop-text").isVisible(), "drop zone hint hidden after a failed upload");
  check(!(await page.locator("#preview").isVisible()), "a broken preview shows after a failed upload");
  log(`text file: ${JSON.stringify(msg)}`);
  watch.allow(() => false);
}

// classify uploads the tile through the file input and checks the result.
async function classify(page) {
  await page.setInputFiles("#file", tile);
  await page.locator("#result").waitFor({ state: "visible", timeout: 60_000 });
  check(!(await page.locator("#error").isVisible()), "error shown after a valid tile");
  const top = (await page.locator("#top-label").textContent()).trim();
  const score = (await page.locator("#top-score").textContent()).trim();
  check(top === wantLabel, `top label ${top}, want ${wantLabel}`);
  const bars = page.locator("#bars li");
  check((await bars.count()) === labels.length, `${await bars.count()} bars, want ${labels.length}`);
  const names = await bars.locator(".name span:first-child").allTextContents();
  check([...names].sort().join() === [...labels].sort().join(), `bar labels ${names}`);
  check(await page.locator("#preview").isVisible(), "preview of the tile not visible");
  log(`tile: ${top} ${score}`);
}

// scan turns on scan mode, uploads the large scene and waits for the heat
// map overlay; it writes the /scan answer (minus the heat map) to scanOut.
async function scan(page) {
  await page.locator("#clear").click();
  await page.locator("#scan").check();
  await page.locator("#scan-label").selectOption(wantLabel);
  const answer = page.waitForResponse((r) => r.url() === `${root}/scan` && r.request().method() === "POST",
    { timeout: 300_000 });
  await page.setInputFiles("#file", scene);
  const resp = await answer;
  check(resp.status() === 200, `scan answered ${resp.status()}: ${await resp.text()}`);
  const body = await resp.json();
  await page.locator("#heat").waitFor({ state: "visible", timeout: 30_000 });
  await page.locator("#scan-result").waitFor({ state: "visible" });
  const heat = await page.locator("#heat").evaluate((img) => ({ ok: img.complete && img.naturalWidth > 0,
    w: img.getBoundingClientRect().width, pw: document.getElementById("preview").getBoundingClientRect().width }));
  check(heat.ok, "heat map image did not load");
  check(Math.abs(heat.w - heat.pw) < 2, `overlay ${heat.w} px wide over a ${heat.pw} px preview`);
  const summary = (await page.locator("#scan-summary").textContent()).trim();
  check(summary.includes(`${body.width}×${body.height}`), `scan summary: ${summary}`);
  delete body.heatmap;
  writeFileSync(scanOut, JSON.stringify(body));
  log(`scan: ${summary}`);
}

async function run(browser) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const watch = watchConsole(page);
  try {
    const res = await page.goto(`${root}/`);
    check(res.status() === 200, `demo page: status ${res.status()}`);
    const icon = await page.locator('link[rel="icon"]').getAttribute("href");
    const iconRes = await page.request.get(new URL(icon, page.url()).href);
    check(iconRes.ok() && iconRes.headers()["content-type"].startsWith("image/"), `page icon ${icon}: ${iconRes.status()}`);
    await a11y(page, "demo page");
    await badUpload(page, watch);
    await classify(page);
    await a11y(page, "demo page with a result");
    await shot(page, "demo-result.png");
    await scan(page);
    await a11y(page, "demo page in scan mode");
    await shot(page, "demo-scan.png");
    check(watch.problems.length === 0, `console:\n  ${watch.problems.join("\n  ")}`);
    log("no console errors");
  } catch (err) {
    await shot(page, "demo-failure.png").catch(() => {});
    throw err;
  } finally {
    await context.close();
  }
}

await runChromium(executablePath, log, `at ${root}`, run);
