// Inline SVG charts (no chart library). The SVG stretches to its box (bars only, so
// stretching is harmless); every label is HTML around it, so text never gets distorted.

import { h, s } from './dom.js';
import { t, formatNumber, lang } from './i18n.js';

function utc(iso) {
  const [y, m, d] = iso.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d));
}

function fmt(iso, opts) {
  return new Intl.DateTimeFormat(lang() === 'ko' ? 'ko-KR' : 'en-US', { ...opts, timeZone: 'UTC' }).format(utc(iso));
}

/** How a bucket is named: "Mar 3" (day), "Mar 3 – 9" (week), "Mar 2025" (month). */
export function bucketLabel(b, group) {
  if (!b?.start) return '';
  if (group === 'month') return fmt(b.start, { year: 'numeric', month: 'short' });
  if (group === 'week' && b.end && b.end !== b.start)
    return `${fmt(b.start, { month: 'short', day: 'numeric' })} – ${fmt(b.end, { month: 'short', day: 'numeric' })}`;
  return fmt(b.start, { month: 'short', day: 'numeric' });
}

function axisLabel(b, group) {
  if (!b?.start) return '';
  return group === 'month' ? fmt(b.start, { year: '2-digit', month: 'short' }) : fmt(b.start, { month: 'short', day: 'numeric' });
}

// Fewer buckets than this are drawn centred in this many slots (one bar never fills the
// chart), each with its own label.
const MIN_SLOTS = 7;

/**
 * Stacked bars per bucket (day, week or month: emoji + zodiac), with a legend and a table
 * for screen readers. Buckets are `{start, end, emoji, zodiac, total, faces}`.
 */
export function bucketChart(buckets, group = 'day', heading = t('me.perDay')) {
  const slots = Math.max(buckets.length, MIN_SLOTS);
  const offset = Math.floor((slots - buckets.length) / 2);
  const step = 10;
  const W = slots * step;
  const H = 100;
  const max = Math.max(1, ...buckets.map((d) => d.total));
  const total = buckets.reduce((a, d) => a + d.total, 0);
  const scale = (v) => (v / max) * (H - 2);
  const span = (b) => (b.end && b.end !== b.start ? `${b.start} – ${b.end}` : b.start);

  const svg = s(
    'svg',
    { class: 'chart-svg', viewBox: `0 0 ${W} ${H}`, preserveAspectRatio: 'none', 'aria-hidden': 'true', focusable: 'false' },
    [0.25, 0.5, 0.75].map((f) =>
      s('line', { class: 'chart-grid', x1: 0, x2: W, y1: H - f * (H - 2), y2: H - f * (H - 2), 'vector-effect': 'non-scaling-stroke' }),
    ),
    buckets.map((d, i) => {
      const x = (offset + i) * step + step * 0.15;
      const w = step * 0.7;
      const he = scale(d.emoji);
      const hz = scale(d.zodiac);
      return s(
        'g',
        {},
        s('title', {}, `${span(d)}: ${d.emoji} emoji, ${d.zodiac} zodiac`),
        he > 0 && s('rect', { class: 'chart-emoji', x, width: w, y: H - he, height: he }),
        hz > 0 && s('rect', { class: 'chart-zodiac', x, width: w, y: H - he - hz, height: hz }),
      );
    }),
    s('line', { class: 'chart-axis', x1: 0, x2: W, y1: H - 0.5, y2: H - 0.5, 'vector-effect': 'non-scaling-stroke' }),
  );

  const first = buckets[0];
  const last = buckets[buckets.length - 1];
  const mid = buckets[Math.floor(buckets.length / 2)];
  return h(
    'figure',
    { class: 'chart', dataset: { group, buckets: String(buckets.length) } },
    h(
      'div',
      { class: 'chart-frame', role: 'img', 'aria-label': t('me.chartLabel', { heading, from: first?.start ?? '', to: last?.end ?? last?.start ?? '', total }) },
      h('span', { class: 'chart-max', 'aria-hidden': 'true', text: t('me.max', { n: formatNumber(max) }) }),
      svg,
    ),
    buckets.length < MIN_SLOTS
      ? h(
          'div',
          { class: 'chart-x chart-x-slots', 'aria-hidden': 'true', vars: { '--slots': String(slots) } },
          buckets.map((b, i) => h('span', { vars: { '--col': String(offset + i + 1) }, text: axisLabel(b, group) })),
        )
      : h(
          'div',
          { class: 'chart-x', 'aria-hidden': 'true' },
          h('span', { text: axisLabel(first, group) }),
          h('span', { text: axisLabel(mid, group) }),
          h('span', { text: axisLabel(last, group) }),
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
              h('th', { scope: 'col', text: group === 'day' ? t('me.date') : t('me.period') }),
              h('th', { scope: 'col', text: t('me.totalEmoji') }),
              h('th', { scope: 'col', text: t('me.totalZodiac') }),
              h('th', { scope: 'col', text: t('me.totalFaces') }),
            ),
          ),
          h(
            'tbody',
            {},
            buckets
              .filter((d) => d.total > 0)
              .map((d) =>
                h(
                  'tr',
                  {},
                  h('th', { scope: 'row', text: group === 'day' ? d.start : bucketLabel(d, group) }),
                  h('td', { text: d.emoji }),
                  h('td', { text: d.zodiac }),
                  h('td', { text: d.faces }),
                ),
              ),
          ),
        ),
      ),
    ),
  );
}
