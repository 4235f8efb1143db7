// End-to-end test of reports and moderation (issue 17) in headless Chromium against a running
// stack behind the edge. Run by scripts/web-e2e.sh after datasets.test.mjs.
//
// An author posts (through the API); a reporter opens the post, reports it as abuse with the
// reason picker and sees it under "My reports" as received. An admin (MOJI_E2E_ADMIN,
// `username:password`, made by web-e2e.sh with `moji-api create-admin`) opens #/admin, finds
// the post in the queue with one open report, hides it: the post leaves the latest posts, the
// audit log says who hid it, the statistics count it, and the reporter's report reads
// "Resolved". A person who is not an admin sees no admin link and the page refuses them.
// Throughout: no console errors and no failed requests (the refused admin calls aside).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const BASE = (process.env.MOJI_E2E_URL ?? 'http://127.0.0.1:8080').replace(/\/+$/, '');
const CHROMIUM = process.env.MOJI_E2E_CHROMIUM ?? '/usr/bin/chromium';
const ARTIFACTS = process.env.MOJI_E2E_ARTIFACTS ?? path.join(here, 'artifacts');
const [ADMIN_USER, ADMIN_PASSWORD] = (process.env.MOJI_E2E_ADMIN ?? '').split(/:(.*)/s);

const run = Date.now().toString(36);
const person = (tag) => ({ username: `${tag}_${run}`, email: `${tag}_${run}@example.com`, password: 'correct horse battery staple' });
const author = person('mda');
const reporter = person('mdr');

let browser;
const problems = [];

function watch(p, label) {
  p.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`[${label}] console error: ${msg.text()}`);
  });
  p.on('pageerror', (err) => problems.push(`[${label}] page error: ${err.message}`));
  p.on('requestfailed', (req) => problems.push(`[${label}] request failed: ${req.method()} ${req.url()}`));
  p.on('response', (res) => {
    if (res.status() >= 400) problems.push(`[${label}] HTTP ${res.status()}: ${res.request().method()} ${res.url()}`);
  });
}

async function api(method, route, { token, json } = {}) {
  const headers = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(`${BASE}/api/v1${route}`, { method, headers, body: json === undefined ? undefined : JSON.stringify(json) });
  return { status: res.status, body: await res.json().catch(() => null) };
}

async function signUp(u) {
  const r = await api('POST', '/users', { json: { username: u.username, email: u.email, password: u.password } });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body.access_token;
}

async function logIn(p, username, password) {
  await p.goto(`${BASE}/#/login`);
  await p.waitForSelector('#f-login');
  await p.fill('#f-login', username);
  await p.fill('#f-password', password);
  await p.click('form button[type=submit]');
  await p.waitForSelector('.make-form');
}

let postId;

before(async () => {
  assert.ok(ADMIN_USER && ADMIN_PASSWORD, 'MOJI_E2E_ADMIN=username:password of an admin (web-e2e.sh makes one)');
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  const token = await signUp(author);
  await signUp(reporter);
  const r = await api('POST', '/posts', { token, json: { title: `거친 말 ${run}`, text: 'rude words' } });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  postId = r.body.id;
});

after(async () => {
  await browser?.close();
});

test('a person reports a post with a reason and follows the report', async () => {
  const context = await browser.newContext({ locale: 'en-US' });
  const page = await context.newPage();
  watch(page, 'reporter');
  await logIn(page, reporter.username, reporter.password);
  assert.equal(await page.locator('.nav-link[data-nav="admin"]').count(), 0, 'no admin link for a person');
  await page.goto(`${BASE}/#/p/${postId}`);
  await page.click('.report-open');
  await page.selectOption('.report-reason', 'abuse');
  await page.fill('.report-text', 'insults in the text');
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/api/v1/reports')),
    page.click('.report-send'),
  ]);
  assert.equal(response.status(), 201);
  await page.waitForSelector('.report-done a[href="#/reports"]');
  await page.click('.report-done a[href="#/reports"]');
  await page.waitForSelector(`.report-item[data-target="${postId}"][data-status="received"]`);
  assert.match(await page.locator(`.report-item[data-target="${postId}"]`).textContent(), /Abuse or harassment/);
  // Signed in, the admin page refuses a person who is not an admin.
  await page.goto(`${BASE}/#/admin`);
  await page.waitForSelector('.admin-denied');
  await context.close();
  assert.deepEqual(problems, []);
});

test('an admin hides the post from the queue; the reporter sees it resolved', async () => {
  const context = await browser.newContext({ locale: 'en-US', viewport: { width: 1100, height: 900 } });
  const page = await context.newPage();
  watch(page, 'admin');
  await logIn(page, ADMIN_USER, ADMIN_PASSWORD);
  await page.click('.nav-link[data-nav="admin"]');
  await page.waitForURL(/#\/admin$/);
  const card = page.locator(`.admin-target[data-target="${postId}"]`);
  await card.waitFor();
  assert.equal(await card.getAttribute('data-state'), 'published');
  assert.match(await card.locator('.admin-counts').textContent(), /1 open reports from 1 people/);
  assert.match(await card.locator('.admin-reasons').textContent(), /Abuse or harassment ×1/);
  await card.locator('.admin-note').fill('insults');
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && r.url().includes(`/admin/reports/post/${postId}/actions`)),
    card.locator('.admin-hide').click(),
  ]);
  assert.equal(response.status(), 200);
  // The queue of open reports no longer has it; the audit log and the statistics do.
  await page.waitForSelector(`.admin-audit .audit-row[data-action="hide"][data-target="${postId}"]`);
  await page.waitForFunction((id) => !document.querySelector(`.admin-target[data-target="${id}"]`), postId);
  await page.waitForSelector('.admin-bars[data-chart="status"] .bar-row[data-key="resolved"]');
  await page.screenshot({ path: path.join(ARTIFACTS, 'admin.png'), fullPage: true });
  const latest = await api('GET', '/posts?size=50');
  assert.ok(!latest.body.items.some((p) => p.id === postId), 'a hidden post leaves the list');
  await context.close();

  const again = await browser.newContext({ locale: 'en-US' });
  const mine = await again.newPage();
  watch(mine, 'reporter-after');
  await logIn(mine, reporter.username, reporter.password);
  await mine.goto(`${BASE}/#/reports`);
  await mine.waitForSelector(`.report-item[data-target="${postId}"][data-status="resolved"]`);
  assert.match(await mine.locator(`.report-item[data-target="${postId}"] .report-status`).textContent(), /Resolved/);
  await again.close();
  assert.deepEqual(problems, []);
});
