// Inline SVG charts (no chart library). The SVG stretches to its box (bars only, so
// stretching is harmless); every label is HTML around it, so text never gets distorted.

import { h, s } from './dom.js';
import { t, formatNumber, lang } from './i18n.js';

function shortDate(iso) {
  const [y, m, d] = iso.split('-').map(Number);
  const date = new Date(Date.UTC(y, m - 1, d));
  return new Intl.DateTimeFormat(lang() === 'ko' ? 'ko-KR' : 'en-US', { month: 'short', day: 'numeric', timeZone: 'UTC' }).format(date);
}

/** Stacked bars per day (emoji + zodiac), with a legend and a table for screen readers. */
export function dailyChart(days) {
  const n = Math.max(days.length, 1);
  const step = 10;
  const W = n * step;
  const H = 100;
  const max = Math.max(1, ...days.map((d) => d.total));
  const total = days.reduce((a, d) => a + d.total, 0);
  const scale = (v) => (v / max) * (H - 2);

  const svg = s(
    'svg',
    { class: 'chart-svg', viewBox: `0 0 ${W} ${H}`, preserveAspectRatio: 'none', 'aria-hidden': 'true', focusable: 'false' },
    [0.25, 0.5, 0.75].map((f) =>
      s('line', { class: 'chart-grid', x1: 0, x2: W, y1: H - f * (H - 2), y2: H - f * (H - 2), 'vector-effect': 'non-scaling-stroke' }),
    ),
    days.map((d, i) => {
      const x = i * step + step * 0.15;
      const w = step * 0.7;
      const he = scale(d.emoji);
      const hz = scale(d.zodiac);
      return s(
        'g',
        {},
        s('title', {}, `${d.date}: ${d.emoji} emoji, ${d.zodiac} zodiac`),
        he > 0 && s('rect', { class: 'chart-emoji', x, width: w, y: H - he, height: he }),
        hz > 0 && s('rect', { class: 'chart-zodiac', x, width: w, y: H - he - hz, height: hz }),
      );
    }),
    s('line', { class: 'chart-axis', x1: 0, x2: W, y1: H - 0.5, y2: H - 0.5, 'vector-effect': 'non-scaling-stroke' }),
  );

  const first = days[0]?.date ?? '';
  const last = days[days.length - 1]?.date ?? '';
  const mid = days[Math.floor(days.length / 2)]?.date ?? '';
  return h(
    'figure',
    { class: 'chart' },
    h(
      'div',
      { class: 'chart-frame', role: 'img', 'aria-label': t('me.dailyLabel', { from: first, to: last, total }) },
      h('span', { class: 'chart-max', 'aria-hidden': 'true', text: t('me.max', { n: formatNumber(max) }) }),
      svg,
    ),
    h(
      'div',
      { class: 'chart-x', 'aria-hidden': 'true' },
      h('span', { text: first && shortDate(first) }),
      days.length > 2 && h('span', { text: shortDate(mid) }),
      h('span', { text: last && shortDate(last) }),
    ),
    h(
      'figcaption',
      { class: 'chart-legend' },
      h('span', { class: 'legend legend-emoji', text: t('me.totalEmoji') }),
      h('span', { class: 'legend legend-zodiac', text: t('me.totalZodiac') }),
    ),
    h(
      'details',
      { class: 'chart-table' },
      h('summary', { text: t('me.asTable') }),
      h(
        'div',
        { class: 'table-scroll' },
        h(
          'table',
          {},
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              h('th', { scope: 'col', text: t('me.date') }),
              h('th', { scope: 'col', text: t('me.totalEmoji') }),
              h('th', { scope: 'col', text: t('me.totalZodiac') }),
              h('th', { scope: 'col', text: t('me.totalFaces') }),
            ),
          ),
          h(
            'tbody',
            {},
            days
              .filter((d) => d.total > 0)
              .map((d) =>
                h('tr', {}, h('th', { scope: 'row', text: d.date }), h('td', { text: d.emoji }), h('td', { text: d.zodiac }), h('td', { text: d.faces })),
              ),
          ),
        ),
      ),
    ),
  );
}
