// The demo page (demo.html) in headless Chromium against the real API (BASE_URL, access
// tokens living a few seconds): register, log in, me, three access-token expiry cycles of five parallel
// requests (a reload between the second and third), log out. The page is served from
// http://localhost:<DEMO_PORT> (default 8100, an origin the API allows by default), so every
// call is a real cross-origin request with a CORS preflight.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdirSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { extname, join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";

import { chromium } from "playwright-core";

import { decodeClaims } from "../../dist/index.js";
import { BASE_URL, PASSWORD } from "../support.js";

const PORT = Number(process.env.DEMO_PORT || 8100);
const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
const SCREENSHOTS = process.env.SCREENSHOT_DIR || join(tmpdir(), "jwtauth-client-browser-test");
const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const KEY = "jwtauth.session";

// Only the page, its script and the built package are served.
const FILES = { "/": "test/browser/demo.html", "/demo.js": "test/browser/demo.js" };
const TYPES = { ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8" };

let server;
let browser;
let page;
const pageLog = [];

before(async () => {
  server = createServer(async (req, res) => {
    const path = new URL(req.url, "http://localhost").pathname;
    const file = FILES[path] ?? (/^\/dist\/[\w/.-]+\.js$/.test(path) && !path.includes("..") ? path.slice(1) : undefined);
    try {
      if (!file) throw new Error("not served");
      const body = await readFile(join(ROOT, file));
      res.writeHead(200, { "Content-Type": TYPES[extname(file)] ?? "application/octet-stream", "Cache-Control": "no-store" });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((resolve, reject) => {
    server.once("error", (err) => reject(new Error(`cannot serve the demo page on port ${PORT} (set DEMO_PORT): ${err.message}`)));
    server.listen(PORT, "127.0.0.1", resolve);
  });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  page = await browser.newPage();
  page.on("console", (m) => pageLog.push(`console.${m.type()}: ${m.text()}`));
  page.on("pageerror", (err) => pageLog.push(`pageerror: ${err.message}`));
  page.on("requestfailed", (r) => pageLog.push(`requestfailed: ${r.method()} ${r.url()} ${r.failure()?.errorText}`));
});

after(async () => {
  await browser?.close();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve()));
});

/** Runs the test body; on failure saves a screenshot and prints the page's log. */
async function withScreenshot(name, fn) {
  try {
    await fn();
  } catch (err) {
    mkdirSync(SCREENSHOTS, { recursive: true });
    const path = join(SCREENSHOTS, `${name}-failure.png`);
    await page?.screenshot({ path, fullPage: true }).catch((e) => console.error(`no screenshot: ${e.message}`));
    console.error(`screenshot: ${path}`);
    const log = await page?.locator("#log").innerText().catch(() => "");
    console.error(`page log:\n${log}\n${pageLog.join("\n")}`);
    throw err;
  }
}

/** Waits until selector shows text; fails at once when it shows an error instead. */
async function expectText(selector, text) {
  await page
    .waitForFunction(
      ([sel, want]) => {
        const got = document.querySelector(sel)?.textContent ?? "";
        return got.includes(want) || got.startsWith("error:");
      },
      [selector, text],
      { timeout: 15_000 },
    )
    .catch(() => undefined);
  const got = await page.locator(selector).innerText();
  if (!got.includes(text)) throw new Error(`${selector} shows ${JSON.stringify(got)}, want ${JSON.stringify(text)}`);
}

async function storedSession() {
  const raw = await page.evaluate((key) => localStorage.getItem(key), KEY);
  return raw === null ? null : JSON.parse(raw);
}

test("the demo page: register, log in, me, three expiry cycles of five parallel requests, log out", { timeout: 90_000 }, () =>
  withScreenshot("demo", async () => {
    // What the page sends to the API, as Chromium's network stack sees it.
    const calls = [];
    page.on("response", (r) => {
      const url = r.url();
      if (url.startsWith(BASE_URL) && r.request().method() !== "OPTIONS") calls.push({ method: r.request().method(), path: new URL(url).pathname, status: r.status() });
    });
    const refreshes = () => calls.filter((c) => c.path === "/auth/jwt/refresh/");

    await page.goto(`http://localhost:${PORT}/?api=${encodeURIComponent(BASE_URL)}`);
    await expectText("#status", "signed out");
    const email = `browser-${randomUUID()}@example.com`;
    await page.fill("#email", email);
    await page.fill("#password", PASSWORD);
    await page.click("#register");
    await expectText("#status", "registered");
    await page.click("#login");
    await expectText("#status", "signed in");
    await page.click("#me");
    await expectText("#me-out", `Ada Lovelace <${email}>`);

    const seen = new Set();
    for (let round = 1; round <= 3; round++) {
      const session = await storedSession();
      assert.ok(session, "a session in localStorage");
      seen.add(session.refresh);
      if (round === 3) {
        // A reload: a new client instance reads the rotated pair from localStorage.
        await page.reload();
        await expectText("#status", "signed in");
      }
      const before = refreshes().length;
      // Wait until the server treats the access token as expired.
      await sleep(decodeClaims(session.access).exp * 1000 + 50 - Date.now());
      await page.click("#parallel");
      await expectText("#parallel-out", `round ${round === 3 ? 1 : round}: 5/5 ok`);
      const now = refreshes().slice(before);
      assert.deepEqual(now, [{ method: "POST", path: "/auth/jwt/refresh/", status: 200 }], `round ${round}: one refresh`);
      const rotated = await storedSession();
      assert.ok(!seen.has(rotated.refresh), `round ${round}: the rotated refresh token is saved`);
    }
    assert.equal(
      calls.filter((c) => c.path === "/auth/users/me/" && c.status === 200).length,
      16,
      "me once, then 5 per round, none rejected",
    );

    await page.click("#logout");
    await expectText("#status", "signed out (logout)");
    assert.equal(await storedSession(), null, "localStorage cleared");
    assert.deepEqual(calls.at(-1), { method: "POST", path: "/auth/jwt/blacklist/", status: 200 });
    await page.click("#me");
    await expectText("#me-out", "error: NotSignedInError");
  }),
);

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}
