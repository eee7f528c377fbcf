// Opens the interactive docs in headless Chromium, authorises with a token,
// runs GET /api/auth/me/ from the page and checks the answer. BASE_URL,
// TOKEN and USERNAME come from scripts/browser-test, which starts the server.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { chromium } from "playwright-core";

const base = process.env.BASE_URL;
const token = process.env.TOKEN;
const username = process.env.USERNAME;

test("docs page authorises and runs a request", async () => {
  assert.ok(base && token && username, "BASE_URL, TOKEN and USERNAME must be set");
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  try {
    const page = await browser.newPage();
    const foreign = [];
    const failed = [];
    page.on("request", (r) => { if (!r.url().startsWith(base) && !r.url().startsWith("data:")) foreign.push(r.url()); });
    page.on("pageerror", (e) => failed.push(String(e)));
    page.on("console", (m) => { if (m.type() === "error") failed.push(m.text()); });

    await page.goto(base + "/api/docs/");
    await page.locator(".swagger-ui .info .title").waitFor({ timeout: 15000 });

    await page.locator("button.authorize").first().click();
    const modal = page.locator(".modal-ux");
    await modal.locator("input").first().fill(token);
    await modal.locator("button.authorize").click();
    await modal.locator("button.btn-done").click();

    const op = page.locator(".opblock.opblock-get", { has: page.locator('[data-path="/api/auth/me/"]') }).first();
    await op.locator(".opblock-summary").first().click();
    await op.locator(".opblock-body").waitFor();
    const tryOut = op.locator("button.try-out__btn", { hasText: "Try it out" });
    if (await tryOut.count()) await tryOut.click();
    // Only this operation is open, so its Execute button is the page's only one.
    await page.getByRole("button", { name: "Execute" }).click();
    const status = page.locator(".live-responses-table tbody .response-col_status").first();
    await status.waitFor({ timeout: 15000 });
    assert.equal((await status.innerText()).trim(), "200");
    const body = await page.locator(".live-responses-table tbody .response-col_description pre").first().innerText();
    assert.match(body, new RegExp(`"username": "${username}"`));

    mkdirSync("out", { recursive: true });
    await status.scrollIntoViewIfNeeded();
    await page.screenshot({ path: "out/docs.png", fullPage: false });
    assert.deepEqual(foreign, [], "the page asked another host");
    assert.deepEqual(failed.filter((f) => !/favicon/.test(f)), [], "errors in the page");
  } finally {
    await browser.close();
  }
});
