// My reports (#/reports): what I reported and where each report stands
// (received → in review → resolved | dismissed), newest first, with a link to the reported
// post or product when there is one. GET /reports/mine pages by cursor.

import * as api from '../api.js';
import { h } from '../dom.js';
import { cursorList } from '../dom.js';
import { t, formatDate } from '../i18n.js';

const LINKS = { post: (id) => `#/p/${id}`, product: (id) => `#/m/${id}` };

export function reportItem(r) {
  const link = LINKS[r.target_type];
  return h(
    'li',
    { class: 'card report-item row', dataset: { id: r.id, status: r.status, target: r.target_id } },
    h('span', { class: `badge report-status status-${r.status}`, text: t(`report.status.${r.status}`) }),
    h(
      'span',
      { class: 'grow' },
      link ? h('a', { href: link(r.target_id), text: t(`report.type.${r.target_type}`) }) : t(`report.type.${r.target_type}`),
      ' · ',
      t(`report.reason.${r.reason}`),
      r.text ? h('span', { class: 'muted', text: ` — ${r.text}` }) : null,
    ),
    h('time', { class: 'muted', datetime: r.created_at, text: formatDate(r.created_at, true) }),
  );
}

export function render() {
  document.title = `${t('report.mineTitle')} · Moji`;
  const list = cursorList(h('div', { class: 'reports-wrap' }), {
    load: (cursor) => api.get(`/reports/mine?size=20${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { auth: 'required' }),
    list: () => h('ul', { class: 'report-list stack' }),
    item: reportItem,
    empty: () => h('p', { class: 'muted', text: t('report.none') }),
  });
  return h('section', { class: 'stack-lg' }, h('h1', { text: t('report.mineTitle') }), list);
}
