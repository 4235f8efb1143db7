// My page: my results of both kinds (emoji and zodiac, with publish / share for zodiac), the
// emoji I saved or liked, challenges with progress, and statistics over a date range (all
// time by default), grouped by day, week or month, as an inline SVG chart.

import * as api from '../api.js';
import { h, section, pager, segmented } from '../dom.js';
import { t, pick, formatDate, formatNumber } from '../i18n.js';
import { emojiCard, exprEmoji, exprName, exprLabel, barList, logout, luckyItem, publishControl } from '../ui.js';
import { bucketChart } from '../charts.js';

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

/** My results of both kinds (`GET /users/me/results`), filtered by kind, paged. */
function results() {
  const state = { kind: 'all', page: 1 };
  const body = h('div', {});
  const load = () =>
    section(
      body,
      () => {
        const q = new URLSearchParams({ page: String(state.page), size: String(SIZE) });
        if (state.kind !== 'all') q.set('kind', state.kind);
        return api.get(`/users/me/results?${q}`, { auth: 'required' });
      },
      (res) =>
        res.items.length === 0
          ? h('div', { class: 'empty' }, h('p', { text: t('common.empty') }), h('a', { class: 'btn btn-primary', href: '#/', text: t('nav.make') }))
          : [
              h(
                'ul',
                { class: 'result-list', dataset: { kind: state.kind } },
                res.items.map((r) => (r.kind === 'zodiac' ? zodiacItem(r) : emojiItem(r))),
              ),
              pager(res.page, res.size, res.total, (p) => {
                state.page = p;
                load();
              }),
            ],
    );
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
          state.page = 1;
          load();
        },
      ),
    ),
    body,
  );
}

/** Emoji I saved, and emoji I liked (`GET /users/me/emojis?case=made|liked`). */
function collection() {
  const state = { kind: 'made', page: 1 };
  const body = h('div', {});
  const load = () =>
    section(
      body,
      () => api.get(`/users/me/emojis?case=${state.kind}&page=${state.page}&size=${SIZE}`, { auth: 'required' }),
      (res) =>
        res.items.length === 0
          ? h(
              'div',
              { class: 'empty' },
              h('p', { text: t('common.empty') }),
              h('a', {
                class: 'btn btn-primary',
                href: state.kind === 'liked' ? '#/gallery' : '#/',
                text: state.kind === 'liked' ? t('nav.gallery') : t('nav.make'),
              }),
            )
          : [
              h(
                'ul',
                { class: 'grid grid-small', dataset: { case: state.kind } },
                res.items.map((e) => emojiCard(e, { owner: state.kind === 'liked' })),
              ),
              pager(res.page, res.size, res.total, (p) => {
                state.page = p;
                load();
              }),
            ],
    );
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
          state.page = 1;
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

export function render({ navigate }) {
  const user = api.currentUser();
  return h(
    'section',
    { class: 'me stack-lg' },
    h(
      'div',
      { class: 'page-head profile' },
      h('span', { class: 'avatar', 'aria-hidden': 'true', text: (user.display_name || user.username).slice(0, 1).toUpperCase() }),
      h(
        'div',
        { class: 'profile-text' },
        h('h1', { text: user.display_name || user.username }),
        h('p', { class: 'muted', text: `@${user.username} · ${user.email}` }),
        h('p', { class: 'small' }, h('a', { href: `#/u/${encodeURIComponent(user.username)}`, id: 'me-public', text: t('me.publicPage') })),
      ),
      h('button', { type: 'button', class: 'btn btn-ghost btn-small', id: 'me-logout', onclick: () => logout(navigate), text: t('account.logout') }),
    ),
    results(),
    collection(),
    challenges(),
    statistics(),
  );
}
