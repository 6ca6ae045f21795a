// Headless Chromium walk through Quarry's sign-in and settings pages
// (issue 3, acceptance 5). Driven by browser_test.go, which starts the
// server and passes everything through the environment:
//   QUARRY_URL        base URL of a running server
//   QUARRY_USER       a user with a password, QUARRY_PASSWORD
//   QUARRY_REPO       a private model "ns/name" of that user
//   QUARRY_ARTIFACTS  directory for screenshots
//   QUARRY_CHROMIUM   Chromium executable
// It exits 0 when every check passes, else prints the failure and exits 1
// (a screenshot of the failing page is saved as settings-failure.png).
import { artifactsDir, check, env, logger, pageTools, runChromium } from "./lib.mjs";

const base = env("QUARRY_URL").replace(/\/$/, "");
const user = env("QUARRY_USER");
const password = env("QUARRY_PASSWORD");
const repo = env("QUARRY_REPO");
const artifacts = artifactsDir();
const executablePath = env("QUARRY_CHROMIUM");
const log = logger("browser");
const { shot, a11y } = pageTools(artifacts, log);

// whoami calls the HF API as a script would, outside the browser.
async function whoami(token) {
  const res = await fetch(`${base}/api/whoami-v2`, { headers: { Authorization: `Bearer ${token}` } });
  return { status: res.status, body: res.ok ? await res.json() : await res.text() };
}

async function signIn(page, next) {
  await page.goto(`${base}${next}`);
  const url = new URL(page.url());
  check(url.pathname === "/login", `signed out, ${next} should lead to /login, got ${page.url()}`);
  check(url.searchParams.get("next") === next, `next=${url.searchParams.get("next")}, want ${next}`);
  await page.getByLabel("Name").fill(user);
  await page.getByLabel("Password").fill(password);
  await page.getByLabel("Password").press("Enter"); // keyboard submit
  await page.waitForURL(`${base}${next}`);
}

// withJavaScript: sign in, a token shown once and copied, used, revoked;
// repo visibility toggled; phone layout; sign out.
async function withJavaScript(browser) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  context.setDefaultTimeout(15000);
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: base });
  const page = await context.newPage();
  try {
    await signedInFlow(context, page);
  } catch (err) {
    await shot(page, "settings-failure.png").catch(() => {});
    throw err;
  } finally {
    await context.close();
  }
}

async function signedInFlow(context, page) {
  await page.goto(`${base}/login`);
  check((await page.evaluate(() => document.activeElement.id)) === "name", "the sign-in page starts in the Name field");
  await a11y(page, "sign-in page");
  await page.getByLabel("Name").fill(user);
  await page.getByLabel("Password").fill("not the password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("alert").filter({ hasText: "Invalid username or password" }).waitFor();
  log("wrong password refused with a message");

  await signIn(page, "/settings/tokens");
  await page.getByRole("heading", { name: "Access tokens", level: 1 }).waitFor();
  const session = (await context.cookies(base)).find((c) => c.name === "quarry_session");
  check(session && session.httpOnly && session.sameSite === "Lax", `session cookie ${JSON.stringify(session)}`);
  log(`signed in as ${user}`);
  await page.keyboard.press("Tab");
  check((await page.evaluate(() => document.activeElement.textContent)) === "Skip to content", "the first Tab stop is the skip link");
  await a11y(page, "token page");

  await page.getByLabel("Label").fill("browser-test");
  await page.getByRole("radio", { name: "Read" }).check();
  await page.getByRole("button", { name: "Create token" }).click();
  const field = page.getByLabel("New token");
  await field.waitFor();
  const token = await field.inputValue();
  check(/^hf_[A-Za-z0-9]{34}$/.test(token), `new token ${token}`);
  await page.getByRole("button", { name: "Copy" }).click();
  await page.getByText("Copied to the clipboard.").waitFor();
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  check(copied === token, "the copy button copies the token");
  await shot(page, "settings-tokens-created.png");
  await a11y(page, "token page with a new token");
  log("token created, shown and copied");

  let who = await whoami(token);
  check(who.status === 200 && who.body.name === user, `whoami with the new token: ${who.status} ${JSON.stringify(who.body)}`);
  check(who.body.auth?.accessToken?.role === "read", `token role ${JSON.stringify(who.body.auth)}`);
  log("the token works from a script");

  await page.goto(`${base}/settings/tokens`);
  check(!(await page.content()).includes(token), "the token is shown only once");
  const suffix = token.slice(-4);
  const row = page.getByRole("row").filter({ hasText: "browser-test" });
  await row.getByText(`…${suffix}`, { exact: true }).waitFor();
  await row.getByText("Active", { exact: true }).waitFor();
  await row.getByRole("button", { name: /Revoke/ }).click();
  await page.waitForURL(`${base}/settings/tokens?revoked=${suffix}`);
  await page.getByRole("status").filter({ hasText: `Token …${suffix} revoked` }).waitFor();
  await row.getByText("Revoked", { exact: true }).waitFor();
  await shot(page, "settings-tokens-revoked.png");
  who = await whoami(token);
  check(who.status === 401, `whoami with the revoked token: ${who.status}, want 401`);
  log("token revoked in the page and refused on the next request");

  await repoVisibility(page);
  await phoneLayout(page);

  await page.goto(`${base}/settings/activity`);
  for (const what of ["Failed sign-in", "Signed in", "Token created", "Token revoked", "Visibility changed"]) {
    await page.getByRole("rowheader", { name: what }).first().waitFor();
  }
  await a11y(page, "activity page");
  await shot(page, "settings-activity.png");
  log("activity lists sign-ins, tokens and visibility changes");

  await page.getByRole("button", { name: "Sign out" }).click();
  await page.waitForURL(`${base}/login?signed_out=1`);
  await page.getByText("You have signed out.").waitFor();
  check(!(await context.cookies(base)).some((c) => c.name === "quarry_session"), "session cookie cleared");
  await page.goto(`${base}/settings/tokens`);
  check(new URL(page.url()).pathname === "/login", `after sign-out the settings lead to /login, got ${page.url()}`);
  log("signed out");
}

// anonymousInfo returns the status of GET /api/models/REPO without a token.
async function anonymousInfo() {
  return (await fetch(`${base}/api/models/${repo}`)).status;
}

async function repoVisibility(page) {
  await page.goto(`${base}/settings/repos`);
  await page.getByRole("heading", { name: "Repositories", level: 1 }).waitFor();
  const row = page.getByRole("row").filter({ has: page.getByRole("rowheader", { name: repo, exact: true }) });
  await row.getByText("Private", { exact: true }).waitFor();
  check((await anonymousInfo()) === 401, "the private repo is hidden from anonymous callers");
  await a11y(page, "repository page");
  await row.getByRole("button", { name: /Make public/ }).click();
  await page.getByRole("status").filter({ hasText: `${repo} is now public` }).waitFor();
  await row.getByText("Public", { exact: true }).waitFor();
  check((await anonymousInfo()) === 200, "made public, the repo is readable anonymously at once");
  await shot(page, "settings-repos.png");
  await row.getByRole("button", { name: /Make private/ }).click();
  await page.getByRole("status").filter({ hasText: `${repo} is now private` }).waitFor();
  check((await anonymousInfo()) === 401, "made private again, the repo is hidden at once");
  log("repo visibility toggled both ways");
}

async function phoneLayout(page) {
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(`${base}/settings/tokens`);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  check(overflow <= 1, `the token page scrolls sideways on a phone by ${overflow}px`);
  await shot(page, "settings-tokens-phone.png");
  await page.setViewportSize({ width: 1280, height: 900 });
  log("readable on a phone");
}

// withoutJavaScript: the same forms work with scripts disabled.
async function withoutJavaScript(browser) {
  const context = await browser.newContext({ javaScriptEnabled: false });
  context.setDefaultTimeout(15000);
  const page = await context.newPage();
  try {
    await signIn(page, "/settings/tokens");
    await page.getByLabel("Label").fill("no-js");
    await page.getByRole("button", { name: "Create token" }).click();
    const token = await page.getByLabel("New token").inputValue();
    check(/^hf_/.test(token), "token created without JavaScript");
    check(!(await page.getByRole("button", { name: "Copy" }).isVisible()), "no copy button without JavaScript");
    await shot(page, "settings-tokens-nojs.png");
    await page.getByRole("row").filter({ hasText: "no-js" }).getByRole("button", { name: /Revoke/ }).click();
    await page.waitForURL(/revoked=/);
    check((await whoami(token)).status === 401, "token revoked without JavaScript");
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL(`${base}/login?signed_out=1`);
    log("works without JavaScript");
  } catch (err) {
    await shot(page, "settings-failure-nojs.png").catch(() => {});
    throw err;
  } finally {
    await context.close();
  }
}

await runChromium(executablePath, log, `against ${base}`, async (browser) => {
  await withJavaScript(browser);
  await withoutJavaScript(browser);
});
