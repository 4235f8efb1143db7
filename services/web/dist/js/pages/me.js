// My page: my results (saved emoji, or every emoji result), challenges with progress, and
// statistics over a date range as an inline SVG chart.

import * as api from '../api.js';
import { h, section, pager, segmented } from '../dom.js';
import { t, pick, formatDate, formatNumber } from '../i18n.js';
import { emojiCard, exprEmoji, exprName, barList, logout } from '../ui.js';
import { dailyChart } from '../charts.js';

const SIZE = 8;
let animals = null;

function isoDay(d) {
  return d.toISOString().slice(0, 10);
}

function usedCard(u) {
  return h(
    'li',
    { class: 'card emoji-card', dataset: { task: u.task_id, expression: u.expression } },
    h(
      'a',
      { class: 'emoji-card-img', href: `#/task/${u.task_id}` },
      u.thumbnail_url
        ? h('img', {
            src: api.fileUrl(u.thumbnail_url),
            alt: t('gallery.imgAlt', { expr: exprName(u.expression), name: api.currentUser()?.display_name ?? '' }),
            loading: 'lazy',
            width: '256',
            height: '256',
          })
        : h('span', { class: 'emoji-missing', 'aria-hidden': 'true', text: exprEmoji(u.expression) }),
      h('span', { class: 'emoji-badge', 'aria-hidden': 'true', text: exprEmoji(u.expression) }),
    ),
    h(
      'div',
      { class: 'emoji-card-body' },
      h(
        'p',
        { class: 'emoji-meta' },
        h('span', { text: `${exprName(u.expression)} · ${u.faces === 1 ? t('me.facesOne') : t('me.faces', { n: u.faces })}` }),
        u.emoji_id ? h('a', { href: `#/e/${u.emoji_id}`, text: t('result.view') }) : h('span', { class: 'muted small', text: t('me.unsaved') }),
      ),
      h('p', { class: 'emoji-date muted small', text: formatDate(u.created_at, true) }),
    ),
  );
}

function results() {
  const state = { kind: 'made', page: 1 };
  const body = h('div', {});
  const load = () =>
    section(
      body,
      () => api.get(`/users/me/emojis?case=${state.kind}&page=${state.page}&size=${SIZE}`, { auth: 'required' }),
      (res) =>
        res.items.length === 0
          ? h('div', { class: 'empty' }, h('p', { text: t('common.empty') }), h('a', { class: 'btn btn-primary', href: '#/', text: t('nav.make') }))
          : [
              h('ul', { class: 'grid grid-small', dataset: { case: state.kind } }, res.items.map(state.kind === 'made' ? emojiCard : usedCard)),
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
        'case',
        t('me.results'),
        [
          { value: 'made', label: t('me.made') },
          { value: 'used', label: t('me.used') },
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

function statistics() {
  const today = new Date();
  const from = new Date(today.getTime() - 29 * 86_400_000);
  const fromInput = h('input', { type: 'date', id: 'stat-from', name: 'from', value: isoDay(from), max: isoDay(today), required: true });
  const toInput = h('input', { type: 'date', id: 'stat-to', name: 'to', value: isoDay(today), max: isoDay(today), required: true });
  const body = h('div', {});
  const load = () => {
    const q = new URLSearchParams({ from: fromInput.value, to: toInput.value });
    section(
      body,
      async () => {
        const [stats, list] = await Promise.all([
          api.get(`/users/me/statistics?${q}`, { auth: 'required' }),
          animals ?? api.get('/zodiac/animals', { auth: 'none' }).then((r) => r.items),
        ]);
        animals = list;
        return stats;
      },
      (st) => {
        const byId = Object.fromEntries(animals.map((a) => [a.id, a]));
        const chip = (label, n) =>
          h('div', { class: 'stat' }, h('span', { class: 'stat-n', text: formatNumber(n) }), h('span', { class: 'muted small', text: label }));
        return [
          h(
            'div',
            { class: 'stats' },
            chip(t('me.totalResults'), st.totals.results),
            chip(t('me.totalEmoji'), st.totals.emoji),
            chip(t('me.totalZodiac'), st.totals.zodiac),
            chip(t('me.totalFaces'), st.totals.faces),
          ),
          h('h3', { text: t('me.daily') }),
          dailyChart(st.days),
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
    h('button', { type: 'submit', class: 'btn btn-ghost', text: t('me.apply') }),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    load(); // a bad range is explained by the API's problem detail
  });
  load();
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'me-stats' },
    h('div', { class: 'row between wrap-row' }, h('h2', { id: 'me-stats', class: 'h-small', text: t('me.stats') }), form),
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
      ),
      h('button', { type: 'button', class: 'btn btn-ghost btn-small', id: 'me-logout', onclick: () => logout(navigate), text: t('account.logout') }),
    ),
    results(),
    challenges(),
    statistics(),
  );
}
