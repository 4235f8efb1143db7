// Someone's followers and the people they follow (#/u/{username}/followers and
// #/u/{username}/following): newest follow first, read with the API's cursors ("Load more";
// `?size=` in the address sets the page size). Every person links to their page and, when
// signed in, has a Follow / Following button (not on my own row). On my own followers list,
// each follower also has "Remove" (`DELETE /users/me/followers/{username}`), asked once more
// before it is sent. Readable signed out.

import * as api from '../api.js';
import { h, append, clear, errorBox, loading, cursorList, sizeOf, toast } from '../dom.js';
import { t, formatDate, formatNumber } from '../i18n.js';
import { canFollow, followButton, userLink } from '../ui.js';

const SIZE = 20;

/**
 * One person of a list. `removable`: it is my followers list, so they can be removed;
 * `onRemoved()` runs once the API has done it; `onFollow(answer, before)` hears their follow
 * button's answers.
 */
function personRow(x, { removable, onRemoved, onFollow }) {
  const name = x.display_name || x.username;
  const me = api.currentUser()?.username === x.username;
  const status = h('div', { class: 'person-status form-status' });
  const actions = h('div', { class: 'person-actions' });
  const follow = canFollow(x.username) ? followButton(x, { small: true, status, onChange: onFollow }) : null;
  let busy = false;

  const li = h(
    'li',
    { class: 'person', dataset: { username: x.username } },
    h('span', { class: 'avatar avatar-small', 'aria-hidden': 'true', text: name.slice(0, 1).toUpperCase() }),
    h(
      'div',
      { class: 'person-text' },
      h('p', { class: 'person-name' }, userLink(x), me && h('span', { class: 'pill pill-you', text: t('follow.you') })),
      h('p', { class: 'muted small person-meta', text: `@${x.username} · ${t('follow.since', { date: formatDate(x.since) })}` }),
    ),
    actions,
    status,
  );

  const remove = async () => {
    if (busy) return;
    busy = true;
    for (const b of actions.querySelectorAll('button')) b.setAttribute('aria-disabled', 'true');
    clear(status);
    try {
      await api.del(`/users/me/followers/${encodeURIComponent(x.username)}`, { auth: 'required' });
      toast(t('follow.removed', { name }));
      onRemoved(li);
    } catch (err) {
      status.append(errorBox(err, remove));
    } finally {
      busy = false;
      for (const b of actions.querySelectorAll('button')) b.removeAttribute('aria-disabled');
    }
  };

  const paint = (confirming) => {
    li.classList.toggle('is-confirming', confirming);
    if (confirming) {
      const question = h('p', { class: 'person-confirm-text', id: `rm-${x.id}`, text: t('follow.removeConfirm', { name }) });
      append(clear(actions), [
        h(
          'div',
          { class: 'person-confirm', role: 'group', 'aria-labelledby': `rm-${x.id}` },
          question,
          h(
            'div',
            { class: 'row' },
            h('button', { type: 'button', class: 'btn btn-small btn-danger confirm-remove', onclick: remove, text: t('follow.removeYes') }),
            h('button', {
              type: 'button',
              class: 'btn btn-small btn-ghost cancel-remove',
              onclick: () => {
                clear(status);
                paint(false);
                actions.querySelector('.remove-follower')?.focus();
              },
              text: t('follow.removeNo'),
            }),
          ),
        ),
      ]);
      // The safe choice has the focus: pressing Enter twice does not remove anyone.
      actions.querySelector('.cancel-remove')?.focus();
      return;
    }
    append(clear(actions), [
      follow,
      removable &&
        !me &&
        h('button', {
          type: 'button',
          class: 'btn btn-small btn-ghost btn-danger remove-follower',
          'aria-label': t('follow.removeLabel', { name }),
          onclick: () => paint(true),
          text: t('follow.remove'),
        }),
    ]);
  };
  paint(false);
  return li;
}

export function render({ params, query }) {
  let username = params[0];
  try {
    username = decodeURIComponent(username);
  } catch {
    // not percent-encoded: as is
  }
  const kind = params[1] === 'following' ? 'following' : 'followers';
  const size = sizeOf(query, SIZE);
  const root = h('section', { class: 'people-page stack-lg', dataset: { user: username, kind } });

  const load = async () => {
    clear(root).append(loading());
    root.setAttribute('aria-busy', 'true');
    try {
      // With the token when signed in: every row's `followed_by_me` is then about me.
      const p = await api.get(`/users/${encodeURIComponent(username)}`);
      const name = p.display_name || p.username;
      const mine = api.currentUser()?.username === p.username;
      const base = `#/u/${encodeURIComponent(p.username)}`;
      const counts = { followers: p.followers ?? 0, following: p.following ?? 0 };
      const tabCount = { followers: h('span', { class: 'tab-n' }), following: h('span', { class: 'tab-n' }) };
      const paintCounts = () => {
        for (const k of ['followers', 'following']) {
          tabCount[k].textContent = formatNumber(counts[k]);
          tabCount[k].dataset.n = String(counts[k]);
        }
      };
      paintCounts();
      const tab = (k) =>
        h(
          'a',
          { class: 'tab', href: `${base}/${k}`, dataset: { kind: k }, 'aria-current': k === kind ? 'page' : null },
          t(k === 'followers' ? 'follow.tabFollowers' : 'follow.tabFollowing'),
          ' ',
          tabCount[k],
        );
      const title = mine
        ? t(kind === 'followers' ? 'follow.myFollowers' : 'follow.myFollowing')
        : t(kind === 'followers' ? 'follow.followersOf' : 'follow.followingOf', { name });
      const heading = h('h1', { id: 'people-title', tabindex: '-1', text: title });
      const empty = () => h('p', { class: 'empty', text: t(kind === 'followers' ? 'follow.noFollowers' : 'follow.noFollowing') });

      let list = null;
      const body = h('div', {});
      cursorList(body, {
        load: (cursor) => {
          const q = new URLSearchParams({ size: String(size) });
          if (cursor) q.set('cursor', cursor);
          return api.get(`/users/${encodeURIComponent(p.username)}/${kind}?${q}`);
        },
        list: () => h('ul', { class: 'people', dataset: { list: kind } }),
        key: (x) => x.id,
        ref: (ctl) => {
          list = ctl;
        },
        empty,
        item: (x) =>
          personRow(x, {
            removable: mine && kind === 'followers',
            onRemoved: (li) => {
              // Focus goes on to a neighbour (or the heading when the list is now empty).
              const next = li.nextElementSibling ?? li.previousElementSibling;
              list?.drop(x.id);
              counts.followers = Math.max(0, counts.followers - 1);
              paintCounts();
              (next?.querySelector('a') ?? heading).focus();
            },
            onFollow: (res, before) => {
              // On my own "following" list my count changes with each follow and unfollow.
              if (mine && kind === 'following' && res.followed_by_me !== before) {
                counts.following = Math.max(0, counts.following + (res.followed_by_me ? 1 : -1));
                paintCounts();
              }
            },
          }),
      });

      clear(root).append(
        h('p', { class: 'back-link' }, h('a', { href: base, text: `← ${t('follow.back', { name })}` })),
        h('div', { class: 'page-head' }, heading, h('p', { class: 'muted', text: `@${p.username}` })),
        h('nav', { class: 'tabs people-tabs', 'aria-label': t('follow.lists') }, tab('followers'), tab('following')),
        h('section', { class: 'card', 'aria-labelledby': 'people-title' }, body),
      );
      document.title = `${title} · Moji`;
    } catch (err) {
      clear(root).append(
        h('h1', { text: t('error.title') }),
        err.status === 404 ? errorBox({ problem: { detail: t('user.notFound'), code: 'not_found' } }) : errorBox(err, load),
      );
    } finally {
      root.removeAttribute('aria-busy');
    }
  };
  load();
  return root;
}
