// Small DOM helpers: element builders, error boxes, toasts. No framework, no innerHTML with
// data (text always goes through textContent, so API strings can never inject markup).

import { t } from './i18n.js';

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

/** Renders an async section: a spinner, then `build(data)`, or the error with a retry. */
export function section(el, load, build) {
  const run = async () => {
    clear(el).append(loading());
    el.setAttribute('aria-busy', 'true');
    try {
      const data = await load();
      append(clear(el), [build(data)]);
    } catch (err) {
      clear(el).append(errorBox(err, run));
    } finally {
      el.removeAttribute('aria-busy');
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
