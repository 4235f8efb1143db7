// Unit tests of the client's side of the recommendation service (dist/js/recommend.js and
// api.beacon) with a fake document, window, clock and fetch: no browser, no server. The rules
// under test (docs/recommend.md): a visit to a post's or product's page is told once, when the
// person leaves (another page, the tab hidden, the page unloaded), with the time it was
// visible; not below a second, not before the item loaded, not signed out; the beacon is a
// keepalive POST with the bearer token. Cards link to this client's pages, and say why they
// are there in the current language.

import { test, beforeEach } from 'node:test';
import assert from 'node:assert/strict';

const api = await import('../dist/js/api.js');
const rec = await import('../dist/js/recommend.js');
const i18n = await import('../dist/js/i18n.js');

/** A minimal EventTarget with a settable visibilityState. */
class FakeTarget {
  constructor() {
    this.listeners = new Map();
    this.visibilityState = 'visible';
  }
  addEventListener(type, fn) {
    if (!this.listeners.has(type)) this.listeners.set(type, new Set());
    this.listeners.get(type).add(fn);
  }
  removeEventListener(type, fn) {
    this.listeners.get(type)?.delete(fn);
  }
  fire(type) {
    for (const fn of [...(this.listeners.get(type) ?? [])]) fn({ type });
  }
  count(type) {
    return this.listeners.get(type)?.size ?? 0;
  }
}

let clock;
let sent;
let doc;
let win;
let leaves;

function env() {
  return { doc, win, now: () => clock, send: (item, ms) => sent.push({ item, dwell_ms: ms }) };
}

/** The router's onLeave: collects the callbacks; `leave()` runs them as a route change does. */
function onLeave(fn) {
  leaves.push(fn);
}
function leave() {
  for (const fn of leaves.splice(0)) fn();
}

beforeEach(() => {
  clock = 10_000;
  sent = [];
  doc = new FakeTarget();
  win = new FakeTarget();
  leaves = [];
});

test('a route change tells the visible time once, and lets go of its listeners', () => {
  const visit = rec.trackDwell('post-1', onLeave, env());
  visit.ready();
  clock += 4_321;
  leave();
  assert.deepEqual(sent, [{ item: 'post-1', dwell_ms: 4_321 }]);
  // Anything after that is the same visit: nothing more.
  clock += 1_000;
  doc.visibilityState = 'hidden';
  doc.fire('visibilitychange');
  win.fire('pagehide');
  visit.finish();
  assert.equal(sent.length, 1);
  assert.equal(doc.count('visibilitychange'), 0);
  assert.equal(win.count('pagehide'), 0);
});

test('the tab hidden tells the visit (a phone may never unload it); coming back starts no second one', () => {
  rec.trackDwell('product-1', onLeave, env()).ready();
  clock += 2_500;
  doc.visibilityState = 'hidden';
  doc.fire('visibilitychange');
  assert.deepEqual(sent, [{ item: 'product-1', dwell_ms: 2_500 }]);
  clock += 60_000;
  doc.visibilityState = 'visible';
  doc.fire('visibilitychange');
  clock += 5_000;
  leave();
  assert.equal(sent.length, 1);
});

test('pagehide tells the visit', () => {
  rec.trackDwell('post-2', onLeave, env()).ready();
  clock += 1_000;
  win.fire('pagehide');
  assert.deepEqual(sent, [{ item: 'post-2', dwell_ms: 1_000 }]);
});

test('hidden time does not count: a page opened in a background tab counts from when it is seen', () => {
  doc.visibilityState = 'hidden';
  rec.trackDwell('post-3', onLeave, env()).ready();
  clock += 30_000; // in the background
  doc.visibilityState = 'visible';
  doc.fire('visibilitychange');
  clock += 1_200;
  leave();
  assert.deepEqual(sent, [{ item: 'post-3', dwell_ms: 1_200 }]);
});

test('under a second, or before the item loaded (a "not found" page): nothing is told', () => {
  rec.trackDwell('short', onLeave, env()).ready();
  clock += 999;
  leave();
  const missing = rec.trackDwell('missing', onLeave, env()); // never ready()
  clock += 10_000;
  leave();
  assert.deepEqual(sent, []);
  assert.equal(missing.finish(), undefined);
});

test('a sender that throws does not break leaving the page', () => {
  const visit = rec.trackDwell('x', onLeave, {
    ...env(),
    send: () => {
      throw new Error('no network');
    },
  });
  visit.ready();
  clock += 2_000;
  assert.doesNotThrow(() => leave());
});

// ---- api.beacon ------------------------------------------------------------------------------

let calls;
beforeEach(() => {
  calls = [];
  api.clearSession('test');
  api.config.now = () => 1_000_000;
  api.config.setTimer = () => 1;
  api.config.clearTimer = () => {};
  api.config.fetch = async (url, init) => {
    calls.push({ url, init });
    if (String(init.body ?? '').includes('"dwell_ms"')) {
      return { ok: true, status: 202, headers: { get: () => 'application/json' }, json: async () => ({ accepted: true }) };
    }
    // Log in.
    return {
      ok: true,
      status: 200,
      headers: { get: () => 'application/json' },
      json: async () => ({ access_token: 'access-1', refresh_token: 'refresh-1', expires_in: 900, user: { id: 'u1', username: 'mina' } }),
    };
  };
});

test('beacon: signed out, nothing is sent', () => {
  assert.equal(api.beacon('/recommend/events/views', { item: 'p', dwell_ms: 1500 }), false);
  assert.equal(calls.length, 0);
});

test('beacon: a keepalive POST with the bearer token and the JSON body', async () => {
  await api.logIn('mina', 'pw');
  calls = [];
  assert.equal(api.beacon('/recommend/events/views', { item: 'p1', dwell_ms: 1500 }), true);
  assert.equal(calls.length, 1);
  const { url, init } = calls[0];
  assert.equal(url, '/api/v1/recommend/events/views');
  assert.equal(init.method, 'POST');
  assert.equal(init.keepalive, true);
  assert.equal(init.headers.authorization, 'Bearer access-1');
  assert.equal(init.headers['content-type'], 'application/json');
  assert.deepEqual(JSON.parse(init.body), { item: 'p1', dwell_ms: 1500 });
});

test('beacon: a token known to be expired is not sent; a failing fetch is ignored', async () => {
  await api.logIn('mina', 'pw');
  calls = [];
  api.config.now = () => 1_000_000 + 901_000;
  assert.equal(api.beacon('/recommend/events/views', { item: 'p', dwell_ms: 1500 }), false);
  assert.equal(calls.length, 0);
  api.config.now = () => 1_000_000;
  let rejected = false;
  api.config.fetch = () => {
    rejected = true;
    return Promise.reject(new TypeError('Failed to fetch'));
  };
  assert.equal(api.beacon('/recommend/events/views', { item: 'p', dwell_ms: 1500 }), true);
  await new Promise((r) => setTimeout(r, 0)); // an unhandled rejection would fail the test run
  assert.equal(rejected, true);
  api.config.fetch = () => {
    throw new TypeError('keepalive body too large');
  };
  assert.equal(api.beacon('/recommend/events/views', { item: 'p', dwell_ms: 1500 }), false);
});

// ---- cards -----------------------------------------------------------------------------------

test('cards link to this client’s pages', () => {
  assert.equal(rec.cardHref({ kind: 'post', id: 'a1' }), '#/p/a1');
  assert.equal(rec.cardHref({ kind: 'product', id: 'b2' }), '#/m/b2');
  assert.equal(rec.cardHref({ kind: 'emoji', id: 'c3' }), '#/e/c3');
  assert.equal(rec.cardHref({ kind: 'user', id: 'd4', owner: { username: 'mina_k' } }), '#/u/mina_k');
  assert.equal(rec.cardHref({ kind: 'user', id: 'd4', username: 'jun' }), '#/u/jun');
  assert.equal(rec.cardHref({ kind: 'user', id: 'd4' }), null);
  assert.equal(rec.cardHref({ kind: 'something-new', id: 'e5' }), null);
});

test('why a card is there: the service’s words in English, the same reason in Korean', () => {
  const before = i18n.lang();
  const liked = { reason: 'because_you_liked', item_id: 'x', item_title: 'Handmade mug', text: 'because you liked “Handmade mug”' };
  try {
    i18n.setLang('en');
    assert.equal(rec.whyText(liked), 'because you liked “Handmade mug”');
    assert.equal(rec.whyText({ reason: 'popular' }), 'popular now', 'no text: said from the reason');
    assert.equal(rec.whyText(null), '');
    i18n.setLang('ko');
    assert.equal(rec.whyText(liked), '좋아요한 “Handmade mug”와 비슷해요');
    assert.equal(rec.whyText({ reason: 'latest', text: 'new' }), '새로 올라왔어요');
    assert.equal(rec.whyText({ reason: 'a_new_reason', text: 'as the service says' }), 'as the service says');
    assert.equal(rec.whyText({ reason: 'similar_to', text: 'similar to …' }), 'similar to …', 'no item title: the text');
  } finally {
    i18n.setLang(before);
  }
});
