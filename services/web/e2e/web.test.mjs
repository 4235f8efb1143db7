// End-to-end test of the Moji web client in headless Chromium against a running stack
// (the nginx edge serving services/web/dist and proxying /api/v1). Run by scripts/web-e2e.sh;
// see services/web/README.md for the environment it reads.
//
// The flow: first load (weight, no errors) → language switch → sign up (after a deliberate
// validation error; username and display name checked while typing) → upload a face photo →
// progress events over SSE → result shows `happy` → save → the emoji is in the gallery → a
// second emoji saved private stays out of it → popular of the last 7 days before any like
// shows its empty state → like/unlike → popular of the last 7 days → the owner's name leads
// to their page → token refresh → zodiac with the SSE stream cut (polling fallback), with
// fortune and lucky item → a signed-out browser sees it is private → publish → the share link
// opens in the signed-out browser → a taken display name is refused there → my page (results
// of both kinds, liked, unpublish, statistics by week) → publish the private emoji and edit
// its caption from my page (after a caption the API refuses) → the gallery and the user page
// page by cursor ("Load more", size 1) → unpublish: it leaves the public gallery → ranking →
// follows (a second person B in a tab of their own: A follows B from B's page, counts and
// both lists; B removes A from the followers after a confirm step; A follows, unfollows, a
// refused follow shows the problem, re-follows; B's followers page by cursor; no Follow
// button on your own page) → posts (a refused post shows the title's field message; A posts
// with a Korean tag; B follows A, sees it in the feed, likes it, opens it and its tag page;
// A edits the title and deletes it: it leaves B's feed) → the market SNS (A posts with a photo
// from the compose form: refused files, a removed photo, the signed PUT with its progress bar,
// pending → published; B sees it with its photo in the feed at 360 px, likes and comments on
// it; A likes the comment and replies; a signed-out search of a two-syllable Korean word of its
// title finds it; A lists a product with a photo, edits its price; a price range in the market
// finds it; B sees it on A's page; in Korean it reads in won; A changes their picture; the new
// pages at 360 px) → 360 px layout → log out → a wrong password shows the API's detail. Throughout: no console errors and no failed requests except the ones a step
// provokes on purpose.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../../..');
const BASE = (process.env.MOJI_E2E_URL ?? 'http://127.0.0.1:8080').replace(/\/+$/, '');
const PHOTO = process.env.MOJI_E2E_PHOTO ?? path.join(repo, '.cache/models/images/astronaut.png');
const CHROMIUM = process.env.MOJI_E2E_CHROMIUM ?? '/usr/bin/chromium';
const ARTIFACTS = process.env.MOJI_E2E_ARTIFACTS ?? path.join(here, 'artifacts');
const UPDATE_SCREENSHOT = process.env.MOJI_E2E_UPDATE_SCREENSHOT === '1';
const README_SHOT = path.join(repo, 'docs/images/web-result.png');
const TASK_TIMEOUT = Number(process.env.MOJI_E2E_TASK_TIMEOUT_MS ?? 60_000);
const MAX_FIRST_LOAD = 300 * 1024;

const run = Date.now().toString(36);
// Display names are unique (case-insensitively), so every run uses its own.
const user = { username: `e2e_${run}`, email: `e2e_${run}@example.com`, password: 'correct horse battery staple', display: `Mina ${run}` };
// The person the first one follows (and who removes them from the followers again).
const friend = { username: `e2e_${run}_b`, email: `e2e_${run}_b@example.com`, password: user.password, display: `Jun ${run}` };
const caption = `Houston, we have a smile (${run})`;
const caption2 = `Second smile, private at first (${run})`;
const caption3 = `Second smile, now public (${run})`;

let context;
let userDataDir;
let page;
let emojiTaskId;
let secondEmojiId;
let zodiacTaskId;
let animalName;
let shareLink;
// A second browser with its own context: nobody is signed in there.
let anonBrowser;
let anonContext;
let anon;
// The friend's own tab in the first browser (tokens live in page memory: its own session).
let friendPage;
const problems = []; // console errors, page errors, failed requests, HTTP >= 400
const allowed = []; // {pattern, why}: failures a step provokes on purpose
// Failures of the recommendation service's calls that the pages are built to shrug off, for the
// whole run: a post or product just created is not in its index for a moment, so its similar
// list may be a 404 (the page then shows no "Similar" section); the dwell-time beacon's answer
// is ignored by design, and a keepalive request may be cut by a page that closes.
const tolerated = [
  { pattern: /\/api\/v1\/(posts|products)\/[\w-]+\/similar\?/, statuses: [404] },
  { pattern: /\/api\/v1\/recommend\/events\/views$/, statuses: null },
];

function isAllowed(url, status = null, text = '') {
  if (allowed.some((a) => a.pattern.test(url))) return true;
  return tolerated.some((x) => x.pattern.test(url) && (x.statuses === null || x.statuses.some((s) => status === s || text.includes(`status of ${s}`))));
}

async function provoking(pattern, why, fn) {
  const entry = { pattern, why };
  allowed.push(entry);
  try {
    return await fn();
  } finally {
    // Let late console messages of the provoked request arrive before closing the window.
    await page.waitForTimeout(200);
    allowed.splice(allowed.indexOf(entry), 1);
  }
}

function watch(p, label) {
  p.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const url = msg.location()?.url ?? '';
    if (isAllowed(url, null, msg.text())) return;
    problems.push(`[${label}] console error: ${msg.text()} (${url})`);
  });
  p.on('pageerror', (err) => problems.push(`[${label}] page error: ${err.message}`));
  p.on('requestfailed', (req) => {
    if (isAllowed(req.url(), 0)) return;
    problems.push(`[${label}] request failed: ${req.method()} ${req.url()} ${req.failure()?.errorText ?? ''}`);
  });
  p.on('response', (res) => {
    if (res.status() < 400 || isAllowed(res.url(), res.status())) return;
    problems.push(`[${label}] HTTP ${res.status()}: ${res.request().method()} ${res.url()}`);
  });
}

async function newPage(viewport = { width: 1200, height: 900 }, label = 'desktop') {
  // The first page of the fresh profile, then new tabs (tokens live in page memory, so
  // every tab is its own session; localStorage, i.e. the language, is shared).
  const blank = context.pages().find((p) => p.url() === 'about:blank' && !p.__moji);
  const p = blank ?? (await context.newPage());
  p.__moji = true;
  await p.setViewportSize(viewport);
  watch(p, label);
  return p;
}

async function go(p, hash) {
  // The router renders a new <main> for every address; mark the old one so the wait below
  // cannot be satisfied by what the page showed before (a hash change renders a moment later).
  const same = p.url() === `${BASE}/${hash}`;
  if (!same) await p.evaluate(() => document.querySelector('main')?.setAttribute('data-left', '')).catch(() => {});
  await p.goto(`${BASE}/${hash}`);
  await p.waitForSelector(same ? 'main h1, main .alert' : 'main:not([data-left]) h1, main:not([data-left]) .alert');
}

/** A plain sky-blue PNG (no face in it), built here so the test needs no second file. */
function plainPng(w, h) {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buf) => {
    let c = 0xffffffff;
    for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const sum = Buffer.alloc(4);
    sum.writeUInt32BE(crc(body));
    return Buffer.concat([len, body, sum]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  const row = Buffer.concat([Buffer.from([0]), Buffer.alloc(w * 3, Buffer.from([120, 170, 220]))]);
  const raw = Buffer.concat(Array.from({ length: h }, () => row));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** The signed-out browser's page (launched on first use). */
async function signedOutPage() {
  if (anon) return anon;
  anonBrowser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  anonContext = await anonBrowser.newContext({ locale: 'en-US', viewport: { width: 1000, height: 900 }, deviceScaleFactor: 1 });
  anon = await anonContext.newPage();
  watch(anon, 'signed-out');
  return anon;
}

/**
 * Opens the shared page of a zodiac result and waits for what it shows: 'shared', 'private'
 * or 'missing'. The api stores a result when the worker's `task.succeeded` arrives, a moment
 * after the task record says so; a `missing` answer is retried for a few seconds.
 */
async function openShared(p, url, expect) {
  let state = null;
  for (let i = 0; i < 20; i++) {
    // A full load every time (going to the same URL again would not render anything anew).
    await p.goto('about:blank');
    await p.goto(url);
    const el = await p.waitForSelector('.zodiac-shared, .zodiac-private, .zodiac-missing');
    state = (await el.getAttribute('class')).includes('zodiac-shared') ? 'shared' : await el.getAttribute('data-state');
    if (state === expect || state !== 'missing') break;
    await p.waitForTimeout(500);
  }
  assert.equal(state, expect, `the shared page of ${url}`);
}

/** Signs `u` up in page `p` through the form and waits for the make page. */
async function signUp(p, u) {
  await go(p, '#/signup');
  await p.fill('#f-username', u.username);
  await p.fill('#f-email', u.email);
  await p.fill('#f-password', u.password);
  await p.fill('#f-display_name', u.display);
  await p.waitForSelector('[data-field="display_name"] .field-check[data-state="free"]');
  await p.click('form button[type=submit]');
  await p.waitForSelector('.make-form');
}

/** The follower or following count a person's page shows (its `data-n`). */
async function followCount(p, kind) {
  return p.getAttribute(`.user-page .follow-count[data-kind="${kind}"]`, 'data-n');
}

async function noHorizontalScroll(p) {
  return p.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
}

before(async () => {
  assert.ok(fs.existsSync(CHROMIUM), `no Chromium at ${CHROMIUM}`);
  assert.ok(fs.existsSync(PHOTO), `no test photo at ${PHOTO}`);
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'moji-e2e-chromium-'));
  // Exactly the flags the acceptance names, and a fresh profile (user-data dir).
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    locale: 'en-US',
    deviceScaleFactor: 1,
  });
});

after(async () => {
  await anonContext?.close();
  await anonBrowser?.close();
  await context?.close();
  if (userDataDir) fs.rmSync(userDataDir, { recursive: true, force: true });
});

test('first load: under 300 KB, no errors', async () => {
  page = await newPage();
  const sizes = [];
  page.on('requestfinished', async (req) => {
    const s = await req.sizes().catch(() => null);
    if (s) sizes.push({ url: req.url(), bytes: s.responseBodySize + s.responseHeadersSize });
  });
  await page.goto(`${BASE}/`, { waitUntil: 'networkidle' });
  await page.waitForSelector('main h1');
  await page.waitForTimeout(100);
  const total = sizes.reduce((a, s) => a + s.bytes, 0);
  const report = sizes.map((s) => `${String(s.bytes).padStart(7)}  ${s.url.replace(BASE, '')}`).join('\n');
  fs.writeFileSync(path.join(ARTIFACTS, 'first-load.txt'), `${report}\n${String(total).padStart(7)}  total (${sizes.length} requests)\n`);
  console.log(`# first load: ${(total / 1024).toFixed(1)} KB transferred in ${sizes.length} requests`);
  assert.ok(sizes.length > 3, 'the page loaded its modules');
  assert.ok(total < MAX_FIRST_LOAD, `first load is ${total} bytes (limit ${MAX_FIRST_LOAD})`);
  assert.equal(await page.locator('main h1').textContent(), 'Try Moji in your browser');
  const headers = (await page.request.get(`${BASE}/js/main.js`)).headers();
  assert.match(headers['content-type'], /javascript/);
});

test('Korean / English switch is remembered', async () => {
  await page.click('button.lang');
  await page.waitForFunction(() => document.documentElement.lang === 'ko');
  assert.match(await page.locator('main h1').textContent(), /브라우저/);
  await page.reload();
  await page.waitForSelector('main h1');
  assert.equal(await page.evaluate(() => document.documentElement.lang), 'ko');
  await page.click('button.lang');
  await page.waitForFunction(() => document.documentElement.lang === 'en');
  assert.equal(await page.locator('main h1').textContent(), 'Try Moji in your browser');
});

test('sign up: field errors come from the API, then the account is created', async () => {
  await go(page, '#/signup');
  await page.fill('#f-username', user.username);
  await page.fill('#f-email', user.email);
  await page.fill('#f-password', 'short');
  await provoking(/\/api\/v1\/users$/, 'password too short: 422', async () => {
    await page.click('form button[type=submit]');
    await page.waitForSelector('[data-field="password"] .field-error:not([hidden])');
  });
  const msg = await page.locator('[data-field="password"] .field-error').textContent();
  assert.ok(msg.length > 0, 'the API’s message is shown next to the field');
  assert.equal(await page.getAttribute('#f-password', 'aria-invalid'), 'true');
  assert.ok((await page.locator('.alert-error .alert-detail').textContent()).length > 0, 'the problem detail is shown');

  // Both names are checked while typed.
  await page.waitForSelector('[data-field="username"] .field-check[data-state="free"]');
  await page.fill('#f-password', user.password);
  await page.fill('#f-display_name', user.display);
  await page.waitForSelector('[data-field="display_name"] .field-check[data-state="free"]');
  await page.click('form button[type=submit]');
  await page.waitForSelector('.make-form');
  assert.equal(await page.locator('.account-name').textContent(), user.display);
});

test('upload a face photo and watch progress live over SSE', async () => {
  // Keyboard: the kind radios switch with the arrow keys, the photo input takes focus.
  await page.focus('input[name=kind][value=emoji]');
  await page.keyboard.press('ArrowRight');
  assert.equal(await page.isChecked('input[name=kind][value=zodiac]'), true);
  await page.keyboard.press('ArrowLeft');
  assert.equal(await page.isChecked('input[name=kind][value=emoji]'), true);
  await page.focus('#photo');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'photo');
  await page.setInputFiles('#photo', PHOTO);
  await page.waitForSelector('.preview-img');
  assert.equal(await page.isChecked('input[name=kind][value=emoji]'), true);
  await page.waitForSelector('input[name=template]');
  await page.click('.make-form button[type=submit]');
  await page.waitForURL(/#\/task\//);
  emojiTaskId = page.url().split('#/task/')[1];
  await page.waitForSelector('.face-card', { timeout: TASK_TIMEOUT });
  const events = await page.$$eval('.timeline li', (lis) => lis.map((li) => ({ ...li.dataset })));
  console.log(`# progress events: ${events.map((e) => `${e.source}:${e.status}${e.step ? '/' + e.step : ''}@${e.progress}`).join(' → ')}`);
  assert.ok(events.length >= 2, 'the upload answer and at least one live event');
  assert.equal(events[0].status, 'queued');
  assert.ok(
    events.some((e) => e.source === 'sse'),
    'events arrived over SSE',
  );
  assert.equal(events.at(-1).status, 'succeeded');
  assert.equal(await page.getAttribute('.progress-card', 'data-mode'), 'sse');
  const done = await page.$$eval('.steps li', (lis) => lis.map((li) => li.dataset.state));
  assert.ok(done.length >= 3 && done.every((s) => s === 'done'), `every step done: ${done}`);
});

test('the result shows a happy face with its box and expression chart', async () => {
  const card = page.locator('.face-card').first();
  assert.equal(await card.getAttribute('data-expression'), 'happy');
  assert.match(await card.locator('h2').textContent(), /Happy/);
  assert.equal(await card.locator('.bar-row.is-top').getAttribute('data-key'), 'happy');
  assert.equal(await card.locator('.bar-row').count(), 7);
  await page.waitForFunction(() => {
    const img = document.querySelector('.result-img');
    return img && img.complete && img.naturalWidth > 0;
  });
  assert.equal(await page.locator('.photo-wrap svg.overlay .face-box').count(), 1);
  assert.match(await page.getAttribute('.result-img', 'alt'), /Happy/);
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: path.join(ARTIFACTS, 'result.png'), fullPage: true });
  if (UPDATE_SCREENSHOT) {
    fs.mkdirSync(path.dirname(README_SHOT), { recursive: true });
    fs.copyFileSync(path.join(ARTIFACTS, 'result.png'), README_SHOT);
    console.log(`# updated ${path.relative(repo, README_SHOT)}`);
  }
});

test('save it; the emoji appears in the gallery', async () => {
  await page.fill('#caption', caption);
  await page.click('#save');
  await page.waitForSelector('.saved');
  await page.click('#open-gallery');
  await page.waitForSelector('.gallery .emoji-card');
  const card = page.locator('.emoji-card', { hasText: caption });
  await card.waitFor();
  assert.equal(await card.getAttribute('data-expression'), 'happy');
  await page.waitForFunction((c) => {
    const li = [...document.querySelectorAll('.emoji-card')].find((x) => x.textContent.includes(c));
    const img = li?.querySelector('img');
    return img && img.complete && img.naturalWidth > 0;
  }, caption);
  assert.match(await card.locator('img').getAttribute('alt'), new RegExp(caption.replace(/[()]/g, '\\$&')));
});

test('a second emoji, saved private: it stays out of the gallery', async () => {
  await go(page, '#/');
  await page.click('.choice:has(input[value=emoji])');
  await page.setInputFiles('#photo', PHOTO);
  await page.waitForSelector('.preview-img');
  await page.click('.make-form button[type=submit]');
  await page.waitForURL((u) => u.hash.startsWith('#/task/') && !u.hash.endsWith(emojiTaskId));
  await page.waitForSelector('.face-card', { timeout: TASK_TIMEOUT });
  await page.fill('#caption', caption2);
  await page.click('.save-card .segment:has(input[name=visibility][value=private])');
  await page.click('#save');
  await page.waitForSelector('.saved');
  secondEmojiId = await page.getAttribute('.saved', 'data-emoji');
  assert.ok(secondEmojiId, 'the saved emoji’s id');
  assert.equal(await page.locator('#open-gallery').count(), 0, 'no gallery link for a private emoji');
  await go(page, '#/gallery');
  await page.locator('.gallery .emoji-card', { hasText: caption }).waitFor();
  assert.equal(await page.locator(`.gallery .emoji-card[data-id="${secondEmojiId}"]`).count(), 0, 'private: not in the gallery');
});

test('popular of the last 7 days before any like: a clear empty state', async () => {
  // On a fresh stack nobody has liked anything yet, so the API's window is really empty. A
  // stack with other people's likes this week cannot show it: then the empty answer is
  // stubbed, so the client's empty state is still what is checked.
  const real = await page.evaluate(async () => (await (await fetch('/api/v1/emojis?sort=popular&period=week&size=1')).json()).total);
  const stubbed = real !== 0;
  const week = /\/api\/v1\/emojis\?.*period=week/;
  if (stubbed) {
    console.log(`# popular/week already has ${real} emoji on this stack: its empty answer is stubbed`);
    await page.route(week, (route) => route.fulfill({ json: { items: [], page: 1, size: 12, total: 0, next_cursor: null } }));
  }
  try {
    await go(page, '#/gallery?sort=popular&period=week');
    const empty = page.locator('.gallery .empty-period[data-period="week"]');
    await empty.waitFor();
    assert.equal(await empty.locator('.empty-title').textContent(), 'No likes in the last 7 days yet.');
    assert.equal(await page.locator('.gallery .grid').count(), 0, 'no empty grid');
    assert.equal(await page.locator('.gallery .window-hint').count(), 1, 'the window is explained');
    // Its way out: all time lists every public emoji.
    await empty.locator('a[href="#/gallery?sort=popular&period=all"]').click();
    await page.waitForSelector('.grid[data-sort="popular"][data-period="all"]');
    await page.locator('.emoji-card', { hasText: caption }).waitFor();
  } finally {
    if (stubbed) await page.unroute(week);
  }
});

test('like and unlike in the gallery', async () => {
  await go(page, '#/gallery');
  await page.locator('.gallery .emoji-card', { hasText: caption }).waitFor();
  const like = page.locator('.emoji-card', { hasText: caption }).locator('button.like');
  assert.equal(await like.getAttribute('aria-pressed'), 'false');
  await like.click();
  await page.waitForFunction(
    (c) => [...document.querySelectorAll('.emoji-card')].find((x) => x.textContent.includes(c))?.querySelector('button.like[aria-pressed="true"]'),
    caption,
  );
  assert.equal(await like.locator('.like-count').textContent(), '1');
  await like.click();
  await page.waitForFunction(
    (c) => [...document.querySelectorAll('.emoji-card')].find((x) => x.textContent.includes(c))?.querySelector('button.like[aria-pressed="false"]'),
    caption,
  );
  assert.equal(await like.locator('.like-count').textContent(), '0');
  // Like it again: it stays liked (my page's "liked" list, the 7-day ranking).
  await like.click();
  await page.waitForFunction(
    (c) => [...document.querySelectorAll('.emoji-card')].find((x) => x.textContent.includes(c))?.querySelector('button.like[aria-pressed="true"]'),
    caption,
  );
  await page.click('.segment:has(input[name=sort][value=popular])');
  await page.waitForURL(/sort=popular/);
  await page.waitForSelector('.grid[data-sort="popular"][data-period="all"]');
  assert.equal(await page.locator('.likes-period').count(), 0, 'no window, no likes-in-period line');
});

test('popular of the last 7 days shows the likes received in the window', async () => {
  await page.click('.segment:has(input[name=period][value=week])');
  await page.waitForURL(/period=week/);
  await page.waitForSelector('.grid[data-sort="popular"][data-period="week"]');
  const card = page.locator('.emoji-card', { hasText: caption });
  await card.waitFor();
  assert.equal(await card.locator('.likes-period').getAttribute('data-n'), '1');
  assert.match(await card.locator('.likes-period').textContent(), /Likes in the last 7 days: 1/);
});

test('the owner’s name leads to their page with their public emoji', async () => {
  await go(page, '#/gallery');
  const owner = page.locator('.emoji-card', { hasText: caption }).locator('.emoji-owner a');
  assert.equal(await owner.textContent(), user.display);
  await owner.click();
  await page.waitForURL(new RegExp(`#/u/${user.username}$`));
  await page.waitForSelector('.user-page h1');
  assert.equal(await page.locator('.user-page h1').textContent(), user.display);
  await page.locator('.user-page [data-list="user-emojis"] .emoji-card', { hasText: caption }).waitFor();
  await page.waitForSelector('.user-page .challenge[data-id="first_emoji"]');
  // The emoji page links the owner too.
  await page.locator('.user-page .emoji-card', { hasText: caption }).locator('.emoji-card-img').click();
  await page.waitForSelector('.emoji-detail .emoji-by a');
  assert.equal(await page.getAttribute('.emoji-detail .emoji-by a', 'href'), `#/u/${user.username}`);
});

test('token refresh rotates the pair and the session keeps working', async () => {
  const before = await page.evaluate(async () => (await import('/js/api.js')).accessToken());
  await page.evaluate(async () => {
    const api = await import('/js/api.js');
    await Promise.all([api.refresh(), api.refresh()]); // serialised: one request
  });
  const afterToken = await page.evaluate(async () => (await import('/js/api.js')).accessToken());
  assert.notEqual(afterToken, before);
  await go(page, '#/me');
  await page.waitForSelector('.challenges');
});

test('network loss during SSE falls back to polling (zodiac)', async () => {
  await go(page, '#/');
  await page.route(/\/faces\/tasks\/[^/]+\/events/, (route) => route.abort('internetdisconnected'));
  try {
    await provoking(/\/faces\/tasks\/[^/]+\/events/, 'SSE cut on purpose', async () => {
      await page.click('.choice:has(input[value=zodiac])');
      assert.equal(await page.isHidden('input[name=template]'), true);
      await page.setInputFiles('#photo', PHOTO);
      await page.click('.make-form button[type=submit]');
      await page.waitForSelector('.zodiac-card', { timeout: TASK_TIMEOUT });
    });
  } finally {
    await page.unroute(/\/faces\/tasks\/[^/]+\/events/);
  }
  assert.equal(await page.getAttribute('.progress-card', 'data-mode'), 'poll');
  const sources = await page.$$eval('.timeline li', (lis) => lis.map((li) => li.dataset.source));
  assert.ok(sources.includes('poll') && !sources.includes('sse'), `sources: ${sources}`);
  zodiacTaskId = page.url().split('#/task/')[1];
  animalName = await page.locator('.animal-name').textContent();
  assert.ok(animalName.length > 0);
  assert.ok((await page.locator('.fortune').textContent()).length > 0);
  assert.ok((await page.locator('.zodiac-card .lucky-item').textContent()).length > 0, 'the lucky item is shown');
  assert.ok((await page.locator('.reasons li').count()) > 0);
  await page.waitForSelector('.other-animals .bar-row');
  // Every zodiac result starts private.
  await page.waitForSelector('.publish-card .publish[data-visibility="private"] .publish-btn');
});

test('a private zodiac result: a signed-out browser is told so', async () => {
  const other = await signedOutPage();
  await provoking(/\/api\/v1\/zodiac\/results\//, 'private result: 403 (404 until the api has stored it)', async () => {
    await openShared(other, `${BASE}/#/z/${zodiacTaskId}`, 'private');
  });
  assert.match(await other.locator('.zodiac-private h2').textContent(), /private/);
  assert.equal(await other.locator('.zodiac-private .animal-name').count(), 0, 'nothing of the result leaks');
  await provoking(/\/api\/v1\/zodiac\/results\//, 'unknown result: 404', async () => {
    await openShared(other, `${BASE}/#/z/00000000-0000-7000-8000-000000000000`, 'missing');
  });
});

test('publish & share: the link opens in a signed-out browser', async () => {
  await page.click('.publish-card .publish-btn');
  await page.waitForSelector('.publish-card .publish[data-visibility="public"]');
  shareLink = await page.inputValue('.publish-card .share-url');
  assert.equal(shareLink, `${BASE}/#/z/${zodiacTaskId}`);
  // The copy button puts the link on the clipboard (or selects it when the browser refuses).
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: BASE });
  await page.click('.publish-card .copy-link');
  await page.waitForSelector('#toast .toast');
  const copied = await page.evaluate(() => navigator.clipboard.readText().catch(() => null));
  if (copied !== null) assert.equal(copied, shareLink);

  const other = await signedOutPage();
  await openShared(other, shareLink, 'shared');
  assert.equal(await other.locator('.zodiac-shared .animal-name').textContent(), animalName);
  assert.ok((await other.locator('.zodiac-shared .reasons li').count()) > 0, 'reasons');
  assert.ok((await other.locator('.zodiac-shared .fortune').textContent()).length > 0, 'fortune');
  assert.ok((await other.locator('.zodiac-shared .lucky-item').textContent()).length > 0, 'lucky item');
  const owner = other.locator('.zodiac-shared .zodiac-owner a');
  assert.equal(await owner.textContent(), user.display);
  assert.equal(await owner.getAttribute('href'), `#/u/${user.username}`);
  assert.equal(await other.locator('.zodiac-shared .publish').count(), 0, 'no publish control for others');
  await other.screenshot({ path: path.join(ARTIFACTS, 'zodiac-shared.png'), fullPage: true });
  // Signed out, the owner's page is readable too.
  await owner.click();
  await other.waitForSelector('.user-page [data-list="user-emojis"] .emoji-card');
});

test('sign up with a display name someone has: checked while typing, refused with 409', async () => {
  const other = await signedOutPage();
  await other.goto(`${BASE}/#/signup`);
  await other.waitForSelector('#f-display_name');
  await other.fill('#f-display_name', user.display.toUpperCase()); // unique case-insensitively
  await other.waitForSelector('[data-field="display_name"] .field-check[data-state="taken"]');
  assert.equal(await other.getAttribute('#f-display_name', 'aria-invalid'), 'true');
  await other.fill('#f-username', `${user.username}_2`);
  await other.fill('#f-email', `2_${user.email}`);
  await other.fill('#f-password', user.password);
  await provoking(/\/api\/v1\/users$/, 'display name taken: 409', async () => {
    await other.click('form button[type=submit]');
    await other.waitForSelector('[data-field="display_name"] .field-error:not([hidden])');
  });
  assert.equal(await other.getAttribute('.form-status .alert-error', 'data-code'), 'display_name_taken');
  assert.equal(await other.locator('#f-display_name').count(), 1, 'still on the form: no account was made');
});

test('a photo without a face: the task’s error detail is shown', async () => {
  await go(page, '#/');
  await page.click('.choice:has(input[value=emoji])');
  await page.setInputFiles('#photo', { name: 'sky.png', mimeType: 'image/png', buffer: plainPng(320, 240) });
  await page.click('.make-form button[type=submit]');
  await page.waitForSelector('.result-area .alert-error', { timeout: TASK_TIMEOUT });
  assert.equal(await page.getAttribute('.result-area .alert-error', 'data-code'), 'no_face_detected');
  assert.ok((await page.locator('.result-area .alert-detail').textContent()).length > 0);
  assert.equal(await page.getAttribute('.steps li[data-state="failed"]', 'data-step'), 'detect');
});

test('my page: results of both kinds, with the zodiac one published', async () => {
  await go(page, '#/me');
  await page.waitForSelector(`.result-list[data-kind="all"] .result-item[data-task="${emojiTaskId}"][data-kind="emoji"]`);
  const z = page.locator(`.result-list[data-kind="all"] .result-item[data-task="${zodiacTaskId}"]`);
  await z.waitFor();
  assert.equal(await z.getAttribute('data-kind'), 'zodiac');
  assert.equal(await z.locator('.animal-name-small').textContent(), animalName);
  assert.ok((await z.locator('.fortune').textContent()).length > 0, 'fortune');
  assert.ok((await z.locator('.lucky-item').textContent()).length > 0, 'lucky item');
  assert.equal(await z.locator('.publish').getAttribute('data-visibility'), 'public');
  assert.equal(await z.locator('.share-url').inputValue(), shareLink);
  // Only zodiac.
  await page.click('.segment:has(input[name=kind][value=zodiac])');
  await page.waitForSelector(`.result-list[data-kind="zodiac"] .result-item[data-task="${zodiacTaskId}"]`);
  const kinds = await page.$$eval('.result-list .result-item', (lis) => lis.map((li) => li.dataset.kind));
  assert.ok(kinds.length > 0 && kinds.every((k) => k === 'zodiac'), `kinds: ${kinds}`);
  await page.screenshot({ path: path.join(ARTIFACTS, 'me.png'), fullPage: true });
  // Unpublish: the signed-out browser is told it is private again.
  const item = page.locator(`.result-item[data-task="${zodiacTaskId}"]`);
  await item.locator('.unpublish').click();
  await page.waitForSelector(`.result-item[data-task="${zodiacTaskId}"] .publish[data-visibility="private"]`);
  assert.equal(await item.locator('.vis-pill').textContent(), 'Private');
  const other = await signedOutPage();
  await provoking(/\/api\/v1\/zodiac\/results\//, 'private again: 403', async () => {
    await openShared(other, shareLink, 'private');
  });
});

test('my page: saved and liked emoji, challenges', async () => {
  await page.waitForSelector('.grid[data-case="made"] .emoji-card');
  await page.click('.segment:has(input[name=case][value=liked])');
  await page.locator('.grid[data-case="liked"] .emoji-card', { hasText: caption }).waitFor();
  assert.equal(await page.locator('.challenge[data-id="first_emoji"]').getAttribute('class'), 'challenge is-done');
});

test('my page: statistics for all time, by week, and a refused range', async () => {
  await page.waitForSelector('.chart svg rect');
  const results = await page.locator('.stat .stat-n').first().textContent();
  assert.ok(Number(results) >= 2, `results ${results}`);
  assert.ok((await page.locator('.stat-tz').textContent()).length > 0, 'the time zone is shown');
  assert.equal(await page.inputValue('#stat-from'), '', 'all time by default');
  await page.selectOption('#stat-group', 'week');
  await page.click('.range button[type=submit]');
  await page.waitForSelector('.chart[data-group="week"] svg rect');
  assert.equal(await page.getAttribute('.stat-range', 'data-group'), 'week');
  // A bad range shows the API's detail.
  await page.fill('#stat-from', '2020-01-01');
  await page.selectOption('#stat-group', 'day');
  await provoking(/\/users\/me\/statistics/, 'range over 366 days: 422', async () => {
    await page.click('.range button[type=submit]');
    await page.waitForSelector('.me .alert-error .alert-detail');
  });
  await page.click('#stat-all');
  await page.waitForSelector('.chart svg rect');
});

test('my page: publish a saved emoji and edit its caption', async () => {
  await go(page, '#/'); // my page anew
  await go(page, '#/me');
  await page.click('.segment:has(input[name=case][value=made])');
  const card = page.locator(`.grid[data-case="made"] .emoji-card[data-id="${secondEmojiId}"]`);
  await card.waitFor();
  assert.equal(await card.getAttribute('data-visibility'), 'private');
  assert.equal(await card.locator('.vis-pill').textContent(), 'Private');
  assert.equal(await card.locator('.emoji-caption').textContent(), caption2);
  // Publish.
  await card.locator('.vis-toggle').click();
  await page.waitForSelector(`.emoji-card[data-id="${secondEmojiId}"][data-visibility="public"] .vis-toggle[data-to="private"]`);
  assert.equal(await card.locator('.vis-pill').textContent(), 'Public');
  // A caption the API refuses (a tab is a control character): its message shows at the field,
  // the problem's detail above the buttons, and nothing changes.
  await card.locator('.edit-caption').click();
  const input = card.locator('.caption-input');
  assert.equal(await input.inputValue(), caption2);
  assert.equal(await page.evaluate(() => document.activeElement?.classList.contains('caption-input')), true, 'focus on the field');
  await input.fill('tab\there');
  await provoking(new RegExp(`/api/v1/emojis/${secondEmojiId}$`), 'caption with a control character: 422', async () => {
    await card.locator('.save-caption').click();
    await card.locator('.field-error:not([hidden])').waitFor();
  });
  assert.ok((await card.locator('.field-error').textContent()).length > 0, 'the field’s message');
  assert.equal(await input.getAttribute('aria-invalid'), 'true');
  assert.equal(await card.locator('.alert-error').getAttribute('data-code'), 'validation_failed');
  assert.ok((await card.locator('.alert-error .alert-detail').textContent()).length > 0, 'the problem’s detail');
  assert.equal(await card.locator('.emoji-caption').textContent(), caption2, 'unchanged');
  // Cancel keeps the old caption; then a good one is saved.
  await card.locator('.cancel-caption').click();
  await card.locator('.edit-caption').waitFor();
  assert.equal(await card.locator('.alert-error').count(), 0);
  await card.locator('.edit-caption').click();
  await card.locator('.caption-input').fill(caption3);
  await card.locator('.save-caption').click();
  await card.locator('.edit-caption').waitFor();
  assert.equal(await card.locator('.emoji-caption').textContent(), caption3);
  // The API has it: a fresh my page shows it, and so does the public gallery.
  await go(page, '#/gallery');
  await page.locator(`.gallery .emoji-card[data-id="${secondEmojiId}"]`, { hasText: caption3 }).waitFor();
});

test('the gallery and a user page page by cursor ("Load more", size 1)', async () => {
  const listRequests = [];
  const onRequest = (req) => {
    if (/\/api\/v1\/(emojis|users\/[^/]+\/emojis)\?/.test(req.url())) listRequests.push(new URL(req.url()));
  };
  page.on('request', onRequest);
  try {
    await go(page, '#/gallery?size=1');
    const cards = page.locator('.gallery .grid .emoji-card');
    await cards.first().waitFor();
    assert.equal(await cards.count(), 1);
    const more = page.locator('.gallery .more');
    const total = Number(await more.getAttribute('data-total'));
    assert.ok(total >= 2, `the gallery has at least our two emoji (total ${total})`);
    assert.equal(await more.locator('.more-count').textContent(), `1 of ${total} shown`);
    const [req] = await Promise.all([
      page.waitForRequest((r) => r.url().includes('/api/v1/emojis?') && r.url().includes('cursor=')),
      more.locator('.more-btn').click(),
    ]);
    const q = new URL(req.url()).searchParams;
    assert.equal(q.get('sort'), 'new');
    assert.equal(q.get('size'), '1');
    assert.equal(q.get('page'), null, 'a cursor, not a page number');
    await page.waitForFunction(() => document.querySelectorAll('.gallery .grid .emoji-card').length === 2);
    const ids = await cards.evaluateAll((lis) => lis.map((li) => li.dataset.id));
    assert.equal(new Set(ids).size, 2, `two different emoji: ${ids}`);
    assert.equal(await more.locator('.more-count').textContent(), `2 of ${total} shown`);
    assert.equal(await more.locator('.more-btn').isVisible(), total > 2, 'Load more stays only while there is more');

    // Someone's page ends: both our public emoji, then no "Load more".
    await go(page, `#/u/${user.username}?size=1`);
    const mine = page.locator('.user-page [data-list="user-emojis"] .emoji-card');
    await mine.first().waitFor();
    const userMore = page.locator('.user-page .more');
    assert.equal(await userMore.getAttribute('data-total'), '2');
    assert.equal(await userMore.locator('.more-btn').isVisible(), true);
    await userMore.locator('.more-btn').click();
    await page.waitForSelector('.user-page .more[data-more="false"]');
    assert.equal(await mine.count(), 2);
    assert.equal(await userMore.locator('.more-btn').isVisible(), false);
    assert.equal(await userMore.locator('.more-count').textContent(), '2 of 2 shown');
    const captions = await mine.locator('.emoji-caption').allTextContents();
    assert.deepEqual(captions.sort(), [caption, caption3].sort());
  } finally {
    page.off('request', onRequest);
  }
  assert.ok(listRequests.length >= 4, `list requests: ${listRequests.length}`);
  for (const u of listRequests) {
    assert.equal(u.searchParams.get('page'), null, `no page numbers: ${u.pathname}${u.search}`);
  }
});

test('unpublish from my page: it leaves the public gallery at once', async () => {
  await go(page, '#/me');
  await page.click('.segment:has(input[name=case][value=made])');
  const card = page.locator(`.grid[data-case="made"] .emoji-card[data-id="${secondEmojiId}"]`);
  await card.locator('.vis-toggle[data-to="private"]').click();
  await page.waitForSelector(`.emoji-card[data-id="${secondEmojiId}"][data-visibility="private"] .vis-toggle[data-to="public"]`);
  assert.equal(await card.locator('.vis-pill').textContent(), 'Private');
  assert.equal(await card.locator('.emoji-caption').textContent(), caption3, 'the caption stays');
  // Signed out: not in the gallery (newest first, where it was), and the owner's page has one.
  const other = await signedOutPage();
  await other.goto(`${BASE}/#/gallery`);
  await other.locator('.gallery .emoji-card', { hasText: caption }).waitFor();
  assert.equal(await other.locator(`.gallery .emoji-card[data-id="${secondEmojiId}"]`).count(), 0, 'gone from the gallery');
  await other.goto(`${BASE}/#/u/${user.username}`);
  await other.waitForSelector('.user-page .more[data-total="1"]');
  assert.equal(await other.locator('.user-page [data-list="user-emojis"] .emoji-card').count(), 1);
  assert.equal(await other.locator(`.user-page .emoji-card[data-id="${secondEmojiId}"]`).count(), 0);
  // And it is still mine, private, on my page.
  await go(page, '#/');
  await go(page, '#/me');
  await page.click('.segment:has(input[name=case][value=made])');
  await page.waitForSelector(`.grid[data-case="made"] .emoji-card[data-id="${secondEmojiId}"][data-visibility="private"]`);
});

test('ranking: templates × expressions and zodiac', async () => {
  await go(page, '#/ranking');
  await page.waitForSelector('table.heat td.has');
  await page.waitForSelector('.bars-zodiac .bar-row');
  assert.equal(await page.locator('.bars-zodiac .bar-row').count(), 12);
});

test('follows: A follows B from B’s page; the counts and both lists show it', async () => {
  friendPage = await newPage(undefined, 'friend');
  await signUp(friendPage, friend);
  await page.bringToFront(); // a tab in the background runs its timers and frames slowly
  // My own page: the counts, and no Follow button.
  await go(page, `#/u/${user.username}`);
  await page.waitForSelector('.user-page .follow-counts');
  assert.equal(await followCount(page, 'followers'), '0');
  assert.equal(await page.locator('.user-page .follow-btn').count(), 0, 'no Follow button on my own page');
  // B's page: nobody follows B yet.
  await go(page, `#/u/${friend.username}`);
  const btn = page.locator('.user-page .follow-btn');
  await btn.waitFor();
  assert.equal(await btn.getAttribute('data-following'), 'false');
  assert.equal(await btn.locator('.follow-text').textContent(), 'Follow');
  assert.equal(await btn.getAttribute('aria-label'), `Follow ${friend.display}`);
  assert.equal(await followCount(page, 'followers'), '0');
  assert.equal(await page.locator('.user-page .follow-count[data-kind="followers"]').textContent(), '0 followers');
  // Follow: the button and the count take the API's answer.
  const [res] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'PUT' && r.url().endsWith(`/api/v1/users/${friend.username}/follow`)),
    btn.click(),
  ]);
  assert.equal(res.status(), 200);
  await page.waitForSelector('.user-page .follow-btn[data-following="true"]');
  assert.equal(await btn.locator('.follow-text').textContent(), 'Following');
  assert.equal(await followCount(page, 'followers'), '1');
  assert.equal(await page.locator('.user-page .follow-count[data-kind="followers"]').textContent(), '1 follower');
  // Opened anew, the page knows I follow B (the profile is read with my token).
  await go(page, '#/');
  await go(page, `#/u/${friend.username}`);
  await page.waitForSelector('.user-page .follow-btn[data-following="true"]');
  // The count leads to B's followers: A is there, marked as me, with no buttons.
  await page.click('.user-page .follow-count[data-kind="followers"]');
  await page.waitForURL(new RegExp(`#/u/${friend.username}/followers$`));
  const row = page.locator(`.people[data-list="followers"] .person[data-username="${user.username}"]`);
  await row.waitFor();
  assert.equal(await page.locator('.people-page h1').textContent(), `Followers of ${friend.display}`);
  assert.equal(await row.locator('.user-link').textContent(), user.display);
  assert.equal(await row.locator('.user-link').getAttribute('href'), `#/u/${user.username}`);
  assert.equal(await row.locator('.pill-you').count(), 1);
  assert.equal(await row.locator('.follow-btn, .remove-follower').count(), 0, 'no buttons on my own row, no Remove on someone else’s list');
  assert.equal(await page.locator('.people-page .more-count').textContent(), '1 of 1 shown');
  // My following list: B, whose button says Following; the tab counts it.
  await page.click('.people-tabs .tab[data-kind="following"]');
  await page.waitForURL(new RegExp(`#/u/${friend.username}/following$`));
  await page.waitForSelector('.people-page .empty');
  await go(page, `#/u/${user.username}/following`);
  const bRow = page.locator(`.people[data-list="following"] .person[data-username="${friend.username}"]`);
  await bRow.waitFor();
  assert.equal(await page.locator('.people-page h1').textContent(), 'People you follow');
  assert.equal(await bRow.locator('.follow-btn').getAttribute('data-following'), 'true');
  assert.equal(await page.getAttribute('.people-tabs .tab[data-kind="following"] .tab-n', 'data-n'), '1');
});

test('follows: B removes A from the followers, after a confirm step', async () => {
  const p = friendPage;
  await p.bringToFront();
  await go(p, `#/u/${friend.username}`);
  await p.waitForSelector('.user-page .follow-count[data-kind="followers"][data-n="1"]');
  assert.equal(await p.locator('.user-page .follow-btn').count(), 0, 'no Follow button on my own page');
  await p.click('.user-page .follow-count[data-kind="followers"]');
  const row = p.locator(`.people[data-list="followers"] .person[data-username="${user.username}"]`);
  await row.waitFor();
  assert.equal(await p.locator('.people-page h1').textContent(), 'Your followers');
  assert.equal(await row.locator('.follow-btn').getAttribute('data-following'), 'false', 'B can follow A back');
  // Remove, then Cancel: nothing is sent, the row stays.
  await row.locator('.remove-follower').click();
  await row.locator('.confirm-remove').waitFor();
  assert.match(await row.locator('.person-confirm-text').textContent(), new RegExp(`^Remove ${user.display} from your followers\\?`));
  assert.equal(await p.evaluate(() => document.activeElement?.classList.contains('cancel-remove')), true, 'the safe choice has the focus');
  await row.locator('.cancel-remove').click();
  await row.locator('.remove-follower').waitFor();
  assert.equal(await row.locator('.confirm-remove').count(), 0);
  // Remove, then confirm: DELETE /users/me/followers/{A}, the row goes, the list is empty.
  await row.locator('.remove-follower').click();
  const [res] = await Promise.all([
    p.waitForResponse((r) => r.request().method() === 'DELETE' && r.url().endsWith(`/api/v1/users/me/followers/${user.username}`)),
    row.locator('.confirm-remove').click(),
  ]);
  assert.equal(res.status(), 204);
  await p.waitForSelector('.people-page .empty');
  assert.equal(await p.locator('.people .person').count(), 0);
  assert.equal(await p.getAttribute('.people-tabs .tab[data-kind="followers"] .tab-n', 'data-n'), '0');
  // A sees it on B's page: no follower, Follow again.
  await page.bringToFront();
  await go(page, `#/u/${friend.username}`);
  await page.waitForSelector('.user-page .follow-btn[data-following="false"]');
  assert.equal(await followCount(page, 'followers'), '0');
});

test('follows: A follows again, unfollows and re-follows; a refused follow shows the problem', async () => {
  const btn = page.locator('.user-page .follow-btn');
  await btn.click();
  await page.waitForSelector('.user-page .follow-btn[data-following="true"]');
  assert.equal(await followCount(page, 'followers'), '1');
  await btn.click();
  await page.waitForSelector('.user-page .follow-btn[data-following="false"]');
  assert.equal(await followCount(page, 'followers'), '0');
  assert.equal(await btn.locator('.follow-text').textContent(), 'Follow');
  // The API refuses (stubbed: the page never offers a refusable follow): its detail, field
  // message and request id show under the button, and nothing changes.
  const follow = new RegExp(`/api/v1/users/${friend.username}/follow$`);
  await page.route(follow, (route) =>
    route.fulfill({
      status: 422,
      contentType: 'application/problem+json',
      json: {
        type: 'https://moji.dev/problems/validation_failed',
        title: 'Unprocessable Entity',
        status: 422,
        detail: 'some fields are invalid; see `errors`',
        code: 'validation_failed',
        errors: [{ field: 'username', message: 'you cannot follow yourself' }],
        request_id: 'e2e-stub',
      },
    }),
  );
  try {
    await provoking(follow, 'a refused follow (stubbed 422)', async () => {
      await btn.click();
      await page.waitForSelector('.user-page .follow-status .alert-error');
    });
  } finally {
    await page.unroute(follow);
  }
  const alert = page.locator('.user-page .follow-status .alert-error');
  assert.equal(await alert.getAttribute('data-code'), 'validation_failed');
  assert.equal(await alert.locator('.alert-detail').textContent(), 'some fields are invalid; see `errors`');
  assert.match(await alert.locator('.alert-fields').textContent(), /username — you cannot follow yourself/);
  assert.equal(await btn.getAttribute('data-following'), 'false');
  assert.equal(await followCount(page, 'followers'), '0');
  // Its retry button sends the follow again, for real this time.
  await alert.locator('button').click();
  await page.waitForSelector('.user-page .follow-btn[data-following="true"]');
  assert.equal(await page.locator('.user-page .follow-status .alert-error').count(), 0, 'the problem is gone');
  assert.equal(await followCount(page, 'followers'), '1');

  // A third person follows B (through the API): B's followers, newest first, by cursor.
  const third = { username: `e2e_${run}_c`, email: `e2e_${run}_c@example.com`, password: user.password };
  const signed = await fetch(`${BASE}/api/v1/users`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(third),
  });
  assert.ok(signed.ok, `sign-up of the third person: ${signed.status}`);
  const { access_token: token } = await signed.json();
  const followed = await fetch(`${BASE}/api/v1/users/${friend.username}/follow`, { method: 'PUT', headers: { authorization: `Bearer ${token}` } });
  assert.equal(followed.status, 200);
  assert.equal((await followed.json()).followers, 2);
  await go(page, `#/u/${friend.username}/followers?size=1`);
  const rows = page.locator('.people[data-list="followers"] .person');
  await rows.first().waitFor();
  assert.deepEqual(await rows.evaluateAll((lis) => lis.map((li) => li.dataset.username)), [third.username]);
  const more = page.locator('.people-page .more');
  assert.equal(await more.getAttribute('data-total'), '2');
  const [req] = await Promise.all([
    page.waitForRequest((r) => r.url().includes(`/api/v1/users/${friend.username}/followers?`) && r.url().includes('cursor=')),
    more.locator('.more-btn').click(),
  ]);
  assert.equal(new URL(req.url()).searchParams.get('size'), '1');
  await page.waitForSelector('.people-page .more[data-more="false"]');
  assert.deepEqual(await rows.evaluateAll((lis) => lis.map((li) => li.dataset.username)), [third.username, user.username]);
  assert.equal(await more.locator('.more-count').textContent(), '2 of 2 shown');
  // From the list, A follows the third person too (the row's own button).
  const thirdBtn = page.locator(`.person[data-username="${third.username}"] .follow-btn`);
  assert.equal(await thirdBtn.getAttribute('data-following'), 'false');
  await thirdBtn.click();
  await page.waitForSelector(`.person[data-username="${third.username}"] .follow-btn[data-following="true"]`);
  await go(page, `#/u/${user.username}`);
  await page.waitForSelector('.user-page .follow-count[data-kind="following"][data-n="2"]');
});

test('posts: A writes one with a Korean tag; B sees it in the feed, likes it; tag page; edit; delete', async () => {
  const tag = `모지${run}`;
  const title = `Hello from Mina ${run}`;
  const text = 'line one\nline two <b>not bold</b>';
  // A's feed: in the navigation when signed in. A refused post (empty title) shows the
  // API's field message at the title.
  await page.bringToFront();
  await go(page, '#/feed');
  assert.equal(await page.locator('.nav-link[data-nav="feed"]').getAttribute('aria-current'), 'page');
  const form = page.locator('.compose-form');
  await form.locator('.post-text-input').fill('no title');
  await provoking(/\/api\/v1\/posts$/, 'a post without a title: 422', async () => {
    await form.locator('.post-submit').click();
    await form.locator('[data-field="title"] .field-error:not([hidden])').waitFor();
  });
  assert.equal(await form.locator('[data-field="title"] .field-error').textContent(), '1 to 100 characters');
  assert.equal(await form.locator('.post-title-input').getAttribute('aria-invalid'), 'true');
  assert.equal(await form.locator('.alert-error').getAttribute('data-code'), 'validation_failed');
  // Now a good one: it goes first in the feed.
  await form.locator('.post-title-input').fill(title);
  await form.locator('.post-text-input').fill(text);
  await form.locator('.post-tags-input').fill(`#${tag}, E2E`);
  const [created] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/api/v1/posts')),
    form.locator('.post-submit').click(),
  ]);
  assert.equal(created.status(), 201);
  const post = await created.json();
  assert.deepEqual(post.tags, [tag, 'e2e']);
  await page.waitForSelector(`.post-list[data-list="feed"] .post-card[data-id="${post.id}"]`);
  assert.equal(await page.locator('.post-list[data-list="feed"] .post-card').first().getAttribute('data-id'), post.id);
  assert.equal(await form.locator('.post-title-input').inputValue(), '', 'the form is emptied');
  assert.equal(await form.locator('.alert-error').count(), 0);

  // B follows A, then finds the post in their feed and likes it.
  const b = friendPage;
  await b.bringToFront();
  await go(b, `#/u/${user.username}`);
  await b.locator('.user-page .follow-btn[data-following="false"]').click();
  await b.waitForSelector('.user-page .follow-btn[data-following="true"]');
  // A's page lists the post, with A's post count.
  await b.waitForSelector(`.post-list[data-list="user-posts"] .post-card[data-id="${post.id}"]`);
  assert.equal(await b.getAttribute('.user-page .post-count', 'data-n'), '1');
  await go(b, '#/feed');
  const card = b.locator(`.post-list[data-list="feed"] .post-card[data-id="${post.id}"]`);
  await card.waitFor();
  assert.equal(await card.locator('.post-card-title').textContent(), title);
  assert.equal(await card.locator('.user-link').getAttribute('href'), `#/u/${user.username}`);
  assert.match(await b.locator('.posts-page .more-count').textContent(), /^\d+ shown$/);
  const [liked] = await Promise.all([
    b.waitForResponse((r) => r.request().method() === 'PUT' && r.url().endsWith(`/api/v1/posts/${post.id}/like`)),
    card.locator('.like').click(),
  ]);
  assert.equal(liked.status(), 200);
  await card.locator('.like[aria-pressed="true"]').waitFor();
  assert.equal(await card.locator('.like-count').textContent(), '1');

  // The post's page: title, author, the text as text with its line breaks, tags, likes, views.
  await card.locator('.post-card-title a').click();
  await b.waitForURL(new RegExp(`#/p/${post.id}$`));
  await b.waitForSelector('.post-page h1.post-title');
  assert.equal(await b.locator('.post-page h1').textContent(), title);
  assert.equal(await b.locator('.post-page .post-text').textContent(), text);
  assert.equal(await b.locator('.post-page .post-text b').count(), 0, 'text is never markup');
  assert.equal(await b.locator('.post-page .like-count').textContent(), '1');
  assert.equal(await b.locator('.post-page .like').getAttribute('aria-pressed'), 'true');
  assert.ok(Number(await b.getAttribute('.post-page .views', 'data-n')) >= 1, 'B’s visit is counted');
  assert.equal(await b.locator('.post-page .edit-post, .post-page .delete-post').count(), 0, 'no Edit or Delete for others');
  // Its Korean tag leads to the tag's posts.
  await b.locator(`.post-page .tag[data-tag="${tag}"]`).click();
  await b.waitForSelector(`.posts-page[data-mode="tag"] .post-card[data-id="${post.id}"]`);
  assert.equal(await b.locator('.posts-page h1').textContent(), `#${tag}`);
  await go(b, `#/posts?tag=${encodeURIComponent(tag)}`);
  await b.waitForSelector(`.post-list[data-list="tag"] .post-card[data-id="${post.id}"]`);
  // Everyone's latest has it too; and at 360 px nothing scrolls sideways.
  await go(b, '#/posts');
  await b.waitForSelector(`.post-list[data-list="latest"] .post-card[data-id="${post.id}"]`);
  await b.setViewportSize({ width: 360, height: 740 });
  for (const hash of ['#/feed', `#/p/${post.id}`, `#/t/${encodeURIComponent(tag)}`, `#/u/${user.username}`]) {
    await go(b, hash);
    await b.waitForSelector('.post-card, .post-page .post-title');
    assert.ok(await noHorizontalScroll(b), `no horizontal scroll on ${hash}`);
  }
  await b.screenshot({ path: path.join(ARTIFACTS, 'post-360.png'), fullPage: true });
  await b.setViewportSize({ width: 1200, height: 900 });

  // A edits the title in place.
  await page.bringToFront();
  await go(page, `#/p/${post.id}`);
  await page.locator('.post-page .edit-post').click();
  const edit = page.locator('.post-page .edit-form');
  assert.equal(await edit.locator('.post-tags-input').inputValue(), `${tag}, e2e`);
  await edit.locator('.post-title-input').fill(`${title} (edited)`);
  const [patched] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'PATCH' && r.url().endsWith(`/api/v1/posts/${post.id}`)),
    edit.locator('.post-submit').click(),
  ]);
  assert.equal(patched.status(), 200);
  await page.waitForSelector('.post-page h1.post-title');
  assert.equal(await page.locator('.post-page h1').textContent(), `${title} (edited)`);
  assert.equal(await page.locator('.post-page .like-count').textContent(), '1');
  // A deletes it (Cancel first, then the confirm step); it leaves B's feed.
  await page.locator('.post-page .delete-post').click();
  await page.locator('.post-page .cancel-delete').click();
  await page.locator('.post-page .delete-post').click();
  const [deleted] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'DELETE' && r.url().endsWith(`/api/v1/posts/${post.id}`)),
    page.locator('.post-page .confirm-delete').click(),
  ]);
  assert.equal(deleted.status(), 204);
  await page.waitForURL(/#\/feed$/);
  await b.bringToFront();
  await go(b, '#/feed');
  await b.waitForSelector('.posts-page .feed-empty, .posts-page .post-card');
  assert.equal(await b.locator(`.post-card[data-id="${post.id}"]`).count(), 0, 'gone from the feed');
  assert.equal(await b.locator('.feed-empty a[href="#/posts"]').count(), 1, 'the empty feed suggests everyone’s latest');
  await page.bringToFront();
});

// ---- the market SNS: photos, comments, search, products -------------------------------------

// Two Hangul syllables of this run: a word of the post's title that the search must find.
const SYLLABLES = '가나다라마바사아자차카타파하고노도로모보소오조초코토포호구누두루무부수우주추쿠투푸후';
const word = Array.from({ length: 2 }, () => SYLLABLES[Math.floor(Math.random() * SYLLABLES.length)]).join('');
// What the steps below make: A's post and product (the API's views).
// The product's name has it too: search ranks by relevance (words and meaning), not newest
// first, so the word keeps this run's product ahead of the same product of earlier runs.
const sns = { title: `${word} 한라봉 나눔해요 (${run})`, productName: `제주 한라봉 5kg ${word} (${run})`, post: null, product: null };

/** Waits until the image `selector` shows (loaded, with pixels). */
async function imageLoaded(p, selector, timeout = TASK_TIMEOUT) {
  await p.waitForFunction(
    (sel) => {
      const img = document.querySelector(sel);
      return img && img.complete && img.naturalWidth > 0;
    },
    selector,
    { timeout },
  );
}

/**
 * Opens the search `hash` and returns the first result matching `selector` once it is there.
 * Search is the recommendation service's, which learns new and changed items from events a
 * moment after the API stored them: a search that does not have it yet is asked again (the
 * same address with a parameter the page ignores: a reload would log the person out) for up
 * to `timeout`.
 */
async function searchFinds(p, hash, selector, timeout = 30_000) {
  const until = Date.now() + timeout;
  for (let n = 0; ; n++) {
    const to = n ? `${hash}${hash.includes('?') ? '&' : '?'}again=${n}` : hash;
    // As in go(): the results shown before the address changed do not count.
    if (p.url() !== `${BASE}/${to}`) await p.evaluate(() => document.querySelector('main')?.setAttribute('data-left', '')).catch(() => {});
    await p.goto(`${BASE}/${to}`);
    await p.waitForSelector('main:not([data-left]) .search-results:not([aria-busy]) > *');
    if ((await p.locator(selector).count()) > 0) return p.locator(selector).first();
    assert.ok(Date.now() < until, `${hash}: no ${selector} after ${timeout} ms`);
    await p.waitForTimeout(1000);
  }
}

/** Whether the API has comments yet (they land in a later change than posts). */
async function commentsInApi(postId) {
  const res = await fetch(`${BASE}/api/v1/posts/${postId}/comments?size=1`);
  return res.status !== 404 || (await res.json().catch(() => ({}))).code !== 'route_not_found';
}

test('market SNS: A posts with a photo from the compose form (checks, remove, progress bar); it is published', async () => {
  await page.bringToFront();
  await go(page, '#/feed');
  const form = page.locator('.compose-form');
  const picker = form.locator('.picker-input');
  // Refused here, before anything is asked of the API: not an image, larger than 10 MB.
  let uploadsAsked = 0;
  const countUploads = (req) => {
    if (req.url().endsWith('/api/v1/uploads')) uploadsAsked += 1;
  };
  page.on('request', countUploads);
  await picker.setInputFiles([
    { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not a photo') },
    { name: 'huge.png', mimeType: 'image/png', buffer: Buffer.alloc(10 * 1024 * 1024 + 1) },
  ]);
  const note = form.locator('.picker-note .alert-error');
  await note.waitFor();
  assert.deepEqual(await note.locator('li').allTextContents(), ['notes.txt is not a JPEG, PNG or WebP photo.', 'huge.png is larger than 10 MB.']);
  assert.equal(await form.locator('.pick').count(), 0);
  // Two photos, one removed again before posting (the focus stays in the list).
  await picker.setInputFiles([
    { name: path.basename(PHOTO), mimeType: 'image/png', buffer: fs.readFileSync(PHOTO) },
    { name: 'sky.png', mimeType: 'image/png', buffer: plainPng(64, 48) },
  ]);
  await form.locator('.pick').nth(1).waitFor();
  assert.equal(await form.locator('.picker-note .alert').count(), 0, 'a new choice clears the refusals');
  await form.locator('.pick', { hasText: 'sky.png' }).locator('.pick-remove').click();
  assert.equal(await form.locator('.pick').count(), 1);
  assert.equal(await form.locator('.pick .pick-name').textContent(), path.basename(PHOTO));
  assert.equal(await page.evaluate(() => document.activeElement?.classList.contains('pick-remove')), true, 'focus on the remaining photo’s Remove');
  await imageLoaded(page, '.compose-form .pick-thumb', 5000);
  assert.equal(await form.locator('.pick-bar').isVisible(), false, 'no progress bar before posting');
  page.off('request', countUploads);
  assert.equal(uploadsAsked, 0, 'nothing was uploaded for refused or removed photos');

  await form.locator('.post-title-input').fill(sns.title);
  await form.locator('.post-text-input').fill('귤이 너무 많아서 나눠요.\nTangerines to share.');
  await form.locator('.post-tags-input').fill('나눔, jeju');
  // Every change of the photo's row while it uploads: its state and progress.
  await page.evaluate(() => {
    window.__pickLog = [];
    new MutationObserver((ms) => {
      for (const m of ms) window.__pickLog.push(`${m.attributeName.slice(5)}=${m.target.getAttribute(m.attributeName)}`);
    }).observe(document.querySelector('.compose-form .picks'), { subtree: true, attributes: true, attributeFilter: ['data-state', 'data-progress'] });
  });
  const [ticketRes, putRes, created] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/api/v1/uploads')),
    page.waitForResponse((r) => r.request().method() === 'PUT' && r.url().includes('/api/v1/files/')),
    page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/api/v1/posts')),
    form.locator('.post-submit').click(),
  ]);
  assert.equal(ticketRes.status(), 201);
  const ticket = await ticketRes.json();
  assert.deepEqual(ticketRes.request().postDataJSON(), { content_type: 'image/png', bytes: fs.statSync(PHOTO).size });
  assert.equal(putRes.status(), 204);
  const putHeaders = putRes.request().headers();
  assert.equal(putHeaders['content-type'], 'image/png');
  assert.equal(putHeaders.authorization, undefined, 'no token on the signed upload URL');
  assert.equal(created.status(), 201);
  assert.deepEqual(created.request().postDataJSON().images, [ticket.key]);
  sns.post = await created.json();
  const log = await page.evaluate(() => window.__pickLog);
  console.log(`# upload of the photo: ${log.join(' → ')}`);
  assert.ok(log.includes('state=uploading') && log.includes('state=done') && log.includes('progress=100'), `the progress bar ran: ${log}`);
  assert.equal(await form.locator('.pick').count(), 0, 'the form is emptied');

  // Pending first (only A sees it), then published with the photo's thumbnail.
  const id = sns.post.id;
  const card = page.locator(`.post-list[data-list="feed"] .post-card[data-id="${id}"]`);
  await card.waitFor();
  console.log(`# the new post: ${sns.post.status}, images ${sns.post.images.map((i) => i.status)}`);
  if (sns.post.status === 'pending') {
    assert.equal(sns.post.images[0].status, 'processing');
    await card.locator('.status-badge[data-status="pending"]').waitFor({ timeout: 2000 });
  }
  await page.waitForSelector(`.post-card[data-id="${id}"][data-status="published"] .thumbs img`, { timeout: TASK_TIMEOUT });
  await imageLoaded(page, `.post-card[data-id="${id}"] .thumbs img`);
  assert.equal(await card.locator('.status-badge').count(), 0);
  const thumb = card.locator('.thumbs img');
  assert.equal(await thumb.getAttribute('loading'), 'lazy');
  assert.ok(Number(await thumb.getAttribute('width')) > 0 && Number(await thumb.getAttribute('height')) > 0, 'width and height reserve its place');
});

test('market SNS: a damaged photo: the API refuses the post and its message shows at the photos', async () => {
  await go(page, '#/feed');
  const form = page.locator('.compose-form');
  await form.locator('.post-title-input').fill(`Broken photo (${run})`);
  // A PNG signature and end, and nothing a decoder can read in between.
  const damaged = Buffer.concat([
    Buffer.from('89504e470d0a1a0a', 'hex'),
    Buffer.from('not a picture '.repeat(4)),
    Buffer.from('0000000049454e44ae426082', 'hex'),
  ]);
  await form.locator('.picker-input').setInputFiles({ name: 'damaged.png', mimeType: 'image/png', buffer: damaged });
  await provoking(/\/api\/v1\/posts$/, 'a damaged photo: 422', async () => {
    await form.locator('.post-submit').click();
    await form.locator('[data-field="images"] .field-error:not([hidden])').waitFor();
  });
  assert.match(await form.locator('[data-field="images"] .field-error').textContent(), /damaged/);
  assert.equal(await form.locator('.picker-input').getAttribute('aria-invalid'), 'true');
  assert.equal(await form.locator('.alert-error').getAttribute('data-code'), 'validation_failed');
  assert.equal(await form.locator('.pick').getAttribute('data-state'), 'done', 'the upload itself went through');
  // Take it out again and empty the form.
  await form.locator('.pick-remove').click();
  assert.equal(await form.locator('.pick').count(), 0);
  await form.locator('.post-title-input').fill('');
});

test('market SNS: B, who follows A, sees it with its photo in their feed (360 px screenshot)', async () => {
  const b = friendPage;
  const id = sns.post.id;
  await b.bringToFront();
  await go(b, `#/u/${user.username}`);
  const follow = b.locator('.user-page .follow-btn');
  await follow.waitFor();
  if ((await follow.getAttribute('data-following')) !== 'true') {
    await follow.click();
    await b.waitForSelector('.user-page .follow-btn[data-following="true"]');
  }
  await go(b, '#/feed');
  const card = b.locator(`.post-list[data-list="feed"] .post-card[data-id="${id}"]`);
  await card.waitFor();
  assert.equal(await card.locator('.post-card-title').textContent(), sns.title);
  assert.equal(await card.locator('.photo-count').getAttribute('data-n'), '1');
  await imageLoaded(b, `.post-list[data-list="feed"] .post-card[data-id="${id}"] .thumbs img`);
  await b.setViewportSize({ width: 360, height: 740 });
  try {
    await go(b, '#/');
    await go(b, '#/feed');
    await card.waitFor();
    await imageLoaded(b, `.post-list[data-list="feed"] .post-card[data-id="${id}"] .thumbs img`);
    assert.ok(await noHorizontalScroll(b), 'no horizontal scroll on the feed at 360 px');
    // What the phone shows: the post right under the header, the tab bar at the bottom.
    await b.evaluate((pid) => {
      const el = document.querySelector(`.post-list[data-list="feed"] .post-card[data-id="${pid}"]`);
      window.scrollTo(0, el.getBoundingClientRect().top + window.scrollY - document.querySelector('.topbar').offsetHeight - 12);
    }, id);
    await b.screenshot({ path: path.join(ARTIFACTS, 'feed-360.png') });
  } finally {
    await b.setViewportSize({ width: 1200, height: 900 });
  }
});

test('market SNS: B likes it and comments; A likes the comment and replies; who liked', async (t) => {
  const b = friendPage;
  const id = sns.post.id;
  const comments = await commentsInApi(id);
  if (!comments) console.log('# comments are not in the API yet (404 route_not_found): the comment steps are skipped');
  const noComments = /\/api\/v1\/posts\/[^/]+\/comments/;
  const visit = (fn) => (comments ? fn() : provoking(noComments, 'comments not in the API yet: 404', fn));

  await b.bringToFront();
  await visit(async () => {
    await go(b, `#/p/${id}`);
    await b.waitForSelector('.post-page h1.post-title');
  });
  await imageLoaded(b, '.post-page .gallery-image img');
  assert.match(await b.getAttribute('.post-page .gallery-image img', 'src'), /^\/api\/v1\/files\//);
  // B likes the post.
  const like = b.locator('.post-page .post-foot .like');
  const [liked] = await Promise.all([b.waitForResponse((r) => r.request().method() === 'PUT' && r.url().endsWith(`/api/v1/posts/${id}/like`)), like.click()]);
  assert.equal(liked.status(), 200);
  await b.locator('.post-page .post-foot .like[aria-pressed="true"]').waitFor();
  assert.equal(await like.locator('.like-count').textContent(), '1');
  if (!comments) {
    t.skip('comments are not in the API yet');
    return;
  }

  // An empty comment: the API's message at the field.
  const compose = b.locator('.comments .comment-compose');
  await provoking(new RegExp(`/api/v1/posts/${id}/comments$`), 'an empty comment: 422', async () => {
    await compose.locator('.comment-submit').click();
    await compose.locator('.field-error:not([hidden])').waitFor();
  });
  assert.equal(await compose.locator('textarea').getAttribute('aria-invalid'), 'true');
  // B comments in Korean.
  const text = `사진 멋져요! 하나 받을 수 있을까요? (${run})`;
  await compose.locator('textarea').fill(text);
  const [posted] = await Promise.all([
    b.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith(`/api/v1/posts/${id}/comments`)),
    compose.locator('.comment-submit').click(),
  ]);
  assert.equal(posted.status(), 201);
  const comment = await posted.json();
  const item = b.locator(`.comment-list[data-list="comments"] > .comment[data-id="${comment.id}"]`);
  await item.waitFor();
  assert.equal(await item.locator('.comment-text').first().textContent(), text);
  assert.equal(await item.locator('.comment-author .user-link').getAttribute('href'), `#/u/${friend.username}`);
  assert.equal(await b.getAttribute('.comments .comments-n', 'data-n'), '1');
  assert.equal(await compose.locator('textarea').inputValue(), '', 'the box is emptied');
  // B edits it in place.
  await item.locator('.edit-comment').click();
  await item.locator('.edit-comment-form textarea').fill(`${text} 🍊`);
  const [patched] = await Promise.all([
    b.waitForResponse((r) => r.request().method() === 'PATCH' && r.url().endsWith(`/api/v1/comments/${comment.id}`)),
    item.locator('.edit-comment-form .comment-submit').click(),
  ]);
  assert.equal(patched.status(), 200);
  await item.locator('.edit-comment').waitFor();
  assert.equal(await item.locator('.comment-text').first().textContent(), `${text} 🍊`);

  // A sees it, likes it and replies (one level deep).
  await page.bringToFront();
  await go(page, `#/p/${id}`);
  const seen = page.locator(`.comment-list[data-list="comments"] > .comment[data-id="${comment.id}"]`);
  await seen.waitFor();
  assert.equal(await seen.locator('.edit-comment').count(), 0, 'no Edit on someone else’s comment');
  assert.equal(await seen.locator('.delete-comment').count(), 1, 'the post’s author may delete it');
  const [likedComment] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'PUT' && r.url().endsWith(`/api/v1/comments/${comment.id}/like`)),
    seen.locator('.comment-actions .like').first().click(),
  ]);
  assert.equal(likedComment.status(), 200);
  assert.equal(await seen.locator('.comment-actions .like-count').first().textContent(), '1');
  await seen.locator('.reply-btn').click();
  const replyText = `네, 드릴게요! (${run})`;
  await seen.locator('.reply-form textarea').fill(replyText);
  const [replied] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith(`/api/v1/posts/${id}/comments`)),
    seen.locator('.reply-form .comment-submit').click(),
  ]);
  assert.equal(replied.status(), 201);
  const reply = await replied.json();
  assert.equal(reply.parent_id, comment.id);
  await seen.locator(`.reply-list .comment[data-id="${reply.id}"]`).waitFor();
  assert.equal(await seen.locator('.replies-toggle').getAttribute('aria-expanded'), 'true');
  assert.equal(await seen.locator('.reply-list .comment .reply-btn').count(), 0, 'no replies to replies');
  assert.equal(await page.getAttribute('.comments .comments-n', 'data-n'), '2');
  // Who liked the post: B.
  await page.locator('.post-page .likers summary').click();
  await page.locator(`.likers-list .liker[data-username="${friend.username}"]`).waitFor();
  // The feed card counts both comments and the like.
  await go(page, '#/feed');
  const card = page.locator(`.post-list[data-list="feed"] .post-card[data-id="${id}"]`);
  await card.waitFor();
  assert.equal(await card.locator('.comment-count').getAttribute('data-n'), '2');
  assert.equal(await card.locator('.like-count').textContent(), '1');
  // B opens the replies from a fresh page.
  await b.bringToFront();
  await go(b, '#/');
  await go(b, `#/p/${id}`);
  const again = b.locator(`.comment-list[data-list="comments"] > .comment[data-id="${comment.id}"]`);
  await again.locator('.replies-toggle[data-n="1"]').click();
  await again.locator(`.reply-list .comment[data-id="${reply.id}"] .comment-text`).waitFor();
  assert.equal(await again.locator('.reply-list .comment-text').textContent(), replyText);
  await page.bringToFront();
});

test('market SNS: signed out, a search for a two-syllable Korean word of its title finds it', async () => {
  const other = await signedOutPage();
  await other.goto(`${BASE}/#/posts`);
  await other.waitForSelector('main h1');
  await other.fill('#header-q', word);
  await other.press('#header-q', 'Enter');
  await other.waitForURL(new RegExp(`#/search\\?q=${encodeURIComponent(word)}$`));
  // The recommendation service's search (docs/recommend.md): a card per result.
  const hit = await searchFinds(other, `#/search?q=${encodeURIComponent(word)}`, `.search-results[data-type="post"] .rec-card[data-id="${sns.post.id}"]`);
  assert.equal(await other.locator('.search-page h1').textContent(), `Search: ${word}`);
  assert.equal(await other.locator('.search-tabs .tab[aria-current="page"]').getAttribute('data-type'), 'post');
  assert.equal(await hit.locator('.rec-card-title').textContent(), sns.title);
  assert.equal(await hit.locator('.rec-card-title a').getAttribute('href'), `#/p/${sns.post.id}`);
  assert.equal(await hit.locator('.rec-owner .user-link').getAttribute('href'), `#/u/${user.username}`);
  // People: A by username; nothing for a word nobody used.
  await searchFinds(other, `#/search?q=${user.username}&type=user`, `.search-results[data-type="user"] .rec-card[data-username="${user.username}"]`);
  // (By words only: a search by meaning finds the nearest items to anything.)
  await other.goto(`${BASE}/#/search?q=${encodeURIComponent(`없는말${run}`)}&type=product&method=fulltext`);
  await other.locator('.search-results .search-empty').waitFor();
});

test('market: A lists a product with a photo; a price range finds it; its page; B sees it on A’s page', async () => {
  await page.bringToFront();
  await go(page, '#/market');
  await page.click('.market-page .sell-link');
  await page.waitForURL(/#\/sell$/);
  const form = page.locator('.sell-form');
  await form.waitFor();
  await form.locator('.product-name-input').fill(sns.productName);
  await form.locator('.product-link-input').fill('https://example.com/hallabong');
  await form.locator('.product-description-input').fill('새콤달콤한 한라봉이에요.\nSweet and sour.');
  await form.locator('.picker-input').setInputFiles(PHOTO);
  // A price that is not a whole number of won is refused here, before any upload.
  let asked = 0;
  const count = (req) => {
    if (/\/api\/v1\/(uploads|products)$/.test(req.url())) asked += 1;
  };
  page.on('request', count);
  await form.locator('.product-price-input').fill('lots');
  await form.locator('.product-submit').click();
  await form.locator('[data-field="price"] .field-error:not([hidden])').waitFor();
  assert.equal(await form.locator('[data-field="price"] .field-error').textContent(), 'Enter the price as a whole number of won, e.g. 32000.');
  page.off('request', count);
  assert.equal(asked, 0, 'nothing was sent');
  await form.locator('.product-price-input').fill('32,000');
  assert.equal(await form.locator('.price-preview').textContent(), 'Shown as ₩32,000');
  const [created] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/api/v1/products')),
    form.locator('.product-submit').click(),
  ]);
  assert.equal(created.status(), 201);
  sns.product = await created.json();
  assert.equal(sns.product.price, 32000);
  const id = sns.product.id;
  await page.waitForURL(new RegExp(`#/m/${id}$`));
  await page.waitForSelector('.product-page[data-status="published"] .gallery-image img', { timeout: TASK_TIMEOUT });
  await imageLoaded(page, '.product-page .gallery-image img');
  assert.equal(await page.locator('.product-page h1').textContent(), sns.productName);
  assert.equal(await page.locator('.product-page .product-price .price').textContent(), '₩32,000');
  const out = page.locator('.product-page .product-link');
  assert.equal(await out.getAttribute('href'), 'https://example.com/hallabong');
  assert.equal(await out.getAttribute('target'), '_blank');
  assert.equal(await out.getAttribute('rel'), 'noopener noreferrer');
  assert.equal(await page.locator('.product-page .more-from-seller').getAttribute('href'), `#/market?seller=${user.username}`);
  // The seller edits the price in place.
  await page.locator('.product-page .edit-product').click();
  await page.locator('.product-page .product-price-input').fill('31000');
  const [patched] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'PATCH' && r.url().endsWith(`/api/v1/products/${id}`)),
    page.locator('.product-page .product-submit').click(),
  ]);
  assert.equal(patched.status(), 200);
  await page.waitForSelector('.product-page .price[data-price="31000"]');
  assert.equal(await page.locator('.product-page .product-price .price').textContent(), '₩31,000');

  // The market: a price range around it finds it, one above it does not.
  await go(page, '#/market');
  await page.fill('.market-filter .market-min', '30500');
  await page.fill('.market-filter .market-max', '31,500');
  const [listed] = await Promise.all([
    page.waitForResponse((r) => r.url().includes('/api/v1/products?') && r.url().includes('min_price=30500')),
    page.click('.market-filter button[type=submit]'),
  ]);
  assert.equal(new URL(listed.url()).searchParams.get('max_price'), '31500');
  await page.waitForURL(/#\/market\?min=30500&max=31500$/);
  const card = page.locator(`.product-grid[data-list="market"] .product-card[data-id="${id}"]`);
  await card.waitFor();
  await imageLoaded(page, `.product-card[data-id="${id}"] .product-card-img img`);
  assert.equal(await card.locator('.price').textContent(), '₩31,000');
  assert.equal(await card.locator('.product-seller .user-link').getAttribute('href'), `#/u/${user.username}`);
  assert.match(await page.locator('.market-filters').textContent(), /₩30,500 to ₩31,500/);
  await page.fill('.market-filter .market-min', '31001');
  await page.fill('.market-filter .market-max', '');
  await page.click('.market-filter button[type=submit]');
  await page.waitForURL(/#\/market\?min=31001$/);
  await page.waitForSelector('.market-list .product-grid, .market-list .market-empty');
  assert.equal(await page.locator(`.product-card[data-id="${id}"]`).count(), 0, 'above its price: not listed');
  // By words, highest price first.
  await go(page, `#/market?q=${encodeURIComponent('한라봉')}&sort=price_desc`);
  await page.locator(`.product-grid[data-sort="price_desc"] .product-card[data-id="${id}"]`).waitFor();

  // B sees it on A's page, with A's counts; and finds it by search.
  const b = friendPage;
  await b.bringToFront();
  await go(b, `#/u/${user.username}`);
  await b.locator(`.user-page [data-list="user-products"] .product-card[data-id="${id}"]`).waitFor();
  assert.equal(await b.getAttribute('.user-page .profile-count[data-kind="products"]', 'data-n'), '1');
  assert.equal(await b.getAttribute('.user-page .profile-count[data-kind="posts"]', 'data-n'), '1');
  const found = await searchFinds(
    b,
    `#/search?q=${encodeURIComponent(`한라봉 ${word}`)}&type=product`,
    `.search-results[data-type="product"] .rec-card[data-id="${id}"]`,
  );
  assert.match(await found.locator('.price').textContent(), /^₩3[12],000$/); // (the edit reaches the index a moment later)
  await page.bringToFront();

  // Signed out and in Korean, the price reads in won.
  const other = await signedOutPage();
  await other.goto(`${BASE}/#/m/${id}`);
  await other.waitForSelector('.product-page h1');
  await other.click('button.lang');
  await other.waitForFunction(() => document.documentElement.lang === 'ko');
  await other.waitForSelector('.product-page .price[data-price="31000"]');
  assert.equal(await other.locator('.product-page .product-price .price').textContent(), '31,000원');
  assert.equal(await other.locator('.product-page .edit-product, .product-page .delete-product').count(), 0, 'no Edit or Delete for others');
  await other.click('button.lang');
  await other.waitForFunction(() => document.documentElement.lang === 'en');
});

test('my page: A changes their picture (upload, processing, ready); it shows on their public page', async () => {
  await go(page, '#/me');
  await page.waitForSelector('.avatar-edit[data-avatar="none"]');
  const [patched] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'PATCH' && r.url().endsWith('/api/v1/users/me')),
    page.waitForResponse((r) => r.request().method() === 'PUT' && r.url().includes('/api/v1/files/')),
    page.setInputFiles('#avatar-file', PHOTO),
  ]);
  assert.equal(patched.status(), 200);
  assert.match(patched.request().postDataJSON().avatar, /^uploads\//);
  await page.waitForSelector('.avatar-edit[data-avatar="ready"] .avatar img', { timeout: TASK_TIMEOUT });
  await imageLoaded(page, '.avatar-edit .avatar img');
  await go(page, `#/u/${user.username}`);
  await imageLoaded(page, '.user-page .profile .avatar img');
  assert.equal(await page.getAttribute('.user-page .profile .avatar img', 'alt'), `Picture of ${user.display}`);
});

test('market SNS pages at 360 px: no sideways scrolling', async () => {
  const b = friendPage;
  await b.bringToFront();
  await b.setViewportSize({ width: 360, height: 740 });
  try {
    for (const [hash, ready] of [
      [`#/p/${sns.post.id}`, '.post-page .gallery-image img'],
      ['#/market', '.product-grid .product-card'],
      [`#/m/${sns.product.id}`, '.product-page .gallery-image img'],
      ['#/sell', '.sell-form'],
      [`#/search?q=${encodeURIComponent(word)}`, '.search-results .rec-card'],
      [`#/u/${user.username}`, '.user-page [data-list="user-products"]'],
      ['#/me', '.avatar-edit'],
    ]) {
      await go(b, hash);
      await b.waitForSelector(ready);
      await b.waitForLoadState('networkidle');
      assert.ok(await noHorizontalScroll(b), `no horizontal scroll on ${hash}`);
      if (hash === '#/market') await b.screenshot({ path: path.join(ARTIFACTS, 'market-360.png'), fullPage: true });
      if (hash.startsWith('#/p/')) await b.screenshot({ path: path.join(ARTIFACTS, 'post-comments-360.png'), fullPage: true });
    }
    // On a phone the header has only the search button: it opens the search page, whose box
    // takes the words.
    await go(b, '#/feed');
    assert.equal(await b.locator('#header-q').isVisible(), false);
    await b.click('.header-search-btn');
    await b.waitForURL(/#\/search$/);
    await b.waitForSelector('.search-page #search-q');
    await b.fill('#search-q', word);
    await b.press('#search-q', 'Enter');
    await b.locator(`.search-results .rec-card[data-id="${sns.post.id}"]`).waitFor();
  } finally {
    await b.setViewportSize({ width: 1200, height: 900 });
    await page.bringToFront();
  }
});

// ---- chat (docs/chat.md): two people, each in a browser context of their own ------------------

const chat = { name: `Moji chat ${run}`, second: `Second room ${run}`, id: null, secondId: null };
// B's own browser context (tokens live in page memory; its page stays visible next to A's).
let chatContext;
let chatB;
const sockets = []; // the WebSockets A's page opens

/** B, signed in in a browser context of their own (launched on first use). */
async function chatPeer() {
  if (chatB) return chatB;
  await signedOutPage(); // launches the second browser
  chatContext = await anonBrowser.newContext({ locale: 'en-US', viewport: { width: 1000, height: 900 }, deviceScaleFactor: 1 });
  chatB = await chatContext.newPage();
  watch(chatB, 'chat-b');

  await go(chatB, '#/login');
  await chatB.fill('#f-login', friend.username);
  await chatB.fill('#f-password', friend.password);
  await chatB.click('form button[type=submit]');
  await chatB.waitForSelector('.make-form');
  return chatB;
}

/** The message of the open room whose text is exactly `text`. */
function chatMsg(p, text) {
  return p.locator('.chat-log .chat-msg').filter({ has: p.locator('.chat-text', { hasText: new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) }) });
}

async function sendChat(p, text) {
  await p.fill('.chat-input', text);
  await p.press('.chat-input', 'Enter');
}

/** The seqs the open room shows, in the order shown: each once, one after the other. */
async function assertSeqs(p, label) {
  const seqs = await p.evaluate(() => [...document.querySelectorAll('.chat-log [data-seq]')].map((li) => Number(li.dataset.seq)));
  assert.ok(seqs.length > 0, `${label}: the room shows messages`);
  for (let i = 1; i < seqs.length; i++) assert.equal(seqs[i], seqs[i - 1] + 1, `${label}: seqs in order, no gap, no duplicate (${seqs.join(',')})`);
  return seqs;
}

async function openChat(p, hash = '#/chat') {
  await go(p, hash);
  await p.waitForSelector('.chat-conn[data-state="online"]');
}

test('chat: A starts a room with B (an unknown username is refused at its field)', async () => {
  await page.bringToFront();
  page.on('websocket', (ws) => sockets.push(ws.url()));
  await go(page, '#/feed');
  await page.click('.nav-link[data-nav="chat"]');
  await page.waitForSelector('.chat-page .chat-conn[data-state="online"]');
  assert.equal(await page.getAttribute('.nav-link[data-nav="chat"]', 'aria-current'), 'page');
  assert.equal(await page.locator('main h1').textContent(), 'Chat');
  // The socket authenticates with the subprotocols, not with the token in its address.
  assert.deepEqual(sockets, [`${BASE.replace(/^http/, 'ws')}/api/v1/chat/ws`]);
  await page.click('.chat-new summary');
  await page.fill('.chat-new-name', chat.name);
  await page.fill('.chat-new-members', `${friend.username}, nobody_${run}`);
  await provoking(/\/api\/v1\/chat\/rooms$/, 'an unknown member: 422', async () => {
    const [res] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/api/v1/chat/rooms')),
      page.click('.chat-new-submit'),
    ]);
    assert.equal(res.status(), 422);
    await page.waitForSelector('.chat-new [data-field="members"] .field-error:not([hidden])');
  });
  await page.fill('.chat-new-members', `@${friend.username}`);
  const [created] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/api/v1/chat/rooms')),
    page.click('.chat-new-submit'),
  ]);
  assert.equal(created.status(), 201);
  assert.deepEqual(created.request().postDataJSON(), { name: chat.name, members: [friend.username] });
  const room = await created.json();
  chat.id = room.id;
  await page.waitForURL(new RegExp(`#/chat/${chat.id}$`));
  await page.waitForSelector('.chat-compose');
  assert.equal(await page.locator('.chat-room-panel h1').textContent(), chat.name);
  assert.equal(await page.locator('.chat-room-meta').textContent(), '2 members');
  // The room list beside it has it, as the current one.
  await page.waitForSelector(`.chat-room[data-id="${chat.id}"] a[aria-current="page"]`);
  // The connection stayed up through the navigation (one socket for the whole app).
  assert.equal(await page.evaluate(() => window.__mojiChat.status().state), 'online');
});

test('chat: A sends (pending, then its seq); B sees the unread badge before opening the room', async () => {
  // Every state a new message of mine goes through, as the log shows it.
  await page.evaluate(() => {
    window.__chatStates = [];
    new MutationObserver((records) => {
      for (const r of records) {
        const li = r.type === 'attributes' ? r.target : null;
        for (const node of r.type === 'childList' ? r.addedNodes : [li]) {
          if (node?.classList?.contains('chat-msg') && node.dataset.mine === 'true') window.__chatStates.push(node.dataset.state);
        }
      }
    }).observe(document.querySelector('.chat-log'), { childList: true, attributes: true, attributeFilter: ['data-state'], subtree: true });
  });
  const hello = `Hello ${friend.display}! (${run})`;
  await sendChat(page, hello);
  const mine = chatMsg(page, hello);
  await mine.and(page.locator('[data-seq]')).waitFor();
  assert.equal(await page.inputValue('.chat-input'), '', 'the composer empties');
  assert.deepEqual(await page.evaluate(() => window.__chatStates.slice(0, 1)), ['pending'], 'pending until acked');
  assert.equal(await mine.getAttribute('data-state'), 'sent');
  const seq = Number(await mine.getAttribute('data-seq'));
  assert.match(await mine.locator('.chat-msg-meta').textContent(), new RegExp(`^#${seq} · Sent$`));
  chat.firstSeq = seq;

  // B: the room is listed with its last message and an unread badge; so is the nav.
  const b = await chatPeer();
  await openChat(b);
  const item = b.locator(`.chat-room[data-id="${chat.id}"]`);
  await item.waitFor();
  assert.equal(await item.getAttribute('data-unread'), '1');
  assert.equal(await item.locator('.chat-unread').getAttribute('data-n'), '1');
  assert.equal(await item.locator('.chat-room-name').textContent(), chat.name);
  assert.equal(await item.locator('.chat-room-preview').textContent(), `${user.username}: ${hello}`);
  await b.waitForSelector('.nav-link[data-nav="chat"] .nav-badge[data-n="1"]');
  // Opened, it shows A's message and the badge goes.
  await item.locator('a').click();
  await b.waitForURL(new RegExp(`#/chat/${chat.id}$`));
  await chatMsg(b, hello).waitFor();
  assert.equal(await chatMsg(b, hello).locator('.chat-sender').textContent(), user.display);
  await b.waitForSelector(`.chat-room[data-id="${chat.id}"][data-unread="0"]`);
  await b.waitForFunction(() => !document.querySelector('.nav-link[data-nav="chat"] .nav-badge'));
  // B's `read` reaches A: A's message says B read it.
  await page.waitForSelector(`.chat-msg.is-mine[data-seq="${seq}"][data-read="1"]`);
  assert.match(await mine.locator('.chat-msg-meta').textContent(), /Read by 1$/);
});

test('chat: live both ways; B is typing; members and how far they read', async () => {
  const b = chatB;
  // B types: A sees it for a few seconds.
  await b.fill('.chat-input', 'H');
  await page.waitForSelector('.chat-typing[data-n="1"]');
  assert.equal(await page.locator('.chat-typing').textContent(), `${friend.display} is typing…`);
  const reply = `Hi ${user.display}, 반가워요 (${run})`;
  await sendChat(b, reply);
  await chatMsg(b, reply).and(b.locator('[data-seq]')).waitFor();
  // A sees it live, and no longer that B is typing.
  await chatMsg(page, reply).waitFor();
  assert.equal(await chatMsg(page, reply).getAttribute('data-mine'), 'false');
  await page.waitForSelector('.chat-typing[data-n="0"]');
  // A answers; B sees it live.
  const again = `Line one\nline two (${run})`;
  await page.fill('.chat-input', 'Line one');
  await page.press('.chat-input', 'Shift+Enter');
  await page.type('.chat-input', `line two (${run})`);
  await page.press('.chat-input', 'Enter');
  await chatMsg(b, again).waitFor();
  await chatMsg(page, again).and(page.locator('[data-seq]')).waitFor();
  const seqsA = await assertSeqs(page, 'A');
  const seqsB = await assertSeqs(b, 'B');
  assert.deepEqual(seqsA, seqsB, 'both show the same seqs');
  // Both read everything: A's room is not unread, and B's read state shows at A's.
  await page.waitForSelector(`.chat-room[data-id="${chat.id}"][data-unread="0"]`);
  await page.click('.chat-members summary');
  const bRow = page.locator(`.chat-member[data-username="${friend.username}"]`);
  await bRow.waitFor();
  await page.waitForFunction(
    ([sel, seq]) => Number(document.querySelector(sel)?.dataset.read) >= seq,
    [`.chat-member[data-username="${friend.username}"]`, seqsA.at(-1)],
  );
  assert.equal(await page.getAttribute(`.chat-member[data-username="${user.username}"]`, 'data-role'), 'owner');
  assert.equal(await bRow.getAttribute('data-role'), 'member');
  await page.screenshot({ path: path.join(ARTIFACTS, 'chat.png') });
});

test('chat: a message in another room bumps it in the list with its unread badge', async () => {
  const b = chatB;
  // B starts a second room with A, and writes in it; A is looking at the first room.
  await b.click('.chat-new summary');
  await b.fill('.chat-new-name', chat.second);
  await b.fill('.chat-new-members', user.username);
  const [created] = await Promise.all([
    b.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/api/v1/chat/rooms')),
    b.click('.chat-new-submit'),
  ]);
  chat.secondId = (await created.json()).id;
  await b.waitForSelector('.chat-compose');
  const text = `Over here (${run})`;
  await sendChat(b, text);
  await chatMsg(b, text).and(b.locator('[data-seq]')).waitFor();
  // A's list: the second room comes first, with 1 unread; the first room stays read.
  const second = page.locator(`.chat-room[data-id="${chat.secondId}"]`);
  await second.and(page.locator('[data-unread="1"]')).waitFor();
  assert.equal(await page.getAttribute('.chat-rooms .chat-room:first-child', 'data-id'), chat.secondId);
  assert.equal(await second.locator('.chat-room-preview').textContent(), `${friend.username}: ${text}`);
  assert.equal(await page.getAttribute(`.chat-room[data-id="${chat.id}"]`, 'data-unread'), '0');
  await page.waitForSelector('.nav-link[data-nav="chat"] .nav-badge[data-n="1"]');
  // A message in the first room brings it back to the top.
  const back = `Back to the first room (${run})`;
  await sendChat(page, back);
  await page.waitForFunction((id) => document.querySelector('.chat-rooms .chat-room:first-child')?.dataset.id === id, chat.id);
  // B, in the second room, gets an unread badge for the first one.
  await b.waitForSelector(`.chat-room[data-id="${chat.id}"][data-unread="1"]`);
  // A opens the second room: read, no reconnect (the same socket), badge gone.
  const before = await page.evaluate(() => window.__mojiChat.status().attempt);
  await page.click(`.chat-room[data-id="${chat.secondId}"] a`);
  await chatMsg(page, text).waitFor();
  await page.waitForSelector(`.chat-room[data-id="${chat.secondId}"][data-unread="0"]`);
  assert.equal(await page.evaluate(() => window.__mojiChat.status().state), 'online');
  assert.equal(await page.evaluate(() => window.__mojiChat.status().attempt), before);
  await b.click(`.chat-room[data-id="${chat.id}"] a`);
  await chatMsg(b, back).waitFor();
  await page.click(`.chat-room[data-id="${chat.id}"] a`);
  await chatMsg(page, back).waitFor();
  assert.equal(sockets.length, 1, 'switching rooms and pages never opened a second socket');
});

test('chat: A’s socket drops; B writes meanwhile; A reconnects, resumes and shows it exactly once', async () => {
  const b = chatB;
  // Lose the socket and hold reconnecting, so that B's message lands while A is away.
  const shown = await page.evaluate(() => {
    window.__mojiChat.hold(true);
    window.__mojiChat.drop();
    return document.querySelector('.chat-conn-text').textContent;
  });
  assert.match(shown, /^Offline, retrying in \d+ s$/);
  await page.waitForSelector('.chat-conn[data-state="offline"] .chat-retry:not([hidden])');
  const seqsBefore = await page.evaluate(() => window.__mojiChat.seqs());
  const away = `While you were away (${run})`;
  await sendChat(b, away);
  await chatMsg(b, away).and(b.locator('[data-seq]')).waitFor();
  // A writes too while offline: it stays pending.
  const queued = `Written offline (${run})`;
  await sendChat(page, queued);
  await chatMsg(page, queued).and(page.locator('[data-state="pending"]')).waitFor();
  assert.equal(await chatMsg(page, queued).locator('.chat-msg-meta').textContent(), 'Sending…');
  await page.waitForTimeout(300);
  assert.equal(await chatMsg(page, away).count(), 0, 'nothing arrives while offline');
  // Back: ready → resume {rooms: {id: last_seq}} → the replay, then the pending message is sent.
  const frames = [];
  page.on('websocket', (ws) => ws.on('framesent', (f) => frames.push(String(f.payload))));
  await page.evaluate(() => window.__mojiChat.hold(false));
  await page.waitForSelector('.chat-conn[data-state="online"]');
  await chatMsg(page, away).waitFor();
  await chatMsg(page, queued).and(page.locator('[data-seq]')).waitFor();
  await chatMsg(b, queued).waitFor();
  await page.waitForTimeout(500);
  assert.equal(await chatMsg(page, away).count(), 1, 'B’s message shows exactly once');
  assert.equal(await chatMsg(page, queued).count(), 1, 'the queued message shows once');
  assert.equal(await chatMsg(b, queued).count(), 1, 'and reaches B once');
  const resume = frames.map((f) => JSON.parse(f)).find((f) => f.type === 'resume');
  assert.ok(resume, 'resume sent after the reconnect');
  assert.equal(resume.v, 1);
  assert.equal(resume.rooms[chat.id], seqsBefore[chat.id], 'resume from the last seq seen');
  assert.equal(resume.rooms[chat.secondId], seqsBefore[chat.secondId]);
  await assertSeqs(page, 'A after the reconnect');
  await assertSeqs(b, 'B');
});

test('chat: sending too fast: the rate_limited error shows by the composer; sending again works', async () => {
  const seqs = [];
  // 21 messages at once: the server takes 20 per 10 s.
  for (let i = 1; i <= 21; i++) await sendChat(page, `Burst ${i} (${run})`);
  await page.waitForSelector('.chat-errors .alert-error[data-code="rate_limited"]');
  assert.equal(await page.locator('.chat-errors .alert-detail').textContent(), 'You are sending too fast. Wait a few seconds, then send again.');
  const failed = page.locator('.chat-msg[data-state="failed"]');
  await failed.first().waitFor();
  const n = await failed.count();
  assert.ok(n >= 1, 'the refused message says so');
  await failed.first().locator('.chat-resend').waitFor();
  // After the window, "Send again" (the same client_msg_id) gets it stored.
  await page.waitForTimeout(10_500);
  for (let i = 0; i < n; i++) await page.locator('.chat-msg[data-state="failed"] .chat-resend').first().click();
  await page.waitForFunction(() => !document.querySelector('.chat-msg[data-state="failed"], .chat-msg[data-state="pending"]'));
  seqs.push(...(await assertSeqs(page, 'A after the burst')));
  await chatMsg(chatB, `Burst 21 (${run})`).waitFor();
  await assertSeqs(chatB, 'B after the burst');
});

test('chat: history by cursor ("Load older"); the room at 360 px', async () => {
  const b = chatB;
  // Opened anew (10 a page), a room shows its newest page; older ones come on request, in
  // order, each once.
  await go(b, '#/');
  await openChat(b, `#/chat/${chat.id}?size=10`);
  await chatMsg(b, `Burst 21 (${run})`).waitFor();
  const older = b.locator('.chat-older');
  await older.waitFor();
  assert.equal(await b.locator('.chat-log [data-seq]').count(), 10);
  assert.equal(await chatMsg(b, `Hello ${friend.display}! (${run})`).count(), 0, 'the first message is on an older page');
  let pages = 0;
  while (await older.isVisible()) {
    const [res] = await Promise.all([
      b.waitForResponse((r) => r.url().includes(`/api/v1/chat/rooms/${chat.id}/messages?`) && r.url().includes('cursor=')),
      older.click(),
    ]);
    assert.equal(res.status(), 200);
    await b.waitForFunction(() => !document.querySelector('.chat-older')?.disabled);
    pages += 1;
    assert.ok(pages < 10, 'the older pages end');
  }
  assert.ok(pages >= 2, `more than one older page (${pages})`);
  await chatMsg(b, `Hello ${friend.display}! (${run})`).waitFor();
  const seqs = await assertSeqs(b, 'B with the older page');
  assert.equal(seqs[0], 1, 'everything since the room started');
  // Phones: the room fills the screen, with a way back to the list.
  await b.setViewportSize({ width: 360, height: 740 });
  try {
    await b.waitForSelector('.chat-side', { state: 'hidden' });
    assert.ok(await noHorizontalScroll(b), 'no horizontal scroll in a room at 360 px');
    await b.screenshot({ path: path.join(ARTIFACTS, 'chat-360.png'), fullPage: true });
    await b.click('.chat-back');
    await b.waitForSelector(`.chat-room[data-id="${chat.id}"]`);
    assert.ok(await noHorizontalScroll(b), 'no horizontal scroll on the room list at 360 px');
  } finally {
    await b.setViewportSize({ width: 1000, height: 900 });
  }
});

test('chat: B leaves (after a confirm step); A sees it; A invites B back', async () => {
  const b = chatB;
  await openChat(b, `#/chat/${chat.id}`);
  await b.click('.chat-leave-btn');
  await b.waitForSelector('.chat-leave-confirm');
  await b.click('.chat-leave-cancel');
  await b.waitForSelector('.chat-leave-btn');
  await b.click('.chat-leave-btn');
  const [res] = await Promise.all([
    b.waitForResponse((r) => r.request().method() === 'DELETE' && r.url().endsWith(`/api/v1/chat/rooms/${chat.id}/members/me`)),
    b.click('.chat-leave-yes'),
  ]);
  assert.equal(res.status(), 204);
  await b.waitForURL(/#\/chat$/);
  await b.waitForSelector(`.chat-room[data-id="${chat.secondId}"]`);
  assert.equal(await b.locator(`.chat-room[data-id="${chat.id}"]`).count(), 0, 'the room left the list');
  // A: the "left" line, live, and one member fewer.
  await page.waitForSelector(`.chat-log .chat-line[data-kind="left"][data-user="${friend.username}"]`);
  assert.equal(
    await page
      .locator('.chat-log .chat-line[data-kind="left"]')
      .last()
      .textContent()
      .then((s) => s.split(' · ')[0]),
    `${friend.display} left`,
  );
  await page.click('.chat-members summary');
  await page.waitForSelector(`.chat-member-list:not(:has(.chat-member[data-username="${friend.username}"]))`);
  assert.equal(await page.locator('.chat-room-meta').textContent(), '1 member');
  await assertSeqs(page, 'A with the left line');
  // A invites B back by username.
  await page.fill('.chat-invite-input', friend.username);
  const [invited] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith(`/api/v1/chat/rooms/${chat.id}/members`)),
    page.click('.chat-invite-submit'),
  ]);
  assert.equal(invited.status(), 200);
  assert.deepEqual(invited.request().postDataJSON(), { usernames: [friend.username] });
  assert.deepEqual(
    (await invited.json()).items.map((m) => m.username),
    [friend.username],
  );
  await page.waitForSelector(`.chat-log .chat-line[data-kind="joined"][data-user="${friend.username}"]`);
  await page.waitForSelector(`.chat-member[data-username="${friend.username}"]`);
  // B has the room again.
  await b.waitForSelector(`.chat-room[data-id="${chat.id}"]`);
  await assertSeqs(page, 'A with the joined line');
});

test('chat: A leaves the second room; B sees the left line', async () => {
  await openChat(page, `#/chat/${chat.secondId}`);
  await page.click('.chat-leave-btn');
  await page.click('.chat-leave-yes');
  await page.waitForURL(/#\/chat$/);
  assert.equal(await page.locator(`.chat-room[data-id="${chat.secondId}"]`).count(), 0);
  await chatB.bringToFront();
  await chatB.click(`.chat-room[data-id="${chat.secondId}"] a`);
  await chatB.waitForSelector(`.chat-log .chat-line[data-kind="left"][data-user="${user.username}"]`);
  await page.bringToFront();
  await chatContext.close();
  chatB = null;
});

test('360 px wide: no sideways scrolling on any page', async () => {
  const phone = await newPage({ width: 360, height: 740 }, 'phone');
  try {
    await go(phone, '#/login');
    await phone.fill('#f-login', user.username);
    await phone.fill('#f-password', user.password);
    await phone.click('form button[type=submit]');
    await phone.waitForSelector('.make-form');
    for (const hash of [
      '#/',
      `#/task/${emojiTaskId}`,
      `#/task/${zodiacTaskId}`,
      '#/gallery?sort=popular&period=week',
      '#/gallery?size=1',
      `#/u/${user.username}`,
      `#/u/${friend.username}`,
      `#/u/${friend.username}/followers`,
      `#/u/${user.username}/following`,
      `#/z/${zodiacTaskId}`,
      '#/ranking',
      '#/me',
    ]) {
      await go(phone, hash);
      await phone.waitForLoadState('networkidle');
      await phone.waitForTimeout(150);
      assert.ok(await noHorizontalScroll(phone), `no horizontal scroll on ${hash}`);
    }
    await go(phone, `#/task/${emojiTaskId}`);
    await phone.waitForSelector('.face-card');
    await phone.waitForFunction(() => document.querySelector('.result-img')?.naturalWidth > 0);
    await phone.screenshot({ path: path.join(ARTIFACTS, 'result-360.png'), fullPage: true });
    await go(phone, '#/me');
    await phone.waitForSelector('.result-item[data-kind="zodiac"] .publish');
    await phone.waitForSelector('.chart svg rect');
    await phone.screenshot({ path: path.join(ARTIFACTS, 'me-360.png'), fullPage: true });
    await go(phone, `#/u/${friend.username}`);
    await phone.waitForSelector('.user-page .follow-btn[data-following="true"]');
    assert.ok(await noHorizontalScroll(phone), 'no horizontal scroll on a person’s page with its Follow button');
    await phone.screenshot({ path: path.join(ARTIFACTS, 'user-360.png'), fullPage: true });
    // B's followers at 360 px, with a Remove confirm step open.
    await friendPage.bringToFront();
    await friendPage.setViewportSize({ width: 360, height: 740 });
    await go(friendPage, `#/u/${friend.username}`); // (the followers list it shows is old)
    await go(friendPage, `#/u/${friend.username}/followers`);
    const row = friendPage.locator(`.person[data-username="${user.username}"]`);
    await row.locator('.remove-follower').click();
    await row.locator('.confirm-remove').waitFor();
    assert.ok(await noHorizontalScroll(friendPage), 'no horizontal scroll on a followers list with a confirm step open');
    await friendPage.screenshot({ path: path.join(ARTIFACTS, 'followers-360.png'), fullPage: true });
    await row.locator('.cancel-remove').click();
    // The header hides its log-out button on phones; my page has one.
    await go(phone, '#/me');
    await phone.click('#me-logout');
    await phone.waitForSelector('.actions a.btn-primary');
  } finally {
    await phone.close();
  }
});

test('log out; a wrong password shows the API’s detail', async () => {
  await page.bringToFront();
  await page.click('#logout');
  await page.waitForSelector('.actions a.btn-primary');
  await page.goto(`${BASE}/#/me`);
  await page.waitForURL(/#\/login/);
  await page.fill('#f-login', user.username);
  await page.fill('#f-password', 'not the password');
  await provoking(/\/api\/v1\/auth\/login$/, 'wrong password: 401', async () => {
    await page.click('form button[type=submit]');
    await page.waitForSelector('.alert-error');
  });
  assert.equal(await page.getAttribute('.alert-error', 'data-code'), 'invalid_credentials');
  assert.ok((await page.locator('.alert-error .alert-detail').textContent()).length > 0);
  await page.fill('#f-password', user.password);
  await page.click('form button[type=submit]');
  await page.waitForSelector('.me .challenges'); // back where the person was going
});

test('no console errors, no failed requests', () => {
  assert.deepEqual(problems, []);
});
