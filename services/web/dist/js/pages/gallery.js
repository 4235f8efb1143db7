// The public gallery: newest or most liked (all time, or likes received in the last 7 / 30
// days), paged; like / unlike on every card. Sort, period and page live in the URL
// (#/gallery?sort=popular&period=week&page=2) so they survive navigation.

import * as api from '../api.js';
import { h, section, pager, segmented } from '../dom.js';
import { t } from '../i18n.js';
import { emojiCard } from '../ui.js';

const SIZE = 12;
const PERIODS = ['week', 'month', 'all'];

export function render({ query, navigate }) {
  const sort = query.get('sort') === 'popular' ? 'popular' : 'new';
  const period = sort === 'popular' && PERIODS.includes(query.get('period')) ? query.get('period') : 'all';
  const page = Math.max(1, Number.parseInt(query.get('page') ?? '1', 10) || 1);
  const go = (next) => {
    const q = new URLSearchParams({ sort: next.sort });
    if (next.sort === 'popular' && next.period && next.period !== 'all') q.set('period', next.period);
    q.set('page', String(next.page));
    navigate(`#/gallery?${q}`);
  };

  // `period` only goes with sort=popular (the API refuses it with sort=new).
  const q = new URLSearchParams({ sort });
  if (sort === 'popular') q.set('period', period);
  q.set('page', String(page));
  q.set('size', String(SIZE));

  const body = h('div', { class: 'gallery-body' });
  section(
    body,
    () => api.get(`/emojis?${q}`),
    (res) => {
      if (res.items.length === 0) {
        return h('div', { class: 'empty' }, h('p', { text: t('gallery.empty') }), h('a', { class: 'btn btn-primary', href: '#/', text: t('nav.make') }));
      }
      return [
        h(
          'ul',
          { class: 'grid', dataset: { sort, period } },
          res.items.map((e) => emojiCard(e, { period: sort === 'popular' ? period : null })),
        ),
        pager(res.page, res.size, res.total, (p) => go({ sort, period, page: p })),
      ];
    },
  );

  return h(
    'section',
    { class: 'gallery' },
    h(
      'div',
      { class: 'page-head row between' },
      h('div', {}, h('h1', { text: t('gallery.title') }), h('p', { class: 'lead', text: t('gallery.lead') })),
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
          (v) => go({ sort: v, period, page: 1 }),
        ),
        sort === 'popular' &&
          segmented(
            'period',
            t('gallery.period'),
            PERIODS.map((p) => ({ value: p, label: t(`gallery.${p}`) })),
            period,
            (v) => go({ sort, period: v, page: 1 }),
          ),
      ),
    ),
    body,
  );
}
