// Unit tests of the date-course page's rules (dist/js/courses.js) and of following a course task
// (dist/js/task.js with `base`), with a stubbed fetch: no browser, no server. Under test: the map's
// projection (equirectangular, longitudes scaled by cos(latitude), one scale for both axes,
// padded, centred, north up), its scale bar and leg labels; the request body sent for the
// form's choices; the quota read from RateLimit-* / Retry-After headers and from
// GET /date-courses/quota; durations, distances and categories as text in both languages.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const C = await import('../dist/js/courses.js');
const i18n = await import('../dist/js/i18n.js');
const api = await import('../dist/js/api.js');
const { watchTask } = await import('../dist/js/task.js');

const langBefore = i18n.lang();
after(() => i18n.setLang(langBefore));

const BOX = { width: 320, height: 220, pad: 30 };
const dist = (a, b) => Math.hypot(a.x - b.x, a.y - b.y);

test('projection: north up, east right, inside the padding, filling one axis, centred', () => {
  // Gyeongbokgung, Insadong, Cheonggyecheon (proto/fixtures/task.succeeded.v1.course.json).
  const fixture = JSON.parse(fs.readFileSync(path.join(here, '../../../proto/fixtures/task.succeeded.v1.course.json'), 'utf8'));
  const stops = fixture.payload.result.stops;
  const { points, pxPerKm } = C.project(stops, BOX);
  assert.equal(points.length, 3);
  for (const p of points) {
    assert.ok(p.x >= BOX.pad - 0.1 && p.x <= BOX.width - BOX.pad + 0.1, `x ${p.x} inside the padding`);
    assert.ok(p.y >= BOX.pad - 0.1 && p.y <= BOX.height - BOX.pad + 0.1, `y ${p.y} inside the padding`);
  }
  const [palace, insadong, stream] = points;
  assert.ok(palace.y < stream.y, 'the palace (north) is above the stream');
  assert.ok(insadong.x > palace.x && insadong.x > stream.x, 'Insadong (east) is right of both');
  // The stops span 0.0106° of latitude and 0.008° × cos(37.57°) of longitude: latitude fills
  // the height between the paddings, and the drawing is centred across.
  const ys = points.map((p) => p.y);
  assert.ok(Math.abs(Math.min(...ys) - BOX.pad) < 0.2 && Math.abs(Math.max(...ys) - (BOX.height - BOX.pad)) < 0.2, `fills the height: ${ys}`);
  const xs = points.map((p) => p.x);
  assert.ok(Math.abs((Math.min(...xs) + Math.max(...xs)) / 2 - BOX.width / 2) < 0.2, 'centred across');
  // 1° of latitude is 111.32 km: the drawn north-south distance matches the scale.
  const km = (stops[0].lat - stops[2].lat) * 111.32;
  assert.ok(Math.abs((stream.y - palace.y) / pxPerKm - km) < 0.01, 'pxPerKm matches the drawing');
});

test('projection: longitudes are scaled by cos(latitude), one scale for both axes', () => {
  // A degree east and a degree north of the same point, around 38° N.
  const a = { lat: 37.5, lng: 127 };
  const east = { lat: 37.5, lng: 128 };
  const north = { lat: 38.5, lng: 127 };
  const { points } = C.project([a, east, north], { width: 1000, height: 1000, pad: 0 });
  const ratio = dist(points[0], points[1]) / dist(points[0], points[2]);
  assert.ok(Math.abs(ratio - Math.cos((38 * Math.PI) / 180)) < 0.002, `east/north = ${ratio}`);
  assert.equal(points[1].y, points[0].y, 'due east: same height');
  assert.equal(points[2].x, points[0].x, 'due north: same x');
  assert.ok(points[2].y < points[0].y, 'north is up');
  // A wide course fills the width, not more.
  const wide = C.project(
    [
      { lat: 33.45, lng: 126.5 },
      { lat: 33.46, lng: 126.9 },
    ],
    BOX,
  );
  assert.deepEqual(
    wide.points.map((p) => p.x),
    [BOX.pad, BOX.width - BOX.pad],
  );
  assert.ok(wide.points.every((p) => p.y > BOX.pad && p.y < BOX.height - BOX.pad));
});

test('projection: one stop, stops at one point, and stops without coordinates sit in the middle', () => {
  const centre = { x: BOX.width / 2, y: BOX.height / 2 };
  assert.deepEqual(C.project([{ lat: 37.5, lng: 127 }], BOX), { points: [centre], pxPerKm: 0 });
  const same = C.project(
    [
      { lat: 37.5, lng: 127 },
      { lat: 37.5, lng: 127 },
    ],
    BOX,
  );
  assert.deepEqual(same.points, [centre, centre]);
  assert.deepEqual(C.project([], BOX), { points: [], pxPerKm: 0 });
  const mixed = C.project(
    [
      { lat: 37.5, lng: 127 },
      { lat: null, lng: 'x' },
      { lat: 37.6, lng: 127.1 },
    ],
    BOX,
  );
  assert.deepEqual(mixed.points[1], centre, 'no coordinates: the middle');
  // The two good ones still span the box.
  assert.ok(dist(mixed.points[0], mixed.points[2]) > BOX.height - 2 * BOX.pad - 0.5);
  assert.deepEqual(C.project([{}, {}], BOX).points, [centre, centre]);
});

test('scale bar: the longest nice distance that fits; none without a scale', () => {
  assert.deepEqual(C.scaleBar(100, 80), { km: 0.5, px: 50 });
  assert.deepEqual(C.scaleBar(100, 100), { km: 1, px: 100 });
  assert.deepEqual(C.scaleBar(3, 80), { km: 25, px: 75 });
  assert.equal(C.scaleBar(0, 80), null);
  assert.equal(C.scaleBar(10_000, 80), null, 'not even 50 m fits');
});

test('leg labels sit beside the middle of their line (left of the way travelled)', () => {
  assert.deepEqual(C.legLabelAt({ x: 0, y: 0 }, { x: 100, y: 0 }, 10), { x: 50, y: -10 }, 'going east: above');
  assert.deepEqual(C.legLabelAt({ x: 0, y: 0 }, { x: 0, y: 100 }, 10), { x: 10, y: 50 }, 'going down the screen: to the right');
  assert.deepEqual(C.legLabelAt({ x: 5, y: 5 }, { x: 5, y: 5 }, 10), { x: 5, y: -5 }, 'no length: above');
});

test('the request body: required fields, the mood trimmed or left out, "any" budget left out, a language always', () => {
  const base = { region: 'seoul', season: 'spring', time_of_day: 'afternoon', transport: 'walk' };
  assert.deepEqual(C.requestBody({ ...base, mood: '  quiet palaces and tea ', budget: 'medium', language: 'en' }), {
    ...base,
    mood: 'quiet palaces and tea',
    budget: 'medium',
    language: 'en',
  });
  i18n.setLang('ko');
  assert.deepEqual(C.requestBody({ ...base, mood: '   ', budget: '', language: null }), { ...base, language: 'ko' }, 'the page language by default');
  i18n.setLang('en');
  assert.deepEqual(C.requestBody({ ...base, budget: 'lots' }), { ...base, language: 'en' });
  assert.equal(C.charCount('경복궁 🌸'), 5, 'a syllable and an emoji count one each');
});

test('the quota from headers (RateLimit-*, Retry-After on a 429) and from GET /date-courses/quota', () => {
  const headers = (o) => ({ get: (name) => o[name.toLowerCase()] ?? null });
  const now = Date.UTC(2026, 11, 5, 5, 30, 0);
  // 34,200 s to 15:00 UTC (midnight in Seoul), told a moment late: on the minute.
  assert.deepEqual(C.quotaFromHeaders(headers({ 'ratelimit-limit': '5', 'ratelimit-remaining': '4', 'ratelimit-reset': '34199' }), now), {
    limit: 5,
    remaining: 4,
    resetsAt: Date.UTC(2026, 11, 5, 15, 0, 0),
  });
  assert.deepEqual(C.quotaFromHeaders(headers({ 'ratelimit-remaining': '0', 'retry-after': '60' }), now), {
    limit: 5,
    remaining: 0,
    resetsAt: now + 60_000,
  });
  assert.equal(C.quotaFromHeaders(headers({}), now), null);
  assert.equal(C.quotaFromHeaders(headers({ 'ratelimit-remaining': 'many' }), now), null);
  assert.equal(C.quotaFromHeaders(null, now), null);
  assert.deepEqual(C.quotaFromView({ limit: 5, remaining: 3, resets_at: '2026-12-05T15:00:00Z' }), {
    limit: 5,
    remaining: 3,
    resetsAt: Date.UTC(2026, 11, 5, 15, 0, 0),
  });
});

test('durations, distances, clock times and categories read in English and Korean', () => {
  i18n.setLang('en');
  assert.equal(C.minutesText(45), '45 min');
  assert.equal(C.minutesText(90), '1 h 30 min');
  assert.equal(C.minutesText(120), '2 h');
  assert.equal(C.minutesText(0), '0 min');
  assert.equal(C.untilText(5 * 3600_000 + 11 * 60_000 + 1), '5 h 12 min', 'rounded up to the minute');
  assert.equal(C.untilText(30_000), 'less than a minute');
  assert.equal(C.distanceText(0.98), '980 m');
  assert.equal(C.distanceText(1.05), '1.1 km');
  assert.equal(C.distanceText(12), '12.0 km');
  assert.equal(C.categoryName('cafe_street'), 'Café street');
  assert.equal(C.categoryName('rooftop_bar'), 'rooftop bar', 'unknown: readable');
  assert.match(C.clockText(new Date(2026, 11, 5, 0, 0)), /^00:00$/);
  i18n.setLang('ko');
  assert.equal(C.minutesText(90), '1시간 30분');
  assert.equal(C.untilText(42 * 60_000), '42분');
  assert.equal(C.untilText(0), '1분 이내');
  assert.equal(C.distanceText(0.5), '500m');
  assert.equal(C.categoryName('oreum'), '오름');
  i18n.setLang('en');
});

test('the season of a date', () => {
  const month = (m) => C.seasonOf(new Date(2026, m, 15));
  assert.deepEqual([0, 1, 2, 4, 5, 7, 8, 10, 11].map(month), ['winter', 'winter', 'spring', 'spring', 'summer', 'summer', 'autumn', 'autumn', 'winter']);
});

test('a course task is followed under /date-courses/tasks (polling, where there is no EventSource)', async () => {
  const calls = [];
  const reply = (status, body) => ({ ok: status < 300, status, headers: { get: () => 'application/json' }, json: async () => body });
  const views = [
    { id: 't1', status: 'running', progress: 40, step: 'places' },
    { id: 't1', status: 'succeeded', progress: 100, result: { title: 'x' } },
  ];
  api.config.fetch = async (url, init) => {
    calls.push(`${init.method} ${url}`);
    if (url.endsWith('/users')) return reply(201, { access_token: 'a', refresh_token: 'r', expires_in: 900, user: { id: 'u', username: 'u' } });
    return reply(200, views.shift() ?? views.at(-1));
  };
  api.config.setTimer = () => 0;
  api.config.clearTimer = () => {};
  await api.signUp({ username: 'u', email: 'u@example.com', password: 'pw' });
  assert.equal(typeof globalThis.EventSource, 'undefined');
  const seen = [];
  await new Promise((resolve, reject) => {
    const stop = watchTask('t1', {
      base: '/date-courses/tasks',
      onUpdate: (view, source) => {
        seen.push(`${source}:${view.status}`);
        if (view.status === 'succeeded') {
          stop();
          resolve();
        }
      },
      onError: reject,
    });
  });
  assert.deepEqual(seen, ['poll:running', 'poll:succeeded']);
  assert.deepEqual(calls.slice(1), ['GET /api/v1/date-courses/tasks/t1', 'GET /api/v1/date-courses/tasks/t1']);
  api.clearSession('test');
});
