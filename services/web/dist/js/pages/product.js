// One product (#/m/{id}): its photos, name, price in won, seller (a link to their page, and to
// everything they sell), description, and its page elsewhere (a new tab, without passing
// this page on: rel="noopener noreferrer"). While its photos are processed (only its seller
// sees it then) it says so and is read again every second until it is published or failed.
// Its seller edits it in place (PATCH /products/{id}) and deletes it (after a confirm step).
// Under it, once published: similar products (recommend.js; nothing when there are none or
// the call fails). The time the page is on the screen is told when the person leaves.

import * as api from '../api.js';
import { h, append, clear, errorBox, loading, toast } from '../dom.js';
import { t, tParts, formatDate } from '../i18n.js';
import { userLink, price } from '../ui.js';
import { gallery, statusBadge, settle } from '../media.js';
import { productForm } from './sell.js';
import { similarSection, trackDwell } from '../recommend.js';
import { reportButton } from '../report.js';

/** An outside link, only when it is http(s) (the API checks it too). */
function outside(link) {
  let url = null;
  try {
    url = new URL(link);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  return h(
    'a',
    { class: 'btn btn-ghost product-link', href: url.href, target: '_blank', rel: 'noopener noreferrer' },
    t('market.visit', { host: url.host }),
    h('span', { 'aria-hidden': 'true', text: ' ↗' }),
    h('span', { class: 'sr-only', text: ` (${t('market.newTab')})` }),
  );
}

export function render({ params, navigate, onLeave }) {
  const id = params[0];
  const root = h('article', { class: 'product-page stack-lg', dataset: { id } });
  // Similar products go beside the article, not in it: the page's own selectors (its price,
  // its links) never reach into the cards.
  const similarBox = h('div', { class: 'rec-slot' });
  const dwell = trackDwell(id, onLeave);
  const similar = () => {
    if (similarBox.firstChild || (product.status ?? 'published') !== 'published') return;
    similarBox.append(similarSection('products', product.id));
  };
  const status = h('div', { class: 'form-status product-status' });
  let product = null;
  let mode = 'plain'; // 'plain' | 'editing' | 'confirming'

  const mine = () => api.currentUser()?.username === product.seller?.username;

  const remove = async () => {
    const yes = root.querySelector('.confirm-delete');
    if (yes?.disabled) return;
    for (const b of root.querySelectorAll('.product-actions button')) b.disabled = true;
    clear(status);
    try {
      await api.del(`/products/${id}`, { auth: 'required' });
      toast(t('market.deleted'));
      navigate('#/market');
    } catch (err) {
      status.append(errorBox(err, remove));
      for (const b of root.querySelectorAll('.product-actions button')) b.disabled = false;
    }
  };

  const actions = () => {
    const to = (next, focus) => () => {
      mode = next;
      paint();
      root.querySelector(focus)?.focus();
    };
    if (mode === 'confirming') {
      return h(
        'div',
        { class: 'row product-actions' },
        h('p', { class: 'post-confirm-text', role: 'alert', text: t('market.deleteConfirm') }),
        h('button', { type: 'button', class: 'btn btn-small btn-danger confirm-delete', onclick: remove, text: t('posts.deleteYes') }),
        h('button', { type: 'button', class: 'btn btn-ghost btn-small cancel-delete', onclick: to('plain', '.delete-product'), text: t('emoji.cancel') }),
      );
    }
    return h(
      'div',
      { class: 'row product-actions' },
      h('button', { type: 'button', class: 'btn btn-ghost btn-small edit-product', onclick: to('editing', '.product-name-input'), text: t('posts.edit') }),
      h('button', { type: 'button', class: 'btn btn-ghost btn-small delete-product', onclick: to('confirming', '.cancel-delete'), text: t('posts.delete') }),
    );
  };

  const paint = () => {
    clear(status);
    root.dataset.status = product.status ?? 'published';
    if (mode === 'editing') {
      const back = () => {
        mode = 'plain';
        paint();
        root.querySelector('.edit-product')?.focus();
      };
      append(clear(root), [
        h('h1', { class: 'sr-only', text: product.name }),
        productForm({
          initial: product,
          submitText: t('emoji.save'),
          clearLink: true,
          submit: (body) => api.patch(`/products/${id}`, body, { auth: 'required' }),
          done: (view) => {
            product = view;
            toast(t('market.saved'));
            back();
          },
          cancel: back,
          className: 'card edit-form',
        }),
      ]);
      return;
    }
    const seller = product.seller ?? {};
    append(clear(root), [
      h(
        'div',
        { class: 'product-layout' },
        h(
          'div',
          { class: 'product-media' },
          gallery(product.images, { alt: product.name }) ?? h('div', { class: 'pic pic-none product-no-photo', 'aria-hidden': 'true', text: '🛍️' }),
        ),
        h(
          'div',
          { class: 'product-info' },
          h('h1', { class: 'product-name', text: product.name }),
          h('p', { class: 'product-price' }, price(product.price)),
          statusBadge(product),
          h(
            'p',
            { class: 'product-meta muted' },
            h('span', { class: 'product-seller' }, tParts('market.soldBy', { name: userLink(seller) })),
            ' · ',
            h('time', { datetime: product.created_at, text: formatDate(product.created_at) }),
            product.updated_at && product.updated_at !== product.created_at ? ` · ${t('posts.edited')}` : null,
          ),
          product.description && h('div', { class: 'product-description post-text', text: product.description }),
          product.link && outside(product.link),
          seller.username &&
            h(
              'p',
              { class: 'small' },
              h('a', {
                class: 'more-from-seller',
                href: `#/market?seller=${encodeURIComponent(seller.username)}`,
                text: t('market.moreFrom', { name: seller.display_name || seller.username }),
              }),
            ),
          mine() && actions(),
          !mine() && product.status === 'published' && reportButton('product', product.id),
          status,
        ),
      ),
    ]);
  };

  const load = async () => {
    clear(root).append(loading());
    root.setAttribute('aria-busy', 'true');
    try {
      product = await api.get(`/products/${encodeURIComponent(id)}`);
      paint();
      document.title = `${product.name} · Moji`;
      dwell.ready();
      similar();
      settle(product, `/products/${product.id}`, root, (view) => {
        product = view;
        if (mode !== 'editing') paint();
        similar();
      });
    } catch (err) {
      clear(root).append(
        h('h1', { text: t('error.title') }),
        err.status === 404 || err.status === 400 ? errorBox({ problem: { detail: t('market.notFound'), code: 'not_found' } }) : errorBox(err, load),
      );
    } finally {
      root.removeAttribute('aria-busy');
    }
  };
  load();
  return h('div', { class: 'stack-lg' }, root, similarBox);
}
