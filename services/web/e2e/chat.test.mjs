// Unit tests of the chat client's socket logic (dist/js/chat.js) with a fake WebSocket, fetch
// and clock: no browser, no server. The rules under test (docs/chat.md): authenticate with the
// subprotocols; `resume` with the highest seq seen per room after every `ready`; each seq once
// (duplicates dropped), in order, a skipped seq fetched with `?after=`; my messages pending until
// their `ack`, sent again after a reconnect; back off with jitter; a 1008 close refreshes the
// access token before reconnecting; a socket refused at the upgrade asks the REST API (which
// refreshes a token it finds expired).

import { test, beforeEach } from 'node:test';
import assert from 'node:assert/strict';

const api = await import('../dist/js/api.js');
const chat = await import('../dist/js/chat.js');

let now = 1_000_000;
let timers = [];
let calls = [];
let handlers = {};
let sockets = [];
let items = [];
let pendings = [];
let problems = [];

function json(status, body) {
  return {
    ok: status >= 200 && status < 300,
    status,
    headers: { get: () => (status === 204 ? '' : 'application/json') },
    json: async () => body,
    text: async () => JSON.stringify(body),
  };
}

class FakeSocket {
  constructor(url, protocols) {
    this.url = url;
    this.protocols = protocols;
    this.readyState = 0;
    this.sent = [];
    sockets.push(this);
  }
  send(data) {
    this.sent.push(JSON.parse(data));
  }
  close() {
    this.readyState = 3;
  }
  open() {
    this.readyState = 1;
    this.onopen?.({});
  }
  frame(f) {
    this.onmessage?.({ data: JSON.stringify({ v: 1, ...f }) });
  }
  lose(code = 1006, reason = '') {
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }
  frames(type) {
    return this.sent.filter((f) => f.type === type);
  }
}

const tick = () => new Promise((resolve) => setImmediate(resolve));
async function settle() {
  for (let i = 0; i < 10; i++) await tick();
}

/** Runs the timers due within `ms` (the clock moves there). */
async function advance(ms) {
  now += ms;
  const due = timers.filter((x) => !x.done && x.at <= now);
  for (const x of due) {
    x.done = true;
    x.fn();
  }
  await settle();
}

let pairNo = 0;
function pair() {
  pairNo += 1;
  return {
    access_token: `access-${pairNo}`,
    refresh_token: `refresh-${pairNo}`,
    token_type: 'Bearer',
    expires_in: 900,
    user: { id: 'u1', username: 'mina', display_name: 'Mina' },
  };
}

beforeEach(async () => {
  api.clearSession('test'); // the chat module forgets everything with the session
  pairNo = 0;
  now = 1_000_000;
  timers = [];
  calls = [];
  sockets = [];
  items = [];
  pendings = [];
  problems = [];
  handlers = {
    'POST /auth/login': () => json(200, pair()),
    'POST /auth/refresh': () => json(200, pair()),
    'GET /chat/rooms?size=1': () => json(200, { items: [], next_cursor: null }),
  };
  api.config.now = () => now;
  api.config.setTimer = () => 0; // no silent refresh in these tests
  api.config.clearTimer = () => {};
  api.config.fetch = async (url, init) => {
    const key = `${init.method} ${url.replace(api.BASE, '')}`;
    calls.push({ key, auth: init.headers.authorization ?? null });
    const h = handlers[key];
    if (!h) return json(404, { title: 'Not Found', status: 404, detail: `no stub for ${key}`, code: 'route_not_found' });
    return h();
  };
  chat.config.WebSocket = (url, protocols) => new FakeSocket(url, protocols);
  chat.config.url = () => 'ws://moji.test/api/v1/chat/ws';
  chat.config.now = () => now;
  chat.config.random = () => 1;
  chat.config.setTimer = (fn, ms) => {
    timers.push({ fn, at: now + ms, ms });
    return timers.length;
  };
  chat.config.clearTimer = (id) => {
    if (id && timers[id - 1]) timers[id - 1].done = true;
  };
  let n = 0;
  chat.config.newId = () => `c-${++n}`;
  await api.logIn('mina', 'pw');
});

chat.on('item', (x) => items.push(x.item));
chat.on('pending', (x) => pendings.push(x.entry));
chat.on('problem', (x) => problems.push(x));

/** Starts the socket and brings it to `resumed` with the server's rooms `rooms`. */
async function online(rooms = { r1: 5 }) {
  chat.start();
  await settle();
  const ws = sockets.at(-1);
  ws.open();
  ws.frame({ type: 'ready', user: 'mina', rooms });
  ws.frame({ type: 'resumed', rooms });
  return ws;
}

test('connects with the subprotocols and resumes from the seqs of `ready`', async () => {
  const ws = await online({ r1: 5, r2: 0 });
  assert.equal(ws.url, 'ws://moji.test/api/v1/chat/ws');
  assert.deepEqual(ws.protocols, ['moji.v1', 'bearer.access-1']);
  assert.deepEqual(ws.frames('resume'), [{ v: 1, type: 'resume', rooms: { r1: 5, r2: 0 } }]);
  assert.equal(chat.status().state, 'online');
});

test('each seq once, in order; a skipped seq is fetched with ?after=', async () => {
  const ws = await online({ r1: 5 });
  handlers['GET /chat/rooms/r1/messages?after=6&size=100'] = () =>
    json(200, {
      items: [
        { room_id: 'r1', seq: 7, id: 'm7', kind: 'text', sender: 'jun', text: 'seven', sent_at: 't7', client_msg_id: null },
        { room_id: 'r1', seq: 8, id: 'm8', kind: 'joined', sender: 'ara', text: null, sent_at: 't8', client_msg_id: null },
      ],
      next_cursor: null,
    });
  ws.frame({ type: 'message', room_id: 'r1', seq: 6, id: 'm6', sender: 'jun', text: 'six', sent_at: 't6', client_msg_id: 'x' });
  ws.frame({ type: 'message', room_id: 'r1', seq: 6, id: 'm6', sender: 'jun', text: 'six', sent_at: 't6', client_msg_id: 'x' });
  ws.frame({ type: 'message', room_id: 'r1', seq: 9, id: 'm9', sender: 'jun', text: 'nine', sent_at: 't9', client_msg_id: 'y' });
  ws.frame({ type: 'message', room_id: 'r1', seq: 10, id: 'm10', sender: 'jun', text: 'ten', sent_at: 't10', client_msg_id: 'z' });
  await settle();
  assert.deepEqual(
    items.map((x) => [x.seq, x.kind]),
    [
      [6, 'text'],
      [7, 'text'],
      [8, 'joined'],
      [9, 'text'],
      [10, 'text'],
    ],
  );
  assert.equal(calls.filter((c) => c.key.includes('after=')).length, 1, 'one fetch fills the gap');
  assert.deepEqual(chat.seqs(), { r1: 10 });
});

test('a lost socket: backoff with jitter, then resume from the last seq; the replay is deduplicated', async () => {
  const ws = await online({ r1: 5 });
  ws.frame({ type: 'message', room_id: 'r1', seq: 6, id: 'm6', sender: 'jun', text: 'six', sent_at: 't6' });
  ws.lose(1006);
  assert.equal(chat.status().state, 'offline');
  const wait = timers.at(-1).ms;
  assert.ok(wait >= 500 && wait <= 1000, `first retry within 0.5–1 s (${wait})`);
  await advance(wait);
  const again = sockets.at(-1);
  assert.notEqual(again, ws);
  again.open();
  again.frame({ type: 'ready', user: 'mina', rooms: { r1: 7 } });
  assert.deepEqual(again.frames('resume')[0].rooms, { r1: 6 }, 'resume from the highest seq seen');
  again.frame({ type: 'message', room_id: 'r1', seq: 6, id: 'm6', sender: 'jun', text: 'six', sent_at: 't6' });
  again.frame({ type: 'message', room_id: 'r1', seq: 7, id: 'm7', sender: 'jun', text: 'seven', sent_at: 't7' });
  again.frame({ type: 'resumed', rooms: { r1: 6 } });
  assert.deepEqual(
    items.map((x) => x.seq),
    [6, 7],
  );
  assert.equal(chat.status().state, 'online');
});

test('the waits grow (1, 2, 4 … 30 s) while the upgrade keeps failing, and each failure asks the REST API', async () => {
  chat.start();
  await settle();
  const waits = [];
  for (let i = 0; i < 7; i++) {
    sockets.at(-1).lose(1006); // never opened: refused at the upgrade, or no network
    await settle();
    waits.push(timers.at(-1).ms);
    await advance(timers.at(-1).ms);
  }
  assert.deepEqual(waits, [1000, 2000, 4000, 8000, 16000, 30000, 30000]);
  assert.equal(calls.filter((c) => c.key === 'GET /chat/rooms?size=1').length, 7);
});

test('a 401 at the upgrade: the REST probe refreshes the access token; the next socket uses it', async () => {
  let probes = 0;
  handlers['GET /chat/rooms?size=1'] = () =>
    ++probes === 1 ? json(401, { title: 'Unauthorized', status: 401, detail: 'expired', code: 'token_expired' }) : json(200, { items: [], next_cursor: null });
  chat.start();
  await settle();
  assert.deepEqual(sockets[0].protocols, ['moji.v1', 'bearer.access-1']);
  sockets[0].lose(1006);
  await settle();
  assert.ok(
    calls.some((c) => c.key === 'POST /auth/refresh'),
    'refreshed',
  );
  await advance(timers.at(-1).ms);
  assert.deepEqual(sockets.at(-1).protocols, ['moji.v1', 'bearer.access-2']);
});

test('closed with 1008 (revoked): refresh, then reconnect with the new token', async () => {
  const ws = await online({ r1: 5 });
  ws.lose(1008, 'revoked');
  await settle();
  assert.deepEqual(calls.filter((c) => c.key === 'POST /auth/refresh').length, 1);
  await advance(timers.at(-1).ms);
  assert.deepEqual(sockets.at(-1).protocols, ['moji.v1', 'bearer.access-2']);
});

test('1012 and 1013 reconnect too', async () => {
  for (const code of [1012, 1013]) {
    const ws = await online({ r1: 5 });
    ws.lose(code);
    assert.equal(chat.status().state, 'offline');
    await advance(timers.at(-1).ms);
    assert.notEqual(sockets.at(-1), ws, `a new socket after ${code}`);
    api.clearSession('test');
    await api.logIn('mina', 'pw');
  }
});

test('my messages: pending until their ack; sent again after a reconnect with the same id; errors mark them', async () => {
  const ws = await online({ r1: 5 });
  const p = chat.send('r1', 'hello');
  assert.equal(p.state, 'sending');
  assert.deepEqual(ws.frames('send'), [{ v: 1, type: 'send', room_id: 'r1', client_msg_id: 'c-1', text: 'hello' }]);
  // Lost before the ack: sent again after the next `resumed`, with the same client_msg_id.
  ws.lose(1006);
  chat.send('r1', 'while offline');
  await advance(timers.at(-1).ms);
  const again = sockets.at(-1);
  again.open();
  again.frame({ type: 'ready', user: 'mina', rooms: { r1: 5 } });
  assert.equal(again.frames('send').length, 0, 'nothing is sent before `resumed`');
  again.frame({ type: 'resumed', rooms: { r1: 5 } });
  assert.deepEqual(
    again.frames('send').map((f) => f.client_msg_id),
    ['c-1', 'c-2'],
  );
  again.frame({ type: 'ack', client_msg_id: 'c-1', room_id: 'r1', seq: 6, id: 'm6', sent_at: 't6' });
  // The same message fanned out to my socket as well: dropped, it is seq 6 again.
  again.frame({ type: 'message', room_id: 'r1', seq: 6, id: 'm6', sender: 'mina', text: 'hello', sent_at: 't6', client_msg_id: 'c-1' });
  again.frame({ type: 'error', code: 'rate_limited', message: 'slow down', ref: 'c-2' });
  assert.deepEqual(
    items.map((x) => [x.seq, x.sender, x.text, x.client_msg_id]),
    [[6, 'mina', 'hello', 'c-1']],
  );
  assert.deepEqual(
    chat.pendingIn('r1').map((x) => [x.client_msg_id, x.state, x.code]),
    [['c-2', 'failed', 'rate_limited']],
  );
  assert.deepEqual(problems, [{ room_id: 'r1', code: 'rate_limited', message: 'slow down', ref: 'c-2' }]);
  chat.resend('c-2');
  assert.equal(again.frames('send').at(-1).client_msg_id, 'c-2');
});

test('typing at most every 3 s per room', async () => {
  const ws = await online({ r1: 5 });
  chat.typing('r1');
  chat.typing('r1');
  now += 2999;
  chat.typing('r1');
  now += 2;
  chat.typing('r1');
  assert.equal(ws.frames('typing').length, 2);
});

test('logging out closes the socket and forgets the seqs', async () => {
  const ws = await online({ r1: 5 });
  api.clearSession('logout');
  assert.equal(ws.readyState, 3);
  assert.equal(chat.status().state, 'idle');
  assert.deepEqual(chat.seqs(), {});
});

test('a replay the server could not read ("resume again shortly") is asked for again', async () => {
  const ws = await online({ r1: 5 });
  ws.frame({ type: 'message', room_id: 'r1', seq: 6, id: 'm6', sender: 'jun', text: 'six', sent_at: 't6' });
  ws.frame({ type: 'error', code: 'service_unavailable', message: 'history is unavailable; resume again shortly', ref: 'r1' });
  assert.equal(ws.frames('resume').length, 1);
  await advance(2000);
  assert.deepEqual(ws.frames('resume').at(-1), { v: 1, type: 'resume', rooms: { r1: 6 } });
});
