// End-to-end test of the dataset maker's page (docs/datasets.md) in headless Chromium against a
// running stack behind the edge: the api (POST /api/v1/datasets, its outbox relay and result
// consumers) and the inference worker (it takes `dataset.generate` from inference.dataset,
// streams the zip to storage and reports). Run by scripts/web-e2e.sh after courses.test.mjs.
//
// Signed out, #/datasets offers to log in and still searches. A fresh person signs up, opens
// "Datasets" from the navigation (5,000 images left today), uploads a picture and asks for 24
// images of 64 px with seed 5: the POST is multipart with an Idempotency-Key and answers 202;
// the set appears in "My datasets" and is followed over SSE to `ready` with its preview sheet;
// "Download zip" downloads a zip of 24 PNGs, the manifest and the preview. The owner lists it
// for 3,000 won; a second person finds it by its Korean title, buys it through the development
// payment provider and downloads it. Throughout: no console errors and no failed requests.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const BASE = (process.env.MOJI_E2E_URL ?? 'http://127.0.0.1:8080').replace(/\/+$/, '');
const CHROMIUM = process.env.MOJI_E2E_CHROMIUM ?? '/usr/bin/chromium';
const ARTIFACTS = process.env.MOJI_E2E_ARTIFACTS ?? path.join(here, 'artifacts');
const TASK_TIMEOUT = Number(process.env.MOJI_E2E_TASK_TIMEOUT_MS ?? 60_000);

const run = Date.now().toString(36);
const person = (tag) => ({ username: `${tag}_${run}`, email: `${tag}_${run}@example.com`, password: 'correct horse battery staple', display: `${tag} ${run}` });
const maker = person('dsm');
const buyer = person('dsb');
const TITLE = `무늬 연습 ${run}`;

let browser;
const problems = [];

/** A 96×64 RGB PNG with a gradient, made here (zlib + CRC-32). */
function picturePng() {
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
    const body = Buffer.concat([Buffer.from(type), data]);
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc(body), 8 + data.length);
    return out;
  };
  const [w, hgt] = [96, 64];
  const raw = Buffer.alloc((w * 3 + 1) * hgt);
  for (let y = 0; y < hgt; y++) {
    raw[y * (w * 3 + 1)] = 0;
    for (let x = 0; x < w; x++) {
      const i = y * (w * 3 + 1) + 1 + x * 3;
      raw[i] = (x * 255) / w;
      raw[i + 1] = ((x * y) % 7) * 36;
      raw[i + 2] = (y * 255) / hgt;
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(hgt, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function watch(p, label) {
  p.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`[${label}] console error: ${msg.text()}`);
  });
  p.on('pageerror', (err) => problems.push(`[${label}] page error: ${err.message}`));
  p.on('requestfailed', (req) => {
    // A download's navigation is "aborted" by the browser once it becomes a download.
    if (/\/files\/datasets\/|X-Amz|\.zip/.test(req.url())) return;
    problems.push(`[${label}] request failed: ${req.method()} ${req.url()} ${req.failure()?.errorText ?? ''}`);
  });
  p.on('response', (res) => {
    if (res.status() >= 400) problems.push(`[${label}] HTTP ${res.status()}: ${res.request().method()} ${res.url()}`);
  });
}

async function go(p, hash) {
  await p.goto(`${BASE}/${hash}`);
  await p.waitForSelector('main h1, main .alert');
}

async function signUp(p, who) {
  await go(p, '#/signup');
  await p.fill('#f-username', who.username);
  await p.fill('#f-email', who.email);
  await p.fill('#f-password', who.password);
  await p.fill('#f-display_name', who.display);
  await p.waitForSelector('[data-field="display_name"] .field-check[data-state="free"]');
  await p.click('form button[type=submit]');
  await p.waitForSelector('.make-form');
}

/** Clicks `button` and waits for the download it starts; the file's bytes. */
async function downloadFrom(p, button) {
  const [download] = await Promise.all([p.waitForEvent('download', { timeout: TASK_TIMEOUT }), p.click(button)]);
  const file = await download.path();
  return fs.readFileSync(file);
}

/** Names of a zip's entries (its central directory). */
function zipNames(buf) {
  const names = [];
  let end = buf.length - 22;
  while (end >= 0 && buf.readUInt32LE(end) !== 0x06054b50) end--;
  assert.ok(end >= 0, 'a zip');
  let at = buf.readUInt32LE(end + 16);
  const count = buf.readUInt16LE(end + 10);
  for (let i = 0; i < count; i++) {
    assert.equal(buf.readUInt32LE(at), 0x02014b50);
    assert.equal(buf.readUInt16LE(at + 10), 0, 'stored, not deflated');
    const [n, m, k] = [buf.readUInt16LE(at + 28), buf.readUInt16LE(at + 30), buf.readUInt16LE(at + 32)];
    names.push(buf.subarray(at + 46, at + 46 + n).toString());
    at += 46 + n + m + k;
  }
  return names;
}

before(async () => {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
});

after(async () => {
  await browser?.close();
});

test('signed out: the page says what it is, asks to log in, and searches', async () => {
  const context = await browser.newContext({ locale: 'en-US' });
  const page = await context.newPage();
  watch(page, 'anon');
  await go(page, '#/datasets');
  assert.equal(await page.locator('main h1').textContent(), 'Dataset maker');
  await page.waitForSelector('.datasets-page a[href="#/login"]');
  await page.waitForSelector('.dataset-search');
  await context.close();
  assert.deepEqual(problems, []);
});

let setId;

test('ask for a set: multipart 202, followed over SSE to ready, the zip downloads', async () => {
  const context = await browser.newContext({ locale: 'en-US', acceptDownloads: true });
  const page = await context.newPage();
  watch(page, 'maker');
  await signUp(page, maker);
  await page.click('.nav-link[data-nav="datasets"]');
  await page.waitForURL(/#\/datasets$/);
  await page.waitForSelector('.dataset-form');
  await page.waitForFunction(() => document.querySelector('.dataset-quota')?.textContent.includes('5,000 of 5,000'));
  await page.setInputFiles('.dataset-image-input', { name: 'picture.png', mimeType: 'image/png', buffer: picturePng() });
  await page.fill('.dataset-title-input', TITLE);
  await page.selectOption('.dataset-category-input', 'art');
  await page.fill('.dataset-tags-input', 'pattern, 무늬');
  await page.fill('.dataset-quantity-input', '24');
  await page.selectOption('.dataset-size-input', '64');
  await page.fill('.dataset-seed-input', '5');
  const [request, response] = await Promise.all([
    page.waitForRequest((r) => r.method() === 'POST' && r.url().endsWith('/api/v1/datasets')),
    page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/api/v1/datasets')),
    page.click('.dataset-submit'),
  ]);
  assert.match(request.headers()['content-type'], /^multipart\/form-data/);
  assert.match(request.headers()['idempotency-key'] ?? '', /^[0-9a-f-]{36}$/);
  assert.equal(response.status(), 202);
  const set = await response.json();
  setId = set.id;
  assert.equal(set.status, 'queued');
  assert.deepEqual(set.tags, ['pattern', '무늬']);
  const card = page.locator(`.my-datasets .dataset-card[data-id="${setId}"]`);
  await card.waitFor();
  try {
    await page.waitForSelector(`.my-datasets .dataset-card[data-id="${setId}"][data-status="ready"]`, { timeout: TASK_TIMEOUT });
  } catch {
    assert.fail(`set still ${await card.getAttribute('data-status')}: is the inference worker consuming inference.dataset?`);
  }
  await page.waitForFunction(() => document.querySelector('.quota, .dataset-quota')?.textContent.includes('4,976'));
  const preview = card.locator('img.dataset-preview');
  await preview.waitFor();
  assert.ok(await preview.evaluate((img) => img.complete && img.naturalWidth === 256), 'a 4×4 sheet of 64 px');
  const zip = await downloadFrom(page, `.my-datasets .dataset-card[data-id="${setId}"] .dataset-download`);
  const names = zipNames(zip);
  assert.equal(names.length, 26);
  assert.ok(names.includes('images/00023.png') && names.includes('manifest.json') && names.includes('preview.png'), names.join(' '));
  await page.screenshot({ path: path.join(ARTIFACTS, 'datasets.png'), fullPage: true });

  // Listed for sale at 3,000 won.
  await card.locator('.dataset-price-input').fill('3,000');
  const [patched] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'PATCH' && r.url().endsWith(`/api/v1/datasets/${setId}`)),
    card.locator('.dataset-price-save').click(),
  ]);
  assert.equal(patched.status(), 200);
  assert.equal((await patched.json()).price_krw, 3000);
  assert.equal(await card.locator('.dataset-price-input').inputValue(), '3000');
  await context.close();
  assert.deepEqual(problems, []);
});

test('a GAN set: trained on the picture, then 8 samples with their measures', async () => {
  const context = await browser.newContext({ locale: 'en-US' });
  const page = await context.newPage();
  watch(page, 'gan');
  await page.goto(`${BASE}/#/login?next=%2Fdatasets`);
  await page.waitForSelector('#f-login');
  await page.fill('#f-login', maker.username);
  await page.fill('#f-password', maker.password);
  await page.click('form button[type=submit]');
  await page.waitForSelector('.dataset-form');
  await page.setInputFiles('.dataset-image-input', { name: 'picture.png', mimeType: 'image/png', buffer: picturePng() });
  await page.fill('.dataset-title-input', `gan ${run}`);
  await page.fill('.dataset-quantity-input', '8');
  await page.selectOption('.dataset-size-input', '128');
  await page.selectOption('.dataset-method-input', 'gan');
  assert.equal(await page.inputValue('.dataset-size-input'), '64', 'the GAN makes 64 px');
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/api/v1/datasets')),
    page.click('.dataset-submit'),
  ]);
  assert.equal(response.status(), 202);
  const set = await response.json();
  assert.equal(set.method, 'gan');
  await page.waitForSelector(`.my-datasets .dataset-card[data-id="${set.id}"][data-status="ready"]`, { timeout: TASK_TIMEOUT * 2 });
  const measures = await page.locator(`.my-datasets .dataset-card[data-id="${set.id}"] .dataset-measures`).textContent();
  assert.match(measures, /^Similarity to the image -?\d\.\d\d · variety \d\.\d\d$/);
  await context.close();
  assert.deepEqual(problems, []);
});

test('someone else finds the set by its Korean title, buys it for its price and downloads it', async () => {
  const context = await browser.newContext({ locale: 'en-US', acceptDownloads: true });
  const page = await context.newPage();
  watch(page, 'buyer');
  await signUp(page, buyer);
  await go(page, '#/datasets');
  await page.fill('.dataset-search-input', TITLE.split(' ')[0]);
  await page.click('.dataset-search button[type=submit]');
  const card = page.locator(`.dataset-results .dataset-card[data-id="${setId}"]`);
  await card.waitFor();
  assert.equal(await card.locator('.dataset-buy').textContent(), 'Buy for ₩3,000');
  assert.equal(await card.locator('.dataset-download').count(), 0);
  const zip = await downloadFrom(page, `.dataset-results .dataset-card[data-id="${setId}"] .dataset-buy`);
  assert.equal(zipNames(zip).length, 26);
  await context.close();
  assert.deepEqual(problems, []);
});
