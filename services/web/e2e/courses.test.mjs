// End-to-end test of the date-course pages (docs/date-courses.md) in headless Chromium against a
// running stack behind the edge: the api (POST /api/v1/date-courses and the rest) and the
// recommendation service's course worker (it takes `course.suggest` from the queue
// recommend.course and publishes the course, which the api saves). Run by scripts/web-e2e.sh
// after recommend.test.mjs; see services/web/README.md.
//
// Signed out, #/courses asks to log in. A fresh person signs up, opens "Dates" from the
// navigation (5 of 5 left today, and when that renews) and asks for a course (Seoul, spring,
// afternoon, walk, a mood, in English): the POST carries the form's CourseRequest and an
// Idempotency-Key and answers 202 with RateLimit-Remaining 4; the page shows 4 left and follows
// the task over SSE (queued → running → succeeded) until the course arrives: 3–5 stops with
// name, category, arrival, stay, travel from the previous stop and note, the same as the API's,
// and an SVG map with one marker per stop and a labelled line per leg. The course is in "My
// courses"; opened, it shows the same; rated 4 and renamed, the list says so. Two more through
// the form (3, then 2 left), two through the API with the person's token (1, 0), and the sixth,
// asked through the form of a page that still believes 2 are left, is refused: 429
// quota_exceeded with Retry-After, the page says so with the renewal time, 0 left, the button
// disabled; read again, the page starts disabled. My courses page by cursor ("Load more"); the
// page in Korean; 360 px; Delete asks first. Throughout: no console errors and no failed
// requests except those a step provokes on purpose.
//
// A course is waited for up to MOJI_E2E_TASK_TIMEOUT_MS (default 60000) each.

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
const TASK_TIMEOUT = Number(process.env.MOJI_E2E_TASK_TIMEOUT_MS ?? 60_000);

const run = Date.now().toString(36);
const user = { username: `crs_${run}`, email: `crs_${run}@example.com`, password: 'correct horse battery staple', display: `Dana ${run}` };
const ASK = { region: 'seoul', season: 'spring', time_of_day: 'afternoon', transport: 'walk', mood: 'quiet palaces and tea', language: 'en' };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
// How the page writes a time span: "5 h 12 min", "5 h", "42 min", "less than a minute".
const DURATION = '(\\d+ h \\d+ min|\\d+ h|\\d+ min|less than a minute)';

/** Minutes of a written duration ("1 h 5 min" → 65). */
function minutesOf(text) {
  const m = String(text).match(/^(?:(\d+) h)? ?(?:(\d+) min)?$/);
  return m && (m[1] || m[2]) ? Number(m[1] ?? 0) * 60 + Number(m[2] ?? 0) : NaN;
}

let browser;
let context;
let page;
let firstId; // the first course (= its task id)
let firstTitle;
const problems = []; // console errors, page errors, failed requests, HTTP >= 400
const allowed = []; // {pattern, why}: failures a step provokes on purpose

function isAllowed(url) {
  return allowed.some((x) => x.pattern.test(url));
}

async function provoking(pattern, why, fn) {
  const entry = { pattern, why };
  allowed.push(entry);
  try {
    return await fn();
  } finally {
    await page.waitForTimeout(200); // late console messages of the provoked request
    allowed.splice(allowed.indexOf(entry), 1);
  }
}

function watch(p, label) {
  p.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const url = msg.location()?.url ?? '';
    if (isAllowed(url)) return;
    problems.push(`[${label}] console error: ${msg.text()} (${url})`);
  });
  p.on('pageerror', (err) => problems.push(`[${label}] page error: ${err.message}`));
  p.on('requestfailed', (req) => {
    if (isAllowed(req.url())) return;
    problems.push(`[${label}] request failed: ${req.method()} ${req.url()} ${req.failure()?.errorText ?? ''}`);
  });
  p.on('response', (res) => {
    if (res.status() < 400 || isAllowed(res.url())) return;
    problems.push(`[${label}] HTTP ${res.status()}: ${res.request().method()} ${res.url()}`);
  });
}

/** Goes to `hash` and waits for the new page's heading (or error), as web.test.mjs does. */
async function go(p, hash) {
  const same = p.url() === `${BASE}/${hash}`;
  if (!same) await p.evaluate(() => document.querySelector('main')?.setAttribute('data-left', '')).catch(() => {});
  await p.goto(`${BASE}/${hash}`);
  await p.waitForSelector(same ? 'main h1, main .alert' : 'main:not([data-left]) h1, main:not([data-left]) .alert');
}

/**
 * A call to the API from the page, with the signed-in person's token (the page's own api.js
 * hands it out): `{status, body, remaining, retryAfter}`.
 */
function pageApi(method, route, json) {
  return page.evaluate(
    async ({ method, route, json }) => {
      const api = await import('/js/api.js');
      const headers = { accept: 'application/json', authorization: `Bearer ${await api.accessToken()}` };
      if (json !== undefined) headers['content-type'] = 'application/json';
      const res = await fetch(`/api/v1${route}`, { method, headers, body: json === undefined ? undefined : JSON.stringify(json) });
      const body = res.status === 204 ? null : await res.json().catch(() => null);
      return { status: res.status, body, remaining: res.headers.get('ratelimit-remaining'), retryAfter: res.headers.get('retry-after') };
    },
    { method, route, json },
  );
}

/** Picks the form's choices for `ask` and types its mood. */
async function fillForm(ask) {
  for (const name of ['region', 'season', 'time_of_day', 'transport', 'language']) {
    await page.check(`.course-form input[name="${name}"][value="${ask[name]}"]`);
  }
  await page.fill('.course-form .course-mood', ask.mood);
}

/** Submits the form; resolves with the POST's request and response once the page shows the task. */
async function submitForm() {
  const [request, response] = await Promise.all([
    page.waitForRequest((r) => r.method() === 'POST' && r.url().endsWith('/api/v1/date-courses')),
    page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/api/v1/date-courses')),
    page.click('.course-submit'),
  ]);
  return { request, response };
}

/**
 * Waits for the followed task to end; fails with what it last was (a task that stays queued
 * means no course worker takes `course.suggest`).
 */
async function waitForCourse(id) {
  const card = page.locator(`.course-progress[data-task="${id}"]`);
  await card.waitFor();
  try {
    await page.waitForSelector(`.course-progress[data-task="${id}"].is-final`, { timeout: TASK_TIMEOUT });
  } catch {
    const status = await card.getAttribute('data-status');
    const hint = status === 'queued' ? ': is the recommendation service’s course worker (course.suggest → recommend.course) running?' : '';
    assert.fail(`course task ${id} still ${status} after ${TASK_TIMEOUT} ms${hint}`);
  }
  const status = await card.getAttribute('data-status');
  assert.equal(status, 'succeeded', `course task ${id} ended ${status}: ${await page.locator('.course-result').textContent()}`);
  return page.locator('.course-result article.course');
}

/** Checks a rendered course against the CourseDocument it shows; returns its stop count. */
async function checkCourse(article, doc) {
  const n = doc.stops.length;
  assert.ok(n >= 3 && n <= 5, `3–5 stops: ${n}`);
  assert.equal(await article.getAttribute('data-stops'), String(n));
  assert.equal(await article.locator('.course-stop').count(), n);
  if (doc.intro) assert.equal((await article.locator('.course-intro').textContent()).trim(), doc.intro.trim());
  for (let i = 0; i < n; i++) {
    const st = doc.stops[i];
    const li = article.locator('.course-stop').nth(i);
    assert.equal(await li.getAttribute('data-place'), st.place_id);
    assert.equal(await li.locator('.stop-name-text').textContent(), st.name);
    assert.ok((await li.locator('.stop-category').textContent()).length > 0, 'a category');
    assert.match(st.arrival, /^\d\d:\d\d$/);
    const time = await li.locator('.stop-time').textContent();
    assert.ok(time.includes(`Arrive ${st.arrival}`), `arrival of stop ${i + 1}: ${time}`);
    assert.match(time, /stay \d+ (min|h)/);
    if (st.note) assert.equal((await li.locator('.stop-note').textContent()).trim(), st.note.trim());
    if (i === 0) {
      assert.equal(await li.locator('.stop-first').count(), 1);
    } else {
      const leg = li.locator('.stop-leg');
      assert.equal(await leg.getAttribute('data-minutes'), String(st.travel_minutes));
      assert.match(await leg.textContent(), /\d+ (min|h).* from the previous stop · [\d.,]+ (m|km)$/);
    }
  }
  // The map: an image with a title and a description, a marker per stop, a line per leg.
  const svg = article.locator('.course-map svg');
  assert.equal(await svg.getAttribute('role'), 'img');
  assert.equal(await svg.getAttribute('viewBox'), '0 0 320 220');
  const [titleId, descId] = (await svg.getAttribute('aria-labelledby')).split(' ');
  assert.equal(await svg.locator(`title#${titleId}`).textContent(), `Map of the course: ${n} stops`);
  const desc = await svg.locator(`desc#${descId}`).textContent();
  assert.ok(desc.includes(`1. ${doc.stops[0].name}`) && desc.includes(`${n}. ${doc.stops[n - 1].name}`), desc);
  assert.equal(await svg.locator('.map-stop').count(), n);
  assert.equal(await svg.locator('.map-leg').count(), n - 1);
  const markerEls = svg.locator('.map-stop');
  const markers = await markerEls.evaluateAll((gs) =>
    gs.map((g) => ({
      n: g.getAttribute('data-stop'),
      text: g.querySelector('text').textContent,
      at: g.getAttribute('transform'),
      label: g.getAttribute('aria-label'),
    })),
  );
  for (const [i, m] of markers.entries()) {
    assert.equal(m.n, String(i + 1));
    assert.equal(m.text, String(i + 1));
    const [, x, y] = m.at.match(/^translate\(([\d.]+) ([\d.]+)\)$/) ?? [];
    assert.ok(Number(x) >= 0 && Number(x) <= 320 && Number(y) >= 0 && Number(y) <= 220, `marker ${i + 1} inside the map: ${m.at}`);
    assert.ok(m.label.includes(doc.stops[i].name), m.label);
  }
  const labels = await svg.locator('.map-leg-label text').allTextContents();
  assert.deepEqual(
    labels.map(minutesOf),
    doc.stops.slice(1).map((st) => st.travel_minutes),
    `leg labels ${labels}`,
  );
  // Who wrote it.
  assert.ok(['local', 'openai', 'template'].includes(doc.provider), `provider ${doc.provider}`);
  assert.equal(await article.locator('.course-provider').getAttribute('data-provider'), doc.provider);
  assert.match(await article.locator('.course-provider').textContent(), /^Written /);
  const tips = await article.locator('.course-tips li').allTextContents();
  assert.deepEqual(
    tips.map((x) => x.trim()),
    doc.tips.filter(Boolean).map((x) => x.trim()),
  );
  return n;
}

async function noHorizontalScroll(p) {
  return p.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
}

before(async () => {
  assert.ok(fs.existsSync(CHROMIUM), `no Chromium at ${CHROMIUM}`);
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  context = await browser.newContext({ locale: 'en-US', viewport: { width: 1200, height: 900 }, deviceScaleFactor: 1 });
  page = await context.newPage();
  watch(page, 'courses');
});

after(async () => {
  await browser?.close();
});

test('signed out: the page says what it is and asks to log in', async () => {
  await go(page, '#/courses');
  assert.equal(await page.locator('main h1').textContent(), 'Date courses');
  await page.waitForSelector('.courses-anon');
  assert.equal(await page.locator('.courses-anon a[href^="#/login"]').getAttribute('href'), '#/login?next=%2Fcourses');
  assert.equal(await page.locator('.course-form').count(), 0);
  assert.equal(await page.locator('.nav-link[data-nav="courses"]').getAttribute('aria-current'), 'page');
  const unauth = await fetch(`${BASE}/api/v1/date-courses/quota`);
  assert.equal(unauth.status, 401, 'the API wants a token');
});

test('sign up, open Dates from the navigation: the form, and 5 of 5 left today with when it renews', async () => {
  await go(page, '#/signup');
  await page.fill('#f-username', user.username);
  await page.fill('#f-email', user.email);
  await page.fill('#f-password', user.password);
  await page.fill('#f-display_name', user.display);
  await page.waitForSelector('[data-field="display_name"] .field-check[data-state="free"]');
  await page.click('form button[type=submit]');
  await page.waitForSelector('.make-form');

  await page.click('.nav-link[data-nav="courses"]');
  await page.waitForURL(/#\/courses$/);
  await page.waitForSelector('.course-form');
  assert.equal(await page.locator('.nav-link[data-nav="courses"]').getAttribute('aria-current'), 'page');
  assert.equal(await page.locator('main h1').textContent(), 'Date courses');
  const quota = page.locator('.course-quota[data-remaining]');
  await quota.waitFor();
  assert.equal(await quota.getAttribute('data-remaining'), '5');
  assert.equal(await quota.getAttribute('data-limit'), '5');
  assert.equal(await page.locator('.course-quota-left').textContent(), '5 of 5 left today');
  assert.match(await page.locator('.course-quota-renews').textContent(), new RegExp(`^Renews at \\d\\d:\\d\\d \\(in ${DURATION}\\)$`));
  assert.equal(await page.isEnabled('.course-submit'), true);
  // The course's language follows the page's; the history is empty.
  assert.equal(await page.isChecked('.course-form input[name="language"][value="en"]'), true);
  await page.waitForSelector('.course-history-empty');
  const mood = page.locator('.course-form .course-mood');
  assert.equal(await mood.getAttribute('maxlength'), '200');
});

test('ask for a course: 202 with RateLimit-Remaining, live progress over SSE, then the course with its map', async () => {
  await fillForm(ASK);
  assert.equal(await page.locator('.course-mood-count').textContent(), `${ASK.mood.length} / 200`);
  const { request, response } = await submitForm();
  assert.deepEqual(request.postDataJSON(), ASK, 'the CourseRequest of the form');
  assert.match(request.headers()['idempotency-key'] ?? '', UUID);
  assert.match(request.headers().authorization ?? '', /^Bearer /);
  assert.equal(response.status(), 202);
  assert.equal(response.headers()['ratelimit-remaining'], '4');
  const task = await response.json();
  assert.match(task.id, UUID);
  assert.equal(task.status, 'queued');
  assert.deepEqual(task.request, ASK);
  firstId = task.id;
  await page.waitForSelector('.course-quota[data-remaining="4"]');
  assert.equal(await page.locator('.course-quota-left').textContent(), '4 of 5 left today');

  const article = await waitForCourse(firstId);
  assert.equal(await page.isVisible('.course-progress .course-cancel'), false, 'no Cancel once done');
  const events = await page.$$eval('.course-progress .timeline li', (lis) => lis.map((li) => ({ ...li.dataset })));
  console.log(`# course events: ${events.map((e) => `${e.source}:${e.status}${e.step ? '/' + e.step : ''}@${e.progress}`).join(' → ')}`);
  assert.deepEqual([events[0].source, events[0].status], ['post', 'queued']);
  assert.ok(
    events.some((e) => e.source === 'sse'),
    'events arrived over SSE',
  );
  assert.equal(events.at(-1).status, 'succeeded');
  assert.equal(await page.getAttribute('.course-progress', 'data-mode'), 'sse');

  // What the page shows is the API's course.
  const view = await pageApi('GET', `/date-courses/tasks/${firstId}`);
  assert.equal(view.status, 200);
  assert.equal(view.body.status, 'succeeded');
  const doc = view.body.result;
  assert.equal(doc.region, 'seoul');
  assert.equal(doc.language, 'en');
  firstTitle = doc.title;
  assert.equal(await article.locator('.course-title').textContent(), doc.title);
  const n = await checkCourse(article, doc);
  console.log(`# course: “${doc.title}”, ${n} stops, written by ${doc.provider} (${doc.model})`);
  await page.screenshot({ path: path.join(ARTIFACTS, 'course.png'), fullPage: true });
});

test('the course is in my courses; opened, it shows the same; rated 4 and renamed', async () => {
  // Listed by the API (the page put it first already; read again until the api saved it).
  const until = Date.now() + 10_000;
  for (let i = 1; ; i++) {
    await go(page, `#/courses?again=${i}`);
    await page.waitForSelector('.course-history-list, .course-history-empty');
    if ((await page.locator(`.course-item[data-id="${firstId}"]`).count()) > 0) break;
    assert.ok(Date.now() < until, `${firstId} not in my courses`);
    await page.waitForTimeout(500);
  }
  const item = page.locator(`.course-item[data-id="${firstId}"]`);
  assert.equal(await item.locator('.course-link').textContent(), firstTitle);
  assert.equal(await item.locator('.course-item-region').textContent(), 'Seoul');
  assert.ok((await item.locator('time').getAttribute('datetime')).length > 0);
  assert.equal(await item.locator('.course-item-rating').getAttribute('data-rating'), '0');
  assert.equal(await item.locator('.course-item-rating .sr-only').textContent(), 'Not rated');

  await item.locator('.course-link').click();
  await page.waitForURL(new RegExp(`#/courses/${firstId}$`));
  await page.waitForSelector('.course-saved h1.course-title');
  assert.equal(await page.locator('h1.course-title').textContent(), firstTitle);
  const saved = await pageApi('GET', `/date-courses/${firstId}`);
  assert.equal(saved.status, 200);
  await checkCourse(page.locator('.course-saved article.course'), saved.body.course);
  assert.equal(await page.title(), `${firstTitle} · Moji`);

  // Rate 4.
  const [rated] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'PATCH' && r.url().endsWith(`/api/v1/date-courses/${firstId}`)),
    page.click('.course-star[data-n="4"]'),
  ]);
  assert.equal(rated.status(), 200);
  assert.deepEqual(rated.request().postDataJSON(), { rating: 4 });
  assert.equal((await rated.json()).rating, 4);
  await page.waitForSelector('.course-rating[data-rating="4"]');
  assert.equal(await page.locator('.course-star.is-on').count(), 4);

  // Rename (an empty title is refused by the API, at the field).
  const title = `Our spring walk ${run}`;
  await page.click('.course-rename');
  await page.fill('.course-title-input', ' ');
  await provoking(new RegExp(`/api/v1/date-courses/${firstId}$`), 'an empty title: 422', async () => {
    await page.click('.course-title-save');
    await page.waitForSelector('.course-rename-form [data-field="title"] .field-error:not([hidden])');
  });
  await page.fill('.course-title-input', title);
  const [renamed] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'PATCH' && r.url().endsWith(`/api/v1/date-courses/${firstId}`) && r.status() === 200),
    page.click('.course-title-save'),
  ]);
  assert.equal((await renamed.json()).title, title);
  await page.waitForFunction((t) => document.querySelector('h1.course-title')?.textContent === t, title);
  assert.equal(await page.getAttribute('.course-rating', 'data-rating'), '4', 'the rating stays');

  await page.click('.course-back a');
  await page.waitForSelector(`.course-item[data-id="${firstId}"]`);
  assert.equal(await item.locator('.course-link').textContent(), title);
  assert.equal(await item.locator('.course-item-rating').getAttribute('data-rating'), '4');
  assert.equal(await item.locator('.course-item-rating .sr-only').textContent(), 'Rated 4 of 5');
  firstTitle = title;
});

test('five a day: two more through the form, two through the API, and the sixth is refused with the quota message', async () => {
  await go(page, '#/courses');
  await page.waitForSelector('.course-quota[data-remaining="4"]');
  await fillForm(ASK);
  let followed = null;
  for (const left of [3, 2]) {
    const { response } = await submitForm();
    assert.equal(response.status(), 202);
    assert.equal(response.headers()['ratelimit-remaining'], String(left));
    await page.waitForSelector(`.course-quota[data-remaining="${left}"]`);
    assert.equal(await page.locator('.course-quota-left').textContent(), `${left} of 5 left today`);
    followed = (await response.json()).id;
    // Followed until it is done (a failed one would give its unit back).
    await waitForCourse(followed);
  }
  assert.equal(await page.isEnabled('.course-submit'), true);

  // The page does not see these two: it still says 2 left.
  for (const left of [1, 0]) {
    const res = await pageApi('POST', '/date-courses', ASK);
    assert.equal(res.status, 202, JSON.stringify(res.body));
    assert.equal(res.remaining, String(left));
  }
  assert.equal(await page.getAttribute('.course-quota', 'data-remaining'), '2');

  // The sixth, through the form.
  const { response } = await provoking(/\/api\/v1\/date-courses$/, 'the sixth request of the day: 429', () => submitForm());
  assert.equal(response.status(), 429);
  const problem = await response.json();
  assert.equal(problem.code, 'quota_exceeded');
  assert.equal(response.headers()['ratelimit-remaining'], '0');
  const retry = Number(response.headers()['retry-after']);
  assert.ok(retry >= 1 && retry <= 86_400, `Retry-After ${retry}`);
  const message = page.locator('.course-quota-exceeded[role="alert"]');
  await message.waitFor();
  assert.equal(await message.getAttribute('data-code'), 'quota_exceeded');
  assert.match(
    await message.locator('.alert-detail').textContent(),
    new RegExp(`^You have used all 5 of today’s date courses\\. You can ask again at \\d\\d:\\d\\d \\(in ${DURATION}\\)\\.$`),
  );
  assert.equal(await page.getAttribute('.course-quota', 'data-remaining'), '0');
  assert.equal(await page.locator('.course-quota-left').textContent(), '0 of 5 left today');
  assert.equal(await page.isDisabled('.course-submit'), true, 'the button is disabled');
  assert.equal(await page.getAttribute('.course-submit', 'aria-describedby'), await message.getAttribute('id'));
  // The page follows no new task: still the third.
  assert.equal(await page.getAttribute('.course-progress', 'data-task'), followed);
  const quota = await pageApi('GET', '/date-courses/quota');
  assert.deepEqual([quota.body.limit, quota.body.remaining, quota.remaining], [5, 0, '0']);

  // Read again, the page knows at once: disabled, and says when it renews (not as an alert).
  await go(page, '#/courses?again=quota');
  await page.waitForSelector('.course-quota[data-remaining="0"]');
  assert.equal(await page.isDisabled('.course-submit'), true);
  assert.equal(await page.locator('.course-quota-exceeded[role="alert"]').count(), 0);
  assert.match(await page.locator('.course-quota-exceeded .alert-detail').textContent(), /You can ask again at \d\d:\d\d/);
});

test('my courses page by cursor ("Load more"); the page in Korean', async () => {
  // The two asked through the API finish in the background: at least the three from the form.
  await go(page, '#/courses?size=2');
  await page.waitForSelector('.course-history-list');
  assert.equal(await page.locator('.course-item').count(), 2);
  const more = page.locator('.course-history .more-btn');
  assert.equal(await more.isVisible(), true);
  const [next] = await Promise.all([
    page.waitForRequest((r) => r.url().includes('/api/v1/date-courses?') && new URL(r.url()).searchParams.has('cursor')),
    more.click(),
  ]);
  assert.equal(new URL(next.url()).searchParams.get('size'), '2');
  await page.waitForFunction(() => document.querySelectorAll('.course-item').length >= 3);
  const ids = await page.locator('.course-item').evaluateAll((lis) => lis.map((li) => li.dataset.id));
  assert.equal(new Set(ids).size, ids.length, 'no course twice');
  assert.ok(ids.includes(firstId));

  await page.click('button.lang');
  await page.waitForFunction(() => document.documentElement.lang === 'ko');
  await page.waitForSelector('.course-quota[data-remaining="0"]');
  assert.equal(await page.locator('main h1').textContent(), '데이트 코스');
  assert.equal(await page.locator('.course-quota-left').textContent(), '오늘 5번 중 0번 남았어요');
  assert.equal(await page.locator('.nav-link[data-nav="courses"] .nav-text').textContent(), '데이트');
  await page.click('button.lang');
  await page.waitForFunction(() => document.documentElement.lang === 'en');
});

test('360 px: the page and a course, no sideways scrolling', async () => {
  await page.setViewportSize({ width: 360, height: 740 });
  try {
    for (const hash of ['#/courses', `#/courses/${firstId}`]) {
      await go(page, hash);
      await page.waitForSelector(hash === '#/courses' ? '.course-quota[data-remaining]' : '.course-saved .course-map svg');
      await page.waitForLoadState('networkidle');
      assert.ok(await noHorizontalScroll(page), `no horizontal scroll on ${hash}`);
      await page.screenshot({ path: path.join(ARTIFACTS, hash === '#/courses' ? 'courses-360.png' : 'course-360.png'), fullPage: true });
    }
    const box = await page.locator('.course-saved .course-map svg').boundingBox();
    assert.ok(box.width > 200 && box.width <= 360, `the map fits: ${box.width} px`);
  } finally {
    await page.setViewportSize({ width: 1200, height: 900 });
  }
});

test('delete asks first; then the course is gone', async () => {
  await go(page, `#/courses/${firstId}`);
  await page.waitForSelector('.course-saved h1.course-title');
  await page.click('.course-delete');
  await page.waitForSelector('.course-confirm-text');
  assert.equal(await page.evaluate(() => document.activeElement?.classList.contains('cancel-delete')), true, 'Cancel has the focus');
  await page.click('.cancel-delete');
  await page.waitForSelector('.course-delete');
  await page.click('.course-delete');
  const [gone] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'DELETE' && r.url().endsWith(`/api/v1/date-courses/${firstId}`)),
    page.click('.confirm-delete'),
  ]);
  assert.equal(gone.status(), 204);
  await page.waitForURL(/#\/courses$/);
  await page.waitForSelector('.course-history-list');
  assert.equal(await page.locator(`.course-item[data-id="${firstId}"]`).count(), 0);
  // The API and its page say so.
  await provoking(new RegExp(`/api/v1/date-courses/${firstId}$`), 'a deleted course: 404', async () => {
    assert.equal((await pageApi('GET', `/date-courses/${firstId}`)).status, 404);
    await go(page, `#/courses/${firstId}`);
    await page.waitForSelector('.course-saved .alert-error');
  });
  assert.match(await page.locator('.course-saved .alert-detail').textContent(), /no such course/);
});

test('no console errors, no failed requests', () => {
  assert.deepEqual(problems, []);
});
