// One task: live progress (queued → steps → done) over SSE, falling back to polling, then
// the result: the emoji image with a numbered box and an expression chart per face, or the
// zodiac animal with its reasons, fortune and lucky item; emoji results can be saved and
// shared, zodiac results published and shared (#/z/{id}).

import * as api from '../api.js';
import { h, s, clear, errorBox, toast, segmented, section } from '../dom.js';
import { t, pick } from '../i18n.js';
import { watchTask, FINAL } from '../task.js';
import { EXPRESSIONS, exprEmoji, exprName, exprLabel, barList, pct, share, luckyItem, publishControl } from '../ui.js';

const known = new Map();
let animals = null;

/** Keeps the upload's answer and the local preview for the task page that follows. */
export function remember(task, preview) {
  known.set(task.id, { view: task, preview });
}

const STEPS = {
  emoji: ['queued', 'decode', 'detect', 'classify', 'composite', 'encode', 'store', 'done'],
  zodiac: ['queued', 'decode', 'detect', 'classify', 'zodiac', 'done'],
};

const FAILED_AT = { no_face_detected: 'detect', invalid_image: 'decode', image_too_large: 'decode' };
// The worker reports fetching the photo as `download`; to a person that is reading the photo.
const SHOWN_AS = { download: 'decode' };

function loadAnimals() {
  if (animals) return Promise.resolve(animals);
  return api.get('/zodiac/animals', { auth: 'none' }).then((r) => (animals = r.items));
}

function stepLabel(step) {
  const key = `task.step.${step}`;
  const text = t(key);
  return text === key ? step : text;
}

function clock(d = new Date()) {
  return d.toTimeString().slice(0, 8);
}

export function render({ params, onLeave }) {
  const id = params[0];
  const cached = known.get(id);
  let steps = STEPS[cached?.view.kind] ?? STEPS.emoji;
  let shownFinal = false;
  let watched = false; // saw the task before it was final (so a zodiac result is still private)

  const title = h('h1', { text: t('task.progressTitle') });
  const pill = h('span', { class: 'pill', dataset: { status: 'queued' } });
  const fill = h('span', { class: 'progress-fill' });
  const bar = h(
    'div',
    { class: 'progress', role: 'progressbar', 'aria-valuemin': '0', 'aria-valuemax': '100', 'aria-valuenow': '0', 'aria-label': t('task.progressLabel') },
    fill,
  );
  const stepList = h('ol', { class: 'steps' });
  const mode = h('span', { class: 'live-mode muted small' });
  const note = h('p', { class: 'note small', hidden: true });
  const log = h('ol', { class: 'timeline', 'aria-label': t('task.live') });
  const cancelBtn = h('button', { type: 'button', class: 'btn btn-ghost btn-small', text: t('task.cancel'), onclick: cancel });
  const announce = h('p', { class: 'sr-only', 'aria-live': 'polite' });
  const thumb = cached?.preview ? h('img', { class: 'progress-thumb', src: cached.preview, alt: t('make.previewAlt') }) : null;

  const progressCard = h(
    'section',
    { class: 'card progress-card', 'aria-labelledby': 'progress-h', dataset: { mode: 'sse' } },
    h(
      'div',
      { class: 'progress-head' },
      thumb,
      h(
        'div',
        { class: 'progress-main' },
        h('h2', { id: 'progress-h', class: 'h-small' }, t('task.progress'), ' ', mode),
        h('div', { class: 'row between' }, pill, cancelBtn),
        bar,
      ),
    ),
    stepList,
    note,
    h('details', { class: 'log', open: true }, h('summary', { text: t('task.live') }), log),
    announce,
  );
  const resultArea = h('div', { class: 'result-area' });

  let reached = 0; // furthest step seen, kept for a failed or cancelled task

  function paintSteps(view) {
    if (view.status === 'running') {
      let i = steps.indexOf(SHOWN_AS[view.step] ?? view.step);
      if (i < 0 && view.step) {
        steps = [...steps.slice(0, -1), view.step, 'done'];
        i = steps.length - 2;
      }
      reached = Math.max(reached, i, 1);
    }
    if (view.status === 'failed' && reached === 0) {
      // Failed before a live event said where: the error code tells.
      reached = Math.max(1, steps.indexOf(FAILED_AT[view.error?.code] ?? 'decode'));
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
  }

  function update(view, source) {
    if (view.kind === 'zodiac' && !steps.includes('zodiac')) steps = STEPS.zodiac;
    if (!FINAL.has(view.status)) watched = true;
    pill.dataset.status = view.status;
    pill.textContent = t(`task.status.${view.status}`);
    const progress = Math.max(0, Math.min(100, view.progress ?? 0));
    bar.setAttribute('aria-valuenow', String(progress));
    fill.style.setProperty('--v', String(progress / 100));
    paintSteps(view);
    const stepText = view.status === 'running' && view.step ? ` · ${stepLabel(view.step)}` : '';
    log.append(
      h(
        'li',
        { dataset: { status: view.status, step: view.step ?? '', source, progress: String(progress) } },
        h('time', { text: clock() }),
        h('span', { text: `${t(`task.status.${view.status}`)}${stepText} · ${progress}%` }),
        h('span', { class: `src src-${source}`, text: source === 'sse' ? 'SSE' : source === 'poll' ? 'poll' : 'upload' }),
      ),
    );
    while (log.children.length > 30) log.firstChild.remove();
    announce.textContent = `${t(`task.status.${view.status}`)}${stepText}`;
    cancelBtn.hidden = FINAL.has(view.status);
    if (FINAL.has(view.status) && !shownFinal) {
      shownFinal = true;
      progressCard.classList.add('is-final');
      log.parentElement.open = false;
      showFinal(view);
    }
  }

  function showFinal(view) {
    clear(resultArea);
    title.textContent = t('task.title');
    document.title = `${t('task.title')} · Moji`;
    if (view.status === 'succeeded') {
      resultArea.append(view.kind === 'zodiac' ? zodiacResult(view, watched) : emojiResult(view));
    } else if (view.status === 'failed') {
      resultArea.append(
        errorBox({ problem: { detail: view.error?.detail || t('task.failed'), code: view.error?.code } }, null, { title: t('task.failed') }),
        h('a', { class: 'btn btn-primary', href: '#/', text: t('task.again') }),
      );
    } else {
      resultArea.append(h('p', { class: 'alert', text: t('task.cancelled') }), h('a', { class: 'btn btn-primary', href: '#/', text: t('task.again') }));
    }
  }

  async function cancel() {
    cancelBtn.disabled = true;
    try {
      const view = await api.del(`/faces/tasks/${id}`, { auth: 'required' });
      update(view, 'poll');
    } catch (err) {
      toast(err.problem?.detail ?? t('error.unexpected'), 'error');
    } finally {
      cancelBtn.disabled = false;
    }
  }

  const setMode = (m) => {
    progressCard.dataset.mode = m;
    mode.textContent = `· ${m === 'sse' ? t('task.liveSse') : m === 'offline' ? t('task.offline') : t('task.livePoll')}`;
    if (m !== 'sse' && !shownFinal) {
      note.hidden = false;
      note.textContent = m === 'offline' ? t('task.offline') : t('task.fallback');
    }
  };
  setMode('sse');

  if (cached) update(cached.view, 'upload');
  else paintSteps({ status: 'queued' });

  const stop = watchTask(id, {
    onUpdate: update,
    onMode: setMode,
    onError: (err) => {
      clear(resultArea).append(errorBox(err));
      progressCard.hidden = true;
    },
  });
  onLeave(stop);

  return h('section', { class: 'task', dataset: { task: id } }, title, progressCard, resultArea);
}

// ---- results ------------------------------------------------------------------------------

/** The image with an SVG overlay: a numbered rounded box per face. */
function photoWithBoxes(src, alt, boxes, size) {
  const img = h('img', { src: api.fileUrl(src), alt, class: 'result-img' });
  const wrap = h('div', { class: 'photo-wrap' }, img);
  const draw = (w, hgt) => {
    if (!w || !hgt || wrap.querySelector('svg')) return;
    const stroke = Math.max(2, w / 160);
    const r = Math.max(10, w / 28);
    wrap.append(
      s(
        'svg',
        { class: 'overlay', viewBox: `0 0 ${w} ${hgt}`, 'aria-hidden': 'true', focusable: 'false' },
        boxes.map((b, i) =>
          s(
            'g',
            { class: 'face-box' },
            s('rect', { x: b.x, y: b.y, width: b.width, height: b.height, rx: b.width / 8, 'stroke-width': stroke }),
            s('circle', { cx: b.x, cy: b.y, r }),
            s('text', { x: b.x, y: b.y, 'font-size': r * 1.2, 'text-anchor': 'middle', 'dominant-baseline': 'central' }, String(i + 1)),
          ),
        ),
      ),
    );
  };
  if (size?.width && size?.height) draw(size.width, size.height);
  else img.addEventListener('load', () => draw(img.naturalWidth, img.naturalHeight), { once: true });
  return wrap;
}

function emojiResult(view) {
  const r = view.result ?? {};
  const faces = r.faces ?? [];
  const list = faces.map((f, i) => `${t('result.face', { n: i + 1 })} ${exprName(f.expression)}`).join(', ');
  const figure = h(
    'figure',
    { class: 'card result-figure' },
    photoWithBoxes(
      r.image_url,
      t('result.imageAlt', { list }),
      faces.map((f) => f.box),
      { width: r.width, height: r.height },
    ),
    h('figcaption', { class: 'muted', text: faces.length === 1 ? t('result.facesOne') : t('result.faces', { n: faces.length }) }),
  );
  const faceCards = faces.map((f, i) => {
    const top = f.expression;
    return h(
      'article',
      { class: 'card face-card', dataset: { expression: f.expression }, 'aria-labelledby': `face-${i}` },
      h(
        'header',
        { class: 'face-head' },
        h('span', { class: 'face-num', 'aria-hidden': 'true', text: String(i + 1) }),
        h('h2', { id: `face-${i}`, class: 'h-small' }, h('span', { class: 'sr-only', text: `${t('result.face', { n: i + 1 })}: ` }), exprLabel(f.expression)),
        h('span', { class: 'muted small', text: t('result.confidence', { pct: pct(f.confidence) }) }),
      ),
      barList(
        EXPRESSIONS.filter((e) => e in (f.scores ?? {})).map((e) => ({
          key: e,
          label: h('span', {}, h('span', { 'aria-hidden': 'true', text: `${exprEmoji(e)} ` }), exprName(e)),
          value: f.scores[e],
          display: `${pct(f.scores[e])}%`,
          highlight: e === top,
        })),
        { max: 1, label: t('result.chartLabel', { n: i + 1 }), className: 'bars-compact' },
      ),
    );
  });
  return h('div', { class: 'result-grid' }, figure, h('div', { class: 'result-side' }, faceCards, saveCard(view)));
}

function saveCard(view) {
  const status = h('div', { class: 'form-status' });
  let visibility = 'public';
  const caption = h('input', { id: 'caption', name: 'caption', type: 'text', maxlength: '200', placeholder: t('result.captionPh'), autocomplete: 'off' });
  const save = h('button', { type: 'submit', class: 'btn btn-primary', id: 'save', text: t('result.save') });
  const form = h(
    'form',
    { class: 'stack', novalidate: true },
    h('div', { class: 'field' }, h('label', { for: 'caption', text: t('result.caption') }), caption),
    segmented(
      'visibility',
      t('result.visibility'),
      [
        { value: 'public', label: t('result.public') },
        { value: 'private', label: t('result.private') },
      ],
      visibility,
      (v) => (visibility = v),
      { showLabel: true },
    ),
    status,
    h('div', { class: 'row' }, save, h('a', { class: 'btn btn-ghost', href: '#/', text: t('result.another') })),
  );
  const card = h(
    'section',
    { class: 'card save-card', 'aria-labelledby': 'save-h' },
    h('h2', { id: 'save-h', class: 'h-small', text: t('result.saveTitle') }),
    form,
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clear(status);
    save.disabled = true;
    try {
      const body = { task_id: view.id, visibility };
      if (caption.value.trim()) body.caption = caption.value.trim();
      const emoji = await api.post('/emojis', body, { auth: 'required' });
      const link = `#/e/${emoji.id}`;
      clear(form).append(
        h(
          'div',
          { class: 'saved', role: 'status', dataset: { emoji: emoji.id } },
          h('p', { class: 'saved-title' }, h('span', { 'aria-hidden': 'true', text: '🎉 ' }), t('result.saved')),
          h('p', { class: 'muted', text: emoji.visibility === 'public' ? t('result.savedPublic') : t('result.savedPrivate') }),
          h(
            'div',
            { class: 'row' },
            h('a', { class: 'btn btn-primary', href: link, text: t('result.view') }),
            emoji.visibility === 'public' && h('a', { class: 'btn btn-ghost', href: '#/gallery', id: 'open-gallery', text: t('result.viewGallery') }),
            emoji.visibility === 'public' &&
              h('button', { type: 'button', class: 'btn btn-ghost', onclick: () => share(link, emoji.caption), text: t('result.share') }),
            h('a', { class: 'btn btn-ghost', href: '#/', text: t('result.another') }),
          ),
        ),
      );
    } catch (err) {
      status.append(errorBox(err));
      save.disabled = false;
    }
  });
  return card;
}

/**
 * Publish & share for a zodiac result. One that finished while we watched is private (every
 * zodiac result starts private); otherwise ask the API how it is shared now.
 */
function publishCard(view, fresh) {
  const body = h('div', {});
  if (fresh) body.append(publishControl({ task_id: view.id, visibility: 'private' }));
  else
    section(
      body,
      () => api.get(`/zodiac/results/${view.id}`, { auth: 'required' }),
      (z) => publishControl(z),
    );
  return h(
    'section',
    { class: 'card publish-card', 'aria-labelledby': 'publish-h' },
    h('h2', { id: 'publish-h', class: 'h-small', text: t('zodiac.shareTitle') }),
    body,
  );
}

function zodiacResult(view, fresh) {
  const r = view.result ?? {};
  const figure = h(
    'figure',
    { class: 'card result-figure' },
    photoWithBoxes(r.image_url, t('result.zodiacAlt'), r.box ? [r.box] : [], null),
    h('figcaption', { class: 'muted' }, exprLabel(r.expression), ` · ${t('result.confidence', { pct: pct(r.confidence ?? 0) })}`),
  );
  const info = h('div', { class: 'zodiac-info' });
  const card = h(
    'article',
    { class: 'card zodiac-card', dataset: { animal: r.animal }, 'aria-labelledby': 'animal-h' },
    h('p', { class: 'muted', text: t('result.youLookLike') }),
    h(
      'div',
      { class: 'animal' },
      h('span', { class: 'animal-emoji', 'aria-hidden': 'true', dataset: { slot: 'emoji' } }),
      h('h2', { id: 'animal-h', class: 'animal-name', text: pick(r.animal_name) }),
    ),
    info,
    h('h3', { text: t('result.why') }),
    h(
      'ul',
      { class: 'reasons' },
      (r.reasons ?? []).map((x) => h('li', { dataset: { feature: x.feature }, text: pick(x.text) })),
    ),
    h('h3', { text: t('result.fortune') }),
    h('blockquote', { class: 'fortune', text: pick(r.fortune) }),
    luckyItem(r.lucky_item),
    h('h3', { text: t('result.otherAnimals') }),
    h('div', { class: 'other-animals' }),
    h('div', { class: 'row' }, h('a', { class: 'btn btn-ghost', href: '#/', text: t('result.another') })),
  );
  const scores = Object.entries(r.scores ?? {})
    .sort((a, b) => b[1] - a[1])
    .slice(0, 5);
  const paintAnimals = (list) => {
    const byId = Object.fromEntries((list ?? []).map((a) => [a.id, a]));
    const me = byId[r.animal];
    card.querySelector('[data-slot="emoji"]').textContent = me?.emoji ?? '🐾';
    if (me) clear(info).append(h('p', { class: 'traits', text: pick(me.traits) }));
    const rows = scores.map(([id, v]) => ({
      key: id,
      label: h('span', {}, h('span', { 'aria-hidden': 'true', text: `${byId[id]?.emoji ?? ''} ` }), byId[id] ? pick(byId[id].name) : id),
      value: v,
      display: `${pct(v)}%`,
      highlight: id === r.animal,
    }));
    clear(card.querySelector('.other-animals')).append(barList(rows, { max: scores[0]?.[1] || 1, label: t('result.otherAnimals'), className: 'bars-compact' }));
  };
  paintAnimals(null);
  loadAnimals().then(paintAnimals, () => {
    // Names fall back to ids; the verdict itself is already shown.
  });
  return h('div', { class: 'result-grid' }, figure, h('div', { class: 'result-side' }, card, publishCard(view, fresh)));
}
