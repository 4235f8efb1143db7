// The public gallery: newest or most liked (all time, or likes received in the last 7 / 30
// days), read with the API's cursors ("Load more" appends the next page); like / unlike on
// every card. Sort and period live in the URL (#/gallery?sort=popular&period=week) so they
// survive navigation; `size` (1–100) may be given there too.

import * as api from '../api.js';
import { h, cursorList, segmented, sizeOf } from '../dom.js';
import { t } from '../i18n.js';
import { emojiCard } from '../ui.js';

const SIZE = 12;
const PERIODS = ['week', 'month', 'all'];

/** The empty state of a window nobody has liked anything in yet. */
function noLikes(period) {
  return h(
    'div',
    { class: 'empty empty-period', dataset: { period } },
    h('p', { class: 'empty-icon', 'aria-hidden': 'true', text: '💤' }),
    h('p', { class: 'empty-title', text: t(period === 'week' ? 'gallery.noLikesWeek' : 'gallery.noLikesMonth') }),
    h('p', { text: t('gallery.noLikesHint') }),
    h(
      'p',
      { class: 'row center' },
      h('a', { class: 'btn btn-primary', href: '#/gallery?sort=new', text: t('gallery.new') }),
      h('a', { class: 'btn btn-ghost', href: '#/gallery?sort=popular&period=all', text: `${t('gallery.popular')} · ${t('gallery.all')}` }),
    ),
  );
}

export function render({ query, navigate }) {
  const sort = query.get('sort') === 'popular' ? 'popular' : 'new';
  const period = sort === 'popular' && PERIODS.includes(query.get('period')) ? query.get('period') : 'all';
  const size = sizeOf(query, SIZE);
  const windowed = period === 'week' || period === 'month';
  const go = (next) => {
    const q = new URLSearchParams({ sort: next.sort });
    if (next.sort === 'popular' && next.period && next.period !== 'all') q.set('period', next.period);
    if (size !== SIZE) q.set('size', String(size));
    navigate(`#/gallery?${q}`);
  };

  // `period` only goes with sort=popular (the API refuses it with sort=new). A cursor carries
  // its own position; the list's sort and period go with every page.
  const base = new URLSearchParams({ sort });
  if (sort === 'popular') base.set('period', period);
  base.set('size', String(size));

  const body = cursorList(h('div', { class: 'gallery-body' }), {
    load: (cursor) => {
      const q = new URLSearchParams(base);
      if (cursor) q.set('cursor', cursor);
      return api.get(`/emojis?${q}`);
    },
    list: () => h('ul', { class: 'grid', dataset: { sort, period } }),
    item: (e) => emojiCard(e, { period: sort === 'popular' ? period : null }),
    empty: () =>
      windowed
        ? noLikes(period)
        : h('div', { class: 'empty' }, h('p', { text: t('gallery.empty') }), h('a', { class: 'btn btn-primary', href: '#/', text: t('nav.make') })),
  });

  return h(
    'section',
    { class: 'gallery' },
    h(
      'div',
      { class: 'page-head row between' },
      h(
        'div',
        {},
        h('h1', { text: t('gallery.title') }),
        h('p', { class: 'lead', text: t('gallery.lead') }),
        windowed && h('p', { class: 'muted small window-hint', text: t(period === 'week' ? 'gallery.windowWeek' : 'gallery.windowMonth') }),
      ),
      h(
        'div',
        { class: 'controls' },
        segmented(
          'sort',
          t('gallery.sort'),
          [
            { value: 'new', label: t('gallery.new') },
            { value: 'popular', label: t('gallery.popular') },
          ],
          sort,
          (v) => go({ sort: v, period }),
        ),
        sort === 'popular' &&
          segmented(
            'period',
            t('gallery.period'),
            PERIODS.map((p) => ({ value: p, label: t(`gallery.${p}`) })),
            period,
            (v) => go({ sort, period: v }),
          ),
      ),
    ),
    body,
  );
}
