// Helpers shared by the headless Chromium scripts (settings.mjs,
// browse.mjs, demo.mjs, newcomer.mjs): environment, checks, logging, the
// Chromium launch, the axe-core runner, screenshots and console watching.
import { chromium } from "playwright-core";
import { mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

// env returns the environment variable name, which must be set.
export function env(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
}

// check throws when cond is false.
export function check(cond, msg) {
  if (!cond) throw new Error(`check failed: ${msg}`);
}

// logger returns a function printing "label: msg" lines; given started (a
// Date.now() value), "label +SECONDSs: msg" lines.
export function logger(label, started) {
  if (started === undefined) return (msg) => process.stdout.write(`${label}: ${msg}\n`);
  return (msg) => process.stdout.write(`${label} +${((Date.now() - started) / 1000).toFixed(1)}s: ${msg}\n`);
}

// artifactsDir creates and returns QUARRY_ARTIFACTS, the screenshot directory.
export function artifactsDir() {
  const dir = env("QUARRY_ARTIFACTS");
  mkdirSync(dir, { recursive: true });
  return dir;
}

// pageTools returns shot(page, name), a full-page screenshot into
// artifacts, and a11y(page, what), which runs axe-core in the page and
// fails on serious or critical violations; both report through log.
export function pageTools(artifacts, log) {
  async function shot(page, name) {
    const path = join(artifacts, name);
    await page.screenshot({ path, fullPage: true });
    log(`screenshot ${path}`);
  }
  async function a11y(page, what) {
    await page.evaluate(axeSource);
    const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ["violations"] }));
    const bad = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
    const lines = bad.map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
    check(bad.length === 0, `accessibility of ${what}:\n  ${lines.join("\n  ")}`);
    const minor = result.violations.map((v) => `${v.id} (${v.impact})`).join(", ");
    log(`axe: ${what}: no serious violations${minor ? `; minor: ${minor}` : ""}`);
  }
  return { shot, a11y };
}

// watchConsole records console errors, uncaught exceptions and failed
// requests. While allow() returns true for a message it is tolerated (a
// deliberate bad request makes Chromium log the server's 4xx answer).
export function watchConsole(page) {
  const problems = [];
  let allowed = () => false;
  page.on("console", (m) => {
    if (m.type() === "error" && !allowed(m.text())) problems.push(`console error: ${m.text()} (${m.location().url})`);
  });
  page.on("pageerror", (e) => problems.push(`uncaught: ${e.message}`));
  page.on("requestfailed", (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  return {
    problems,
    allow(fn) { allowed = fn; },
  };
}

// CHROMIUM_ARGS are the command-line flags of a quiet headless Chromium.
export const CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync"];

// launchChromium starts headless Chromium with a fresh profile (Playwright
// gives every launch a new --user-data-dir).
export function launchChromium(executablePath, args = CHROMIUM_ARGS) {
  return chromium.launch({ executablePath, headless: true, args });
}

// runChromium launches Chromium, runs body(browser) and closes it. It logs
// "ok" on success; on failure it prints the error and sets exit code 1.
export async function runChromium(executablePath, log, where, body) {
  const browser = await launchChromium(executablePath);
  try {
    log(`Chromium ${browser.version()} ${where}`);
    await body(browser);
    log("ok");
  } catch (err) {
    process.stderr.write(`${err.stack || err}\n`);
    process.exitCode = 1;
  } finally {
    await browser.close();
  }
}
