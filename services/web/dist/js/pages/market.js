// The market (#/market): products for sale, newest first or by price, filtered by words, a
// price range in won and a seller (`?q=&min=&max=&sort=&seller=` in the address, so a
// filtered list can be shared and the back button works), read with the API's cursors
// ("Load more"; `?size=` sets the page size). Signed in: a link to sell something. Above the
// unfiltered list, a row from the recommendation service: "For you" when signed in (labelled
// "popular and new" on a cold start), "Popular" otherwise; nothing when it has nothing or fails.

import * as api from '../api.js';
import { h, cursorList, sizeOf } from '../dom.js';
import { t, formatPrice } from '../i18n.js';
import { productCard, formFields } from '../ui.js';
import { parsePrice } from './sell.js';
import { forYouRow, popularRow } from '../recommend.js';

const SIZE = 12;
const SORTS = ['new', 'price_asc', 'price_desc'];

export function render({ query, navigate }) {
  const size = sizeOf(query, SIZE);
  const q = (query.get('q') ?? '').trim();
  const min = parsePrice(query.get('min'));
  const max = parsePrice(query.get('max'));
  const sort = SORTS.includes(query.get('sort')) ? query.get('sort') : 'new';
  const seller = (query.get('seller') ?? '').trim();

  // ---- the filter form ----
  const fields = formFields('market');
  const words = h('input', { type: 'search', class: 'market-q', autocomplete: 'off', maxlength: '100', value: q });
  const minInput = h('input', { type: 'text', class: 'market-min', inputmode: 'numeric', autocomplete: 'off', placeholder: '0', value: min ?? '' });
  const maxInput = h('input', { type: 'text', class: 'market-max', inputmode: 'numeric', autocomplete: 'off', value: max ?? '' });
  const sortSelect = h(
    'select',
    { class: 'market-sort' },
    SORTS.map((s) => h('option', { value: s, selected: s === sort, text: t(`market.sort.${s}`) })),
  );
  const form = h(
    'form',
    { class: 'card market-filter', role: 'search', 'aria-label': t('market.filter'), novalidate: true },
    h('div', { class: 'market-words' }, fields.field('q', t('market.search'), words)),
    h(
      'div',
      { class: 'market-range' },
      fields.field('min', t('market.minPrice'), minInput),
      h('span', { class: 'range-dash', 'aria-hidden': 'true', text: '–' }),
      fields.field('max', t('market.maxPrice'), maxInput),
    ),
    fields.field('sort', t('market.sortLabel'), sortSelect),
    h('div', { class: 'market-apply' }, h('button', { type: 'submit', class: 'btn btn-primary', text: t('market.apply') })),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const next = new URLSearchParams();
    if (words.value.trim()) next.set('q', words.value.trim());
    const lo = parsePrice(minInput.value);
    const hi = parsePrice(maxInput.value);
    if (lo !== null) next.set('min', String(lo));
    if (hi !== null) next.set('max', String(hi));
    if (sortSelect.value !== 'new') next.set('sort', sortSelect.value);
    if (seller) next.set('seller', seller);
    if (query.get('size')) next.set('size', String(size));
    const qs = String(next);
    navigate(`#/market${qs ? `?${qs}` : ''}`);
  });

  // ---- what the list shows ----
  const filters = [];
  if (q) filters.push(t('market.filterWords', { q }));
  if (min !== null && max !== null) filters.push(t('market.filterBetween', { min: formatPrice(min), max: formatPrice(max) }));
  else if (min !== null) filters.push(t('market.filterMin', { min: formatPrice(min) }));
  else if (max !== null) filters.push(t('market.filterMax', { max: formatPrice(max) }));
  const withoutSeller = new URLSearchParams(query);
  withoutSeller.delete('seller');
  const allSellers = String(withoutSeller);

  const list = cursorList(h('div', { class: 'market-list' }), {
    load: (cursor) => {
      const p = new URLSearchParams({ size: String(size), sort });
      if (q) p.set('q', q);
      if (min !== null) p.set('min_price', String(min));
      if (max !== null) p.set('max_price', String(max));
      if (seller) p.set('seller', seller);
      if (cursor) p.set('cursor', cursor);
      return api.get(`/products?${p}`);
    },
    list: () => h('ul', { class: 'product-grid', dataset: { list: 'market', sort } }),
    item: (p) => productCard(p),
    empty: () =>
      h(
        'div',
        { class: 'empty market-empty' },
        h('p', { class: 'empty-icon', 'aria-hidden': 'true', text: '🛍️' }),
        h('p', { class: 'empty-title', text: filters.length || seller ? t('market.noMatch') : t('market.empty') }),
        (filters.length > 0 || seller) && h('p', {}, h('a', { href: '#/market', text: t('market.clear') })),
      ),
  });

  return h(
    'section',
    { class: 'market-page stack-lg', dataset: { sort } },
    h(
      'div',
      { class: 'page-head row between' },
      h('div', {}, h('h1', { text: t('market.title') }), h('p', { class: 'muted', text: t('market.lead') })),
      api.signedIn()
        ? h('a', { class: 'btn btn-primary sell-link', href: '#/sell' }, h('span', { 'aria-hidden': 'true', text: '+ ' }), t('market.sell'))
        : h('a', { class: 'btn btn-ghost sell-link', href: `#/login?next=${encodeURIComponent('/sell')}`, text: t('market.loginToSell') }),
    ),
    !filters.length && !seller && (api.signedIn() ? forYouRow('products') : popularRow()),
    form,
    (filters.length > 0 || seller) &&
      h(
        'p',
        { class: 'market-filters muted small', 'aria-live': 'polite' },
        filters.join(' · '),
        seller && [
          filters.length ? ' · ' : '',
          t('market.filterSeller', { name: `@${seller}` }),
          ' ',
          h('a', { class: 'clear-seller', href: `#/market${allSellers ? `?${allSellers}` : ''}`, text: t('market.allSellers') }),
        ],
      ),
    list,
  );
}
