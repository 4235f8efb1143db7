// Unit tests of the client's token handling (dist/js/api.js) with a stubbed fetch and clock:
// no browser, no server. The rules under test: one refresh in flight at a time, a refresh
// token is never sent twice, a silent refresh is scheduled a minute before expiry, and a
// refused refresh ends the session. Also: the Korean and English dictionaries (dist/js/i18n.js)
// have the same keys and placeholders.

import { test, beforeEach } from 'node:test';
import assert from 'node:assert/strict';

const api = await import('../dist/js/api.js');

let now = 1_000_000;
let timers = [];
let calls = [];
let handlers = {};

function json(status, body) {
  return {
    ok: status >= 200 && status < 300,
    status,
    headers: { get: () => (status === 204 ? '' : 'application/json') },
    json: async () => body,
    text: async () => JSON.stringify(body),
  };
}

let pairNo = 0;
function pair(expiresIn = 900) {
  pairNo += 1;
  return {
    access_token: `access-${pairNo}`,
    refresh_token: `refresh-${pairNo}`,
    token_type: 'Bearer',
    expires_in: expiresIn,
    user: { id: 'u1', username: 'mina', display_name: 'Mina' },
  };
}

beforeEach(() => {
  api.clearSession('test');
  now = 1_000_000;
  timers = [];
  calls = [];
  handlers = {};
  api.config.now = () => now;
  api.config.setTimer = (fn, ms) => {
    timers.push({ fn, ms });
    return timers.length;
  };
  api.config.clearTimer = () => {};
  api.config.fetch = async (url, init) => {
    const body = init.body ? JSON.parse(init.body) : null;
    calls.push({ url, method: init.method, auth: init.headers.authorization ?? null, body });
    const key = `${init.method} ${url.replace(api.BASE, '')}`;
    const h = handlers[key];
    if (!h) return json(404, { title: 'Not Found', status: 404, detail: `no stub for ${key}`, code: 'route_not_found' });
    return h({ body, auth: init.headers.authorization ?? null });
  };
});

async function login(expiresIn = 900) {
  handlers['POST /auth/login'] = () => json(200, pair(expiresIn));
  await api.logIn('mina', 'correct horse battery');
}

test('login keeps the pair in memory and schedules a silent refresh a minute before expiry', async () => {
  await login(900);
  assert.equal(api.signedIn(), true);
  assert.equal(api.currentUser().username, 'mina');
  assert.equal(timers.at(-1).ms, 840_000);
});

test('concurrent requests with an expiring token share one refresh', async () => {
  await login(900);
  now += 890_000; // 10 s left: requests refresh first
  handlers['POST /auth/refresh'] = async () => {
    await new Promise((r) => setTimeout(r, 20));
    return json(200, pair());
  };
  handlers['GET /users/me'] = ({ auth }) => json(200, { auth });
  const results = await Promise.all([api.get('/users/me'), api.get('/users/me'), api.get('/users/me')]);
  const refreshes = calls.filter((c) => c.url.endsWith('/auth/refresh'));
  assert.equal(refreshes.length, 1);
  const fresh = `Bearer access-${pairNo}`;
  for (const r of results) assert.equal(r.auth, fresh);
});

test('a 401 token_expired refreshes once and retries; refresh tokens are never reused', async () => {
  await login(900);
  let first = true;
  handlers['GET /emojis'] = ({ auth }) => {
    if (first) {
      first = false;
      return json(401, { title: 'Unauthorized', status: 401, detail: 'the access token has expired', code: 'token_expired' });
    }
    return json(200, { items: [], auth });
  };
  handlers['POST /auth/refresh'] = () => json(200, pair());
  const res = await api.get('/emojis');
  assert.equal(res.auth, `Bearer access-${pairNo}`);
  await api.refresh();
  await api.refresh();
  const sent = calls.filter((c) => c.url.endsWith('/auth/refresh')).map((c) => c.body.refresh_token);
  assert.equal(sent.length, 3);
  assert.equal(new Set(sent).size, sent.length, `a refresh token was sent twice: ${sent}`);
});

test('a refused refresh ends the session and says so', async () => {
  await login(900);
  const reasons = [];
  const off = api.onSession((_, reason) => reasons.push(reason));
  handlers['POST /auth/refresh'] = () =>
    json(401, { title: 'Unauthorized', status: 401, detail: 'this refresh token was already used; the session is revoked', code: 'refresh_token_reused' });
  await assert.rejects(api.refresh(), (err) => err.code === 'refresh_token_reused' && /already used/.test(err.problem.detail));
  off();
  assert.equal(api.signedIn(), false);
  assert.deepEqual(reasons, ['expired']);
});

test('after a refresh lost on the network, the same refresh token is not sent again', async () => {
  await login(900);
  let n = 0;
  api.config.fetch = async (url, init) => {
    calls.push({ url, body: init.body && JSON.parse(init.body) });
    n += 1;
    throw new TypeError('Failed to fetch');
  };
  await assert.rejects(api.refresh(), (err) => err.code === 'network');
  await assert.rejects(api.refresh(), (err) => err.code === 'session_expired');
  assert.equal(n, 1);
  // The access token still works until it expires.
  assert.equal(api.signedIn(), true);
});

test('the scheduled timer refreshes silently', async () => {
  await login(120);
  handlers['POST /auth/refresh'] = () => json(200, pair(120));
  const before = pairNo;
  const t = timers.at(-1);
  assert.equal(t.ms, 60_000);
  now += t.ms;
  t.fn();
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(pairNo, before + 1);
  assert.equal(calls.filter((c) => c.url.endsWith('/auth/refresh')).length, 1);
});

test('API errors keep their problem document; non-JSON errors get one', async () => {
  handlers['GET /emojis'] = () =>
    json(400, { type: 'x', title: 'Bad Request', status: 400, detail: '`size` must be 1..=100', code: 'bad_request', request_id: 'r1' });
  await assert.rejects(api.get('/emojis'), (err) => err.status === 400 && err.problem.detail === '`size` must be 1..=100' && err.problem.request_id === 'r1');
  api.config.fetch = async () => ({
    ok: false,
    status: 502,
    headers: { get: () => 'text/html' },
    json: async () => {
      throw new SyntaxError('html');
    },
  });
  await assert.rejects(api.get('/emojis'), (err) => err.status === 502 && /502/.test(err.problem.detail));
});

test('signed links to our file endpoint become same-origin paths', () => {
  assert.equal(
    api.fileUrl('http://127.0.0.1:8080/api/v1/files/results/t/emoji.png?method=GET&expires=1&sig=x'),
    '/api/v1/files/results/t/emoji.png?method=GET&expires=1&sig=x',
  );
  assert.equal(api.fileUrl('https://bucket.s3.amazonaws.com/results/t/emoji.png?X-Amz=1'), 'https://bucket.s3.amazonaws.com/results/t/emoji.png?X-Amz=1');
  assert.match(api.newKey(), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
});

test('Korean and English texts have the same keys, and the same placeholders', async () => {
  const { dictionaries } = await import('../dist/js/i18n.js');
  const { en, ko } = dictionaries;
  assert.deepEqual(Object.keys(ko).sort(), Object.keys(en).sort());
  const holes = (text) => (text.match(/\{\w+\}/g) ?? []).sort();
  for (const key of Object.keys(en)) assert.deepEqual(holes(ko[key]), holes(en[key]), `placeholders of ${key}`);
});

test('prices: what the sell form and the market filter accept, and how won read in each language', async () => {
  const { parsePrice } = await import('../dist/js/pages/sell.js');
  assert.equal(parsePrice('32000'), 32000);
  assert.equal(parsePrice('32,000'), 32000);
  assert.equal(parsePrice(' 32,000원 '), 32000);
  assert.equal(parsePrice('₩0'), 0);
  for (const bad of ['', 'lots', '-5', '3.5', '1e5', null]) assert.equal(parsePrice(bad), null, `refused: ${bad}`);
  const i18n = await import('../dist/js/i18n.js');
  const before = i18n.lang();
  try {
    i18n.setLang('ko');
    assert.equal(i18n.formatPrice(32000), '32,000원');
    i18n.setLang('en');
    assert.equal(i18n.formatPrice(32000), '₩32,000');
  } finally {
    i18n.setLang(before);
  }
});
