// Chat: one WebSocket per signed-in user for the whole app (`/api/v1/chat/ws`, docs/chat.md),
// and the rooms it keeps up to date. Loaded with the chat page and kept for the rest of the
// visit: switching rooms, or leaving the chat page and coming back, never reconnects.
//
// Lossless by the protocol's seqs: every room's `seq` is gap-free and increasing, so the
// client keeps the highest seq it has seen per room and
//   - drops a frame whose seq it has already seen (a replay that overlaps, say),
//   - fetches a gap (`GET /rooms/{id}/messages?after=<seq>`, oldest first) before applying a
//     frame whose seq skips, holding that room's later frames until the gap is filled,
//   - sends `resume {rooms: {room_id: last_seq}}` after the `ready` frame of every
//     (re)connect, so the server replays what was missed while the socket was down.
// Messages I send stay pending (keyed by their `client_msg_id`) until their `ack`; those not
// acked when the socket drops are sent again after the next `resumed` with the same id (the
// server stores a repeated id once and acks it with the original seq).
//
// Reconnects back off exponentially with jitter (1 s doubling to 30 s, each wait between half
// and all of that), also after close codes 1012 (restart) and 1013 (slow consumer). A socket
// closed with 1008 (`revoked`), or refused at the upgrade (a browser cannot see that 401, so a
// REST call asks: api.js refreshes the access token on a 401 and retries), gets a refreshed
// access token first. Nothing here touches the DOM: pages listen with `on(type, fn)`.

import * as api from './api.js';

export const MAX_TEXT = 4000;
const TYPING_EVERY = 3000;
const PING_EVERY = 25_000;
const SILENT_LIMIT = 65_000;
const BACKOFF_BASE = 1000;
const BACKOFF_MAX = 30_000;

// Knobs for tests (node:test drives this module with a fake socket and clock).
export const config = {
  WebSocket: (url, protocols) => new globalThis.WebSocket(url, protocols),
  url: () => `${globalThis.location.protocol === 'https:' ? 'wss:' : 'ws:'}//${globalThis.location.host}${api.BASE}/chat/ws`,
  now: () => Date.now(),
  random: () => Math.random(),
  setTimer: (fn, ms) => setTimeout(fn, ms),
  clearTimer: (id) => clearTimeout(id),
  newId: () => `c-${api.newKey()}`,
};

// ---- events ---------------------------------------------------------------------------------

const listeners = new Map();

/**
 * `on(type, fn)` → unsubscribe. Types:
 *   status   {state: 'idle'|'connecting'|'online'|'offline', retryAt, attempt}
 *   rooms    the room list changed (read it with `rooms()`)
 *   item     {room_id, item}: a message or a joined/left line, in seq order per room, once
 *   pending  {room_id, entry}: one of my messages changed (pending → failed, resent)
 *   read     {room_id, user, seq}
 *   typing   {room_id, user}
 *   problem  {room_id|null, code, message, ref}: an `error` frame
 *   removed  {room_id}: I am no longer in this room
 */
export function on(type, fn) {
  if (!listeners.has(type)) listeners.set(type, new Set());
  listeners.get(type).add(fn);
  return () => listeners.get(type)?.delete(fn);
}

function emit(type, detail) {
  for (const fn of listeners.get(type) ?? []) {
    try {
      fn(detail);
    } catch (err) {
      console.warn(err);
    }
  }
}

// ---- state ----------------------------------------------------------------------------------

const conn = {
  ws: null,
  started: false,
  state: 'idle',
  attempt: 0,
  retryAt: 0,
  retryTimer: null,
  pingTimer: null,
  lastFrameAt: 0,
  resumed: false,
  user: null, // the username the state below belongs to
};
const lastSeq = new Map(); // room id -> highest seq seen
const roomMap = new Map(); // room id -> Room (as the API shapes it, kept up to date)
let roomsCursor = null;
let roomsLoaded = false;
const pendingMap = new Map(); // client_msg_id -> {client_msg_id, room_id, text, state, code}
const gaps = new Map(); // room id -> {queue: [item], running}
const typingSent = new Map(); // room id -> when I last sent `typing`
const readSent = new Map(); // room id -> the seq my last `read` said
const discovering = new Set();
const gone = new Set(); // rooms I left or lost: their late frames are dropped (until I am back)
let held = false; // the debug hook's hold(true): no reconnecting
let viewing = null; // the room shown on the screen (its messages count as read while visible)

export function status() {
  return { state: conn.state, retryAt: conn.retryAt, attempt: conn.attempt };
}

function setState(state) {
  conn.state = state;
  emit('status', status());
}

/** Highest seq seen per room (for tests and the debug hook). */
export function seqs() {
  return Object.fromEntries(lastSeq);
}

function me() {
  return api.currentUser()?.username ?? null;
}

// ---- rooms ----------------------------------------------------------------------------------

function time(iso) {
  const ms = Date.parse(iso ?? '');
  return Number.isNaN(ms) ? 0 : ms;
}

/** My rooms, most recent activity first. */
export function rooms() {
  return [...roomMap.values()].sort((a, b) => time(b.last_activity_at) - time(a.last_activity_at) || String(a.id).localeCompare(String(b.id)));
}

export function room(id) {
  return roomMap.get(id) ?? null;
}

export function moreRooms() {
  return roomsLoaded && roomsCursor !== null;
}

export function roomsReady() {
  return roomsLoaded;
}

function totalUnread() {
  let n = 0;
  for (const r of roomMap.values()) n += Number(r.unread) || 0;
  return n;
}

function roomsChanged() {
  emit('rooms', null);
  globalThis.dispatchEvent?.(new CustomEvent('moji:chat-unread', { detail: { unread: totalUnread() } }));
}

/**
 * Takes a Room from the REST API. What the API says wins unless the socket has already told
 * us something newer (a higher `last_seq`): then its counts are older than ours.
 */
export function mergeRoom(r) {
  gone.delete(r.id);
  const old = roomMap.get(r.id);
  if (!old || Number(r.last_seq) >= Number(old.last_seq)) {
    roomMap.set(r.id, { ...old, ...r });
  } else {
    roomMap.set(r.id, { ...r, last_seq: old.last_seq, unread: old.unread, last_message: old.last_message, last_activity_at: old.last_activity_at });
  }
  if (viewing === r.id && visible()) {
    // On the screen: read, whatever the list said a moment ago.
    roomMap.get(r.id).unread = 0;
    scheduleRead();
  }
  if (!lastSeq.has(r.id) && conn.resumed) {
    // A room that the socket has not told us about (created since the `ready` frame): its
    // frames count from here.
    lastSeq.set(r.id, Number(r.last_seq) || 0);
  }
  return roomMap.get(r.id);
}

/** The first page of my rooms (again), or the next one with `more`. */
export async function loadRooms({ more = false, size = 20 } = {}) {
  const q = new URLSearchParams({ size: String(size) });
  if (more && roomsCursor) q.set('cursor', roomsCursor);
  const page = await api.get(`/chat/rooms?${q}`, { auth: 'required' });
  for (const r of page.items ?? []) mergeRoom(r);
  if (more || !roomsLoaded) roomsCursor = page.next_cursor ?? null;
  roomsLoaded = true;
  roomsChanged();
  return page;
}

/** `POST /rooms {name, members}`; the new room joins the list. */
export async function createRoom(name, members) {
  const r = await api.post('/chat/rooms', { name, members }, { auth: 'required' });
  mergeRoom(r);
  if (!lastSeq.has(r.id)) lastSeq.set(r.id, Number(r.last_seq) || 0);
  roomsChanged();
  return r;
}

export async function fetchRoom(id) {
  const r = await api.get(`/chat/rooms/${encodeURIComponent(id)}`, { auth: 'required' });
  mergeRoom(r);
  roomsChanged();
  return roomMap.get(r.id);
}

/** `DELETE /rooms/{id}/members/me`; the room leaves the list. */
export async function leaveRoom(id) {
  await api.del(`/chat/rooms/${encodeURIComponent(id)}/members/me`, { auth: 'required' });
  forget(id);
}

function forget(id) {
  gone.add(id);
  roomMap.delete(id);
  lastSeq.delete(id);
  gaps.delete(id);
  readSent.delete(id);
  for (const [k, p] of pendingMap) if (p.room_id === id) pendingMap.delete(k);
  roomsChanged();
  emit('removed', { room_id: id });
}

/** Asks for a room the socket mentions but the list does not have (I was added to it). */
function discover(id) {
  if (roomMap.has(id) || discovering.has(id) || !api.signedIn()) return;
  discovering.add(id);
  fetchRoom(id)
    .catch(() => {})
    .finally(() => discovering.delete(id));
}

// ---- seqs: each frame once, in order, gaps fetched ---------------------------------------------

/** A REST Message or a socket frame as one shape: {room_id, seq, id, kind, sender, text, sent_at, client_msg_id}. */
export function normalize(x, kind) {
  return {
    room_id: x.room_id,
    seq: Number(x.seq),
    id: x.id ?? null,
    kind: kind ?? x.kind ?? 'text',
    sender: x.sender ?? x.user ?? null,
    text: x.text ?? null,
    sent_at: x.sent_at ?? null,
    client_msg_id: x.client_msg_id ?? null,
  };
}

function accept(item) {
  const id = item.room_id;
  if (!Number.isFinite(item.seq)) return;
  if (gone.has(id)) {
    // Frames still on their way when I left; only being added again brings the room back.
    if (!(item.kind === 'joined' && item.sender === me())) return;
    gone.delete(id);
  }
  const gap = gaps.get(id);
  if (gap) {
    gap.queue.push(item);
    return;
  }
  if (!lastSeq.has(id)) {
    // A room I had not heard of: this is where its seqs start for me.
    lastSeq.set(id, item.seq - 1);
  }
  const last = lastSeq.get(id);
  if (item.seq <= last) return; // seen already
  if (item.seq === last + 1) {
    deliver(item);
    return;
  }
  gaps.set(id, { queue: [item], running: false });
  fillGap(id);
}

function deliver(item) {
  lastSeq.set(item.room_id, item.seq);
  const r = roomMap.get(item.room_id);
  if (r) {
    const newer = item.seq > (Number(r.last_seq) || 0);
    if (newer) {
      r.last_seq = item.seq;
      if (item.sent_at) r.last_activity_at = item.sent_at;
      if (item.kind === 'text') {
        r.last_message = { ...item };
        const mine = item.sender === me();
        if (!mine && !(viewing === item.room_id && visible())) r.unread = (Number(r.unread) || 0) + 1;
      }
      if (item.kind === 'joined' || item.kind === 'left') r.member_count = Math.max(0, (Number(r.member_count) || 0) + (item.kind === 'joined' ? 1 : -1));
    }
    roomsChanged();
  } else {
    discover(item.room_id);
  }
  if (item.client_msg_id && pendingMap.has(item.client_msg_id) && item.sender === me()) {
    pendingMap.delete(item.client_msg_id);
  }
  if (item.kind === 'left' && item.sender === me()) {
    emit('item', { room_id: item.room_id, item });
    forget(item.room_id);
    return;
  }
  emit('item', { room_id: item.room_id, item });
  if (viewing === item.room_id) scheduleRead();
}

async function fillGap(id) {
  const gap = gaps.get(id);
  if (!gap || gap.running) return;
  gap.running = true;
  let wait = 500;
  for (;;) {
    if (gaps.get(id) !== gap) return; // the room was forgotten meanwhile
    gap.queue.sort((a, b) => a.seq - b.seq);
    // Apply what now follows on from what I have.
    while (gap.queue.length && gap.queue[0].seq <= lastSeq.get(id) + 1) {
      const item = gap.queue.shift();
      if (item.seq === lastSeq.get(id) + 1) deliver(item);
    }
    if (!gap.queue.length) break;
    try {
      const q = new URLSearchParams({ after: String(lastSeq.get(id)), size: '100' });
      const page = await api.get(`/chat/rooms/${encodeURIComponent(id)}/messages?${q}`, { auth: 'required' });
      if (gaps.get(id) !== gap) return;
      const items = (page.items ?? []).map((m) => normalize({ room_id: id, ...m }));
      if (!items.length) {
        // The gap is not in the history (yet): take what we have rather than stall.
        const next = gap.queue[0];
        lastSeq.set(id, next.seq - 1);
        continue;
      }
      gap.queue.push(...items);
      wait = 500;
    } catch (err) {
      if (err.status === 403 || err.status === 404) {
        forget(id);
        return;
      }
      await new Promise((resolve) => config.setTimer(resolve, wait));
      wait = Math.min(wait * 2, BACKOFF_MAX);
      if (!api.signedIn()) return;
    }
  }
  gaps.delete(id);
}

// ---- the socket -----------------------------------------------------------------------------

function sendFrame(frame) {
  const ws = conn.ws;
  if (!ws || ws.readyState !== 1) return false;
  ws.send(JSON.stringify({ v: 1, ...frame }));
  return true;
}

/** Opens the socket if it is not open (idempotent); called by the chat page. */
export function start() {
  if (!api.signedIn()) return;
  if (conn.user && conn.user !== me()) reset();
  conn.user = me();
  if (conn.started) return;
  conn.started = true;
  connect();
}

/** Closes the socket and forgets everything (log out, another account). */
export function reset() {
  conn.started = false;
  conn.user = null;
  closeSocket(1000, 'bye');
  config.clearTimer(conn.retryTimer);
  conn.retryTimer = null;
  conn.attempt = 0;
  conn.retryAt = 0;
  conn.resumed = false;
  lastSeq.clear();
  roomMap.clear();
  roomsCursor = null;
  roomsLoaded = false;
  pendingMap.clear();
  gaps.clear();
  gone.clear();
  typingSent.clear();
  readSent.clear();
  viewing = null;
  setState('idle');
  roomsChanged();
}

function closeSocket(code, reason) {
  const ws = conn.ws;
  conn.ws = null;
  config.clearTimer(conn.pingTimer);
  conn.pingTimer = null;
  if (ws) {
    ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
    try {
      ws.close(code, reason);
    } catch {
      // already closed
    }
  }
}

async function connect() {
  config.clearTimer(conn.retryTimer);
  conn.retryTimer = null;
  conn.retryAt = 0;
  if (!conn.started || !api.signedIn()) return;
  closeSocket(1000, 'reconnect');
  if (held) {
    setState('offline');
    return;
  }
  conn.resumed = false;
  setState('connecting');
  let token;
  try {
    token = await api.accessToken();
  } catch {
    token = null;
  }
  if (!conn.started) return;
  if (!token) {
    retry();
    return;
  }
  let ws;
  try {
    ws = config.WebSocket(config.url(), ['moji.v1', `bearer.${token}`]);
  } catch (err) {
    console.warn(err);
    retry();
    return;
  }
  conn.ws = ws;
  let opened = false;
  ws.onopen = () => {
    opened = true;
    conn.lastFrameAt = config.now();
    heartbeat();
  };
  ws.onmessage = (e) => {
    conn.lastFrameAt = config.now();
    let frame;
    try {
      frame = JSON.parse(e.data);
    } catch {
      return;
    }
    handle(frame);
  };
  ws.onerror = () => {
    // A close event follows; it decides what to do.
  };
  ws.onclose = (e) => {
    if (conn.ws !== ws) return;
    conn.ws = null;
    config.clearTimer(conn.pingTimer);
    conn.pingTimer = null;
    conn.resumed = false;
    closed(e.code, e.reason, opened);
  };
}

async function closed(code, reason, opened) {
  if (!conn.started) return;
  if (code === 1008 || !opened) {
    // Revoked, or refused at the upgrade (perhaps a 401 the browser does not show): get a
    // fresh access token the way every request does, then connect again.
    setState('offline');
    try {
      if (code === 1008) await api.refresh();
      else await api.get('/chat/rooms?size=1', { auth: 'required' });
    } catch (err) {
      if (!api.signedIn()) return; // the session is over; onSession resets
    }
  }
  retry();
}

function retry() {
  if (!conn.started) return;
  const ceiling = Math.min(BACKOFF_MAX, BACKOFF_BASE * 2 ** conn.attempt);
  const delay = Math.round(ceiling * (0.5 + config.random() * 0.5));
  conn.attempt += 1;
  conn.retryAt = config.now() + delay;
  config.clearTimer(conn.retryTimer);
  conn.retryTimer = config.setTimer(connect, delay);
  setState('offline');
}

/** Connects now instead of waiting for the next try ("Retry now", the browser back online). */
export function retryNow() {
  if (!conn.started || conn.state === 'online' || conn.state === 'connecting') return;
  connect();
}

function heartbeat() {
  config.clearTimer(conn.pingTimer);
  conn.pingTimer = config.setTimer(() => {
    if (!conn.ws) return;
    if (config.now() - conn.lastFrameAt > SILENT_LIMIT) {
      // Nothing heard for too long (not even our pongs): the connection is dead.
      const ws = conn.ws;
      closeSocket(4000, 'silent');
      conn.resumed = false;
      if (ws) closed(1006, 'silent', true);
      return;
    }
    sendFrame({ type: 'ping' });
    heartbeat();
  }, PING_EVERY);
}

function handle(f) {
  switch (f.type) {
    case 'ready': {
      const theirs = f.rooms ?? {};
      const resume = {};
      for (const [id, seq] of Object.entries(theirs)) {
        if (!lastSeq.has(id)) lastSeq.set(id, Number(roomMap.get(id)?.last_seq ?? seq) || 0);
        resume[id] = lastSeq.get(id);
        if (!roomMap.has(id) && roomsLoaded) discover(id);
      }
      // Rooms I was in but am not any more (left elsewhere, removed).
      for (const id of [...lastSeq.keys()]) if (!(id in theirs)) forget(id);
      conn.attempt = 0;
      conn.resumed = false;
      sendFrame({ type: 'resume', rooms: resume });
      setState('online');
      break;
    }
    case 'resumed':
      conn.resumed = true;
      for (const p of pendingMap.values()) if (p.state === 'sending') sendFrame(sendOf(p));
      if (viewing) scheduleRead();
      break;
    case 'message':
      accept(normalize(f, 'text'));
      break;
    case 'member_joined':
      accept(normalize(f, 'joined'));
      break;
    case 'member_left':
      accept(normalize(f, 'left'));
      break;
    case 'ack': {
      const p = pendingMap.get(f.client_msg_id);
      accept(normalize({ ...f, sender: me(), text: p?.text ?? f.text ?? null }, 'text'));
      pendingMap.delete(f.client_msg_id);
      break;
    }
    case 'read': {
      const r = roomMap.get(f.room_id);
      if (r && f.user === me()) {
        r.last_read_seq = Math.max(Number(r.last_read_seq) || 0, Number(f.seq) || 0);
        if (r.last_read_seq >= (Number(r.last_seq) || 0)) r.unread = 0;
        roomsChanged();
      }
      emit('read', { room_id: f.room_id, user: f.user, seq: Number(f.seq) });
      break;
    }
    case 'typing':
      if (f.user !== me()) emit('typing', { room_id: f.room_id, user: f.user });
      break;
    case 'error': {
      const p = f.ref ? pendingMap.get(f.ref) : null;
      if (p) {
        p.state = 'failed';
        p.code = f.code;
        emit('pending', { room_id: p.room_id, entry: { ...p } });
      }
      if (f.code === 'forbidden' && p && !roomMap.has(p.room_id)) forget(p.room_id);
      if (!p && f.ref && lastSeq.has(f.ref) && f.code !== 'forbidden') {
        // The replay of a room failed on the server ("resume again shortly"): ask again.
        const room = f.ref;
        const ws = conn.ws;
        config.setTimer(() => {
          if (conn.ws === ws && lastSeq.has(room)) sendFrame({ type: 'resume', rooms: { [room]: lastSeq.get(room) } });
        }, 2000);
      }
      emit('problem', { room_id: p?.room_id ?? null, code: f.code, message: f.message ?? '', ref: f.ref ?? null });
      break;
    }
    default:
      // pong, and frame types newer than this client
      break;
  }
}

// ---- what a room page does --------------------------------------------------------------------

function sendOf(p) {
  return { type: 'send', room_id: p.room_id, client_msg_id: p.client_msg_id, text: p.text };
}

/** The length the server counts (characters, not UTF-16 units). */
export function textLength(text) {
  return [...text].length;
}

/**
 * Sends a message: pending until its `ack` (sent at once when the socket is up, else after the
 * next `resumed`). Returns the pending entry {client_msg_id, room_id, text, state}.
 */
export function send(roomId, text) {
  const p = { client_msg_id: config.newId(), room_id: roomId, text, state: 'sending', code: null };
  pendingMap.set(p.client_msg_id, p);
  if (conn.resumed) sendFrame(sendOf(p));
  typingSent.delete(roomId);
  return { ...p };
}

/** Sends a failed message again, with its original client_msg_id. */
export function resend(clientMsgId) {
  const p = pendingMap.get(clientMsgId);
  if (!p) return null;
  p.state = 'sending';
  p.code = null;
  if (conn.resumed) sendFrame(sendOf(p));
  emit('pending', { room_id: p.room_id, entry: { ...p } });
  return { ...p };
}

/** My messages in a room not acked yet (to show them again when the page is opened anew). */
export function pendingIn(roomId) {
  return [...pendingMap.values()].filter((p) => p.room_id === roomId).map((p) => ({ ...p }));
}

/** While typing: `typing` at most every 3 s per room. */
export function typing(roomId) {
  const now = config.now();
  if (now - (typingSent.get(roomId) ?? -Infinity) < TYPING_EVERY) return;
  if (sendFrame({ type: 'typing', room_id: roomId })) typingSent.set(roomId, now);
}

function visible() {
  return globalThis.document?.visibilityState !== 'hidden';
}

let readTimer = null;
function scheduleRead() {
  config.clearTimer(readTimer);
  readTimer = config.setTimer(() => {
    readTimer = null;
    markRead();
  }, 250);
}

/** `read` up to the newest seq of the room on the screen, when the page is visible. */
export function markRead() {
  const id = viewing;
  if (!id || !visible()) return;
  const seq = lastSeq.get(id) ?? 0;
  const r = roomMap.get(id);
  if (r && Number(r.unread)) {
    r.unread = 0;
    r.last_read_seq = Math.max(Number(r.last_read_seq) || 0, seq);
    roomsChanged();
  }
  if (seq <= 0 || (readSent.get(id) ?? 0) >= seq) return;
  if (sendFrame({ type: 'read', room_id: id, seq })) readSent.set(id, seq);
}

/** The room shown on the screen (null: none). Its messages count as read while visible. */
export function view(roomId) {
  if (viewing && viewing !== roomId && readTimer !== null) {
    // Leaving a room with a `read` still to send: send it now.
    config.clearTimer(readTimer);
    readTimer = null;
    markRead();
  }
  viewing = roomId;
  if (roomId) scheduleRead();
}

// ---- the rest of the app ----------------------------------------------------------------------

api.onSession((user, reason) => {
  if (!user || (conn.user && user.username !== conn.user)) reset();
  else if (reason === 'login' && !conn.started) conn.user = user.username;
});

globalThis.addEventListener?.('online', () => retryNow());
globalThis.document?.addEventListener('visibilitychange', () => {
  if (visible()) {
    if (viewing) scheduleRead();
    retryNow();
  }
});

// For the end-to-end test and for debugging from the console: `drop()` loses the socket as if
// the network went away (the client then reconnects and resumes as it would), `hold(true)`
// keeps it from reconnecting until `hold(false)`.
globalThis.__mojiChat = {
  status,
  seqs,
  drop: () => {
    if (!conn.ws) return false;
    closeSocket(4000, 'debug');
    conn.resumed = false;
    closed(1006, 'dropped', true);
    return true;
  },
  hold: (yes) => {
    held = Boolean(yes);
    if (!held) retryNow();
  },
};
