// Someone's public page (#/u/{username}): their public emoji, newest first and paged (the page
// lives in the URL), and the challenges they achieved. Readable signed out.

import * as api from '../api.js';
import { h, clear, errorBox, loading, section, pager } from '../dom.js';
import { t, pick, formatDate } from '../i18n.js';
import { emojiCard } from '../ui.js';

const SIZE = 12;
const CHALLENGES = 10;

function emojis(username, page, navigate) {
  const body = h('div', {});
  const path = `/users/${encodeURIComponent(username)}`;
  section(
    body,
    () => api.get(`${path}/emojis?page=${page}&size=${SIZE}`),
    (res) =>
      res.items.length === 0
        ? h('p', { class: 'empty', text: t('user.noEmojis') })
        : [
            h(
              'ul',
              { class: 'grid grid-small', dataset: { list: 'user-emojis' } },
              res.items.map((e) => emojiCard(e, { owner: false })),
            ),
            pager(res.page, res.size, res.total, (p) => navigate(`#/u/${encodeURIComponent(username)}?page=${p}`)),
          ],
  );
  return h('section', { class: 'card', 'aria-labelledby': 'user-emojis' }, h('h2', { id: 'user-emojis', class: 'h-small', text: t('user.emojis') }), body);
}

function challenges(username) {
  const state = { page: 1 };
  const body = h('div', {});
  const load = () =>
    section(
      body,
      () => api.get(`/users/${encodeURIComponent(username)}/challenges?page=${state.page}&size=${CHALLENGES}`),
      (res) =>
        res.items.length === 0
          ? h('p', { class: 'muted', text: t('user.noChallenges') })
          : [
              h(
                'ul',
                { class: 'challenges' },
                res.items.map((c) =>
                  h(
                    'li',
                    { class: 'challenge is-done', dataset: { id: c.id } },
                    h('span', { class: 'challenge-icon', 'aria-hidden': 'true', text: '🏅' }),
                    h(
                      'div',
                      { class: 'challenge-body' },
                      h('strong', { text: pick(c.title) }),
                      h('span', { class: 'muted small', text: pick(c.description) }),
                      c.awarded_at && h('span', { class: 'small done', text: t('me.done', { date: formatDate(c.awarded_at) }) }),
                    ),
                  ),
                ),
              ),
              pager(res.page, res.size, res.total, (p) => {
                state.page = p;
                load();
              }),
            ],
    );
  load();
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'user-challenges' },
    h('h2', { id: 'user-challenges', class: 'h-small', text: t('user.challenges') }),
    body,
  );
}

export function render({ params, query, navigate }) {
  let username = params[0];
  try {
    username = decodeURIComponent(username);
  } catch {
    // not percent-encoded: as is
  }
  const page = Math.max(1, Number.parseInt(query.get('page') ?? '1', 10) || 1);
  const root = h('section', { class: 'user-page stack-lg', dataset: { user: username } });
  const load = async () => {
    clear(root).append(loading());
    root.setAttribute('aria-busy', 'true');
    try {
      const p = await api.get(`/users/${encodeURIComponent(username)}`, { auth: 'none' });
      const name = p.display_name || p.username;
      const me = api.currentUser()?.username === p.username;
      clear(root).append(
        h(
          'div',
          { class: 'page-head profile' },
          h('span', { class: 'avatar', 'aria-hidden': 'true', text: name.slice(0, 1).toUpperCase() }),
          h(
            'div',
            { class: 'profile-text' },
            h('h1', { text: name }),
            h('p', { class: 'muted', text: `@${p.username}${p.created_at ? ` · ${t('user.since', { date: formatDate(p.created_at) })}` : ''}` }),
            p.bio && h('p', { class: 'bio', text: p.bio }),
            me && h('p', { class: 'small' }, t('user.itsYou'), ' ', h('a', { href: '#/me', text: t('me.title') })),
          ),
        ),
        emojis(p.username, page, navigate),
        challenges(p.username),
      );
      document.title = `${name} · Moji`;
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
