// Drives the staff console in headless Chromium through every flow of
// docs/console.md, runs axe-core on every page (no violations allowed),
// checks that the keyboard reaches every control, and saves screenshots of
// the main pages. BASE_URL, STAFF_USER, STAFF_PASSWORD, IDLE_SECONDS and
// SCREENSHOTS (a folder, or empty) come from scripts/console-test.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { chromium } from "playwright-core";

const base = process.env.BASE_URL;
const staffUser = process.env.STAFF_USER;
const staffPassword = process.env.STAFF_PASSWORD;
const idleSeconds = Number(process.env.IDLE_SECONDS || 0);
const shots = process.env.SCREENSHOTS;
const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

const owner = { username: "owner", email: "owner@example.com", password: "Owner-Pass-4-Console" };
let browser;
let ownerToken;
let patientID;
let doctorID;
let ownerID;
const foreign = [];
const pageErrors = [];

async function api(method, path, { token, body } = {}) {
  const headers = { "Content-Type": "application/json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  const res = await fetch(base + path, { method, headers, body: body && JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

async function login(username, password) {
  const res = await api("POST", "/api/auth/login/", { body: { username, password } });
  assert.equal(res.status, 200, `API login of ${username}`);
  return res.body.access;
}

before(async () => {
  assert.ok(base && staffUser && staffPassword, "BASE_URL, STAFF_USER and STAFF_PASSWORD must be set");
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  // An owner with a patient assigned to a doctor, through the API.
  const reg = await api("POST", "/api/auth/register/", { body: owner });
  assert.equal(reg.status, 201);
  ownerID = reg.body.id;
  ownerToken = await login(owner.username, owner.password);
  const pat = await api("POST", "/api/patients/", { token: ownerToken,
    body: { first_name: "Jon", last_name: "Doe", email: "jon@example.com", dob: "1990-01-01", notes: "N/A" } });
  assert.equal(pat.status, 201);
  patientID = pat.body.id;
  const doc = await api("POST", "/api/doctors/", { token: ownerToken,
    body: { first_name: "Alice", last_name: "Smith", email: "alice@clinic.com", specialization: "Cardiology" } });
  assert.equal(doc.status, 201);
  doctorID = doc.body.id;
  const map = await api("POST", "/api/mappings/", { token: ownerToken, body: { patient: patientID, doctor: doctorID } });
  assert.equal(map.status, 201);
});

after(async () => {
  await browser?.close();
  assert.deepEqual(foreign, [], "a page asked another host");
  assert.deepEqual(pageErrors, [], "errors in the pages (a CSP violation is one)");
});

async function newPage(context) {
  const page = await (context ?? await browser.newContext({ viewport: { width: 1100, height: 720 } })).newPage();
  page.on("request", (r) => { if (!r.url().startsWith(base)) foreign.push(r.url()); });
  page.on("pageerror", (e) => pageErrors.push(String(e)));
  // A page answered with 4xx logs "Failed to load resource": expected here.
  page.on("console", (m) => {
    if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) pageErrors.push(m.text());
  });
  page.on("response", (r) => { if (r.status() === 404) pageErrors.push(`404: ${r.url()}`); });
  return page;
}

// check runs axe on the page (no violations) and walks it with Tab: every
// link, button and field must be reached.
async function check(page, name) {
  await page.evaluate(axeSource);
  const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ["violations"] }));
  const violations = result.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target).join(", ")})`);
  assert.deepEqual(violations, [], `axe on ${name}`);
  const controls = await page.evaluate(() => {
    const all = [...document.querySelectorAll("a[href], button, input:not([type=hidden]), select, textarea, summary")];
    all.forEach((el, i) => el.setAttribute("data-reach", String(i)));
    return all.length;
  });
  const reached = new Set();
  await page.evaluate(() => document.activeElement?.blur());
  // A date field takes a Tab stop per part, so allow several per control.
  for (let i = 0; i < controls * 8 && reached.size < controls; i++) {
    await page.keyboard.press("Tab");
    const id = await page.evaluate(() => document.activeElement?.getAttribute("data-reach"));
    if (id !== null && id !== undefined) reached.add(id);
  }
  assert.equal(reached.size, controls, `keyboard reaches every control of ${name}`);
}

async function shot(page, name) {
  if (!shots) return;
  mkdirSync(shots, { recursive: true });
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: `${shots}/${name}.png` });
}

async function signIn(page, username, password) {
  await page.goto(base + "/admin/login");
  await page.getByLabel("Username or email").fill(username);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

test("a non-staff account gets the wrong password's answer", async () => {
  const page = await newPage();
  await signIn(page, owner.username, "not the password");
  const wrong = await page.locator("main").innerText();
  await signIn(page, owner.username, owner.password);
  assert.equal(await page.locator("main").innerText(), wrong);
  assert.match(wrong, /correct username and password for a staff account/);
  await shot(page, "login");
  await check(page, "sign-in page");
  await page.context().close();
});

test("staff flows", async (t) => {
  const context = await browser.newContext({ viewport: { width: 1100, height: 720 } });
  const page = await newPage(context);
  await signIn(page, staffUser, staffPassword);
  await page.getByRole("heading", { name: "Dashboard" }).waitFor();

  await t.test("dashboard", async () => {
    assert.match(await page.locator(".counts").innerText(), /Patients\s+1/);
    await shot(page, "dashboard");
    await check(page, "dashboard");
  });

  await t.test("search accounts, deactivate one and see the API refuse its token", async () => {
    await page.getByRole("link", { name: "Accounts", exact: true }).click();
    await page.getByLabel("Search username or email").fill("owner@");
    await page.getByRole("button", { name: "Filter" }).click();
    await shot(page, "accounts");
    await check(page, "accounts");
    await page.getByRole("link", { name: owner.username, exact: true }).click();
    await check(page, "account");
    const token = await login(owner.username, owner.password);
    assert.equal((await api("GET", "/api/auth/me/", { token })).status, 200);
    await page.getByRole("button", { name: "Deactivate" }).click();
    await page.getByText("The account is deactivated").waitFor();
    const me = await api("GET", "/api/auth/me/", { token });
    assert.equal(me.status, 401);
    assert.equal(me.body.code, "user_inactive");
    await page.getByRole("button", { name: "Reactivate" }).click();
    await page.getByText("The account is active again").waitFor();
    ownerToken = await login(owner.username, owner.password);
  });

  await t.test("a doctor edited in two tabs shows the conflict", async () => {
    const other = await newPage(context);
    for (const p of [page, other]) await p.goto(`${base}/admin/doctors/${doctorID}`);
    await page.getByLabel("First name").fill("Alicia");
    await page.getByRole("button", { name: "Save" }).click();
    await page.getByText("The doctor is saved.").waitFor();
    await other.getByLabel("First name").fill("Ally");
    await other.getByRole("button", { name: "Save" }).click();
    await other.getByText("Someone else changed this doctor").waitFor();
    assert.match(await other.locator(".conflict").innerText(), /Alicia/);
    await shot(other, "doctor-conflict");
    await check(other, "doctor conflict");
    await other.close();
  });

  await t.test("an assigned doctor is not deleted", async () => {
    await page.goto(`${base}/admin/doctors/${doctorID}`);
    await page.getByRole("button", { name: "Delete this doctor" }).click();
    await page.getByText("1 patient is still assigned").waitFor();
    await check(page, "doctor delete refused");
    await page.goto(`${base}/admin/doctors/?specialization=cardiology`);
    assert.match(await page.locator("table").innerText(), /Smith, Alicia/);
    await check(page, "doctors");
  });

  await t.test("a patient opened with a reason shows in the owner's audit list", async () => {
    await page.getByRole("link", { name: "Patients", exact: true }).click();
    await check(page, "patient form");
    await page.getByLabel("Patient id").fill(String(patientID));
    await page.getByLabel("Reason").fill("Support ticket 4711: owner asked for a correction");
    await page.getByRole("button", { name: "Open the record" }).click();
    await page.getByText("jon@example.com").waitFor();
    await shot(page, "patient");
    await check(page, "patient");
    const list = await api("GET", "/api/audit/?action=patient.staff_read", { token: ownerToken });
    assert.equal(list.status, 200);
    assert.equal(list.body.results.length, 1);
    assert.equal(list.body.results[0].patient_id, patientID);
  });

  await t.test("audit trail, filtered and exported", async () => {
    await page.getByRole("link", { name: "Audit trail", exact: true }).click();
    await page.getByLabel("Patient id").fill(String(patientID));
    await page.getByRole("button", { name: "Filter" }).click();
    assert.match(await page.locator("table.events").innerText(), /patient\.staff_read/);
    await shot(page, "audit");
    await check(page, "audit trail");
    const csv = await context.request.get(`${base}/admin/audit/export.csv?patient=${patientID}`);
    assert.equal(csv.status(), 200);
    assert.match(await csv.text(), /^"id","at","actor","action"/);
    assert.match(await csv.text(), /patient\.staff_read/);
  });

  await t.test("a form without its CSRF token is refused", async () => {
    const res = await context.request.post(`${base}/admin/accounts/${ownerID}/active`, { form: { active: "no" } });
    assert.equal(res.status(), 403);
    assert.equal((await api("GET", "/api/auth/me/", { token: ownerToken })).status, 200);
  });

  await context.close();
});

test("an idle session ends", { skip: !idleSeconds }, async () => {
  const page = await newPage();
  await signIn(page, staffUser, staffPassword);
  await page.getByRole("heading", { name: "Dashboard" }).waitFor();
  await page.waitForTimeout((idleSeconds + 1) * 1000);
  await page.getByRole("link", { name: "Accounts", exact: true }).click();
  await page.getByText("Your session has ended").waitFor();
  assert.equal(new URL(page.url()).pathname, "/admin/login");
  await page.context().close();
});
