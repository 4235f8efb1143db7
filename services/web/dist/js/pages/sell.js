// Sell something (#/sell, signed in): name, price in won, an outside link, a description and
// up to ten photos (uploaded first, each with its progress bar), then POST /products; the
// product's page follows (pending until its photos are processed). The same form edits a
// product on its page (without the photos: PATCH /products/{id} does not change them).

import * as api from '../api.js';
import { h, toast } from '../dom.js';
import { t, formatPrice } from '../i18n.js';
import { formFields, sendForm } from '../ui.js';
import { imagePicker } from '../media.js';

/** "32,000", "32000원", "₩ 32 000" -> 32000; anything else -> null. */
export function parsePrice(text) {
  const plain = String(text ?? '').replace(/[\s,원₩]/g, '');
  return /^\d{1,13}$/.test(plain) ? Number(plain) : null;
}

/** A problem found here, before asking the API: shown like the API's own. */
function localRefusal(field, message) {
  return new api.ApiError({ status: 0, code: 'validation_failed', detail: t('market.checkFields'), errors: [{ field, message }] });
}

/**
 * The form of a product: name, price (the hint shows it as it will read), link, description,
 * and with `media` (an `imagePicker`) photos. `submit(body)` sends it (`link` is left out
 * when empty, or null with `clearLink` so an edit removes it) and resolves with the product;
 * `done(view)` hears a success; `cancel` adds a Cancel button.
 */
export function productForm({ initial = {}, submitText, submit, done, cancel = null, media = null, clearLink = false, className = '' }) {
  const fields = formFields('product');
  const name = h('input', { type: 'text', class: 'product-name-input', maxlength: '100', autocomplete: 'off', value: initial.name ?? '' });
  const priceInput = h('input', {
    type: 'text',
    class: 'product-price-input',
    inputmode: 'numeric',
    autocomplete: 'off',
    value: initial.price !== undefined ? String(initial.price) : '',
  });
  const link = h('input', {
    type: 'url',
    class: 'product-link-input',
    maxlength: '2000',
    autocomplete: 'off',
    placeholder: 'https://',
    value: initial.link ?? '',
  });
  const description = h('textarea', { class: 'product-description-input', rows: '4', maxlength: '2000' });
  description.value = initial.description ?? '';
  const status = h('div', { class: 'form-status' });
  const send = h('button', { type: 'submit', class: 'btn btn-primary product-submit', text: submitText });
  const priceField = fields.field('price', t('market.price'), priceInput, t('market.priceHint'));
  const preview = h('p', { class: 'price-preview small', 'aria-live': 'polite' });
  const paintPreview = () => {
    const n = parsePrice(priceInput.value);
    preview.textContent = n === null ? '' : t('market.priceReads', { price: formatPrice(n) });
  };
  priceInput.addEventListener('input', paintPreview);
  paintPreview();
  priceField.querySelector('.field-hint').after(preview);

  const form = h(
    'form',
    { class: ['product-form', 'stack', className], novalidate: true },
    fields.field('name', t('market.name'), name, t('market.nameHint')),
    priceField,
    fields.field('link', t('market.link'), link, t('market.linkHint')),
    fields.field('description', t('market.description'), description, t('market.descriptionHint')),
    media && fields.group('images', t('media.photosLabel'), media.el, media.input),
    status,
    h(
      'div',
      { class: 'row' },
      send,
      cancel && h('button', { type: 'button', class: 'btn btn-ghost product-cancel', onclick: cancel, text: t('emoji.cancel') }),
    ),
  );
  sendForm(form, {
    fields,
    status,
    button: send,
    submit: () => {
      const price = parsePrice(priceInput.value);
      if (price === null) return Promise.reject(localRefusal('price', t('market.priceInvalid')));
      const body = { name: name.value.trim(), price, description: description.value };
      const url = link.value.trim();
      if (url) body.link = url;
      else if (clearLink) body.link = null;
      return submit(body);
    },
    done,
  });
  return form;
}

export function render({ navigate }) {
  const media = imagePicker();
  const form = productForm({
    submitText: t('market.list'),
    media,
    submit: async (body) => {
      const images = media.count() ? await media.upload() : [];
      return api.post('/products', images.length ? { ...body, images } : body, { auth: 'required' });
    },
    done: (view) => {
      media.reset();
      toast(t(view.status === 'pending' ? 'market.listedPending' : 'market.listed'));
      navigate(`#/m/${view.id}`);
    },
    className: 'sell-form',
  });
  return h(
    'section',
    { class: 'sell-page stack-lg' },
    h('div', { class: 'page-head' }, h('h1', { text: t('market.sellTitle') }), h('p', { class: 'muted', text: t('market.sellLead') })),
    h('div', { class: 'card' }, form),
    h('p', {}, h('a', { href: '#/market', text: t('market.back') })),
  );
}
