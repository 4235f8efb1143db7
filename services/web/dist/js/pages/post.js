// One post (#/p/{id}): its title, author (a link to their page), photos, text (as text, line
// breaks kept), tags (links to each tag's posts), like button with its count and who liked
// it, the view count, and its comments. GET /posts/{id} is read with the token when signed in
// (the API counts a view once per viewer per hour). While its photos are processed (only its
// author sees it then) it says so and is read again every second until it is published or
// failed. Its author can edit it in place (PATCH /posts/{id}) and delete it (DELETE
// /posts/{id}, after a confirm step in the page). Under it and its comments, once published:
// similar posts (recommend.js; nothing when there are none or the call fails). The time the
// page is on the screen is told when the person leaves. Others can report it (report.js).

import * as api from '../api.js';
import { h, append, clear, errorBox, loading, toast } from '../dom.js';
import { t, tParts, formatDate } from '../i18n.js';
import { userLink, tagList, likeButton, viewCount, postForm } from '../ui.js';
import { gallery, statusBadge, settle } from '../media.js';
import { commentsSection, likers } from '../comments.js';
import { similarSection, trackDwell } from '../recommend.js';
import { reportButton } from '../report.js';

export function render({ params, navigate, onLeave }) {
  const id = params[0];
  const root = h('article', { class: 'post-page stack-lg', dataset: { id } });
  const top = h('div', { class: 'stack-lg' });
  const commentsBox = h('div', {});
  // Similar posts go after the article (the post and its comments), not in it: the page's
  // own selectors never reach into the cards.
  const similarBox = h('div', { class: 'rec-slot' });
  const dwell = trackDwell(id, onLeave);
  let post = null;
  let editing = false;
  const status = h('div', { class: 'form-status post-status' });

  const mine = () => api.currentUser()?.username === post.author?.username;

  const actions = () => {
    const box = h('div', { class: 'row post-actions' });
    const plain = () =>
      append(clear(box), [
        h('button', {
          type: 'button',
          class: 'btn btn-ghost btn-small edit-post',
          onclick: () => {
            editing = true;
            paint();
            root.querySelector('.post-title-input')?.focus();
          },
          text: t('posts.edit'),
        }),
        h('button', {
          type: 'button',
          class: 'btn btn-ghost btn-small delete-post',
          onclick: () => {
            confirm();
            box.querySelector('.cancel-delete')?.focus();
          },
          text: t('posts.delete'),
        }),
      ]);
    const remove = async () => {
      const yes = box.querySelector('.confirm-delete');
      if (yes.disabled) return;
      for (const b of box.querySelectorAll('button')) b.disabled = true;
      clear(status);
      try {
        await api.del(`/posts/${id}`, { auth: 'required' });
        toast(t('posts.deleted'));
        navigate('#/feed');
      } catch (err) {
        status.append(errorBox(err, remove));
        for (const b of box.querySelectorAll('button')) b.disabled = false;
      }
    };
    const confirm = () =>
      append(clear(box), [
        h('p', { class: 'post-confirm-text', role: 'alert', text: t('posts.deleteConfirm') }),
        h('button', { type: 'button', class: 'btn btn-small btn-danger confirm-delete', onclick: remove, text: t('posts.deleteYes') }),
        h('button', {
          type: 'button',
          class: 'btn btn-ghost btn-small cancel-delete',
          onclick: () => {
            plain();
            box.querySelector('.delete-post')?.focus();
          },
          text: t('emoji.cancel'),
        }),
      ]);
    plain();
    return box;
  };

  const paint = () => {
    clear(status);
    const head = editing
      ? [
          h('h1', { class: 'sr-only', text: post.title }),
          postForm({
            initial: post,
            submitText: t('emoji.save'),
            submit: (body) => api.patch(`/posts/${id}`, body, { auth: 'required' }),
            done: (view) => {
              post = view;
              editing = false;
              paint();
              toast(t('posts.saved'));
              root.querySelector('.edit-post')?.focus();
            },
            cancel: () => {
              editing = false;
              paint();
              root.querySelector('.edit-post')?.focus();
            },
            className: 'card edit-form',
          }),
        ]
      : [
          h('h1', { class: 'post-title', text: post.title }),
          h(
            'p',
            { class: 'post-meta muted' },
            h('span', { class: 'post-author' }, tParts('gallery.by', { name: userLink(post.author) })),
            ' · ',
            h('time', { datetime: post.created_at, text: formatDate(post.created_at, true) }),
            post.updated_at && post.updated_at !== post.created_at ? h('span', { class: 'post-edited', text: ` · ${t('posts.edited')}` }) : null,
          ),
          statusBadge(post),
          gallery(post.images, { alt: post.title }),
          post.text ? h('div', { class: 'post-text card', text: post.text }) : null,
          tagList(post.tags),
        ];
    const published = post.status === 'published';
    root.dataset.status = post.status ?? 'published';
    append(clear(top), [
      head,
      !editing && h('div', { class: 'post-foot' }, likeButton(post, { base: '/posts', loginKey: 'posts.loginToLike' }), viewCount(post.view_count)),
      !editing && published && likers(post),
      !editing && mine() && actions(),
      !editing && !mine() && published && reportButton('post', post.id),
      status,
    ]);
    // The conversation stays as it is while the post is edited; it starts once published.
    if (published && !commentsBox.firstChild) commentsBox.append(commentsSection(post));
    if (published && !similarBox.firstChild) similarBox.append(similarSection('posts', post.id));
  };

  const load = async () => {
    clear(root).append(loading());
    root.setAttribute('aria-busy', 'true');
    try {
      post = await api.get(`/posts/${encodeURIComponent(id)}`);
      append(clear(root), [top, commentsBox]);
      paint();
      document.title = `${post.title} · Moji`;
      dwell.ready();
      settle(post, `/posts/${post.id}`, root, (view) => {
        post = view;
        if (!editing) paint();
      });
    } catch (err) {
      clear(root).append(
        h('h1', { text: t('error.title') }),
        err.status === 404 ? errorBox({ problem: { detail: t('posts.notFound'), code: 'not_found' } }) : errorBox(err, load),
      );
    } finally {
      root.removeAttribute('aria-busy');
    }
  };
  load();
  return h('div', { class: 'stack-lg' }, root, similarBox);
}
