// My page: my avatar (change it from a photo, or remove it), links to my public page, my
// followers and whom I follow; my posts (those whose photos are being processed or failed
// included, with their state) and my products; my results of both kinds
// (emoji and zodiac, with publish / share for zodiac), the emoji I saved (publish / unpublish,
// edit the caption) or liked, challenges with progress, and statistics over a date range (all
// time by default), grouped by day, week or month, as an inline SVG chart. The long lists load
// more by the API's cursors.

import * as api from '../api.js';
import { h, append, clear, errorBox, toast, section, cursorList, segmented } from '../dom.js';
import { t, pick, formatDate, formatNumber } from '../i18n.js';
import { emojiCard, exprEmoji, exprName, exprLabel, barList, logout, luckyItem, publishControl, productCard } from '../ui.js';
import { bucketChart } from '../charts.js';
import { avatar, refusal, pollUntil, IMAGE_TYPES } from '../media.js';
import { postList } from './posts.js';

const SIZE = 8;
let animals = null;

function isoDay(d) {
  return d.toISOString().slice(0, 10);
}

/** One of my emoji results (`GET /users/me/results`, kind emoji). */
function emojiItem(r) {
  const e = r.emoji ?? {};
  return h(
    'li',
    { class: 'result-item', dataset: { task: r.task_id, kind: 'emoji', expression: e.expression } },
    h(
      'a',
      // The same link as the text link below: kept out of the tab order and the a11y tree.
      { class: 'result-visual', href: `#/task/${r.task_id}`, tabindex: '-1', 'aria-hidden': 'true' },
      e.thumbnail_url
        ? h('img', { src: api.fileUrl(e.thumbnail_url), alt: '', loading: 'lazy', width: '96', height: '96' })
        : h('span', { class: 'result-glyph', 'aria-hidden': 'true', text: exprEmoji(e.expression) }),
    ),
    h(
      'div',
      { class: 'result-body' },
      h('p', { class: 'result-title' }, e.expression ? exprLabel(e.expression) : t('me.kindEmoji')),
      h('p', { class: 'muted small', text: `${t('me.kindEmoji')} · ${e.faces === 1 ? t('me.facesOne') : t('me.faces', { n: e.faces ?? 0 })}` }),
      h(
        'p',
        { class: 'small row' },
        h('a', { href: `#/task/${r.task_id}`, text: t('me.openResult') }),
        e.emoji_id ? h('a', { href: `#/e/${e.emoji_id}`, text: t('result.view') }) : h('span', { class: 'muted', text: t('me.unsaved') }),
      ),
      h('p', { class: 'muted small', text: formatDate(r.finished_at ?? r.created_at, true) }),
    ),
  );
}

/** One of my zodiac results: animal, fortune, lucky item, and publish / share. */
function zodiacItem(r) {
  const z = r.zodiac ?? {};
  const pill = h('span', { class: 'pill vis-pill' });
  const paintPill = (v) => {
    pill.dataset.visibility = v;
    pill.textContent = t(`zodiac.visibility.${v}`);
  };
  paintPill(z.visibility === 'public' ? 'public' : 'private');
  const name = pick(z.animal_name) || z.animal;
  const li = h(
    'li',
    { class: 'result-item result-zodiac', dataset: { task: r.task_id, kind: 'zodiac', animal: z.animal } },
    h(
      'a',
      { class: 'result-visual zodiac-visual', href: `#/task/${r.task_id}`, tabindex: '-1', 'aria-hidden': 'true' },
      h('span', { class: 'result-glyph', 'aria-hidden': 'true', text: z.animal_emoji || '🐾' }),
    ),
    h(
      'div',
      { class: 'result-body' },
      h(
        'p',
        { class: 'result-title row between' },
        h('span', {}, h('span', { class: 'sr-only', text: `${t('me.kindZodiac')}: ` }), h('strong', { class: 'animal-name-small', text: name })),
        pill,
      ),
      h('p', { class: 'fortune fortune-small', text: pick(z.fortune) }),
      luckyItem(z.lucky_item),
      h(
        'p',
        { class: 'muted small' },
        formatDate(r.finished_at ?? r.created_at, true),
        ' · ',
        h('a', { href: `#/task/${r.task_id}`, text: t('me.openResult') }),
      ),
    ),
    h(
      'div',
      { class: 'result-actions' },
      publishControl({ task_id: r.task_id, visibility: z.visibility }, { compact: true, onChange: (v) => paintPill(v.visibility) }),
    ),
  );
  return li;
}

/** My results of both kinds (`GET /users/me/results`), filtered by kind, "Load more" by cursor. */
function results() {
  const state = { kind: 'all' };
  const body = h('div', {});
  const load = () => {
    const kind = state.kind;
    cursorList(body, {
      load: (cursor) => {
        const q = new URLSearchParams({ size: String(SIZE) });
        if (kind !== 'all') q.set('kind', kind);
        if (cursor) q.set('cursor', cursor);
        return api.get(`/users/me/results?${q}`, { auth: 'required' });
      },
      list: () => h('ul', { class: 'result-list', dataset: { kind } }),
      item: (r) => (r.kind === 'zodiac' ? zodiacItem(r) : emojiItem(r)),
      key: (r) => r.task_id,
      empty: () => h('div', { class: 'empty' }, h('p', { text: t('common.empty') }), h('a', { class: 'btn btn-primary', href: '#/', text: t('nav.make') })),
    });
  };
  load();
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'me-results' },
    h(
      'div',
      { class: 'row between' },
      h('h2', { id: 'me-results', class: 'h-small', text: t('me.results') }),
      segmented(
        'kind',
        t('me.kind'),
        [
          { value: 'all', label: t('me.kindAll') },
          { value: 'emoji', label: t('me.kindEmoji') },
          { value: 'zodiac', label: t('me.kindZodiac') },
        ],
        state.kind,
        (v) => {
          state.kind = v;
          load();
        },
      ),
    ),
    body,
  );
}

/**
 * Publish / unpublish one of my saved emoji and edit its caption (`PATCH /emojis/{id}`).
 * `card` is its gallery card, kept in step with what the API confirmed. Failures show the
 * problem's detail (and a caption's field error next to the field) inside the card.
 */
function manageEmoji(e, card) {
  const cur = { caption: e.caption ?? '', visibility: e.visibility === 'public' ? 'public' : 'private' };
  const box = h('div', { class: 'manage', dataset: { id: e.id } });
  const status = h('div', { class: 'form-status' });
  let editing = false;
  let busy = false;

  const paintCard = () => {
    card.dataset.visibility = cur.visibility;
    const body = card.querySelector('.emoji-card-body');
    let cap = card.querySelector('.emoji-caption');
    if (!cur.caption) cap?.remove();
    else if (cap) cap.textContent = cur.caption;
    else body?.prepend((cap = h('p', { class: 'emoji-caption', text: cur.caption })));
    const img = card.querySelector('.emoji-card-img img');
    const alt = t('gallery.imgAlt', { expr: exprName(e.expression), name: e.owner?.display_name || e.owner?.username || '' });
    if (img) img.alt = cur.caption ? `${cur.caption} — ${alt}` : alt;
  };

  /** Sends a change; true when the API took it. */
  const send = async (change, onError) => {
    if (busy) return false;
    busy = true;
    box.setAttribute('aria-busy', 'true');
    for (const b of box.querySelectorAll('button')) b.disabled = true;
    clear(status);
    try {
      const view = await api.patch(`/emojis/${e.id}`, change, { auth: 'required' });
      cur.caption = view.caption ?? '';
      cur.visibility = view.visibility === 'public' ? 'public' : 'private';
      paintCard();
      return true;
    } catch (err) {
      onError(err);
      return false;
    } finally {
      busy = false;
      box.removeAttribute('aria-busy');
      for (const b of box.querySelectorAll('button')) b.disabled = false;
    }
  };

  const toggle = async () => {
    const next = cur.visibility === 'public' ? 'private' : 'public';
    const ok = await send({ visibility: next }, (err) => status.append(errorBox(err, toggle)));
    if (ok) {
      paint();
      box.querySelector('.vis-toggle')?.focus();
      toast(cur.visibility === 'public' ? t('emoji.published') : t('emoji.unpublished'));
    }
  };

  const captionForm = () => {
    const inputId = `cap-${e.id}`;
    const errId = `${inputId}-error`;
    const input = h('input', {
      id: inputId,
      class: 'caption-input',
      name: 'caption',
      type: 'text',
      maxlength: '200',
      value: cur.caption,
      autocomplete: 'off',
      'aria-describedby': `${inputId}-hint ${errId}`,
    });
    const fieldError = h('p', { class: 'field-error', id: errId, hidden: true });
    const form = h(
      'form',
      { class: 'caption-form stack', novalidate: true },
      h(
        'div',
        { class: 'field', dataset: { field: 'caption' } },
        h('label', { for: inputId, text: t('emoji.caption') }),
        input,
        h('p', { class: 'field-hint', id: `${inputId}-hint`, text: t('emoji.captionHint') }),
        fieldError,
      ),
      h(
        'div',
        { class: 'row' },
        h('button', { type: 'submit', class: 'btn btn-primary btn-small save-caption', text: t('emoji.save') }),
        h('button', {
          type: 'button',
          class: 'btn btn-ghost btn-small cancel-caption',
          onclick: () => {
            editing = false;
            clear(status);
            paint();
            box.querySelector('.edit-caption')?.focus();
          },
          text: t('emoji.cancel'),
        }),
      ),
    );
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      fieldError.hidden = true;
      input.removeAttribute('aria-invalid');
      const ok = await send({ caption: input.value }, (err) => {
        const msg = err.problem?.errors?.find((f) => f.field === 'caption')?.message;
        if (msg) {
          fieldError.textContent = msg;
          fieldError.hidden = false;
          input.setAttribute('aria-invalid', 'true');
        }
        status.append(errorBox(err, null, { fields: !msg }));
        input.focus();
      });
      if (ok) {
        editing = false;
        paint();
        box.querySelector('.edit-caption')?.focus();
        toast(t('emoji.captionSaved'));
      }
    });
    return form;
  };

  const paint = () => {
    box.dataset.visibility = cur.visibility;
    const isPublic = cur.visibility === 'public';
    // Every card has these buttons: their accessible names say which emoji they act on.
    const what = cur.caption || exprName(e.expression);
    const toggleText = isPublic ? t('emoji.unpublish') : t('emoji.publish');
    append(clear(box), [
      h(
        'p',
        { class: 'manage-status row' },
        h('span', { class: 'pill vis-pill', dataset: { visibility: cur.visibility }, text: t(`zodiac.visibility.${cur.visibility}`) }),
      ),
      editing
        ? captionForm()
        : h(
            'div',
            { class: 'row manage-actions' },
            h('button', {
              type: 'button',
              class: ['btn', 'btn-small', 'vis-toggle', isPublic ? 'btn-ghost' : 'btn-primary'],
              dataset: { to: isPublic ? 'private' : 'public' },
              onclick: toggle,
              'aria-label': `${toggleText}: ${what}`,
              text: toggleText,
            }),
            h('button', {
              type: 'button',
              class: 'btn btn-ghost btn-small edit-caption',
              onclick: () => {
                editing = true;
                clear(status);
                paint();
                box.querySelector('.caption-input')?.focus();
              },
              'aria-label': `${t('emoji.editCaption')}: ${what}`,
              text: t('emoji.editCaption'),
            }),
          ),
      status,
    ]);
  };
  paint();
  return box;
}

/** One of my saved emoji: its card with publish / unpublish and caption editing. */
function savedCard(e) {
  const card = emojiCard(e, { owner: false });
  card.dataset.visibility = e.visibility;
  card.querySelector('.emoji-card-body')?.append(manageEmoji(e, card));
  return card;
}

/** Emoji I saved, and emoji I liked (`GET /users/me/emojis?case=made|liked`), "Load more" by cursor. */
function collection() {
  const state = { kind: 'made' };
  const body = h('div', {});
  const load = () => {
    const kind = state.kind;
    cursorList(body, {
      load: (cursor) => {
        const q = new URLSearchParams({ case: kind, size: String(SIZE) });
        if (cursor) q.set('cursor', cursor);
        return api.get(`/users/me/emojis?${q}`, { auth: 'required' });
      },
      list: () => h('ul', { class: 'grid grid-small', dataset: { case: kind } }),
      item: (e) => (kind === 'made' ? savedCard(e) : emojiCard(e, { owner: true })),
      empty: () =>
        h(
          'div',
          { class: 'empty' },
          h('p', { text: t('common.empty') }),
          h('a', {
            class: 'btn btn-primary',
            href: kind === 'liked' ? '#/gallery' : '#/',
            text: kind === 'liked' ? t('nav.gallery') : t('nav.make'),
          }),
        ),
    });
  };
  load();
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'me-collection' },
    h(
      'div',
      { class: 'row between' },
      h('h2', { id: 'me-collection', class: 'h-small', text: t('me.collection') }),
      segmented(
        'case',
        t('me.collection'),
        [
          { value: 'made', label: t('me.made') },
          { value: 'liked', label: t('me.liked') },
        ],
        state.kind,
        (v) => {
          state.kind = v;
          load();
        },
      ),
    ),
    body,
  );
}

function challenges() {
  const body = h('div', {});
  section(
    body,
    () => api.get('/users/me/challenges', { auth: 'required' }),
    (res) => [
      h('p', { class: 'muted', text: t('me.achieved', { n: res.achieved, total: res.items.length }) }),
      h(
        'ul',
        { class: 'challenges' },
        res.items.map((c) => {
          const ratio = c.progress.goal > 0 ? Math.min(1, c.progress.current / c.progress.goal) : 0;
          return h(
            'li',
            { class: ['challenge', c.achieved && 'is-done'], dataset: { id: c.id } },
            h('span', { class: 'challenge-icon', 'aria-hidden': 'true', text: c.achieved ? '🏅' : '🎯' }),
            h(
              'div',
              { class: 'challenge-body' },
              h('strong', { text: pick(c.title) }),
              h('span', { class: 'muted small', text: pick(c.description) }),
              h(
                'div',
                { class: 'challenge-progress' },
                h('progress', { max: String(c.progress.goal), value: String(c.progress.current), 'aria-label': pick(c.title) }),
                h('span', { class: 'small', text: `${c.progress.current}/${c.progress.goal}` }),
              ),
              c.achieved && c.awarded_at && h('span', { class: 'small done', text: t('me.done', { date: formatDate(c.awarded_at) }) }),
            ),
            h('span', { class: 'sr-only', text: `${Math.round(ratio * 100)}%` }),
          );
        }),
      ),
    ],
  );
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'me-challenges' },
    h('h2', { id: 'me-challenges', class: 'h-small', text: t('me.challenges') }),
    body,
  );
}

const GROUPS = ['auto', 'day', 'week', 'month'];

function statistics() {
  const today = isoDay(new Date());
  // Empty dates: all time (the API's default: from my first result to today).
  const fromInput = h('input', { type: 'date', id: 'stat-from', name: 'from', max: today, 'aria-describedby': 'stat-hint' });
  const toInput = h('input', { type: 'date', id: 'stat-to', name: 'to', max: today, 'aria-describedby': 'stat-hint' });
  const groupSelect = h(
    'select',
    { id: 'stat-group', name: 'group' },
    GROUPS.map((g) => h('option', { value: g, text: t(`me.group${g[0].toUpperCase()}${g.slice(1)}`) })),
  );
  const body = h('div', {});
  const load = () => {
    const q = new URLSearchParams();
    if (fromInput.value) q.set('from', fromInput.value);
    if (toInput.value) q.set('to', toInput.value);
    if (groupSelect.value !== 'auto') q.set('group', groupSelect.value);
    section(
      body,
      async () => {
        const [stats, list] = await Promise.all([
          api.get(`/users/me/statistics${q.toString() ? `?${q}` : ''}`, { auth: 'required' }),
          animals ?? api.get('/zodiac/animals', { auth: 'none' }).then((r) => r.items),
        ]);
        animals = list;
        return stats;
      },
      (st) => {
        const byId = Object.fromEntries(animals.map((a) => [a.id, a]));
        const chip = (label, n) =>
          h('div', { class: 'stat' }, h('span', { class: 'stat-n', text: formatNumber(n) }), h('span', { class: 'muted small', text: label }));
        const group = ['day', 'week', 'month'].includes(st.group) ? st.group : 'day';
        const heading = t(`me.per${group[0].toUpperCase()}${group.slice(1)}`);
        return [
          h(
            'p',
            { class: 'muted small stat-range', dataset: { group, from: st.from, to: st.to } },
            `${st.from} – ${st.to}`,
            st.time_zone && [' · ', h('span', { class: 'stat-tz', text: t('me.timeZone', { tz: st.time_zone }) })],
          ),
          h(
            'div',
            { class: 'stats' },
            chip(t('me.totalResults'), st.totals.results),
            chip(t('me.totalEmoji'), st.totals.emoji),
            chip(t('me.totalZodiac'), st.totals.zodiac),
            chip(t('me.totalFaces'), st.totals.faces),
          ),
          h('h3', { text: heading }),
          bucketChart(st.buckets ?? [], group, heading),
          h(
            'div',
            { class: 'two-col' },
            h(
              'div',
              {},
              h('h3', { text: t('me.expressions') }),
              barList(
                st.expressions.map((e) => ({
                  key: e.expression,
                  label: h('span', {}, h('span', { 'aria-hidden': 'true', text: `${exprEmoji(e.expression)} ` }), exprName(e.expression)),
                  value: e.count,
                })),
                { label: t('me.expressions'), className: 'bars-compact' },
              ),
            ),
            h(
              'div',
              {},
              h('h3', { text: t('me.animals') }),
              barList(
                st.animals.map((a) => ({
                  key: a.animal,
                  label: h(
                    'span',
                    {},
                    h('span', { 'aria-hidden': 'true', text: `${byId[a.animal]?.emoji ?? ''} ` }),
                    byId[a.animal] ? pick(byId[a.animal].name) : a.animal,
                  ),
                  value: a.count,
                })),
                { label: t('me.animals'), className: 'bars-compact' },
              ),
            ),
          ),
        ];
      },
    );
  };
  const form = h(
    'form',
    { class: 'range', novalidate: true },
    h('div', { class: 'field' }, h('label', { for: 'stat-from', text: t('me.from') }), fromInput),
    h('div', { class: 'field' }, h('label', { for: 'stat-to', text: t('me.to') }), toInput),
    h('div', { class: 'field field-group' }, h('label', { for: 'stat-group', text: t('me.group') }), groupSelect),
    h(
      'div',
      { class: 'range-actions' },
      h('button', { type: 'submit', class: 'btn btn-ghost', text: t('me.apply') }),
      h('button', {
        type: 'button',
        class: 'btn btn-ghost',
        id: 'stat-all',
        onclick: () => {
          fromInput.value = '';
          toInput.value = '';
          load();
        },
        text: t('me.allTime'),
      }),
    ),
    h('p', { class: 'field-hint range-hint', id: 'stat-hint', text: t('me.rangeHint') }),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    load(); // a bad range is explained by the API's problem detail
  });
  load();
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'me-stats' },
    h('div', { class: 'stats-head stack' }, h('h2', { id: 'me-stats', class: 'h-small', text: t('me.stats') }), form),
    body,
  );
}

/**
 * My avatar and how to change it: a photo is uploaded at once (`POST /uploads`, the PUT with
 * a progress bar), then `PATCH /users/me {avatar: key}`; it shows as processing until the
 * API made its thumbnail (read again every second from my public profile). Remove sends
 * `{avatar: null}`.
 */
function avatarEditor(user) {
  let profile = { username: user.username, display_name: user.display_name, avatar: null };
  let busy = false;
  const slot = h('div', { class: 'avatar-slot' });
  const status = h('div', { class: 'form-status avatar-status' });
  const bar = h('progress', { class: 'avatar-bar', max: '100', value: '0', hidden: true, 'aria-label': t('me.avatarUploading') });
  const input = h('input', { type: 'file', id: 'avatar-file', class: 'sr-only', accept: IMAGE_TYPES.join(',') });
  const change = h('label', { for: 'avatar-file', class: 'btn btn-ghost btn-small avatar-change', text: t('me.avatarChange') });
  const remove = h('button', { type: 'button', class: 'btn btn-ghost btn-small avatar-remove', text: t('me.avatarRemove') });
  const box = h('div', { class: 'avatar-edit' }, slot, h('div', { class: 'avatar-buttons' }, input, change, remove), bar, status);

  const paint = () => {
    const state = profile.avatar?.status ?? 'none';
    box.dataset.avatar = state;
    append(clear(slot), [
      avatar(profile),
      state === 'processing' && h('span', { class: 'avatar-note small muted', role: 'status', text: t('me.avatarProcessing') }),
      state === 'failed' && h('span', { class: 'avatar-note small', role: 'alert', text: t('me.avatarFailed') }),
    ]);
    remove.hidden = !profile.avatar;
    input.disabled = busy;
    remove.disabled = busy;
  };
  const watch = () =>
    pollUntil(
      () => api.get(`/users/${encodeURIComponent(user.username)}`),
      (p) => p.avatar?.status !== 'processing',
      {
        alive: () => box.isConnected,
        onUpdate: (p) => {
          profile = p;
          paint();
        },
      },
    );
  const run = async (fn) => {
    if (busy) return;
    busy = true;
    clear(status);
    paint();
    try {
      await fn();
    } catch (err) {
      status.append(errorBox(err));
    } finally {
      busy = false;
      bar.hidden = true;
      paint();
    }
  };

  input.addEventListener('change', () => {
    const file = input.files[0];
    input.value = '';
    if (!file) return;
    const why = refusal(file);
    if (why) {
      clear(status).append(errorBox({ problem: { detail: why } }));
      return;
    }
    run(async () => {
      bar.value = 0;
      bar.hidden = false;
      const ticket = await api.uploadImage(file, { onProgress: (p) => (bar.value = p) });
      await api.patch('/users/me', { avatar: ticket.key }, { auth: 'required' });
      profile = { ...profile, avatar: { status: 'processing' } };
      toast(t('me.avatarSaved'));
      watch();
    });
  });
  remove.addEventListener('click', () =>
    run(async () => {
      await api.patch('/users/me', { avatar: null }, { auth: 'required' });
      profile = { ...profile, avatar: null };
      toast(t('me.avatarRemoved'));
      change.focus();
    }),
  );

  paint();
  api
    .get(`/users/${encodeURIComponent(user.username)}`)
    .then((p) => {
      profile = p;
      paint();
      if (p.avatar?.status === 'processing') watch();
    })
    .catch(() => {}); // the initial shows meanwhile; changing it still works
  return box;
}

/** My posts, pending and failed ones included (GET /users/me/posts). */
function myPosts() {
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'me-posts' },
    h(
      'div',
      { class: 'row between' },
      h('h2', { id: 'me-posts', class: 'h-small', text: t('me.posts') }),
      h('a', { class: 'btn btn-small btn-ghost', href: '#/feed', text: t('posts.compose') }),
    ),
    postList('/users/me/posts', { size: 5, name: 'my-posts', author: false, empty: () => h('p', { class: 'empty', text: t('user.noPosts') }) }),
  );
}

/** My products, pending and failed ones included (GET /users/me/products). */
function myProducts() {
  const body = cursorList(h('div', {}), {
    load: (cursor) => {
      const q = new URLSearchParams({ size: '6' });
      if (cursor) q.set('cursor', cursor);
      return api.get(`/users/me/products?${q}`, { auth: 'required' });
    },
    list: () => h('ul', { class: 'product-grid', dataset: { list: 'my-products' } }),
    item: (p) => productCard(p, { seller: false }),
    empty: () => h('p', { class: 'empty', text: t('user.noProducts') }),
  });
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'me-products' },
    h(
      'div',
      { class: 'row between' },
      h('h2', { id: 'me-products', class: 'h-small', text: t('me.products') }),
      h('a', { class: 'btn btn-small btn-ghost', href: '#/sell', text: t('market.sell') }),
    ),
    body,
  );
}

export function render({ navigate }) {
  const user = api.currentUser();
  return h(
    'section',
    { class: 'me stack-lg' },
    h(
      'div',
      { class: 'page-head profile' },
      avatarEditor(user),
      h(
        'div',
        { class: 'profile-text' },
        h('h1', { text: user.display_name || user.username }),
        h('p', { class: 'muted', text: `@${user.username} · ${user.email}` }),
        h(
          'p',
          { class: 'small row me-links' },
          h('a', { href: `#/u/${encodeURIComponent(user.username)}`, id: 'me-public', text: t('me.publicPage') }),
          h('a', { href: `#/u/${encodeURIComponent(user.username)}/followers`, id: 'me-followers', text: t('me.followers') }),
          h('a', { href: `#/u/${encodeURIComponent(user.username)}/following`, id: 'me-following', text: t('me.following') }),
          h('a', { href: '#/reports', id: 'me-reports', text: t('report.mineTitle') }),
        ),
      ),
      h('button', { type: 'button', class: 'btn btn-ghost btn-small', id: 'me-logout', onclick: () => logout(navigate), text: t('account.logout') }),
    ),
    myPosts(),
    myProducts(),
    results(),
    collection(),
    challenges(),
    statistics(),
  );
}
