// Search (#/search?q=…&type=post|product|emoji|user&page=N): the recommendation service's
// search (GET /search, docs/recommend.md: words and meaning together, in Korean or English),
// best match first. The four kinds are tabs and the pages are Previous / Next (links in the
// address, so the back button and shared addresses work); Next while the answer says
// `has_more`, up to page 10. Each result is a card: its title (a link to its page), owner,
// price (products), a snippet, and small, why it matched and by what ("meaning", "words").
// `?size=` (1–50) and `?method=hybrid|semantic|fulltext` in the address are passed on.

import * as api from '../api.js';
import { h, section } from '../dom.js';
import { t, tParts } from '../i18n.js';
import { recCard } from '../recommend.js';

const SIZE = 10;
const MAX_SIZE = 50;
const LAST_PAGE = 10;
const METHODS = ['hybrid', 'semantic', 'fulltext'];
const TYPES = [
  { type: 'post', key: 'search.posts' },
  { type: 'product', key: 'search.products' },
  { type: 'emoji', key: 'search.emoji' },
  { type: 'user', key: 'search.people' },
];

/** The address of a search: words, kind, and page, size and method when not the default. */
export function href(q, type = 'post', { page = 1, size = null, method = null } = {}) {
  const p = new URLSearchParams();
  if (q) p.set('q', q);
  if (type !== 'post') p.set('type', type);
  if (page > 1) p.set('page', String(page));
  if (size) p.set('size', String(size));
  if (method) p.set('method', method);
  const qs = String(p);
  return `#/search${qs ? `?${qs}` : ''}`;
}

/** A whole number from the address within [lo, hi], or `fallback`. */
function intOf(query, name, lo, hi, fallback) {
  const n = Number.parseInt(query.get(name) ?? '', 10);
  return Number.isFinite(n) ? Math.min(hi, Math.max(lo, n)) : fallback;
}

export function render({ query, navigate }) {
  const q = (query.get('q') ?? '').trim();
  const kind = TYPES.find((k) => k.type === query.get('type')) ?? TYPES[0];
  const page = intOf(query, 'page', 1, LAST_PAGE, 1);
  const size = query.get('size') ? intOf(query, 'size', 1, MAX_SIZE, SIZE) : null;
  const method = METHODS.includes(query.get('method')) ? query.get('method') : null;
  const keep = { size, method }; // what the tabs, pages and the box carry on

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
    navigate(href(input.value.trim(), kind.type, keep));
  });

  const tabs = h(
    'nav',
    { class: 'tabs search-tabs', 'aria-label': t('search.kinds') },
    TYPES.map((k) =>
      h('a', {
        class: 'tab',
        href: href(q, k.type, keep),
        dataset: { type: k.type },
        'aria-current': k.type === kind.type ? 'page' : null,
        text: t(k.key),
      }),
    ),
  );

  const empty = () =>
    h(
      'div',
      { class: 'empty search-empty' },
      h('p', { class: 'empty-icon', 'aria-hidden': 'true', text: '🔍' }),
      h('p', { class: 'empty-title' }, tParts(page > 1 ? 'search.noMore' : 'search.none', { q: h('strong', { text: q }) })),
      page > 1 && h('p', {}, h('a', { class: 'search-first', href: href(q, kind.type, keep), text: t('search.firstPage') })),
    );

  const pages = (res) => {
    const more = res.has_more === true && page < LAST_PAGE;
    if (page <= 1 && !more) return null;
    const go = (n) => () => navigate(href(q, kind.type, { ...keep, page: n }));
    return h(
      'nav',
      { class: 'pager search-pager', 'aria-label': t('search.pages') },
      h('button', { type: 'button', class: 'btn btn-ghost search-prev', disabled: page <= 1, onclick: go(page - 1), text: `← ${t('common.prev')}` }),
      h('span', { class: 'pager-info', text: t('search.page', { page }) }),
      h('button', { type: 'button', class: 'btn btn-ghost search-next', disabled: !more, onclick: go(page + 1), text: `${t('common.next')} →` }),
    );
  };

  let results;
  if (!q) {
    results = h('p', { class: 'muted search-hint', text: t('search.hint') });
  } else {
    const box = h('div', { class: 'search-results', dataset: { type: kind.type, page: String(page) } });
    results = section(
      box,
      () => {
        const p = new URLSearchParams({ q, type: kind.type, page: String(page), size: String(size ?? SIZE) });
        if (method) p.set('method', method);
        return api.get(`/search?${p}`);
      },
      (res) => {
        const items = Array.isArray(res?.items) ? res.items : [];
        box.dataset.hasMore = String(res?.has_more === true);
        if (res?.method) box.dataset.method = res.method;
        if (!items.length) return empty();
        return [
          h(
            'ul',
            { class: 'rec-list rec-list-search', dataset: { list: `search-${kind.type}` } },
            items.map((x) => recCard(x, { matched: true })),
          ),
          pages(res),
        ];
      },
    );
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
