// One saved emoji (the page a shared link opens): the image, caption, owner, like, share,
// and delete for its owner.

import * as api from '../api.js';
import { h, section, toast } from '../dom.js';
import { t, tParts, formatDate } from '../i18n.js';
import { exprLabel, exprName, likeButton, share, userLink } from '../ui.js';

export function render({ params, navigate }) {
  const id = params[0];
  const body = h('div', {});
  section(
    body,
    () => api.get(`/emojis/${id}`),
    (e) => {
      const name = e.owner.display_name || e.owner.username;
      const mine = api.currentUser()?.username === e.owner.username;
      const del = async () => {
        if (!window.confirm(t('gallery.confirmDelete'))) return;
        try {
          await api.del(`/emojis/${e.id}`, { auth: 'required' });
          toast(t('gallery.deleted'));
          navigate('#/me');
        } catch (err) {
          toast(err.problem?.detail ?? t('error.unexpected'), 'error');
        }
      };
      return h(
        'article',
        { class: 'result-grid emoji-detail', dataset: { id: e.id, expression: e.expression } },
        h(
          'figure',
          { class: 'card result-figure' },
          h('img', { class: 'result-img', src: api.fileUrl(e.image_url), alt: t('gallery.imgAlt', { expr: exprName(e.expression), name }) }),
        ),
        h(
          'div',
          { class: 'card stack' },
          h('h1', { class: 'h-mid' }, exprLabel(e.expression)),
          e.caption && h('p', { class: 'emoji-caption big', text: e.caption }),
          h('p', { class: 'muted emoji-by' }, tParts('gallery.by', { name: userLink(e.owner) }), ` · ${formatDate(e.created_at, true)}`),
          h(
            'div',
            { class: 'row' },
            likeButton(e),
            e.visibility === 'public' &&
              h('button', { type: 'button', class: 'btn btn-ghost', onclick: () => share(`#/e/${e.id}`, e.caption), text: t('result.share') }),
            mine && h('button', { type: 'button', class: 'btn btn-ghost btn-danger', onclick: del, text: t('gallery.delete') }),
          ),
        ),
      );
    },
  );
  return h('section', { class: 'emoji-page' }, h('p', {}, h('a', { href: '#/gallery', text: `← ${t('gallery.title')}` })), body);
}
