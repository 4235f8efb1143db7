// The one place that talks to the Moji REST API (/api/v1 on this origin).
//
// Tokens live only in memory (a reload means logging in again). The access token is
// refreshed silently a minute before it expires, and again on demand when a request finds it
// expired. Refresh tokens rotate and presenting a used one revokes the whole session, so:
//   - there is at most one refresh in flight (everyone awaits the same promise), and
//   - a refresh token is forgotten the moment it is sent, so it can never be sent twice,
//     not even when the answer is lost on the network.
// Every failure becomes an ApiError carrying a problem document {title, status, detail, code,
// errors?, request_id?}: the API's own, or one made here for network and non-JSON failures.

import { t } from './i18n.js';

export const BASE = '/api/v1';

export class ApiError extends Error {
  constructor(problem) {
    super(problem.detail || problem.title || 'error');
    this.problem = problem;
    this.status = problem.status ?? 0;
    this.code = problem.code ?? 'unknown';
  }
}

function localProblem(code, detail, status = 0) {
  return new ApiError({ type: 'about:blank', title: code, status, detail, code });
}

// ---- session ----------------------------------------------------------------------------

const session = { access: null, refresh: null, expiresAt: 0, user: null };
let refreshing = null;
let timer = null;
const listeners = new Set();

/** Calls `fn(user, reason)` whenever the session starts, changes or ends. */
export function onSession(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

function emit(reason) {
  for (const fn of listeners) fn(session.user, reason);
}

export function currentUser() {
  return session.user;
}

export function signedIn() {
  return session.access !== null;
}

/** The current access token (for the SSE query parameter, which cannot carry a header). */
export async function accessToken() {
  await ensureFresh();
  return session.access;
}

// Knobs for tests (node:test drives this module with a stubbed fetch and clock).
export const config = {
  fetch: (...args) => globalThis.fetch(...args),
  now: () => Date.now(),
  setTimer: (fn, ms) => setTimeout(fn, ms),
  clearTimer: (id) => clearTimeout(id),
};

function adopt(pair) {
  session.access = pair.access_token;
  session.refresh = pair.refresh_token;
  session.expiresAt = config.now() + Number(pair.expires_in) * 1000;
  if (pair.user) session.user = pair.user;
  schedule();
}

/** Refresh a minute before expiry (or halfway, for very short lifetimes). */
function schedule() {
  if (timer !== null) config.clearTimer(timer);
  const left = session.expiresAt - config.now();
  const lead = Math.min(60_000, left / 2);
  timer = config.setTimer(
    () => {
      timer = null;
      refresh().catch(() => {
        // The failure already ended the session (or will on the next request); the page
        // shows it through onSession.
      });
    },
    Math.max(1_000, left - lead),
  );
}

export function clearSession(reason = 'logout') {
  const had = session.access !== null;
  session.access = null;
  session.refresh = null;
  session.expiresAt = 0;
  session.user = null;
  if (timer !== null) config.clearTimer(timer);
  timer = null;
  if (had) emit(reason);
}

/** Rotates the token pair; concurrent callers share one request. */
export function refresh() {
  if (refreshing) return refreshing;
  const token = session.refresh;
  if (!token) return Promise.reject(localProblem('session_expired', t('account.expired'), 401));
  session.refresh = null; // never send the same refresh token twice
  refreshing = (async () => {
    try {
      const pair = await send('POST', '/auth/refresh', { json: { refresh_token: token } });
      adopt(pair);
      emit('refresh');
      return pair;
    } catch (err) {
      // The server said no (expired, reused, revoked): the session is over. A network
      // failure leaves the access token usable until it expires; the used refresh token is
      // gone either way.
      if (err.status) clearSession('expired');
      throw err;
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

/** Before a request: refresh first when the access token is (about to be) expired. */
async function ensureFresh() {
  if (refreshing) {
    await refreshing.catch(() => {});
    return;
  }
  if (session.access && session.refresh && session.expiresAt - config.now() < 20_000) {
    await refresh().catch(() => {});
  }
}

export async function signUp(form) {
  const pair = await send('POST', '/users', { json: form });
  adopt(pair);
  emit('login');
  return pair.user;
}

export async function logIn(login, password) {
  const pair = await send('POST', '/auth/login', { json: { login, password } });
  adopt(pair);
  emit('login');
  return pair.user;
}

/** Finishes a sign-in with the OpenID provider: its one-time ticket for a token pair. */
export async function oidcExchange(ticket) {
  const pair = await send('POST', '/auth/oidc/exchange', { json: { ticket } });
  adopt(pair);
  emit('login');
  return pair.user;
}

/** Links the provider's identity to the account with its address, with that password. */
export async function oidcLink(ticket, password) {
  const pair = await send('POST', '/auth/oidc/link', { json: { ticket, password } });
  adopt(pair);
  emit('login');
  return pair.user;
}

export async function logOut() {
  try {
    if (session.access) await request('POST', '/auth/logout', { auth: 'required', retry: false });
  } finally {
    clearSession('logout');
  }
}

// ---- requests -----------------------------------------------------------------------------

async function parseError(res) {
  let body = null;
  try {
    body = await res.json();
  } catch {
    // Not JSON (an HTML error page from a proxy, say): described below.
  }
  if (body && typeof body === 'object' && (body.detail || body.title)) {
    return new ApiError({ status: res.status, ...body });
  }
  return localProblem('http_' + res.status, t('error.http', { status: res.status }), res.status);
}

/**
 * One HTTP exchange, no token logic. `onHeaders(headers)` hears the answer's headers, error
 * answers included (the quota's `RateLimit-*` and `Retry-After`, say).
 */
async function send(method, path, { json, form, headers = {}, token, onHeaders } = {}) {
  const h = { accept: 'application/json', ...headers };
  let body;
  if (json !== undefined) {
    h['content-type'] = 'application/json';
    body = JSON.stringify(json);
  } else if (form !== undefined) {
    body = form;
  }
  if (token) h.authorization = `Bearer ${token}`;
  let res;
  try {
    res = await config.fetch(BASE + path, { method, headers: h, body, credentials: 'omit' });
  } catch {
    throw localProblem('network', t('error.network'));
  }
  onHeaders?.(res.headers);
  if (!res.ok) throw await parseError(res);
  if (res.status === 204) return null;
  const type = res.headers.get('content-type') ?? '';
  return type.includes('json') ? res.json() : res.text();
}

/**
 * A request with the session's token. `auth`: 'required' (fails without a session),
 * 'optional' (sends the token when there is one), 'none'. An expired access token is
 * refreshed once and the request retried once. Other options go to `send` (`json`, `form`,
 * `headers`, `onHeaders`).
 */
export async function request(method, path, { auth = 'optional', retry = true, ...opts } = {}) {
  if (auth === 'required' && !signedIn()) {
    throw localProblem('unauthorized', t('account.expired'), 401);
  }
  if (auth !== 'none') await ensureFresh();
  const token = auth !== 'none' ? session.access : null;
  try {
    return await send(method, path, { ...opts, token });
  } catch (err) {
    if (err.status === 401 && token) {
      if (retry && session.refresh && (err.code === 'token_expired' || err.code === 'invalid_token' || err.code === 'unauthorized')) {
        if (session.access === token) await refresh();
        else await ensureFresh();
        return request(method, path, { auth, retry: false, ...opts });
      }
      if (session.access === token && !refreshing) clearSession('expired');
    }
    throw err;
  }
}

/**
 * A POST that may outlive the page (`keepalive`: it goes out even while the page unloads), for
 * what is told on leaving (a view's dwell time). navigator.sendBeacon cannot carry the
 * Authorization header, so this is a fetch with the current access token: signed in only, and
 * not with a token known to be expired (no refresh, no retry: there may be no page left to
 * finish one). The answer and any failure are ignored. True when it was sent.
 */
export function beacon(path, json) {
  if (!session.access || session.expiresAt <= config.now()) return false;
  try {
    const sent = config.fetch(BASE + path, {
      method: 'POST',
      keepalive: true,
      credentials: 'omit',
      headers: { accept: 'application/json', 'content-type': 'application/json', authorization: `Bearer ${session.access}` },
      body: JSON.stringify(json),
    });
    Promise.resolve(sent).catch(() => {});
    return true;
  } catch {
    return false;
  }
}

export const get = (path, opts) => request('GET', path, opts);
export const post = (path, json, opts) => request('POST', path, { json, ...opts });
export const put = (path, opts) => request('PUT', path, opts);
export const patch = (path, json, opts) => request('PATCH', path, { json, ...opts });
export const del = (path, opts) => request('DELETE', path, opts);

/**
 * Multipart upload with upload progress (fetch cannot report it, XMLHttpRequest can).
 * Same token handling as `request`.
 */
export async function upload(path, form, { headers = {}, onProgress, retry = true } = {}) {
  await ensureFresh();
  const token = session.access;
  try {
    return await xhrPost(path, form, headers, token, onProgress);
  } catch (err) {
    if (err.status === 401 && token) {
      if (retry && session.refresh) {
        if (session.access === token) await refresh();
        return upload(path, form, { headers, onProgress, retry: false });
      }
      if (session.access === token && !refreshing) clearSession('expired');
    }
    throw err;
  }
}

function xhrPost(path, form, headers, token, onProgress) {
  const h = { accept: 'application/json', ...headers };
  if (token) h.authorization = `Bearer ${token}`;
  return xhrSend('POST', BASE + path, form, h, onProgress);
}

/** One XMLHttpRequest with upload progress (0..100); the answer's JSON body, or null. */
function xhrSend(method, url, body, headers, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(method, url);
    for (const [k, v] of Object.entries(headers)) xhr.setRequestHeader(k, v);
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable && onProgress) onProgress(Math.round((e.loaded / e.total) * 100));
    };
    xhr.onerror = () => reject(localProblem('network', t('error.network')));
    xhr.onload = () => {
      let answer = null;
      try {
        answer = JSON.parse(xhr.responseText);
      } catch {
        // no body (204), or not JSON: described below
      }
      if (xhr.status >= 200 && xhr.status < 300) resolve(answer);
      else if (answer && (answer.detail || answer.title)) reject(new ApiError({ status: xhr.status, ...answer }));
      else reject(localProblem('http_' + xhr.status, t('error.http', { status: xhr.status }), xhr.status));
    };
    xhr.send(body);
  });
}

/**
 * Uploads an image for a post, a product or an avatar: `POST /uploads {content_type, bytes}`
 * for a ticket, then a `PUT` of the file's bytes to its `upload_url` with exactly its
 * `headers` (no token: the URL is signed; with S3 it is another origin). XMLHttpRequest, so
 * `onProgress(0..100)` hears the upload. Resolves with the ticket: its `key` is what a post's
 * or product's `images`, or `avatar`, refer to.
 */
export async function uploadImage(file, { onProgress } = {}) {
  const ticket = await post('/uploads', { content_type: file.type, bytes: file.size }, { auth: 'required' });
  await xhrSend(ticket.method || 'PUT', fileUrl(ticket.upload_url), file, ticket.headers ?? {}, onProgress);
  return ticket;
}

/**
 * Signed file links come back absolute (the public URL the api was configured with); links
 * to our own file endpoint are made relative so they load from whatever origin served the
 * page. Links to other hosts (S3 presigned URLs) are kept as they are.
 */
export function fileUrl(url) {
  if (!url) return '';
  try {
    const u = new URL(url, globalThis.location?.href ?? 'http://localhost/');
    if (u.pathname.startsWith(BASE + '/files/')) return u.pathname + u.search;
  } catch {
    // not a URL: use as is
  }
  return url;
}

/** A UUID for Idempotency-Key (crypto.randomUUID needs a secure context; this does not). */
export function newKey() {
  if (globalThis.crypto?.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
