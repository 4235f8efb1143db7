// The conversation under a post (#/p/{id}): top-level comments oldest first, read by cursor
// ("Load more"), each with its likes, its replies (one level deep, shown on request and read
// by cursor too) and, for its author, Edit; its author and the post's author may delete it
// (after a confirm step; its replies go with it). Signed in: a box to comment at the end and
// Reply under every top-level comment. Also who liked the post.

import * as api from './api.js';
import { h, append, clear, errorBox, cursorList, toast } from './dom.js';
import { t, formatDate, formatNumber } from './i18n.js';
import { userLink, likeButton, formFields, sendForm } from './ui.js';

const SIZE = 20;

function pageOf(path, cursor) {
  const q = new URLSearchParams({ size: String(SIZE) });
  if (cursor) q.set('cursor', cursor);
  return api.get(`${path}?${q}`);
}

function loginLink(key) {
  return h('p', { class: 'muted comment-login' }, h('a', { href: `#/login?next=${encodeURIComponent(location.hash.slice(1))}`, text: t(key) }));
}

/** A form with one text field: a comment, a reply or an edit. */
function textForm({ label, initial = '', submitText, submit, done, cancel = null, className = '' }) {
  const fields = formFields('comment');
  const text = h('textarea', { class: 'comment-input', rows: '2', maxlength: '1000' });
  text.value = initial;
  const status = h('div', { class: 'form-status' });
  const send = h('button', { type: 'submit', class: 'btn btn-primary btn-small comment-submit', text: submitText });
  const form = h(
    'form',
    { class: ['comment-form', className], novalidate: true },
    fields.field('text', label, text, t('comments.hint')),
    status,
    h(
      'div',
      { class: 'row' },
      send,
      cancel && h('button', { type: 'button', class: 'btn btn-ghost btn-small comment-cancel', onclick: cancel, text: t('emoji.cancel') }),
    ),
  );
  sendForm(form, {
    fields,
    status,
    button: send,
    submit: () => submit(text.value),
    done: (x) => {
      text.value = '';
      done(x);
    },
  });
  return { form, text };
}

/**
 * One comment (or reply). `ctx`: the post, `change(delta)` for the post's comment count,
 * `removed(c)` once the API deleted it, and `reply` false on replies (no Reply, no replies).
 */
function commentItem(c, ctx) {
  const me = api.currentUser()?.username;
  const mine = Boolean(me) && me === c.author?.username;
  const mayDelete = mine || (Boolean(me) && me === ctx.post.author?.username);
  const li = h('li', { class: ['comment', !ctx.reply && 'is-reply'], dataset: { id: c.id } });
  const body = h('div', { class: 'comment-body' });
  const status = h('div', { class: 'comment-status form-status' });
  let mode = 'plain'; // 'plain' | 'editing' | 'confirming'

  // ---- replies (top-level comments only) ----
  let repliesCtl = null;
  let repliesLoaded = false;
  const repliesBox = h('div', { class: 'replies', id: `replies-${c.id}`, hidden: true });
  const toggle = h('button', { type: 'button', class: 'btn btn-ghost btn-small replies-toggle', 'aria-controls': repliesBox.id });
  const replySlot = h('div', { class: 'reply-slot' });
  const paintToggle = () => {
    const open = !repliesBox.hidden;
    toggle.hidden = c.reply_count <= 0 && !open;
    toggle.setAttribute('aria-expanded', String(open));
    toggle.dataset.n = String(c.reply_count);
    toggle.textContent = open
      ? t('comments.hideReplies')
      : t(c.reply_count === 1 ? 'comments.showReplyOne' : 'comments.showReplies', { n: formatNumber(c.reply_count) });
  };
  const openReplies = () => {
    repliesBox.hidden = false;
    if (!repliesLoaded) {
      repliesLoaded = true;
      cursorList(repliesBox, {
        load: (cursor) => pageOf(`/comments/${c.id}/replies`, cursor),
        list: () => h('ol', { class: 'comment-list reply-list', dataset: { list: 'replies' } }),
        item: (r) =>
          commentItem(r, {
            ...ctx,
            reply: false,
            removed: (x) => {
              repliesCtl?.drop(x.id);
              c.reply_count = Math.max(0, c.reply_count - 1);
              paintToggle();
              ctx.change(-1);
            },
          }),
        empty: () => h('p', { class: 'muted small', text: t('comments.noReplies') }),
        ref: (x) => (repliesCtl = x),
      });
    }
    paintToggle();
  };
  toggle.addEventListener('click', () => {
    if (repliesBox.hidden) openReplies();
    else {
      repliesBox.hidden = true;
      paintToggle();
    }
  });
  const startReply = () => {
    if (replySlot.firstChild) {
      replySlot.querySelector('textarea')?.focus();
      return;
    }
    const close = () => {
      clear(replySlot);
      body.querySelector('.reply-btn')?.focus();
    };
    const { form, text } = textForm({
      label: t('comments.replyTo', { name: c.author?.display_name || c.author?.username || '' }),
      submitText: t('comments.replySend'),
      submit: (value) => api.post(`/posts/${ctx.post.id}/comments`, { text: value, parent_id: c.id }, { auth: 'required' }),
      done: (r) => {
        clear(replySlot);
        c.reply_count += 1;
        ctx.change(1);
        toast(t('comments.replied'));
        // A list already read gets it at its end; otherwise reading it brings it along.
        if (!(repliesLoaded && !repliesBox.hidden && repliesCtl?.append(r))) {
          repliesLoaded = false;
          openReplies();
        }
        paintToggle();
      },
      cancel: close,
      className: 'reply-form',
    });
    replySlot.append(form);
    text.focus();
  };

  // ---- the comment itself ----
  const remove = async () => {
    const yes = body.querySelector('.confirm-delete-comment');
    if (yes?.disabled) return;
    for (const b of body.querySelectorAll('.comment-actions button')) b.disabled = true;
    clear(status);
    try {
      await api.del(`/comments/${c.id}`, { auth: 'required' });
      toast(t('comments.deleted'));
      ctx.removed(c);
    } catch (err) {
      status.append(errorBox(err, remove));
      for (const b of body.querySelectorAll('.comment-actions button')) b.disabled = false;
    }
  };

  const actions = () => {
    if (mode === 'confirming') {
      return h(
        'div',
        { class: 'comment-actions comment-confirm', role: 'group', 'aria-labelledby': `del-${c.id}` },
        h('p', {
          class: 'comment-confirm-text',
          id: `del-${c.id}`,
          text: t(ctx.reply && c.reply_count > 0 ? 'comments.deleteConfirmThread' : 'comments.deleteConfirm'),
        }),
        h(
          'div',
          { class: 'row' },
          h('button', { type: 'button', class: 'btn btn-small btn-danger confirm-delete-comment', onclick: remove, text: t('posts.deleteYes') }),
          h('button', {
            type: 'button',
            class: 'btn btn-small btn-ghost cancel-delete-comment',
            onclick: () => {
              mode = 'plain';
              paint();
              body.querySelector('.delete-comment')?.focus();
            },
            text: t('emoji.cancel'),
          }),
        ),
      );
    }
    return h(
      'div',
      { class: 'comment-actions row' },
      likeButton(c, { base: '/comments', loginKey: 'comments.loginToLike' }),
      ctx.reply &&
        api.signedIn() &&
        h('button', { type: 'button', class: 'btn btn-ghost btn-small reply-btn', onclick: startReply, text: t('comments.reply') }),
      mine &&
        h('button', {
          type: 'button',
          class: 'btn btn-ghost btn-small edit-comment',
          onclick: () => {
            mode = 'editing';
            paint();
            body.querySelector('textarea')?.focus();
          },
          text: t('posts.edit'),
        }),
      mayDelete &&
        h('button', {
          type: 'button',
          class: 'btn btn-ghost btn-small delete-comment',
          onclick: () => {
            mode = 'confirming';
            paint();
            body.querySelector('.cancel-delete-comment')?.focus();
          },
          text: t('posts.delete'),
        }),
    );
  };

  const paint = () => {
    clear(status);
    const edited = c.updated_at && c.updated_at !== c.created_at;
    const head = h(
      'p',
      { class: 'comment-head small' },
      h('span', { class: 'comment-author' }, userLink(c.author)),
      h('span', { class: 'muted' }, ' · ', h('time', { datetime: c.created_at, text: formatDate(c.created_at, true) }), edited && ` · ${t('posts.edited')}`),
    );
    if (mode === 'editing') {
      const { form } = textForm({
        label: t('comments.editLabel'),
        initial: c.text,
        submitText: t('emoji.save'),
        submit: (value) => api.patch(`/comments/${c.id}`, { text: value }, { auth: 'required' }),
        done: (v) => {
          c = { ...c, ...v };
          mode = 'plain';
          paint();
          toast(t('comments.saved'));
          body.querySelector('.edit-comment')?.focus();
        },
        cancel: () => {
          mode = 'plain';
          paint();
          body.querySelector('.edit-comment')?.focus();
        },
        className: 'edit-comment-form',
      });
      append(clear(body), [head, form]);
      return;
    }
    append(clear(body), [head, h('p', { class: 'comment-text', text: c.text }), actions(), status]);
  };

  paint();
  append(li, [body]);
  if (ctx.reply) {
    append(li, [h('div', { class: 'comment-thread' }, toggle, repliesBox, replySlot)]);
    paintToggle();
  }
  return li;
}

/**
 * The comments of a published post: the count in the heading (`comment_count`, replies
 * included), the list, and the box to comment (or a link to log in). `onCount(n)` hears
 * every change of the count.
 */
export function commentsSection(post, { onCount = () => {} } = {}) {
  let count = post.comment_count ?? 0;
  const n = h('span', { class: 'comments-n muted' });
  const paintCount = () => {
    n.dataset.n = String(count);
    n.textContent = ` ${formatNumber(count)}`;
    onCount(count);
  };
  const change = (d) => {
    count = Math.max(0, count + d);
    paintCount();
  };
  let ctl = null;
  const listBox = h('div', { class: 'comments-list-wrap' });
  const ctx = {
    post,
    change,
    reply: true,
    removed: (c) => {
      ctl?.drop(c.id);
      change(-(1 + (c.reply_count ?? 0)));
    },
  };
  const load = () =>
    cursorList(listBox, {
      load: (cursor) => pageOf(`/posts/${post.id}/comments`, cursor),
      list: () => h('ol', { class: 'comment-list', dataset: { list: 'comments' } }),
      item: (c) => commentItem(c, ctx),
      empty: () => h('p', { class: 'empty comments-empty', text: t('comments.empty') }),
      ref: (x) => (ctl = x),
    });
  load();
  const compose = api.signedIn()
    ? textForm({
        label: t('comments.write'),
        submitText: t('comments.send'),
        submit: (text) => api.post(`/posts/${post.id}/comments`, { text }, { auth: 'required' }),
        done: (c) => {
          change(1);
          toast(t('comments.posted'));
          if (!ctl?.append(c)) load();
        },
        className: 'comment-compose',
      }).form
    : loginLink('comments.loginToComment');
  paintCount();
  return h(
    'section',
    { class: 'card comments stack', id: 'comments', 'aria-labelledby': 'comments-h' },
    h('h2', { id: 'comments-h', class: 'h-small' }, t('comments.title'), n),
    listBox,
    compose,
  );
}

/** "Who liked this": opened, it reads `GET /posts/{id}/likes` (newest first, by cursor). */
export function likers(post) {
  const box = h('div', { class: 'likers-body' });
  let loaded = false;
  const details = h('details', { class: 'likers' }, h('summary', { class: 'small', text: t('comments.whoLiked') }), box);
  details.addEventListener('toggle', () => {
    if (!details.open || loaded) return;
    loaded = true;
    cursorList(box, {
      load: (cursor) => pageOf(`/posts/${post.id}/likes`, cursor),
      list: () => h('ul', { class: 'likers-list', dataset: { list: 'likers' } }),
      item: (x) =>
        h(
          'li',
          { class: 'liker', dataset: { username: x.username } },
          userLink(x),
          x.liked_at && h('span', { class: 'muted small' }, ' · ', h('time', { datetime: x.liked_at, text: formatDate(x.liked_at) })),
        ),
      key: (x) => x.username,
      empty: () => h('p', { class: 'muted small', text: t('comments.noLikes') }),
    });
  });
  return details;
}
