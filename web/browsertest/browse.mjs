// Headless Chromium walk through Quarry's reading pages (issue 6,
// acceptance 2 and 3). Driven by browse_test.go, which starts the server,
// creates the repos and passes everything through the environment:
//   QUARRY_URL        base URL of a running server
//   QUARRY_USER       the owner of the repos, QUARRY_PASSWORD
//   QUARRY_ARTIFACTS  directory for screenshots
//   QUARRY_CHROMIUM   Chromium executable
// Repos: USER/cats-detector (public, two commits), USER/secret-draft
// (private), USER/evil-card (public, a card that tries to run script),
// datasets/USER/tiles (public).
// It exits 0 when every check passes, else prints the failure and exits 1
// (a screenshot of the failing page is saved as browse-failure.png).
import { artifactsDir, check, env, logger, pageTools, runChromium } from "./lib.mjs";

const base = env("QUARRY_URL").replace(/\/$/, "");
const user = env("QUARRY_USER");
const password = env("QUARRY_PASSWORD");
const artifacts = artifactsDir();
const executablePath = env("QUARRY_CHROMIUM");
const log = logger("browser");
const { shot, a11y } = pageTools(artifacts, log);

const cats = `${user}/cats-detector`;
const secret = `${user}/secret-draft`;
const evil = `${user}/evil-card`;

// open goes to path, checks the status and runs axe.
async function open(page, path, what, status = 200) {
  const res = await page.goto(`${base}${path}`);
  check(res.status() === status, `${path}: status ${res.status()}, want ${status}`);
  await a11y(page, what);
  return res;
}

async function searchAndModel(page) {
  await open(page, "/", "home page");
  await page.getByRole("heading", { name: "Models, datasets and spaces", level: 1 }).waitFor();
  await shot(page, "browse-home.png");
  await page.getByRole("searchbox", { name: "Search models, datasets and spaces" }).fill("cats");
  await page.getByRole("searchbox", { name: "Search models, datasets and spaces" }).press("Enter");
  await page.waitForURL(/\?search=cats/);
  await page.getByRole("link", { name: cats, exact: true }).waitFor();
  check(!(await page.content()).includes("secret-draft"), "a private repo shows in an anonymous search");
  await a11y(page, "search results");
  await shot(page, "browse-search.png");
  log("search finds the public model, not the private one");

  await page.getByRole("link", { name: cats, exact: true }).click();
  await page.waitForURL(`${base}/${cats}`);
  await page.getByRole("heading", { name: cats, level: 1 }).waitFor();
  await page.getByRole("heading", { name: "Cats detector" }).waitFor();
  const metrics = page.getByRole("region", { name: "Metrics table" });
  await metrics.getByRole("rowheader", { name: "accuracy" }).waitFor();
  await metrics.getByText("0.94").waitFor();
  await page.getByRole("link", { name: "Try the demo" }).waitFor();
  await a11y(page, "model page");
  await page.getByRole("button", { name: "Copy Python (huggingface_hub)" }).click();
  await page.getByText("Copied to the clipboard.").waitFor();
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  check(copied.includes(`snapshot_download("${cats}")`) && copied.includes("HF_ENDPOINT"), `copied snippet: ${copied}`);
  await shot(page, "browse-model.png");
  log("model page: card, metrics, demo link, snippet copied");
}

async function filesHistoryCompare(page) {
  await page.getByRole("navigation", { name: "Repository" }).getByRole("link", { name: "Files" }).click();
  await page.waitForURL(`${base}/${cats}/tree/main`);
  await page.getByRole("link", { name: "labels.txt", exact: true }).waitFor();
  await a11y(page, "files page");
  await shot(page, "browse-files.png");
  await page.getByRole("link", { name: "labels.txt", exact: true }).click();
  await page.getByText("unknown").waitFor();
  await a11y(page, "file page");

  await page.getByRole("navigation", { name: "Repository" }).getByRole("link", { name: "Commits" }).click();
  await page.getByRole("link", { name: "Retrain on more tiles" }).waitFor();
  await a11y(page, "history page");
  await page.getByRole("link", { name: "Retrain on more tiles" }).click();
  await page.getByText("2 files changed").waitFor();
  await page.getByRole("region", { name: "Diff of labels.txt" }).getByText("+unknown").waitFor();
  await a11y(page, "commit page");
  await shot(page, "browse-commit.png");

  await page.getByRole("link", { name: "Compare with its parent" }).click();
  const table = page.getByRole("region", { name: "Metrics of both revisions" });
  await table.getByRole("rowheader", { name: "accuracy" }).waitFor();
  await table.getByText("+0.03").waitFor();
  await page.getByRole("region", { name: "Card diff" }).getByText("Retrained on more tiles").waitFor();
  await a11y(page, "compare page");
  await shot(page, "browse-compare.png");
  log("files, file, history, commit diff and comparison");
}

// evilCard opens the malicious card, pokes at it and checks that nothing ran.
async function evilCard(page, dialogs) {
  await open(page, `/${evil}`, "model page with a malicious card");
  await page.getByText("Plain text after the attacks.").waitFor();
  const card = page.locator("article.markdown");
  await card.hover();
  for (const text of ["click me", "entity", "raw link"]) {
    const el = card.getByText(text, { exact: true });
    if (await el.count()) await el.first().click();
  }
  await page.waitForTimeout(500);
  const found = await page.evaluate(() => {
    const article = document.querySelector("article.markdown");
    const hrefs = [...article.querySelectorAll("[href],[src]")].map((e) => e.getAttribute("href") || e.getAttribute("src"));
    const handlers = [...article.querySelectorAll("*")].flatMap((e) => [...e.attributes].map((a) => a.name)).filter((n) => n.startsWith("on"));
    return {
      pwned: window.__pwned,
      scripts: [...document.scripts].map((s) => s.src).filter((s) => !s.startsWith(location.origin + "/static/")),
      dangerous: article.querySelectorAll("script, iframe, object, embed, svg, details").length,
      hrefs,
      handlers,
    };
  });
  check(page.url() === `${base}/${evil}`, `clicking the card navigated to ${page.url()}`);
  check(found.pwned === undefined, `window.__pwned was set to ${found.pwned}`);
  check(dialogs.length === 0, `dialogs opened: ${dialogs.join(", ")}`);
  check(found.scripts.length === 0, `foreign scripts: ${found.scripts}`);
  check(found.dangerous === 0, `${found.dangerous} script/iframe/object/svg/details elements in the card`);
  check(found.handlers.length === 0, `event handler attributes: ${found.handlers}`);
  for (const u of found.hrefs) {
    const url = new URL(u, page.url());
    check(url.origin === base || ["http:", "https:", "mailto:"].includes(url.protocol) && url.hostname !== "evil.example", `card URL ${u}`);
  }
  await shot(page, "browse-evil-card.png");
  log("a malicious card rendered inert: no script ran, no dialog, no handler, no foreign load");
}

async function privateRepo(page) {
  const hidden = await page.goto(`${base}/${secret}`);
  const hiddenText = await page.locator("main").innerText();
  await a11y(page, "not-found page");
  await shot(page, "browse-private-404.png");
  const missing = await page.goto(`${base}/${user}/no-such-repo`);
  const missingText = await page.locator("main").innerText();
  check(hidden.status() === 404 && missing.status() === 404, `statuses ${hidden.status()} ${missing.status()}, want 404`);
  check(hiddenText === missingText, `hidden and missing pages differ:\n${hiddenText}\n---\n${missingText}`);
  log("a private repo looks exactly like a missing one when signed out");

  await page.goto(`${base}/${secret}`);
  await page.getByRole("main").getByRole("link", { name: "sign in" }).click();
  await page.getByLabel("Name").fill(user);
  await page.getByLabel("Password").fill(password);
  await page.getByLabel("Password").press("Enter");
  await page.waitForURL(`${base}/${secret}`);
  await page.getByText("Private", { exact: true }).first().waitFor();
  await page.getByRole("link", { name: "Repository settings" }).waitFor();
  await a11y(page, "private model page, signed in");
  await shot(page, "browse-private-signed-in.png");

  await open(page, "/", "home page, signed in");
  await page.getByRole("region", { name: "Yours and your organizations'" }).getByRole("link", { name: secret }).waitFor();
  await open(page, `/${user}`, "user page");
  await page.getByRole("link", { name: secret }).waitFor();
  await shot(page, "browse-user.png");
  log("signed in: the private repo, its settings link, yours-first home and the user page");
}

async function phone(page) {
  await page.setViewportSize({ width: 390, height: 844 });
  for (const path of ["/", `/${cats}`, `/${cats}/compare`]) {
    await page.goto(`${base}${path}`);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    check(overflow <= 1, `${path} scrolls sideways on a phone by ${overflow}px`);
  }
  await page.goto(`${base}/${cats}`);
  await shot(page, "browse-model-phone.png");
  await page.setViewportSize({ width: 1280, height: 900 });
  log("readable on a phone");
}

async function withJavaScript(browser) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  context.setDefaultTimeout(15000);
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: base });
  const page = await context.newPage();
  const dialogs = [];
  page.on("dialog", (d) => {
    dialogs.push(d.message());
    d.dismiss().catch(() => {});
  });
  try {
    await searchAndModel(page);
    await filesHistoryCompare(page);
    await evilCard(page, dialogs);
    await phone(page);
    await privateRepo(page);
  } catch (err) {
    await shot(page, "browse-failure.png").catch(() => {});
    throw err;
  } finally {
    await context.close();
  }
}

// withoutJavaScript: search and reading work with scripts disabled.
async function withoutJavaScript(browser) {
  const context = await browser.newContext({ javaScriptEnabled: false });
  context.setDefaultTimeout(15000);
  const page = await context.newPage();
  try {
    await page.goto(`${base}/`);
    await page.getByRole("searchbox", { name: "Search models, datasets and spaces" }).fill("tiles");
    await page.getByRole("button", { name: "Search", exact: true }).click();
    await page.waitForURL(/\?search=tiles/);
    await page.getByRole("link", { name: `${user}/tiles`, exact: true }).click();
    await page.waitForURL(`${base}/datasets/${user}/tiles`);
    await page.getByRole("heading", { name: "Tiles", exact: true }).waitFor();
    await page.goto(`${base}/${cats}`);
    await page.getByRole("region", { name: "Metrics table" }).getByText("0.94").waitFor();
    check(!(await page.getByRole("button", { name: /^Copy/ }).first().isVisible()), "no copy button without JavaScript");
    await shot(page, "browse-nojs.png");
    log("search and pages work without JavaScript");
  } catch (err) {
    await shot(page, "browse-failure-nojs.png").catch(() => {});
    throw err;
  } finally {
    await context.close();
  }
}

await runChromium(executablePath, log, `against ${base}`, async (browser) => {
  await withJavaScript(browser);
  await withoutJavaScript(browser);
});
