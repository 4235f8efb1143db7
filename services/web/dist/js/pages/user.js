// Someone's public page (#/u/{username}): their avatar, follower and following counts (links
// to the lists, #/u/{username}/followers|following) with a Follow / Following button for
// others, their post and product counts, their latest products (the profile's three, and a
// link to all of them in the market), their latest posts and their public emoji, newest
// first, both read with the API's cursors ("Load more"; `?size=` in the address sets the page
// size), and the challenges they achieved (a short list, paged by number). Readable signed
// out.

import * as api from '../api.js';
import { h, append, clear, errorBox, loading, section, pager, cursorList, sizeOf } from '../dom.js';
import { t, tParts, pick, formatDate, formatNumber } from '../i18n.js';
import { emojiCard, canFollow, followButton, productCard } from '../ui.js';
import { avatar } from '../media.js';
import { postList } from './posts.js';

const SIZE = 12;
const CHALLENGES = 10;

function emojis(username, size) {
  const path = `/users/${encodeURIComponent(username)}/emojis`;
  const body = cursorList(h('div', {}), {
    load: (cursor) => {
      const q = new URLSearchParams({ size: String(size) });
      if (cursor) q.set('cursor', cursor);
      return api.get(`${path}?${q}`);
    },
    list: () => h('ul', { class: 'grid grid-small', dataset: { list: 'user-emojis' } }),
    item: (e) => emojiCard(e, { owner: false }),
    empty: () => h('p', { class: 'empty', text: t('user.noEmojis') }),
  });
  return h('section', { class: 'card', 'aria-labelledby': 'user-emojis' }, h('h2', { id: 'user-emojis', class: 'h-small', text: t('user.emojis') }), body);
}

/** Their latest posts (GET /posts/latest/{username}, by cursor) and how many they wrote. */
function posts(username, size) {
  const count = h('span', { class: 'post-count muted' });
  const list = postList(`/posts/latest/${encodeURIComponent(username)}`, {
    size,
    name: 'user-posts',
    author: false,
    empty: () => h('p', { class: 'empty', text: t('user.noPosts') }),
    // Every page carries `total`: their post count.
    onPage: (page) => {
      count.dataset.n = String(page.total ?? 0);
      count.textContent = ` · ${t('user.postCount', { n: formatNumber(page.total ?? 0) })}`;
    },
  });
  return h('section', { class: 'card', 'aria-labelledby': 'user-posts' }, h('h2', { id: 'user-posts', class: 'h-small' }, t('user.posts'), count), list);
}

/** Their latest products (the profile's `latest_products`) and a link to all of them. */
function products(p) {
  const n = p.products ?? p.latest_products?.length ?? 0;
  const mine = api.currentUser()?.username === p.username;
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'user-products' },
    h(
      'div',
      { class: 'row between' },
      h(
        'h2',
        { id: 'user-products', class: 'h-small' },
        t('user.products'),
        h('span', { class: 'product-count muted', dataset: { n: String(n) }, text: ` · ${t('user.postCount', { n: formatNumber(n) })}` }),
      ),
      mine && h('a', { class: 'btn btn-small btn-ghost', href: '#/sell', text: t('market.sell') }),
    ),
    p.latest_products?.length
      ? [
          h(
            'ul',
            { class: 'product-grid', dataset: { list: 'user-products' } },
            p.latest_products.map((x) => productCard(x, { seller: false })),
          ),
          n > p.latest_products.length &&
            h(
              'p',
              { class: 'small' },
              h('a', { class: 'all-products', href: `#/market?seller=${encodeURIComponent(p.username)}`, text: t('user.allProducts', { n: formatNumber(n) }) }),
            ),
        ]
      : h('p', { class: 'empty', text: t('user.noProducts') }),
  );
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

/** "3 followers" / "1 following" (the number in bold) as a link to that list. */
function countLink(username, kind, n) {
  const key = kind === 'followers' ? (n === 1 ? 'follow.countFollowersOne' : 'follow.countFollowers') : 'follow.countFollowing';
  return h(
    'a',
    { class: 'follow-count', href: `#/u/${encodeURIComponent(username)}/${kind}`, dataset: { kind, n: String(n) } },
    tParts(key, { n: h('strong', { class: 'follow-n', text: formatNumber(n) }) }),
  );
}

/** The counts (links to the lists) and, for someone else when signed in, the follow button. */
function social(p) {
  const counts = h('p', { class: 'follow-counts' });
  const paint = (followers, following) => append(clear(counts), [countLink(p.username, 'followers', followers), countLink(p.username, 'following', following)]);
  paint(p.followers ?? 0, p.following ?? 0);
  const status = h('div', { class: 'follow-status form-status' });
  return h(
    'div',
    { class: 'social' },
    h('div', { class: 'row social-row' }, counts, canFollow(p.username) && followButton(p, { status, onChange: (res) => paint(res.followers, res.following) })),
    status,
    h(
      'p',
      { class: 'profile-counts muted' },
      h(
        'span',
        { class: 'profile-count', dataset: { kind: 'posts', n: String(p.posts ?? 0) } },
        tParts(p.posts === 1 ? 'user.countPostsOne' : 'user.countPosts', { n: h('strong', { text: formatNumber(p.posts ?? 0) }) }),
      ),
      h(
        'a',
        { class: 'profile-count', href: `#/market?seller=${encodeURIComponent(p.username)}`, dataset: { kind: 'products', n: String(p.products ?? 0) } },
        tParts('user.countProducts', { n: h('strong', { text: formatNumber(p.products ?? 0) }) }),
      ),
    ),
  );
}

export function render({ params, query }) {
  let username = params[0];
  try {
    username = decodeURIComponent(username);
  } catch {
    // not percent-encoded: as is
  }
  const size = sizeOf(query, SIZE);
  const root = h('section', { class: 'user-page stack-lg', dataset: { user: username } });
  const load = async () => {
    clear(root).append(loading());
    root.setAttribute('aria-busy', 'true');
    try {
      // With the token when signed in: `followed_by_me` is then about me.
      const p = await api.get(`/users/${encodeURIComponent(username)}`);
      const name = p.display_name || p.username;
      const me = api.currentUser()?.username === p.username;
      clear(root).append(
        h(
          'div',
          { class: 'page-head profile' },
          avatar(p),
          h(
            'div',
            { class: 'profile-text' },
            h('h1', { text: name }),
            h('p', { class: 'muted', text: `@${p.username}${p.created_at ? ` · ${t('user.since', { date: formatDate(p.created_at) })}` : ''}` }),
            p.bio && h('p', { class: 'bio', text: p.bio }),
            social(p),
            me && h('p', { class: 'small' }, t('user.itsYou'), ' ', h('a', { href: '#/me', text: t('me.title') })),
          ),
        ),
        products(p),
        posts(p.username, size),
        emojis(p.username, size),
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
