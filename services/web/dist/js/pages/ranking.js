// Rankings: emoji faces per template × expression (a heat table plus the top combinations),
// and the zodiac look-alikes of the period (weekly by default).

import * as api from '../api.js';
import { h, section, segmented, sr } from '../dom.js';
import { t, pick, formatNumber } from '../i18n.js';
import { EXPRESSIONS, exprEmoji, exprName, barList } from '../ui.js';

const PERIODS = ['week', 'month', 'all'];

function facesView([ranking, templates]) {
  const names = Object.fromEntries(templates.items.map((x) => [x.id, pick(x.name)]));
  const ids = [...new Set([...templates.items.map((x) => x.id), ...ranking.templates.map((x) => x.template)])];
  const count = {};
  for (const it of ranking.items) count[`${it.template}/${it.expression}`] = it.count;
  const max = Math.max(1, ...ranking.items.map((x) => x.count));

  const table = h(
    'div',
    { class: 'table-scroll' },
    h(
      'table',
      { class: 'heat' },
      h('caption', { class: 'sr-only', text: t('ranking.faces') }),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', { scope: 'col' }, sr(t('ranking.template'))),
          EXPRESSIONS.map((e) =>
            h('th', { scope: 'col', title: exprName(e) }, h('span', { 'aria-hidden': 'true', class: 'heat-emoji', text: exprEmoji(e) }), sr(exprName(e))),
          ),
        ),
      ),
      h(
        'tbody',
        {},
        ids.map((id) =>
          h(
            'tr',
            {},
            h('th', { scope: 'row', text: names[id] ?? id }),
            EXPRESSIONS.map((e) => {
              const n = count[`${id}/${e}`] ?? 0;
              return h('td', { class: n ? 'has' : 'zero', vars: { '--heat': String(n / max) } }, n ? formatNumber(n) : '·');
            }),
          ),
        ),
      ),
    ),
  );
  const top = ranking.items.slice(0, 5);
  return [
    h('p', { class: 'muted', text: t('ranking.facesTotal', { n: formatNumber(ranking.total) }) }),
    table,
    h('h3', { text: t('ranking.top') }),
    top.length === 0
      ? h('p', { class: 'muted', text: t('ranking.none') })
      : h(
          'ol',
          { class: 'top-list' },
          top.map((it) =>
            h(
              'li',
              {},
              h('span', { class: 'rank', text: `#${it.rank}` }),
              h('span', { class: 'top-emoji', 'aria-hidden': 'true', text: exprEmoji(it.expression) }),
              h('span', { class: 'top-text', text: `${names[it.template] ?? it.template} · ${exprName(it.expression)}` }),
              h('span', { class: 'top-count', text: formatNumber(it.count) }),
            ),
          ),
        ),
  ];
}

function zodiacView(ranking) {
  return [
    h('p', { class: 'muted', text: t('ranking.zodiacTotal', { n: formatNumber(ranking.total) }) }),
    barList(
      ranking.items.map((a) => ({
        key: a.animal,
        label: h(
          'span',
          { class: 'animal-label' },
          h('span', { class: 'rank', text: a.count > 0 ? `${a.rank}` : '–' }),
          h('span', { 'aria-hidden': 'true', text: `${a.emoji} ` }),
          pick(a.name),
        ),
        value: a.count,
        highlight: a.rank === 1 && a.count > 0,
      })),
      { label: t('ranking.zodiac'), className: 'bars-zodiac' },
    ),
  ];
}

export function render({ query, navigate }) {
  const period = PERIODS.includes(query.get('period')) ? query.get('period') : 'week';
  const faces = h('div', {});
  const zodiac = h('div', {});
  section(faces, () => Promise.all([api.get(`/faces/ranking?period=${period}`, { auth: 'none' }), api.get('/emoji-templates', { auth: 'none' })]), facesView);
  section(zodiac, () => api.get(`/zodiac/ranking?period=${period}`, { auth: 'none' }), zodiacView);
  return h(
    'section',
    { class: 'ranking' },
    h(
      'div',
      { class: 'page-head row between' },
      h('div', {}, h('h1', { text: t('ranking.title') }), h('p', { class: 'lead', text: t('ranking.lead') })),
      segmented(
        'period',
        t('ranking.period'),
        PERIODS.map((p) => ({ value: p, label: t(`ranking.${p}`) })),
        period,
        (v) => navigate(`#/ranking?period=${v}`),
      ),
    ),
    h(
      'div',
      { class: 'two-col' },
      h('section', { class: 'card', 'aria-labelledby': 'rk-faces' }, h('h2', { id: 'rk-faces', class: 'h-small', text: t('ranking.faces') }), faces),
      h('section', { class: 'card', 'aria-labelledby': 'rk-zodiac' }, h('h2', { id: 'rk-zodiac', class: 'h-small', text: t('ranking.zodiac') }), zodiac),
    ),
  );
}
