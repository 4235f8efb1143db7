// The public gallery: newest or most liked, paged; like / unlike on every card.
// Sort and page live in the URL (#/gallery?sort=popular&page=2) so they survive navigation.

import * as api from '../api.js';
import { h, section, pager, segmented } from '../dom.js';
import { t } from '../i18n.js';
import { emojiCard } from '../ui.js';

const SIZE = 12;

export function render({ query, navigate }) {
  const sort = query.get('sort') === 'popular' ? 'popular' : 'new';
  const page = Math.max(1, Number.parseInt(query.get('page') ?? '1', 10) || 1);
  const go = (next) => navigate(`#/gallery?sort=${next.sort}&page=${next.page}`);

  const body = h('div', { class: 'gallery-body' });
  section(
    body,
    () => api.get(`/emojis?sort=${sort}&page=${page}&size=${SIZE}`),
    (res) => {
      if (res.items.length === 0) {
        return h('div', { class: 'empty' }, h('p', { text: t('gallery.empty') }), h('a', { class: 'btn btn-primary', href: '#/', text: t('nav.make') }));
      }
      return [h('ul', { class: 'grid', dataset: { sort } }, res.items.map(emojiCard)), pager(res.page, res.size, res.total, (p) => go({ sort, page: p }))];
    },
  );

  return h(
    'section',
    { class: 'gallery' },
    h(
      'div',
      { class: 'page-head row between' },
      h('div', {}, h('h1', { text: t('gallery.title') }), h('p', { class: 'lead', text: t('gallery.lead') })),
      segmented(
        'sort',
        t('gallery.sort'),
        [
          { value: 'new', label: t('gallery.new') },
          { value: 'popular', label: t('gallery.popular') },
        ],
        sort,
        (v) => go({ sort: v, page: 1 }),
      ),
    ),
    body,
  );
}
