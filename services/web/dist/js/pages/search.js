// Search (#/search?q=…&type=post|product|user): posts, products or people, best match first
// (GET /search; Korean works from one syllable). The three kinds are tabs (links, so the
// back button and shared addresses work); "Load more" asks for the next page number while the
// API says `has_more` (it answers at most ten pages).

import * as api from '../api.js';
import { h, cursorList } from '../dom.js';
import { t, tParts } from '../i18n.js';
import { postCard, productCard, userLink } from '../ui.js';
import { avatar } from '../media.js';

const SIZE = 10;
const LAST_PAGE = 10;
const TYPES = [
  { type: 'post', key: 'search.posts', list: 'posts' },
  { type: 'product', key: 'search.products', list: 'products' },
  { type: 'user', key: 'search.people', list: 'users' },
];

export function href(q, type = 'post') {
  const p = new URLSearchParams();
  if (q) p.set('q', q);
  if (type !== 'post') p.set('type', type);
  const qs = String(p);
  return `#/search${qs ? `?${qs}` : ''}`;
}

function personItem(x) {
  return h(
    'li',
    { class: 'person search-person', dataset: { username: x.username } },
    avatar(x, { small: true }),
    h(
      'div',
      { class: 'person-text' },
      h('p', { class: 'person-name' }, userLink(x)),
      h('p', { class: 'muted small', text: `@${x.username}` }),
      x.bio && h('p', { class: 'small person-bio', text: x.bio }),
    ),
  );
}

export function render({ query, navigate }) {
  const q = (query.get('q') ?? '').trim();
  const kind = TYPES.find((k) => k.type === query.get('type')) ?? TYPES[0];

  const input = h('input', { type: 'search', id: 'search-q', class: 'search-input', name: 'q', maxlength: '100', autocomplete: 'off', value: q });
  const form = h(
    'form',
    { class: 'search-form', role: 'search', novalidate: true },
    h('label', { for: 'search-q', class: 'sr-only', text: t('search.label') }),
    input,
    h('button', { type: 'submit', class: 'btn btn-primary', text: t('search.submit') }),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    navigate(href(input.value.trim(), kind.type));
  });

  const tabs = h(
    'nav',
    { class: 'tabs search-tabs', 'aria-label': t('search.kinds') },
    TYPES.map((k) =>
      h('a', { class: 'tab', href: href(q, k.type), dataset: { type: k.type }, 'aria-current': k.type === kind.type ? 'page' : null, text: t(k.key) }),
    ),
  );

  let results;
  if (!q) {
    results = h('p', { class: 'muted search-hint', text: t('search.hint') });
  } else {
    results = cursorList(h('div', { class: 'search-results', dataset: { type: kind.type } }), {
      // The "cursor" is the next page number: the API pages search results by number.
      load: async (cursor) => {
        const page = Number(cursor ?? 1);
        const p = new URLSearchParams({ q, type: kind.type, page: String(page), size: String(SIZE) });
        const res = await api.get(`/search?${p}`);
        return { items: res[kind.list] ?? [], next_cursor: res.has_more && page < LAST_PAGE ? String(page + 1) : null };
      },
      list: () =>
        kind.type === 'product'
          ? h('ul', { class: 'product-grid', dataset: { list: 'search-products' } })
          : h('ul', { class: kind.type === 'user' ? 'people' : 'post-list', dataset: { list: `search-${kind.list}` } }),
      item: (x) => (kind.type === 'post' ? postCard(x) : kind.type === 'product' ? productCard(x) : personItem(x)),
      key: (x) => x.id ?? x.username,
      empty: () =>
        h(
          'div',
          { class: 'empty search-empty' },
          h('p', { class: 'empty-icon', 'aria-hidden': 'true', text: '🔍' }),
          h('p', { class: 'empty-title' }, tParts('search.none', { q: h('strong', { text: q }) })),
        ),
    });
  }

  // On a phone the search box is here, not in the header: it gets the focus when empty.
  if (!q) setTimeout(() => input.isConnected && window.matchMedia?.('(max-width: 719px)').matches && input.focus(), 0);

  return h(
    'section',
    { class: 'search-page stack-lg', dataset: { q, type: kind.type } },
    h('div', { class: 'page-head' }, h('h1', { text: q ? t('search.titleFor', { q }) : t('search.title') })),
    form,
    tabs,
    h('section', { 'aria-label': t(kind.key) }, results),
  );
}
