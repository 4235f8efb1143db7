// The dataset maker (#/datasets): one image in, many images like it out. Signed in, a form
// asks for a set (title, category, tags, quantity, size, seed) within today's image quota; the
// set being made is followed over Server-Sent Events (`dataset` frames, then `ready`), its
// preview sheet shown and its zip downloaded. "My datasets" lists every set of mine; the search
// finds ready sets of everyone by words, category, size and price.

import * as api from '../api.js';
import { h, clear, toast, cursorList } from '../dom.js';
import { t, formatNumber, formatPrice } from '../i18n.js';
import { formFields, sendForm } from '../ui.js';
import { watchTask } from '../task.js';

const CATEGORIES = ['people', 'animals', 'food', 'places', 'objects', 'art', 'other'];
const SIZES = [64, 128, 256];
const FINAL = new Set(['ready', 'failed', 'cancelled']);
const EVENTS = ['dataset', 'ready', 'failed', 'cancelled'];

function categorySelect(className, { any = false, value = '' } = {}) {
  const select = h('select', { class: className });
  if (any) select.append(h('option', { value: '', text: t('datasets.anyCategory') }));
  for (const c of CATEGORIES) select.append(h('option', { value: c, text: t(`datasets.category.${c}`) }));
  select.value = value;
  return select;
}

/** "64 × 64 · 200 images". */
function shape(set) {
  return t('datasets.shape', { size: set.size, n: formatNumber(set.quantity) });
}

/** Downloads a ready set's zip through a short-lived link. */
async function download(set, button) {
  button.disabled = true;
  try {
    const link = await api.get(`/datasets/${set.id}/download`, { auth: 'required' });
    const a = h('a', { href: api.fileUrl(link.url), download: `${set.title}.zip` });
    document.body.append(a);
    a.click();
    a.remove();
  } catch (err) {
    toast(err.message || t('error.title'), 'error');
  } finally {
    button.disabled = false;
  }
}

/** The owner's price field: lists a ready set for sale, or takes it off sale (empty). */
function priceForm(view, paint) {
  const input = h('input', { type: 'text', inputmode: 'numeric', class: 'dataset-price-input', value: view.price_krw ? String(view.price_krw) : '', placeholder: t('datasets.pricePlaceholder'), 'aria-label': t('datasets.price') });
  const btn = h('button', { type: 'submit', class: 'btn btn-ghost dataset-price-save', text: t('datasets.setPrice') });
  const form = h('form', { class: 'row dataset-price-form' }, input, btn);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const plain = input.value.replace(/[\s,원₩]/g, '');
    const price = plain === '' ? null : Number(plain);
    btn.disabled = true;
    try {
      paint(await api.patch(`/datasets/${view.id}`, { price_krw: price }, { auth: 'required' }));
      toast(t(price === null ? 'datasets.offSale' : 'datasets.onSale'));
    } catch (err) {
      toast(err.errors?.[0]?.message || err.message, 'error');
      btn.disabled = false;
    }
  });
  return form;
}

/**
 * Buys a set: the server prepares the order with its price, the development provider's
 * window pays that amount and calls the api back, the order is polled until the api has
 * checked the payment; then the zip downloads.
 */
async function buy(view, button) {
  button.disabled = true;
  try {
    const order = await api.post(`/datasets/${view.id}/orders`, {}, { auth: 'required' });
    await api.post('/payments/local/checkout', { order_id: order.id, amount_krw: order.amount_krw }, { auth: 'required' });
    let current = order;
    for (let i = 0; i < 60 && current.status === 'pending'; i += 1) {
      await new Promise((r) => setTimeout(r, 500));
      current = await api.get(`/orders/${order.id}`, { auth: 'required' });
    }
    if (current.status !== 'paid') throw new Error(current.failure || t('datasets.notPaid'));
    toast(t('datasets.bought'));
    await download(view, button);
  } catch (err) {
    toast(err.message || t('error.title'), 'error');
  } finally {
    button.disabled = false;
  }
}

/** The card of one set: preview, title, shape, status or price, and the owner's actions. */
function setCard(set, { mine = false, onChange = () => {}, onLeave = () => {} } = {}) {
  const card = h('article', { class: 'card dataset-card stack', dataset: { id: set.id, status: set.status } });
  const paint = (view) => {
    clear(card);
    card.dataset.status = view.status;
    card.append(
      view.preview_url
        ? h('img', { class: 'dataset-preview', src: api.fileUrl(view.preview_url), alt: t('datasets.previewOf', { title: view.title }), loading: 'lazy' })
        : h('div', { class: 'dataset-preview placeholder', 'aria-hidden': 'true', text: '🖼️' }),
      h('h3', { class: 'dataset-title', text: view.title }),
      h('p', { class: 'muted small', text: `${t(`datasets.category.${view.category}`)} · ${shape(view)} · @${view.owner}` }),
      view.tags?.length ? h('p', { class: 'small', text: view.tags.map((x) => `#${x}`).join(' ') }) : null,
      view.method === 'gan' && view.diversity !== undefined
        ? h('p', { class: 'small muted dataset-measures', text: t('datasets.measures', { ssim: view.mean_ssim.toFixed(2), diversity: view.diversity.toFixed(2) }) })
        : null,
    );
    if (!FINAL.has(view.status)) {
      const bar = h('progress', { class: 'dataset-progress', max: '100', value: String(view.progress ?? 0) });
      card.append(
        h('p', { class: 'dataset-status', 'aria-live': 'polite', text: t(`datasets.status.${view.status}`, { p: view.progress ?? 0 }) }),
        bar,
      );
    } else if (view.status !== 'ready') {
      card.append(h('p', { class: 'dataset-status error-text', text: view.error?.detail || t(`datasets.status.${view.status}`) }));
    } else if (view.price_krw) {
      card.append(h('p', { class: 'dataset-price', text: formatPrice(view.price_krw) }));
    }
    const actions = h('div', { class: 'row' });
    if (mine && view.status === 'ready') {
      const btn = h('button', { type: 'button', class: 'btn btn-primary dataset-download', text: t('datasets.download') });
      btn.addEventListener('click', () => download(view, btn));
      actions.append(btn);
    }
    if (mine && view.status === 'ready') actions.append(priceForm(view, paint));
    if (!mine && view.status === 'ready' && view.price_krw && api.signedIn()) {
      const btn = h('button', { type: 'button', class: 'btn btn-primary dataset-buy', text: t('datasets.buy', { price: formatPrice(view.price_krw) }) });
      btn.addEventListener('click', () => buy(view, btn));
      actions.append(btn);
    }
    if (mine && !FINAL.has(view.status)) {
      const btn = h('button', { type: 'button', class: 'btn btn-ghost dataset-cancel', text: t('datasets.cancel') });
      btn.addEventListener('click', async () => {
        btn.disabled = true;
        try {
          paint(await api.post(`/datasets/${view.id}/cancel`, {}, { auth: 'required' }));
          onChange();
        } catch (err) {
          toast(err.message, 'error');
          btn.disabled = false;
        }
      });
      actions.append(btn);
    }
    if (actions.childElementCount) card.append(actions);
  };
  paint(set);
  if (mine && !FINAL.has(set.status)) {
    const stop = watchTask(set.id, {
      base: '/datasets',
      events: EVENTS,
      final: FINAL,
      onUpdate: (view) => {
        paint(view);
        if (FINAL.has(view.status)) onChange(view);
      },
    });
    onLeave(stop);
  }
  return card;
}

function quotaLine(el) {
  api
    .get('/datasets/quota', { auth: 'required' })
    .then((q) => {
      el.textContent = t('datasets.quota', { n: formatNumber(q.remaining), limit: formatNumber(q.limit) });
    })
    .catch(() => {});
}

function requestForm({ onQueued }) {
  const fields = formFields('dataset');
  const image = h('input', { type: 'file', class: 'dataset-image-input', accept: 'image/jpeg,image/png,image/webp' });
  const title = h('input', { type: 'text', class: 'dataset-title-input', maxlength: '100', autocomplete: 'off' });
  const description = h('textarea', { class: 'dataset-description-input', rows: '2', maxlength: '2000' });
  const category = categorySelect('dataset-category-input', { value: 'other' });
  const tags = h('input', { type: 'text', class: 'dataset-tags-input', autocomplete: 'off', placeholder: t('datasets.tagsPlaceholder') });
  const quantity = h('input', { type: 'number', class: 'dataset-quantity-input', min: '1', max: '2000', value: '100' });
  const size = h('select', { class: 'dataset-size-input' }, ...SIZES.map((s) => h('option', { value: String(s), text: `${s} × ${s}` })));
  const method = h(
    'select',
    { class: 'dataset-method-input' },
    ...['augment', 'gan'].map((m) => h('option', { value: m, text: t(`datasets.method.${m}`) })),
  );
  // The GAN makes 64 px images only.
  method.addEventListener('change', () => {
    const gan = method.value === 'gan';
    if (gan) size.value = '64';
    for (const o of size.options) o.disabled = gan && o.value !== '64';
  });
  const seed = h('input', { type: 'text', class: 'dataset-seed-input', inputmode: 'numeric', autocomplete: 'off', placeholder: t('datasets.seedPlaceholder') });
  const quota = h('p', { class: 'muted small dataset-quota', 'aria-live': 'polite' });
  const status = h('div', { class: 'form-status' });
  const send = h('button', { type: 'submit', class: 'btn btn-primary dataset-submit', text: t('datasets.make') });
  const form = h(
    'form',
    { class: 'dataset-form stack', novalidate: true },
    fields.field('image', t('datasets.image'), image, t('datasets.imageHint')),
    fields.field('title', t('datasets.title'), title),
    fields.field('description', t('datasets.description'), description),
    fields.field('category', t('datasets.categoryLabel'), category),
    fields.field('tags', t('datasets.tags'), tags, t('datasets.tagsHint')),
    h('div', { class: 'row' }, fields.field('quantity', t('datasets.quantity'), quantity, t('datasets.quantityHint')), fields.field('size', t('datasets.size'), size)),
    fields.field('method', t('datasets.methodLabel'), method, t('datasets.methodHint')),
    fields.field('seed', t('datasets.seed'), seed, t('datasets.seedHint')),
    quota,
    status,
    send,
  );
  quotaLine(quota);
  let key = api.newKey();
  sendForm(form, {
    fields,
    status,
    button: send,
    submit: () => {
      const body = new FormData();
      if (image.files?.[0]) body.append('image', image.files[0]);
      body.append('title', title.value);
      body.append('description', description.value);
      body.append('category', category.value);
      body.append('tags', tags.value);
      body.append('quantity', quantity.value);
      body.append('size', size.value);
      body.append('method', method.value);
      if (seed.value.trim()) body.append('seed', seed.value.trim());
      return api.upload('/datasets', body, { headers: { 'idempotency-key': key } });
    },
    done: (set) => {
      key = api.newKey();
      form.reset();
      quantity.value = '100';
      method.dispatchEvent(new Event('change'));
      quotaLine(quota);
      toast(t('datasets.queued'));
      onQueued(set);
    },
  });
  return form;
}

function searchSection(onLeave) {
  const q = h('input', { type: 'search', class: 'dataset-search-input', placeholder: t('datasets.searchPlaceholder'), 'aria-label': t('datasets.searchPlaceholder') });
  const category = categorySelect('dataset-search-category', { any: true });
  const sort = h(
    'select',
    { class: 'dataset-search-sort', 'aria-label': t('datasets.sort') },
    ...['new', 'popular', 'price'].map((s) => h('option', { value: s, text: t(`datasets.sort.${s}`) })),
  );
  const results = h('div', { class: 'dataset-results' });
  const run = () => {
    const params = new URLSearchParams();
    if (q.value.trim()) params.set('q', q.value.trim());
    if (category.value) params.set('category', category.value);
    params.set('sort', sort.value);
    clear(results);
    cursorList(results, {
      load: (cursor) => api.get(`/datasets?${params}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`),
      list: () => h('div', { class: 'dataset-grid' }),
      item: (set) => setCard(set, { mine: set.owner === api.currentUser()?.username, onLeave }),
      empty: () => h('p', { class: 'muted dataset-none', text: t('datasets.noneFound') }),
    });
  };
  const form = h('form', { class: 'row dataset-search', role: 'search' }, q, category, sort, h('button', { type: 'submit', class: 'btn', text: t('datasets.search') }));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    run();
  });
  run();
  return h('section', { class: 'stack' }, h('h2', { text: t('datasets.find') }), form, results);
}

function mineSection(onLeave) {
  const el = h('div', { class: 'my-datasets' });
  let ctl = null;
  const refresh = () => {
    clear(el);
    cursorList(el, {
      load: (cursor) => api.get(`/users/me/datasets${cursor ? `?cursor=${encodeURIComponent(cursor)}` : ''}`, { auth: 'required' }),
      list: () => h('div', { class: 'dataset-grid' }),
      item: (set) => setCard(set, { mine: true, onLeave }),
      empty: () => h('p', { class: 'muted', text: t('datasets.noneMine') }),
      ref: (c) => {
        ctl = c;
      },
    });
  };
  refresh();
  return {
    el: h('section', { class: 'stack' }, h('h2', { text: t('datasets.mine') }), el),
    add: (set) => {
      if (!ctl || ctl.prepend(set) === false) refresh();
    },
  };
}

export function render({ onLeave = () => {} } = {}) {
  const head = h('div', { class: 'page-head' }, h('h1', { text: t('datasets.heading') }), h('p', { class: 'muted', text: t('datasets.lead') }));
  if (!api.signedIn()) {
    return h(
      'section',
      { class: 'datasets-page stack-lg' },
      head,
      h('p', {}, h('a', { href: '#/login', class: 'btn btn-primary', text: t('datasets.loginToMake') })),
      searchSection(onLeave),
    );
  }
  const mine = mineSection(onLeave);
  return h(
    'section',
    { class: 'datasets-page stack-lg' },
    head,
    h('div', { class: 'card' }, requestForm({ onQueued: (set) => mine.add(set) })),
    mine.el,
    searchSection(onLeave),
  );
}
