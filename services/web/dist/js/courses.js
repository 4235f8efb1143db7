// Date courses (docs/date-courses.md): the request's vocabulary, the body sent for a form, the
// daily quota read from an answer's headers, durations and distances as text, and the map's
// projection of the stops into a box. No DOM here (the page, pages/courses.js, draws), so the
// rules are unit-tested without a browser (e2e/courses-unit.test.mjs). Loaded with the page.

import { t, lang } from './i18n.js';

export const REGIONS = ['seoul', 'busan', 'jeju'];
export const SEASONS = ['spring', 'summer', 'autumn', 'winter'];
export const TIMES = ['morning', 'afternoon', 'evening', 'night'];
export const TRANSPORTS = ['walk', 'transit', 'car'];
export const BUDGETS = ['low', 'medium', 'high'];
export const LANGUAGES = ['ko', 'en'];
/** Longest mood the API takes, in characters (code points, as it counts them). */
export const MAX_MOOD = 200;

/** The season of a date in Korea: March–May spring, June–August summer, and so on. */
export function seasonOf(date = new Date()) {
  const m = date.getMonth(); // 0 = January
  if (m >= 2 && m <= 4) return 'spring';
  if (m >= 5 && m <= 7) return 'summer';
  if (m >= 8 && m <= 10) return 'autumn';
  return 'winter';
}

/** Characters as the API counts them (a Hangul syllable or an emoji is one). */
export function charCount(text) {
  return [...(text ?? '')].length;
}

/**
 * The `CourseRequest` for the form's choices: the four required fields, the mood trimmed and
 * left out when empty, the budget left out when "any", the language always sent.
 */
export function requestBody(choice) {
  const body = {
    region: choice.region,
    season: choice.season,
    time_of_day: choice.time_of_day,
    transport: choice.transport,
  };
  const mood = (choice.mood ?? '').trim();
  if (mood) body.mood = mood;
  if (BUDGETS.includes(choice.budget)) body.budget = choice.budget;
  body.language = LANGUAGES.includes(choice.language) ? choice.language : lang() === 'en' ? 'en' : 'ko';
  return body;
}

/**
 * The quota told by an answer's headers (`RateLimit-Limit`, `RateLimit-Remaining`,
 * `RateLimit-Reset` in seconds, or `Retry-After` on a 429): `{limit, remaining, resetsAt}` (ms
 * since the epoch, on the minute), or null when the answer carries none. `headers` has a
 * `get(name)`.
 */
export function quotaFromHeaders(headers, now = Date.now()) {
  const num = (name) => {
    const raw = headers?.get?.(name);
    if (raw === null || raw === undefined || String(raw).trim() === '') return null;
    const n = Number(raw);
    return Number.isFinite(n) && n >= 0 ? n : null;
  };
  const remaining = num('RateLimit-Remaining');
  if (remaining === null) return null;
  const limit = num('RateLimit-Limit');
  const reset = num('RateLimit-Reset') ?? num('Retry-After');
  // The product day starts on a whole minute; the header counts whole seconds to it.
  return {
    limit: limit ?? Math.max(remaining, 5),
    remaining,
    resetsAt: reset === null ? null : Math.round((now + reset * 1000) / 60_000) * 60_000,
  };
}

/** `GET /date-courses/quota`'s `{limit, remaining, resets_at}` in the same shape. */
export function quotaFromView(view) {
  const at = Date.parse(view?.resets_at ?? '');
  return { limit: Number(view?.limit) || 0, remaining: Math.max(0, Number(view?.remaining) || 0), resetsAt: Number.isNaN(at) ? null : at };
}

/** Minutes as "1 h 30 min" / "1시간 30분". */
export function minutesText(minutes) {
  const total = Math.max(0, Math.round(Number(minutes) || 0));
  const h = Math.floor(total / 60);
  const m = total % 60;
  if (h && m) return t('courses.hMin', { h, m });
  if (h) return t('courses.h', { h });
  return t('courses.min', { m });
}

/** How long until a moment, rounded up to the minute: "5 h 12 min", "less than a minute". */
export function untilText(ms) {
  if (!(ms > 60_000)) return t('courses.underMinute');
  return minutesText(Math.ceil(ms / 60_000));
}

/** A clock time in the page's language ("00:00" / "오전 12:00"). */
export function clockText(when) {
  const d = new Date(when);
  if (Number.isNaN(d.getTime())) return '';
  return new Intl.DateTimeFormat(lang() === 'ko' ? 'ko-KR' : 'en-GB', { hour: '2-digit', minute: '2-digit' }).format(d);
}

/** A distance: metres under a kilometre ("980 m"), else kilometres with one decimal ("1.1 km"). */
export function distanceText(km) {
  const n = Math.max(0, Number(km) || 0);
  const locale = lang() === 'ko' ? 'ko-KR' : 'en-US';
  if (n < 1) return t('courses.m', { n: new Intl.NumberFormat(locale).format(Math.round((n * 1000) / 10) * 10) });
  return t('courses.km', { n: new Intl.NumberFormat(locale, { maximumFractionDigits: 1, minimumFractionDigits: 1 }).format(n) });
}

/** A category's name ("cafe_street" → "Café street"); an unknown one as it came, readable. */
export function categoryName(category) {
  const key = `courses.cat.${category}`;
  const text = t(key);
  return text === key ? String(category ?? '').replace(/_/g, ' ') : text;
}

const KM_PER_DEGREE = 111.32;
const RAD = Math.PI / 180;

/**
 * Projects stops (`{lat, lng}`) into a `width` × `height` box, north up: equirectangular, the
 * longitudes scaled by cos(latitude) at the middle of the stops so distances look the same
 * both ways, one scale for both axes (nothing is stretched), fitted inside `pad` and centred.
 * Stops at one point (or a single stop) sit in the middle. A stop without usable coordinates
 * also sits in the middle and does not move the others.
 * Returns `{points: [{x, y}], pxPerKm}` (0 when every stop is at one point).
 */
export function project(stops, { width, height, pad = 0 }) {
  const ok = (p) => Number.isFinite(Number(p?.lat)) && Number.isFinite(Number(p?.lng)) && p?.lat !== null && p?.lng !== null;
  const good = stops.filter(ok);
  const cx = width / 2;
  const cy = height / 2;
  if (!good.length) return { points: stops.map(() => ({ x: cx, y: cy })), pxPerKm: 0 };
  const lats = good.map((p) => Number(p.lat));
  const midLat = (Math.min(...lats) + Math.max(...lats)) / 2;
  const k = Math.cos(midLat * RAD);
  const xs = good.map((p) => Number(p.lng) * k);
  const [minX, maxX] = [Math.min(...xs), Math.max(...xs)];
  const [minY, maxY] = [Math.min(...lats), Math.max(...lats)];
  const innerW = Math.max(0, width - 2 * pad);
  const innerH = Math.max(0, height - 2 * pad);
  const spanX = maxX - minX;
  const spanY = maxY - minY;
  let scale = Math.min(spanX > 1e-12 ? innerW / spanX : Infinity, spanY > 1e-12 ? innerH / spanY : Infinity);
  if (!Number.isFinite(scale)) scale = 0;
  const midX = (minX + maxX) / 2;
  const round = (v) => Math.round(v * 10) / 10;
  return {
    points: stops.map((p) =>
      ok(p) ? { x: round(cx + (Number(p.lng) * k - midX) * scale), y: round(cy - (Number(p.lat) - midLat) * scale) } : { x: cx, y: cy },
    ),
    // `scale` is pixels per degree of latitude (and per cos-scaled degree of longitude).
    pxPerKm: scale / KM_PER_DEGREE,
  };
}

const NICE_KM = [0.05, 0.1, 0.2, 0.25, 0.5, 1, 2, 2.5, 5, 10, 20, 25, 50, 100];

/**
 * The map's scale bar: the longest "nice" distance (50 m … 100 km) whose bar is at most
 * `maxPx` long, as `{km, px}`; null when there is no scale (one point) or nothing fits.
 */
export function scaleBar(pxPerKm, maxPx) {
  if (!(pxPerKm > 0) || !(maxPx > 0)) return null;
  let best = null;
  for (const km of NICE_KM) if (km * pxPerKm <= maxPx) best = { km, px: Math.round(km * pxPerKm * 10) / 10 };
  return best;
}

/**
 * Where to put a leg's label: the middle of the line from `a` to `b`, pushed `offset` pixels
 * to its side (the left of the direction of travel, or up for a line of no length), so the
 * label does not sit on the line.
 */
export function legLabelAt(a, b, offset = 0) {
  const mx = (a.x + b.x) / 2;
  const my = (a.y + b.y) / 2;
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  const len = Math.hypot(dx, dy);
  if (len < 1e-9) return { x: mx, y: my - offset };
  // The normal (dy, -dx) points left of the direction of travel in screen coordinates.
  return { x: Math.round((mx + (dy / len) * offset) * 10) / 10, y: Math.round((my - (dx / len) * offset) * 10) / 10 };
}
