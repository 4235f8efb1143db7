// Follows a task until it is final: Server-Sent Events first (EventSource cannot send an
// Authorization header, hence `?access_token=`), polling `GET {base}/{id}` when the stream
// cannot be opened or drops before the final state (network loss, a proxy cutting it). Face
// tasks live under `/faces/tasks` (the default), date-course tasks under
// `/date-courses/tasks`; both send `event: task` frames of the same shape. Datasets (under
// `/datasets`) name their frames `dataset`, then `ready`, `failed` or `cancelled`.

import * as api from './api.js';

export const FINAL = new Set(['succeeded', 'failed', 'cancelled']);

/**
 * watchTask(id, {base, events, final, onUpdate(view, source), onMode(mode), onError(err)}) -> stop()
 * `base` is the tasks' collection (default `/faces/tasks`); `events` the SSE event names
 * (default `['task']`); `final` the end statuses (default FINAL); `source` is 'sse' or 'poll',
 * `mode` 'sse', 'poll' or 'offline' (polling while the network is down); onError gets an
 * ApiError when polling is refused (401/403/404).
 */
export function watchTask(id, { base = '/faces/tasks', events = ['task'], final = FINAL, onUpdate, onMode = () => {}, onError = () => {} }) {
  let stopped = false;
  let done = false;
  let es = null;
  let pollTimer = null;
  let closeTimer = null;

  const closeStream = () => {
    clearTimeout(closeTimer);
    if (es) es.close();
    es = null;
  };

  const deliver = (view, source) => {
    if (stopped || done) return;
    if (final.has(view.status)) {
      done = true;
      // The server ends the stream after the final event; let it (closing first would abort
      // the request). Should it linger, close it ourselves.
      if (es) closeTimer = setTimeout(closeStream, 3000);
    }
    onUpdate(view, source);
  };

  const poll = async (delay) => {
    if (stopped || done) return;
    try {
      const view = await api.get(`${base}/${id}`, { auth: 'required' });
      onMode('poll');
      deliver(view, 'poll');
      delay = 1500;
    } catch (err) {
      if (err.status === 401 || err.status === 403 || err.status === 404) {
        done = true;
        onError(err);
        return;
      }
      // Offline or a 5xx: keep trying, slower each time.
      onMode('offline');
      delay = Math.min(delay * 2, 10_000);
    }
    if (!stopped && !done) pollTimer = setTimeout(() => poll(delay), delay);
  };

  const start = async () => {
    let token = null;
    try {
      token = await api.accessToken();
    } catch {
      // polled below, which reports the error
    }
    if (stopped) return;
    if (!token || typeof EventSource === 'undefined') {
      poll(0);
      return;
    }
    onMode('sse');
    es = new EventSource(`${api.BASE}${base}/${id}/events?access_token=${encodeURIComponent(token)}`);
    for (const name of events) {
      es.addEventListener(name, (ev) => {
        let view;
        try {
          view = JSON.parse(ev.data);
        } catch {
          return;
        }
        deliver(view, 'sse');
      });
    }
    es.onerror = () => {
      // The stream ended: normally right after the final event. Otherwise do not let
      // EventSource retry on its own with a token that may have expired: poll instead.
      closeStream();
      if (done || stopped) return;
      onMode('poll');
      poll(500);
    };
  };

  start();
  return () => {
    stopped = true;
    closeStream();
    clearTimeout(pollTimer);
  };
}
