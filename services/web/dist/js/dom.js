// Small DOM helpers: element builders, error boxes, toasts, async sections, lists read by
// cursor. No framework, no innerHTML with data (text always goes through textContent, so API
// strings can never inject markup).

import { t, formatNumber } from './i18n.js';

/**
 * h('button', {class: 'btn', onclick: fn, 'aria-label': 'x'}, 'text', child, [more])
 * Props: `class`, `text`, `dataset` (object), `on<event>` listeners, `value`/`checked`/
 * `disabled`/`hidden`/... as properties when the element has them, the rest as attributes.
 * Children: nodes, strings, arrays; null/false are skipped.
 */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  applyProps(el, props);
  append(el, children);
  return el;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

/** Same as `h` for SVG elements (attributes only). */
export function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') el.setAttribute('class', v);
    else el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

function applyProps(el, props) {
  if (!props) return;
  for (const [k, v] of Object.entries(props)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') el.className = Array.isArray(v) ? v.filter(Boolean).join(' ') : v;
    else if (k === 'text') el.textContent = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'vars') for (const [name, val] of Object.entries(v)) el.style.setProperty(name, val);
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k in el && typeof v !== 'string') el[k] = v;
    else if (k === 'value' || k === 'checked' || k === 'selected') el[k] = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
}

export function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

/** A visually hidden text for screen readers. */
export function sr(text) {
  return h('span', { class: 'sr-only', text });
}

/**
 * A readable error: the problem `detail` (never a blank screen), the field errors when the
 * API sent some, the request id for support, and an optional retry button.
 */
export function errorBox(err, retry, { fields: showFields = true, title } = {}) {
  const problem = err?.problem ?? { detail: err?.message || t('error.unexpected') };
  const fields = Array.isArray(problem.errors) ? problem.errors : [];
  return h(
    'div',
    { class: 'alert alert-error', role: 'alert', dataset: { code: problem.code ?? 'unknown' } },
    h('p', { class: 'alert-title', text: title ?? (problem.title && problem.status >= 500 ? problem.title : t('error.title')) }),
    h('p', { class: 'alert-detail', text: problem.detail || t('error.unexpected') }),
    showFields &&
      fields.length > 0 &&
      h(
        'ul',
        { class: 'alert-fields' },
        fields.map((f) => h('li', {}, h('code', { text: f.field }), ' — ', f.message)),
      ),
    problem.request_id && h('p', { class: 'alert-meta', text: t('error.requestId', { id: problem.request_id }) }),
    retry && h('button', { type: 'button', class: 'btn btn-small', onclick: retry, text: t('error.retry') }),
  );
}

export function loading() {
  return h('div', { class: 'loading', role: 'status' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), t('common.loading'));
}

let toastTimer = null;
/** A short message in the polite live region at the bottom of the screen. */
export function toast(text, kind = 'info') {
  const region = document.getElementById('toast');
  if (!region) return;
  clear(region);
  region.append(h('div', { class: `toast toast-${kind}`, text }));
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => clear(region), 5000);
}

const sections = new WeakMap();

/** Renders an async section: a spinner, then `build(data)`, or the error with a retry. */
export function section(el, load, build) {
  // When the section is loaded again before an earlier load has answered (a quick switch of
  // tabs, say), only the latest answer is shown.
  const run = async () => {
    const mine = (sections.get(el) ?? 0) + 1;
    sections.set(el, mine);
    const latest = () => sections.get(el) === mine;
    clear(el).append(loading());
    el.setAttribute('aria-busy', 'true');
    try {
      const data = await load();
      if (latest()) append(clear(el), [build(data)]);
    } catch (err) {
      if (latest()) clear(el).append(errorBox(err, run));
    } finally {
      if (latest()) el.removeAttribute('aria-busy');
    }
  };
  run();
  return el;
}

/** Pager for `{page, size, total}` pages; `go(page)` is called with the page to show. */
export function pager(page, size, total, go) {
  const pages = Math.max(1, Math.ceil(total / size));
  if (pages <= 1) return null;
  return h(
    'nav',
    { class: 'pager', 'aria-label': t('common.pager') },
    h('button', { type: 'button', class: 'btn btn-ghost', disabled: page <= 1, onclick: () => go(page - 1), text: `← ${t('common.prev')}` }),
    h('span', { class: 'pager-info', text: t('common.pageOf', { page, pages }) }),
    h('button', { type: 'button', class: 'btn btn-ghost', disabled: page >= pages, onclick: () => go(page + 1), text: `${t('common.next')} →` }),
  );
}

/** `?size=` of the address, kept within what the API takes (1..100). */
export function sizeOf(query, fallback) {
  const n = Number.parseInt(query.get('size') ?? '', 10);
  return Number.isFinite(n) ? Math.min(100, Math.max(1, n)) : fallback;
}

/**
 * A list read page by page with the API's cursors (`{items, total?, next_cursor}`): the first
 * page, then a "Load more" button that appends the next one (`?cursor=<next_cursor>`) until
 * the API says there is no more. No page numbers are ever built, so any depth works.
 *   load(cursor)  the page after `cursor` (null: the first page), a promise
 *   list()        the empty list element the items go into
 *   item(x)       one item's element
 *   empty(page)   what to show when the first page has nothing
 *   key(x)        an item's identity: one that moved between pages (a like changed its
 *                 rank, say) is not shown twice
 *   ref(ctl)      optional: receives `{drop(key), prepend(x), append(x)}`: drop takes an item
 *                 out of the list (it was deleted, say) and counts it out of "n of total"; the
 *                 last one gone shows `empty()` when there is nothing more to load; prepend
 *                 (append) puts a new item first (last); false when the empty state is showing
 * A page without `total` (the post feeds) shows "n shown" instead of "n of total".
 * Shows "n of total" under the list; the first page's failure is the section's error with a
 * retry, a later page's failure shows above the button, which stays to try again.
 */
export function cursorList(el, { load, list, item, empty, key = (x) => x.id, ref }) {
  let listEl = null;
  let seen = new Set();
  let nodes = new Map();
  let shown = 0;
  let total = 0;
  // Feeds send no `total` (only `next_cursor`): the count then says "n shown".
  let counted = true;
  let next = null;
  const count = h('p', { class: 'more-count', 'aria-live': 'polite' });
  const status = h('div', { class: 'more-status' });
  const more = h('button', { type: 'button', class: 'btn more-btn', text: t('common.more') });
  const foot = h('div', { class: 'more' }, count, status, more);

  const paint = () => {
    foot.dataset.shown = String(shown);
    if (counted) foot.dataset.total = String(total);
    else delete foot.dataset.total;
    count.textContent = counted
      ? t('common.shown', { n: formatNumber(shown), total: formatNumber(total) })
      : t('common.shownNoTotal', { n: formatNumber(shown) });
    more.hidden = !next;
    foot.dataset.more = next ? 'true' : 'false';
  };
  /** Appends a page's new items; returns the first one added. */
  const add = (page) => {
    let first = null;
    for (const x of page.items ?? []) {
      const k = key(x);
      if (seen.has(k)) continue;
      seen.add(k);
      const node = item(x);
      nodes.set(k, node);
      listEl.append(node);
      first ??= node;
      shown += 1;
    }
    next = page.next_cursor ?? null;
    if (page.total === undefined || page.total === null) counted = false;
    total = Math.max(Number(page.total) || 0, shown);
    paint();
    return first;
  };
  const loadMore = async () => {
    if (!next || more.disabled) return;
    const hadFocus = document.activeElement === more;
    more.disabled = true;
    more.textContent = t('common.loading');
    foot.setAttribute('aria-busy', 'true');
    clear(status);
    try {
      const first = add(await load(next));
      // Keyboard and screen reader users go on reading at the first new item.
      if (hadFocus && first) first.querySelector('a[href], button')?.focus();
    } catch (err) {
      status.append(errorBox(err, loadMore));
    } finally {
      more.disabled = false;
      more.textContent = t('common.more');
      foot.removeAttribute('aria-busy');
    }
  };
  more.addEventListener('click', loadMore);
  const put = (x, where) => {
    if (!listEl || !listEl.isConnected) return false;
    const k = key(x);
    if (seen.has(k)) return true;
    seen.add(k);
    const node = item(x);
    nodes.set(k, node);
    listEl[where](node);
    shown += 1;
    total += 1;
    paint();
    return true;
  };
  ref?.({
    drop: (k) => {
      const node = nodes.get(k);
      if (!node) return;
      nodes.delete(k); // stays in `seen`: a later page does not bring it back
      node.remove();
      shown -= 1;
      total = Math.max(total - 1, shown);
      if (shown === 0 && !next) append(clear(el), [empty({ items: [], total: 0, next_cursor: null })]);
      else paint();
    },
    // Puts a new item first (one just written, say); `append` puts it last (a list read
    // oldest first). False when no list is showing (the empty state): the caller then loads
    // the list again.
    prepend: (x) => put(x, 'prepend'),
    append: (x) => put(x, 'append'),
  });

  return section(
    el,
    () => load(null),
    (page) => {
      if (!page.items?.length) return empty(page);
      listEl = list();
      seen = new Set();
      nodes = new Map();
      shown = 0;
      counted = true;
      add(page);
      return [listEl, foot];
    },
  );
}

/** A segmented control made of real radio buttons (arrow keys work natively). */
export function segmented(name, label, options, value, onChange, { showLabel = false } = {}) {
  return h(
    'fieldset',
    { class: 'segmented-set' },
    h('legend', { class: showLabel ? 'label' : 'sr-only', text: label }),
    h(
      'div',
      { class: 'segmented' },
      options.map((o) =>
        h(
          'label',
          { class: 'segment' },
          h('input', {
            type: 'radio',
            name,
            value: o.value,
            checked: o.value === value,
            onchange: (e) => e.target.checked && onChange(o.value),
          }),
          h('span', { text: o.label }),
        ),
      ),
    ),
  );
}
