// Date courses (docs/date-courses.md). #/courses: the form (region, season, time of day,
// transport, an optional mood and budget, the course's language) with today's quota ("n of 5
// left today", when it renews), then the request's live progress (the task's SSE, polling as
// a fallback: js/task.js) with Cancel, the finished course, and my saved courses by cursor.
// #/courses/{id}: one saved course, with its rating (1–5), a new title, and Delete (confirm).
// Signed out, both say what this is and ask to log in. A course is drawn by `courseView`: the
// stops in order with arrival, stay, travel from the previous stop and the note; tips; who
// wrote it; and an inline SVG map of the stops (js/courses.js projects them). The choices and
// the request being followed live at module level, so a language switch or a trip to another
// page loses neither.

import * as api from '../api.js';
import { h, s, clear, append, errorBox, toast, cursorList, section, sizeOf } from '../dom.js';
import { t, lang, formatDate } from '../i18n.js';
import { watchTask, FINAL } from '../task.js';
import { formFields, sendForm } from '../ui.js';
import * as C from '../courses.js';

const TASKS = '/date-courses/tasks';
const STEPS = ['queued', 'places', 'writing', 'done'];
const HISTORY_SIZE = 10;
const ICONS = {
  region: { seoul: '🏙️', busan: '🌊', jeju: '🍊' },
  season: { spring: '🌸', summer: '☀️', autumn: '🍁', winter: '❄️' },
  time_of_day: { morning: '🌅', afternoon: '🌤️', evening: '🌆', night: '🌙' },
  transport: { walk: '🚶', transit: '🚇', car: '🚗' },
};

/** The form's choices (kept while the page is left and when the language changes). */
const choice = {
  region: 'seoul',
  season: C.seasonOf(),
  time_of_day: 'afternoon',
  transport: 'walk',
  mood: '',
  budget: '',
  language: null, // the page's language until chosen
};
/** Idempotency-Key of the request being sent: kept for a retry after a lost answer only. */
let pendingKey = null;
/** The request being (or last) followed: `{id, view, log: [{status, step, progress, source, at}]}`. */
let current = null;
/** Today's quota: `{limit, remaining, resetsAt}` (ms), from the API's body or headers. */
let quota = null;
/** True when the last answer was a 429 `quota_exceeded` (said as an alert). */
let refused = false;
/** Courses that finished while watched: their page retries a moment when the api is still saving. */
const justMade = new Set();
let seq = 0;

// What was followed and counted belongs to the person signed in: forgotten when that changes.
api.onSession((user, reason) => {
  if (reason === 'refresh') return;
  current = null;
  quota = null;
  refused = false;
  pendingKey = null;
  justMade.clear();
});

export function render(ctx) {
  if (!api.signedIn()) return anonymous();
  return ctx.params[0] ? savedPage(ctx) : mainPage(ctx);
}

// ---- signed out ---------------------------------------------------------------------------

function anonymous() {
  const next = encodeURIComponent(location.hash.replace(/^#/, '') || '/courses');
  return h(
    'section',
    { class: 'courses-page courses-anon' },
    h('h1', { text: t('courses.title') }),
    h(
      'div',
      { class: 'card courses-anon-card' },
      h('p', { class: 'courses-anon-art', 'aria-hidden': 'true', text: '💑 🗺️' }),
      h('h2', { class: 'h-mid', text: t('courses.anonTitle') }),
      h('p', { class: 'lead', text: t('courses.anonLead') }),
      h(
        'div',
        { class: 'row' },
        h('a', { class: 'btn btn-primary', href: `#/login?next=${next}`, text: t('courses.anonLogin') }),
        h('a', { class: 'btn btn-ghost', href: `#/signup?next=${next}`, text: t('courses.anonSignup') }),
      ),
    ),
  );
}

// ---- #/courses ----------------------------------------------------------------------------

function mainPage({ query, onLeave }) {
  const historySize = sizeOf(query, HISTORY_SIZE);
  // A refusal is said as an alert when it happens; shown again later, the page just says it.
  refused = false;
  let busy = false;
  let stop = null;
  onLeave(() => stop?.());

  // ---- the quota ----
  const quotaLeft = h('strong', { class: 'course-quota-left', 'aria-live': 'polite' });
  const quotaDots = h('span', { class: 'course-quota-dots', 'aria-hidden': 'true' });
  const quotaRenews = h('span', { class: 'course-quota-renews muted small' });
  const quotaBox = h('div', { class: 'course-quota' }, quotaDots, quotaLeft, quotaRenews);
  const exceeded = h('div', { class: 'course-quota-exceeded', id: `course-exceeded-${++seq}`, hidden: true });

  const setText = (el, text) => {
    if (el.textContent !== text) el.textContent = text;
  };
  const paintQuota = () => {
    if (!quota) {
      setText(quotaLeft, t('courses.quotaLoading'));
      quotaBox.removeAttribute('data-remaining');
      quotaBox.removeAttribute('data-limit');
      paintSubmit();
      return;
    }
    quotaBox.dataset.remaining = String(quota.remaining);
    quotaBox.dataset.limit = String(quota.limit);
    clear(quotaDots).append(
      ...Array.from({ length: Math.min(quota.limit, 10) }, (_, i) => h('span', { class: ['quota-dot', i < quota.remaining && 'is-left'] })),
    );
    setText(quotaLeft, t('courses.quota', { n: quota.remaining, limit: quota.limit }));
    const left = quota.resetsAt ? quota.resetsAt - Date.now() : null;
    const when = quota.resetsAt ? { time: C.clockText(quota.resetsAt), in: C.untilText(left) } : null;
    setText(quotaRenews, when ? t('courses.renews', when) : '');
    const out = quota.remaining <= 0;
    exceeded.hidden = !out;
    if (out) {
      exceeded.className = refused ? 'course-quota-exceeded alert alert-error' : 'course-quota-exceeded note';
      if (refused) exceeded.setAttribute('role', 'alert');
      else exceeded.removeAttribute('role');
      exceeded.dataset.code = 'quota_exceeded';
      const text = when ? t('courses.exceeded', { limit: quota.limit, ...when }) : t('courses.exceededTitle');
      if (exceeded.querySelector('.alert-detail')?.textContent !== text) {
        clear(exceeded).append(h('p', { class: 'alert-title', text: t('courses.exceededTitle') }), h('p', { class: 'alert-detail', text }));
      }
    } else {
      refused = false;
    }
    paintSubmit();
  };
  const refreshQuota = async () => {
    try {
      quota = C.quotaFromView(await api.get('/date-courses/quota', { auth: 'required' }));
    } catch (err) {
      console.warn('quota', err);
    }
    paintQuota();
  };
  // "in 5 h 12 min" goes on counting; at the renewal the quota is asked for again.
  const tick = setInterval(() => {
    if (quota?.resetsAt && Date.now() >= quota.resetsAt) {
      refused = false;
      refreshQuota();
    } else if (quota) paintQuota();
  }, 30_000);
  onLeave(() => clearInterval(tick));

  // ---- the form ----
  const fields = formFields('course');
  const status = h('div', { class: 'form-status' });
  const submitBtn = h('button', { type: 'submit', class: 'btn btn-primary btn-block course-submit' });
  const mood = h('textarea', {
    class: 'course-mood',
    rows: '2',
    maxlength: String(C.MAX_MOOD),
    value: choice.mood,
  });
  const moodCount = h('p', { class: 'course-mood-count field-hint' });
  const moodTooLong = () => C.charCount(mood.value.trim()) > C.MAX_MOOD;
  const paintMood = () => {
    const n = C.charCount(mood.value);
    moodCount.textContent = t('courses.moodCount', { n, max: C.MAX_MOOD });
    moodCount.classList.toggle('is-over', moodTooLong());
  };
  mood.addEventListener('input', () => {
    choice.mood = mood.value;
    pendingKey = null;
    paintMood();
    paintSubmit();
  });
  function paintSubmit() {
    const out = quota !== null && quota.remaining <= 0;
    submitBtn.disabled = busy || out || moodTooLong();
    setText(submitBtn, busy ? t('courses.sending') : t('courses.submit'));
    if (out) submitBtn.setAttribute('aria-describedby', exceeded.id);
    else submitBtn.removeAttribute('aria-describedby');
  }
  const pick = (name) => (value) => {
    choice[name] = value;
    pendingKey = null;
  };
  const option = (group, value, label) => ({ value, label, icon: ICONS[group]?.[value] });
  const form = h(
    'form',
    { class: 'course-form stack', novalidate: true, 'aria-labelledby': 'course-form-h' },
    choiceGroup(
      'region',
      t('courses.region'),
      C.REGIONS.map((v) => option('region', v, t(`courses.region.${v}`))),
      choice.region,
      pick('region'),
    ),
    choiceGroup(
      'season',
      t('courses.season'),
      C.SEASONS.map((v) => option('season', v, t(`courses.season.${v}`))),
      choice.season,
      pick('season'),
    ),
    choiceGroup(
      'time_of_day',
      t('courses.timeOfDay'),
      C.TIMES.map((v) => option('time_of_day', v, t(`courses.time.${v}`))),
      choice.time_of_day,
      pick('time_of_day'),
    ),
    choiceGroup(
      'transport',
      t('courses.transport'),
      C.TRANSPORTS.map((v) => option('transport', v, t(`courses.transport.${v}`))),
      choice.transport,
      pick('transport'),
    ),
    fields.field('mood', t('courses.mood'), mood, t('courses.moodHint')),
    moodCount,
    choiceGroup(
      'budget',
      t('courses.budget'),
      [{ value: '', label: t('courses.budget.any') }, ...C.BUDGETS.map((v) => ({ value: v, label: t(`courses.budget.${v}`) }))],
      choice.budget,
      pick('budget'),
    ),
    choiceGroup(
      'language',
      t('courses.language'),
      C.LANGUAGES.map((v) => ({ value: v, label: t(`courses.language.${v}`), lang: v })),
      choice.language ?? lang(),
      pick('language'),
    ),
    exceeded,
    status,
    submitBtn,
  );
  // The counter describes the mood too.
  moodCount.id = `${fields.id}-mood-count`;
  mood.setAttribute('aria-describedby', `${mood.getAttribute('aria-describedby') ?? ''} ${moodCount.id}`.trim());
  paintMood();

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (submitBtn.disabled) return;
    clear(status);
    fields.reset();
    busy = true;
    paintSubmit();
    form.setAttribute('aria-busy', 'true');
    pendingKey ??= api.newKey();
    let told = null;
    try {
      const view = await api.post('/date-courses', C.requestBody(choice), {
        auth: 'required',
        headers: { 'Idempotency-Key': pendingKey },
        onHeaders: (headers) => (told = C.quotaFromHeaders(headers)),
      });
      pendingKey = null;
      if (told) quota = told;
      refused = false;
      follow(view);
    } catch (err) {
      // Answered (refused): the next submission is a new request. Lost on the network: the
      // same key again, so a retry cannot make a second task.
      if (err.status) pendingKey = null;
      if (err.status === 429 && err.code === 'quota_exceeded') {
        quota = { ...(told ?? { limit: quota?.limit ?? 5, resetsAt: quota?.resetsAt ?? null }), remaining: 0 };
        refused = true;
      } else {
        if (told) quota = told;
        const { first, unplaced } = fields.show(err);
        status.append(errorBox(err, null, { fields: unplaced }));
        first?.focus();
      }
    } finally {
      busy = false;
      form.removeAttribute('aria-busy');
      paintQuota();
      if (refused) submitBtn.focus();
    }
  });

  const formCard = h(
    'section',
    { class: 'card course-form-card', 'aria-labelledby': 'course-form-h' },
    h('h2', { id: 'course-form-h', class: 'h-small', text: t('courses.formTitle') }),
    quotaBox,
    form,
  );

  // ---- the request being followed ----
  const live = h('div', { class: 'course-live' });
  const resultArea = h('div', { class: 'course-result' });
  let card = null;

  function follow(view) {
    stop?.();
    stop = null;
    current = { id: view.id, view, log: [] };
    record(view, 'post');
    attach();
    card?.el.scrollIntoView?.({ block: 'nearest' });
  }

  function record(view, source) {
    current.view = view;
    current.log.push({ status: view.status, step: view.step ?? '', progress: clampProgress(view.progress), source, at: new Date() });
    if (current.log.length > 30) current.log.shift();
  }

  /** Draws `current` (after a submission, or again when the page is shown) and follows it. */
  function attach() {
    clear(live);
    clear(resultArea);
    if (!current) return;
    card = progressCard(current, cancel);
    live.append(card.el);
    card.paint(current.view);
    const id = current.id;
    if (FINAL.has(current.view.status)) {
      showFinal(current.view, false);
      return;
    }
    stop = watchTask(id, {
      base: TASKS,
      onUpdate: (view, source) => {
        if (current?.id !== id) return;
        const wasFinal = FINAL.has(current.view.status);
        record(view, source);
        card.paint(view);
        if (FINAL.has(view.status) && !wasFinal) showFinal(view, true);
      },
      onMode: (m) => card.mode(m),
      onError: (err) => {
        clear(resultArea).append(errorBox(err));
      },
    });
  }

  function showFinal(view, fresh) {
    clear(resultArea);
    if (view.status === 'succeeded' && view.result) {
      justMade.add(view.id);
      resultArea.append(
        courseView(view.result),
        h(
          'div',
          { class: 'row course-after' },
          h('a', { class: 'btn btn-primary course-open', href: `#/courses/${view.id}`, text: t('courses.open') }),
          h('button', { type: 'button', class: 'btn btn-ghost', onclick: () => form.querySelector('input:checked')?.focus(), text: t('courses.another') }),
        ),
      );
      if (fresh) {
        mine.add({
          id: view.id,
          title: view.result.title,
          rating: null,
          provider: view.result.provider,
          course: view.result,
          created_at: view.updated_at ?? new Date().toISOString(),
        });
      }
    } else if (view.status === 'failed') {
      const code = view.error?.code;
      const known = code ? t(`courses.error.${code}`) : null;
      const detail = known && known !== `courses.error.${code}` ? known : view.error?.detail || t('error.unexpected');
      resultArea.append(errorBox({ problem: { detail, code } }, null, { title: t('courses.failed') }));
    } else if (view.status === 'cancelled') {
      resultArea.append(h('p', { class: 'alert course-cancelled', text: t('courses.cancelled') }));
    }
    // A failed or cancelled request gave its unit back (a failure once the api has recorded
    // it, a moment after the task said so: asked again a little later too).
    if (fresh && view.status !== 'succeeded') {
      refreshQuota();
      if (view.status === 'failed') setTimeout(refreshQuota, 2000);
    }
  }

  async function cancel(btn) {
    if (!current) return;
    const id = current.id;
    btn.disabled = true;
    try {
      const view = await api.del(`${TASKS}/${id}`, { auth: 'required' });
      if (current?.id !== id || FINAL.has(current.view.status)) return;
      stop?.();
      stop = null;
      record(view, 'poll');
      card.paint(view);
      showFinal(view, true);
    } catch (err) {
      toast(err.problem?.detail ?? t('error.unexpected'), 'error');
    } finally {
      btn.disabled = false;
    }
  }

  // ---- my courses ----
  const mine = historyList(historySize);

  const root = h(
    'section',
    { class: 'courses-page' },
    h('div', { class: 'page-head' }, h('h1', { text: t('courses.title') }), h('p', { class: 'lead', text: t('courses.lead') })),
    h(
      'div',
      { class: 'courses-layout' },
      h('div', { class: 'courses-side' }, formCard),
      h(
        'div',
        { class: 'courses-main' },
        live,
        resultArea,
        h(
          'section',
          { class: 'card course-history', 'aria-labelledby': 'course-history-h' },
          h('h2', { id: 'course-history-h', class: 'h-small', text: t('courses.history') }),
          mine.el,
        ),
      ),
    ),
  );
  paintQuota();
  refreshQuota();
  attach();
  return root;
}

function clampProgress(p) {
  return Math.max(0, Math.min(100, Math.round(Number(p) || 0)));
}

/** Radio buttons that wrap (real radios: arrow keys move between them). */
function choiceGroup(name, legend, options, value, onChange) {
  return h(
    'fieldset',
    { class: 'course-choice', dataset: { field: name } },
    h('legend', { class: 'label', text: legend }),
    h(
      'div',
      { class: 'course-options' },
      options.map((o) =>
        h(
          'label',
          { class: 'course-option' },
          h('input', {
            type: 'radio',
            name,
            value: o.value,
            checked: o.value === value,
            onchange: (e) => e.target.checked && onChange(o.value),
          }),
          h('span', { lang: o.lang ?? null }, o.icon && h('span', { class: 'course-option-icon', 'aria-hidden': 'true', text: o.icon }), o.label),
        ),
      ),
    ),
  );
}

function stepLabel(step) {
  const key = `courses.step.${step}`;
  const text = t(key);
  return text === key ? step : text;
}

/** The live card of a request: status, progress bar, steps, what came over SSE, Cancel. */
function progressCard(cur, onCancel) {
  let steps = [...STEPS];
  let reached = 0;
  const pill = h('span', { class: 'pill' });
  const fill = h('span', { class: 'progress-fill' });
  const bar = h(
    'div',
    { class: 'progress', role: 'progressbar', 'aria-valuemin': '0', 'aria-valuemax': '100', 'aria-valuenow': '0', 'aria-label': t('task.progressLabel') },
    fill,
  );
  const mode = h('span', { class: 'live-mode muted small' });
  const note = h('p', { class: 'note small', hidden: true });
  const stepList = h('ol', { class: 'steps' });
  const log = h('ol', { class: 'timeline', 'aria-label': t('task.live') });
  const announce = h('p', { class: 'sr-only', 'aria-live': 'polite' });
  const cancelBtn = h('button', { type: 'button', class: 'btn btn-ghost btn-small course-cancel', text: t('courses.cancel') });
  cancelBtn.addEventListener('click', () => onCancel(cancelBtn));
  const req = cur.view.request ?? {};
  const asked = [
    req.region && t(`courses.region.${req.region}`),
    req.season && t(`courses.season.${req.season}`),
    req.time_of_day && t(`courses.time.${req.time_of_day}`),
    req.transport && t(`courses.transport.${req.transport}`),
    req.budget && t(`courses.budget.${req.budget}`),
  ]
    .filter(Boolean)
    .join(' · ');
  const el = h(
    'section',
    { class: 'card progress-card course-progress', 'aria-labelledby': 'course-progress-h', dataset: { task: cur.id, mode: 'sse' } },
    h('div', { class: 'row between' }, h('h2', { id: 'course-progress-h', class: 'h-small' }, t('courses.progressTitle'), ' ', mode), pill),
    h(
      'p',
      { class: 'course-asked muted small' },
      t('courses.asked', { what: asked }),
      req.mood ? h('span', { class: 'course-asked-mood' }, ` · “${req.mood}”`) : null,
    ),
    h('div', { class: 'row between course-progress-row' }, bar, cancelBtn),
    stepList,
    note,
    h('details', { class: 'log' }, h('summary', { text: t('task.live') }), log),
    announce,
  );

  const paintSteps = (view) => {
    if (view.status === 'running') {
      let i = steps.indexOf(view.step);
      if (i < 0 && view.step) {
        steps = [...steps.slice(0, -1), view.step, 'done'];
        i = steps.length - 2;
      }
      reached = Math.max(reached, i, 1);
    }
    const last = steps.length - 1;
    clear(stepList).append(
      ...steps.map((st, i) => {
        let state = 'todo';
        if (view.status === 'succeeded' || i < reached) state = 'done';
        else if (i === reached) state = view.status === 'failed' || view.status === 'cancelled' ? 'failed' : i === last ? 'todo' : 'current';
        return h(
          'li',
          { class: `step-${state}`, dataset: { step: st, state }, 'aria-current': state === 'current' ? 'step' : null },
          h('span', { class: 'step-dot', 'aria-hidden': 'true' }),
          stepLabel(st),
        );
      }),
    );
  };

  const logLine = (e) =>
    h(
      'li',
      { dataset: { status: e.status, step: e.step, source: e.source, progress: String(e.progress) } },
      h('time', { text: e.at.toTimeString().slice(0, 8) }),
      h('span', { text: `${t(`task.status.${e.status}`)}${e.status === 'running' && e.step ? ` · ${stepLabel(e.step)}` : ''} · ${e.progress}%` }),
      h('span', { class: `src src-${e.source}`, text: e.source === 'sse' ? 'SSE' : e.source === 'poll' ? 'poll' : 'POST' }),
    );

  return {
    el,
    paint(view) {
      el.dataset.status = view.status;
      pill.dataset.status = view.status;
      pill.textContent = t(`task.status.${view.status}`);
      const progress = view.status === 'succeeded' ? 100 : clampProgress(view.progress);
      bar.setAttribute('aria-valuenow', String(progress));
      fill.style.setProperty('--v', String(progress / 100));
      paintSteps(view);
      clear(log).append(...cur.log.map(logLine));
      const stepText = view.status === 'running' && view.step ? ` · ${stepLabel(view.step)}` : '';
      announce.textContent = `${t(`task.status.${view.status}`)}${stepText}`;
      const final = FINAL.has(view.status);
      cancelBtn.hidden = final;
      el.classList.toggle('is-final', final);
      if (final) note.hidden = true;
    },
    mode(m) {
      el.dataset.mode = m;
      mode.textContent = `· ${m === 'sse' ? t('task.liveSse') : m === 'offline' ? t('task.offline') : t('task.livePoll')}`;
      if (m !== 'sse' && !el.classList.contains('is-final')) {
        note.hidden = false;
        note.textContent = m === 'offline' ? t('task.offline') : t('task.fallback');
      }
    },
  };
}

// ---- my courses (history) -----------------------------------------------------------------

function regionName(region) {
  return region ? t(`courses.region.${region}`) : '';
}

function stars(rating) {
  const n = Number(rating) || 0;
  return h(
    'span',
    { class: 'course-item-rating', dataset: { rating: String(n) } },
    h('span', { class: 'stars', 'aria-hidden': 'true', text: n ? '★'.repeat(n) + '☆'.repeat(5 - n) : '☆☆☆☆☆' }),
    h('span', { class: 'sr-only', text: n ? t('courses.rating', { n }) : t('courses.unrated') }),
  );
}

function historyItem(c) {
  const doc = c.course ?? {};
  return h(
    'li',
    { class: 'course-item', dataset: { id: c.id, rating: String(c.rating ?? '') } },
    h('a', { class: 'course-link', href: `#/courses/${c.id}`, lang: doc.language ?? null, text: c.title }),
    h(
      'p',
      { class: 'course-item-meta muted small' },
      h('span', { class: 'course-item-region', text: regionName(doc.region) }),
      ' · ',
      h('time', { datetime: c.created_at, text: formatDate(c.created_at, true) }),
      Array.isArray(doc.stops) ? ` · ${t('courses.stopsCount', { n: doc.stops.length })}` : '',
    ),
    stars(c.rating),
  );
}

/**
 * My saved courses, newest first, by cursor ("Load more"); `add(course)` puts one first. The
 * api saves a course a moment after its task says it succeeded, so one added here stays first
 * in the list, when read again meanwhile, until the API lists it too.
 */
function historyList(size) {
  const el = h('div', { class: 'course-history-body' });
  const fresh = new Map();
  let ctl = null;
  const load = () =>
    cursorList(el, {
      load: async (cursor) => {
        const p = new URLSearchParams({ size: String(size) });
        if (cursor) p.set('cursor', cursor);
        const page = await api.get(`/date-courses?${p}`, { auth: 'required' });
        if (cursor || !fresh.size) return page;
        const listed = new Set((page.items ?? []).map((x) => x.id));
        for (const id of listed) fresh.delete(id);
        return { ...page, items: [...fresh.values(), ...(page.items ?? [])] };
      },
      list: () => h('ol', { class: 'course-history-list' }),
      item: historyItem,
      empty: () => h('p', { class: 'empty course-history-empty muted', text: t('courses.historyEmpty') }),
      ref: (c) => (ctl = c),
    });
  load();
  return {
    el,
    add(course) {
      fresh.set(course.id, course);
      if (!ctl?.prepend(course)) load();
    },
  };
}

// ---- #/courses/{id} -----------------------------------------------------------------------

async function loadSaved(id) {
  // A course that just finished may reach the history a moment after its task says so.
  for (let i = 0; ; i++) {
    try {
      return await api.get(`/date-courses/${id}`, { auth: 'required' });
    } catch (err) {
      if (err.status === 404 && justMade.has(id) && i < 10) {
        await new Promise((r) => setTimeout(r, 500));
        continue;
      }
      if (err.status === 403 || err.status === 404) {
        err.problem = { ...err.problem, detail: t(err.status === 403 ? 'courses.forbidden' : 'courses.notFound') };
      }
      throw err;
    }
  }
}

function savedPage({ params, navigate }) {
  const id = params[0];
  const body = h('div', { class: 'course-saved-body' });
  const root = h(
    'section',
    { class: 'courses-page course-saved', dataset: { id } },
    h('p', { class: 'course-back' }, h('a', { href: '#/courses', text: `← ${t('courses.back')}` })),
    body,
  );
  section(
    body,
    () => loadSaved(id),
    (c) => savedView(c, navigate),
  );
  return root;
}

function savedView(initial, navigate) {
  let saved = initial;
  let renaming = false;
  const wrap = h('div', { class: 'course-saved-view' });
  const status = h('div', { class: 'form-status' });

  const patch = (body) => api.patch(`/date-courses/${saved.id}`, body, { auth: 'required' });

  const ratingControl = () => {
    const box = h('fieldset', { class: 'course-rating', dataset: { rating: String(saved.rating ?? 0) } });
    const paintStars = () => {
      const n = Number(saved.rating) || 0;
      box.dataset.rating = String(n);
      for (const label of box.querySelectorAll('.course-star')) label.classList.toggle('is-on', Number(label.dataset.n) <= n);
      for (const input of box.querySelectorAll('input')) input.checked = Number(input.value) === n;
      clearBtn.hidden = !n;
    };
    const rate = async (n) => {
      clear(status);
      const before = saved.rating;
      try {
        saved = await patch({ rating: n });
        toast(n ? t('courses.rated', { n }) : t('courses.ratingCleared'));
      } catch (err) {
        saved = { ...saved, rating: before };
        status.append(errorBox(err));
      }
      paintStars();
    };
    const clearBtn = h('button', {
      type: 'button',
      class: 'btn btn-ghost btn-small course-rating-clear',
      text: t('courses.clearRating'),
      onclick: () => rate(null),
    });
    append(box, [
      h('legend', { class: 'label', text: t('courses.rate') }),
      h(
        'div',
        { class: 'course-stars' },
        [1, 2, 3, 4, 5].map((n) =>
          h(
            'label',
            { class: 'course-star', dataset: { n: String(n) } },
            h('input', { type: 'radio', name: 'rating', value: String(n), onchange: (e) => e.target.checked && rate(n) }),
            h('span', { class: 'star', 'aria-hidden': 'true', text: '★' }),
            h('span', { class: 'sr-only', text: t('courses.star', { n }) }),
          ),
        ),
      ),
      clearBtn,
    ]);
    paintStars();
    return box;
  };

  const renameForm = () => {
    const fields = formFields('course-title');
    const input = h('input', { type: 'text', class: 'course-title-input', maxlength: '80', autocomplete: 'off', value: saved.title });
    const formStatus = h('div', { class: 'form-status' });
    const save = h('button', { type: 'submit', class: 'btn btn-primary btn-small course-title-save', text: t('courses.save') });
    const form = h(
      'form',
      { class: 'course-rename-form stack', novalidate: true },
      fields.field('title', t('courses.titleLabel'), input, t('courses.titleHint')),
      formStatus,
      h(
        'div',
        { class: 'row' },
        save,
        h('button', {
          type: 'button',
          class: 'btn btn-ghost btn-small course-title-cancel',
          text: t('courses.cancelEdit'),
          onclick: () => {
            renaming = false;
            paint();
            wrap.querySelector('.course-rename')?.focus();
          },
        }),
      ),
    );
    sendForm(form, {
      fields,
      status: formStatus,
      button: save,
      submit: () => patch({ title: input.value.trim() }),
      done: (view) => {
        saved = view;
        renaming = false;
        paint();
        toast(t('courses.renamed'));
        wrap.querySelector('.course-rename')?.focus();
      },
    });
    return form;
  };

  const actions = () => {
    const box = h('div', { class: 'row course-actions' });
    const plain = () =>
      append(clear(box), [
        h('button', {
          type: 'button',
          class: 'btn btn-ghost btn-small course-rename',
          text: t('courses.rename'),
          onclick: () => {
            renaming = true;
            paint();
            wrap.querySelector('.course-title-input')?.focus();
          },
        }),
        h('button', {
          type: 'button',
          class: 'btn btn-ghost btn-small course-delete',
          text: t('courses.delete'),
          onclick: () => {
            confirm();
            box.querySelector('.cancel-delete')?.focus();
          },
        }),
      ]);
    const remove = async () => {
      for (const b of box.querySelectorAll('button')) b.disabled = true;
      clear(status);
      try {
        await api.del(`/date-courses/${saved.id}`, { auth: 'required' });
        justMade.delete(saved.id);
        toast(t('courses.deleted'));
        navigate('#/courses');
      } catch (err) {
        status.append(errorBox(err, remove));
        for (const b of box.querySelectorAll('button')) b.disabled = false;
      }
    };
    const confirm = () =>
      append(clear(box), [
        h('p', { class: 'course-confirm-text', role: 'alert', text: t('courses.deleteConfirm') }),
        h('button', { type: 'button', class: 'btn btn-small btn-danger confirm-delete', onclick: remove, text: t('courses.deleteYes') }),
        h('button', {
          type: 'button',
          class: 'btn btn-ghost btn-small cancel-delete',
          text: t('courses.cancelEdit'),
          onclick: () => {
            plain();
            box.querySelector('.course-delete')?.focus();
          },
        }),
      ]);
    plain();
    return box;
  };

  const paint = () => {
    document.title = `${saved.title} · Moji`;
    clear(wrap).append(
      h(
        'div',
        { class: 'card course-manage' },
        h('p', { class: 'muted small course-saved-at' }, h('time', { datetime: saved.created_at, text: formatDate(saved.created_at, true) })),
        ratingControl(),
        renaming ? renameForm() : actions(),
        status,
      ),
      courseView(saved.course ?? {}, { title: saved.title, heading: 'h1' }),
    );
  };
  paint();
  return wrap;
}

// ---- one course ---------------------------------------------------------------------------

/**
 * A course (`CourseDocument`): title (`title` overrides the writer's: a renamed course), intro,
 * what was asked, the map, the stops in order, tips and who wrote it. `heading` is the title's
 * element (h2 under the page's h1; h1 on a course's own page). The writer's text is marked with
 * the course's language.
 */
export function courseView(doc, { title, heading = 'h2' } = {}) {
  const stops = Array.isArray(doc.stops) ? doc.stops : [];
  const tips = Array.isArray(doc.tips) ? doc.tips.filter(Boolean) : [];
  const textLang = doc.language === 'ko' || doc.language === 'en' ? doc.language : null;
  const headingId = `course-title-${++seq}`;
  const tags = [
    doc.region && regionName(doc.region),
    doc.season && t(`courses.season.${doc.season}`),
    doc.time_of_day && t(`courses.time.${doc.time_of_day}`),
    doc.transport && t(`courses.transport.${doc.transport}`),
    doc.budget && t(`courses.budget.${doc.budget}`),
    t('courses.stopsCount', { n: stops.length }),
    Number(doc.total_minutes) > 0 && t('courses.total', { d: C.minutesText(doc.total_minutes) }),
  ].filter(Boolean);
  return h(
    'article',
    {
      class: 'card course',
      'aria-labelledby': headingId,
      dataset: { stops: String(stops.length), provider: doc.provider ?? '', region: doc.region ?? '', language: doc.language ?? '' },
    },
    h(
      'header',
      { class: 'course-head' },
      h(heading, { id: headingId, class: 'course-title', lang: textLang, text: title ?? doc.title ?? '' }),
      doc.intro && h('p', { class: 'course-intro', lang: textLang, text: doc.intro }),
      h(
        'ul',
        { class: 'course-tags', 'aria-label': t('courses.asked', { what: '' }).replace(/[:：]\s*$/, '') },
        tags.map((x) => h('li', { text: x })),
        doc.mood && h('li', { class: 'course-tag-mood', lang: textLang, text: `“${doc.mood}”` }),
      ),
    ),
    h(
      'div',
      { class: 'course-body' },
      stops.length > 0 && courseMap(stops, doc.transport),
      h(
        'ol',
        { class: 'course-stops', 'aria-label': t('courses.stops') },
        stops.map((st, i) => stopItem(st, i, doc.transport, textLang)),
      ),
    ),
    tips.length > 0 &&
      h(
        'section',
        { class: 'course-tips', 'aria-labelledby': `${headingId}-tips` },
        h('h3', { id: `${headingId}-tips`, text: t('courses.tips') }),
        h(
          'ul',
          {},
          tips.map((tip) => h('li', { lang: textLang, text: tip })),
        ),
      ),
    h(
      'footer',
      { class: 'course-foot muted small' },
      h(
        'p',
        { class: 'course-provider', dataset: { provider: doc.provider ?? '' } },
        providerText(doc.provider),
        doc.model && doc.model !== doc.provider ? ` (${t('courses.model', { name: doc.model })})` : '',
      ),
      h('p', { class: 'course-grounded', text: t('courses.grounded') }),
    ),
  );
}

function providerText(provider) {
  const key = `courses.provider.${provider}`;
  const text = t(key);
  return text === key ? t('courses.providerOther', { name: provider || '?' }) : text;
}

function otherName(st, textLang) {
  // The name in the other language, small, when it differs (경복궁 under Gyeongbokgung Palace).
  const other = textLang === 'en' ? st.name_ko : st.name_en;
  return other && other !== st.name ? other : null;
}

function stopItem(st, i, transport, textLang) {
  const mode = C.TRANSPORTS.includes(transport) ? transport : 'walk';
  const other = otherName(st, textLang);
  return h(
    'li',
    { class: 'course-stop', dataset: { place: st.place_id ?? '', category: st.category ?? '', n: String(i + 1) } },
    h('span', { class: 'stop-num', 'aria-hidden': 'true', text: String(i + 1) }),
    h(
      'div',
      { class: 'stop-body' },
      i > 0
        ? h(
            'p',
            { class: 'stop-leg small', dataset: { minutes: String(st.travel_minutes ?? ''), km: String(st.distance_km ?? '') } },
            h('span', { 'aria-hidden': 'true', text: `${ICONS.transport[mode]} ` }),
            t(`courses.leg.${mode}`, { d: C.minutesText(st.travel_minutes), km: C.distanceText(st.distance_km) }),
          )
        : h('p', { class: 'stop-leg stop-first small', text: t('courses.start') }),
      h(
        'h3',
        { class: 'stop-name' },
        h('span', { class: 'sr-only', text: `${i + 1}. ` }),
        h('span', { class: 'stop-name-text', lang: textLang, text: st.name ?? '' }),
        other && h('span', { class: 'stop-name-other muted', lang: textLang === 'en' ? 'ko' : 'en', text: other }),
      ),
      h(
        'p',
        { class: 'stop-meta' },
        h('span', { class: 'stop-category', text: categoryLabel(st) }),
        h('span', { class: 'stop-time' }, t('courses.arrive', { time: st.arrival ?? '' }), ' · ', t('courses.stay', { d: C.minutesText(st.stay_minutes) })),
      ),
      st.note && h('p', { class: 'stop-note', lang: textLang, text: st.note }),
    ),
  );
}

function categoryLabel(st) {
  return C.categoryName(st.category);
}

// ---- the map ------------------------------------------------------------------------------

const MAP_W = 320;
const MAP_H = 220;
const MAP_PAD = 30;

/**
 * The stops on an inline SVG map, north up: numbered circles joined in order by lines labelled
 * with the travel minutes, a north arrow and a scale bar. Straight lines (the stops' order and
 * spread, not the streets). For assistive technology it is one image with a title and a
 * description listing the stops and travel times.
 */
function courseMap(stops, transport) {
  const id = `course-map-${++seq}`;
  const { points, pxPerKm } = C.project(stops, { width: MAP_W, height: MAP_H, pad: MAP_PAD });
  const name = (st) => st.name ?? st.place_id ?? '';
  const list = stops.map((st, i) =>
    i === 0
      ? t('courses.mapStop', { i: 1, name: name(st) })
      : t('courses.mapStopLeg', { i: i + 1, name: name(st), d: C.minutesText(st.travel_minutes), prev: i }),
  );
  const grid = [];
  for (let x = MAP_W / 6; x < MAP_W; x += MAP_W / 6) grid.push(s('line', { x1: x, y1: 0, x2: x, y2: MAP_H }));
  for (let y = MAP_H / 4; y < MAP_H; y += MAP_H / 4) grid.push(s('line', { x1: 0, y1: y, x2: MAP_W, y2: y }));
  const legs = [];
  const labels = [];
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1];
    const b = points[i];
    legs.push(s('line', { class: 'map-leg', 'data-leg': i, x1: a.x, y1: a.y, x2: b.x, y2: b.y }));
    const text = C.minutesText(stops[i].travel_minutes);
    const w = Math.max(28, text.length * 6.2 + 10);
    const at = C.legLabelAt(a, b, 11);
    const x = Math.min(Math.max(at.x, w / 2 + 2), MAP_W - w / 2 - 2);
    const y = Math.min(Math.max(at.y, 10), MAP_H - 10);
    labels.push(
      s(
        'g',
        { class: 'map-leg-label', 'data-leg': i, transform: `translate(${x} ${y})` },
        s('rect', { x: -w / 2, y: -8, width: w, height: 16, rx: 8 }),
        s('text', { 'text-anchor': 'middle', 'dominant-baseline': 'central' }, text),
      ),
    );
  }
  const bar = C.scaleBar(pxPerKm, MAP_W / 4);
  const scale =
    bar &&
    s(
      'g',
      { class: 'map-scale', transform: `translate(12 ${MAP_H - 12})` },
      s('path', { d: `M0 -5 V0 H${bar.px} V-5` }),
      s('text', { x: bar.px + 5, y: 0, 'dominant-baseline': 'central' }, C.distanceText(bar.km)),
    );
  return h(
    'figure',
    { class: 'course-map' },
    s(
      'svg',
      {
        class: `course-map-svg map-${C.TRANSPORTS.includes(transport) ? transport : 'walk'}`,
        viewBox: `0 0 ${MAP_W} ${MAP_H}`,
        role: 'img',
        'aria-labelledby': `${id}-title ${id}-desc`,
        focusable: 'false',
        'data-markers': points.length,
      },
      s('title', { id: `${id}-title` }, t('courses.mapTitle', { n: stops.length })),
      s('desc', { id: `${id}-desc` }, t('courses.mapDesc', { list: list.join('; ') })),
      s('rect', { class: 'map-bg', x: 0, y: 0, width: MAP_W, height: MAP_H, rx: 12 }),
      s('g', { class: 'map-grid' }, grid),
      s('g', { class: 'map-legs' }, legs),
      s('g', { class: 'map-leg-labels' }, labels),
      s(
        'g',
        { class: 'map-stops' },
        points.map((p, i) =>
          s(
            'g',
            { class: 'map-stop', 'data-stop': i + 1, transform: `translate(${p.x} ${p.y})`, 'aria-label': list[i] },
            s('title', {}, list[i]),
            s('circle', { r: 11 }),
            s('text', { 'text-anchor': 'middle', 'dominant-baseline': 'central' }, String(i + 1)),
          ),
        ),
      ),
      s(
        'g',
        { class: 'map-north', transform: `translate(${MAP_W - 18} 22)` },
        s('path', { d: 'M0 -12 L6 4 L0 0 L-6 4 Z' }),
        s('text', { y: 14, 'text-anchor': 'middle', 'dominant-baseline': 'central' }, t('courses.mapNorth')),
      ),
      scale,
    ),
    h('figcaption', { class: 'muted small', text: t('courses.mapNote') }),
  );
}
