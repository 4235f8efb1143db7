// Images of posts, products and avatars: thumbnails for lists (with their size, so nothing
// jumps when they arrive), the display images of a page, the badge of something whose images
// are still being processed (or failed), polling until it settles, and the photo picker that
// checks, previews and uploads photos with a progress bar per file.

import * as api from './api.js';
import { h, clear } from './dom.js';
import { t, formatNumber } from './i18n.js';

export const IMAGE_TYPES = ['image/jpeg', 'image/png', 'image/webp'];
export const MAX_IMAGE_BYTES = 10 * 1024 * 1024;
export const MAX_IMAGES = 10;
const THUMB_SIDE = 320; // the API's thumbnails: long side at most 320 px

/** The thumbnail's size from the display image's (same proportions, long side ≤ 320). */
function thumbSize(img) {
  const w = Number(img.width) || 0;
  const hgt = Number(img.height) || 0;
  if (!w || !hgt) return {};
  const k = Math.min(1, THUMB_SIDE / Math.max(w, hgt));
  return { width: String(Math.max(1, Math.round(w * k))), height: String(Math.max(1, Math.round(hgt * k))) };
}

/**
 * One image: the picture when it is ready (`thumb`: the thumbnail, else the display image),
 * a placeholder saying it is being processed or failed otherwise. Width and height are set
 * so the layout is reserved before the file arrives.
 */
export function picture(img, { thumb = false, alt = '', className = '', eager = false } = {}) {
  const src = thumb ? (img.thumbnail_url ?? img.url) : (img.url ?? img.thumbnail_url);
  if (img.status === 'ready' && src) {
    const size = thumb ? thumbSize(img) : img.width && img.height ? { width: String(img.width), height: String(img.height) } : {};
    return h('img', {
      class: ['pic', className],
      src: api.fileUrl(src),
      alt,
      ...size,
      loading: eager ? null : 'lazy',
      decoding: 'async',
      dataset: { status: 'ready' },
    });
  }
  const failed = img.status === 'failed';
  return h(
    'span',
    {
      class: ['pic', 'pic-placeholder', className],
      role: 'img',
      'aria-label': t(failed ? 'media.imageFailed' : 'media.imageProcessing'),
      dataset: { status: img.status },
    },
    failed ? h('span', { 'aria-hidden': 'true', text: '⚠️' }) : h('span', { class: 'spinner', 'aria-hidden': 'true' }),
  );
}

/**
 * The thumbnails of a list item (up to four; "+n" on the last when there are more), as a
 * link to `href`. The same link as the item's title, so it is kept out of the tab order and
 * the accessibility tree; the photo count is said in `countLabel` instead.
 */
export function thumbs(images, { href, alt }) {
  if (!images?.length) return null;
  const shown = images.slice(0, 4);
  const rest = images.length - shown.length;
  return h(
    'a',
    { class: 'thumbs', href, tabindex: '-1', 'aria-hidden': 'true', dataset: { n: String(shown.length) } },
    shown.map((img, i) =>
      h(
        'span',
        { class: 'thumb' },
        picture(img, { thumb: true, alt: t('media.photoOf', { title: alt, n: i + 1, total: images.length }) }),
        rest > 0 && i === shown.length - 1 && h('span', { class: 'thumb-more', text: `+${formatNumber(rest)}` }),
      ),
    ),
  );
}

/** "📷 3" with "3 photos" for screen readers (nothing without photos). */
export function photoCount(images) {
  const n = images?.length ?? 0;
  if (!n) return null;
  return h(
    'span',
    { class: 'photo-count muted small', dataset: { n: String(n) } },
    h('span', { 'aria-hidden': 'true', text: `📷 ${formatNumber(n)}` }),
    h('span', { class: 'sr-only', text: t(n === 1 ? 'media.photosOne' : 'media.photos', { n: formatNumber(n) }) }),
  );
}

/** The display images of a post's or product's page, in order. */
export function gallery(images, { alt }) {
  if (!images?.length) return null;
  return h(
    'ul',
    { class: 'gallery-images', 'aria-label': t('media.photosLabel') },
    images.map((img, i) =>
      h(
        'li',
        { class: 'gallery-image', dataset: { status: img.status } },
        picture(img, { alt: images.length > 1 ? t('media.photoOf', { title: alt, n: i + 1, total: images.length }) : alt, eager: i === 0 }),
      ),
    ),
  );
}

/**
 * The state of a post or product whose images are not ready: "processing" (pending) or
 * "failed" with the API's reason. Nothing once published.
 */
export function statusBadge(x) {
  if (x.status === 'pending') {
    return h(
      'p',
      { class: 'status-badge', dataset: { status: 'pending' }, role: 'status' },
      h('span', { class: 'spinner', 'aria-hidden': 'true' }),
      h('span', { class: 'status-text', text: t('media.pending') }),
    );
  }
  if (x.status === 'failed') {
    return h(
      'div',
      { class: 'status-badge', dataset: { status: 'failed' }, role: 'alert' },
      h('span', { class: 'status-text', text: t('media.failed') }),
      x.failure && h('span', { class: 'status-reason', text: x.failure }),
    );
  }
  return null;
}

/**
 * Asks `load()` again every `every` ms until `settled(answer)` (at most `max` ms, and only
 * while `alive()`), handing every answer to `onUpdate`; `onTimeout` runs if it never settles.
 * A failed look is tried again on the next tick. Returns a function that stops it.
 */
export function pollUntil(load, settled, { onUpdate, onTimeout = () => {}, alive = () => true, every = 1000, max = 60_000 }) {
  const started = Date.now();
  let timer = null;
  let stopped = false;
  const tick = async () => {
    if (stopped || !alive()) return;
    try {
      const x = await load();
      if (stopped || !alive()) return;
      onUpdate(x);
      if (settled(x)) return;
    } catch {
      // a network hiccup: the next tick asks again
    }
    if (Date.now() - started >= max) onTimeout();
    else timer = setTimeout(tick, every);
  };
  timer = setTimeout(tick, every);
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

/**
 * While `view` is pending, reads `path` about every second (for up to a minute, while `node`
 * is on the page) and calls `paint(view)` with each new state until it is published or
 * failed; after a minute the badge says it takes longer than usual.
 */
export function settle(view, path, node, paint) {
  if (view?.status !== 'pending') return () => {};
  let seen = false;
  return pollUntil(
    () => api.get(path, { auth: 'required' }),
    (v) => v.status !== 'pending',
    {
      // The node is put on the page right after it is made: stop once it has left.
      alive: () => (node.isConnected ? (seen = true) : !seen),
      onUpdate: (v) => {
        if (v.status !== 'pending' || v.images?.some((img, i) => img.status !== view.images?.[i]?.status)) paint(v);
        view = v;
      },
      onTimeout: () => {
        const text = node.querySelector('.status-badge[data-status="pending"] .status-text');
        if (text) text.textContent = t('media.slow');
      },
    },
  );
}

/** A person's picture (their avatar's thumbnail when ready), else their initial. */
export function avatar(person, { small = false } = {}) {
  const name = person.display_name || person.username || '?';
  const a = person.avatar;
  const cls = ['avatar', small && 'avatar-small'];
  if (a?.status === 'ready' && (a.thumbnail_url || a.url)) {
    return h(
      'span',
      { class: [...cls, 'has-img'], dataset: { status: 'ready' } },
      h('img', { src: api.fileUrl(a.thumbnail_url ?? a.url), alt: t('media.avatarOf', { name }), width: '64', height: '64', decoding: 'async' }),
    );
  }
  return h('span', {
    class: [...cls, a?.status === 'processing' && 'is-processing'],
    dataset: { status: a?.status ?? 'none' },
    'aria-hidden': 'true',
    title: a?.status === 'processing' ? t('media.avatarProcessing') : null,
    text: name.slice(0, 1).toUpperCase(),
  });
}

function sizeText(bytes) {
  const mb = bytes / (1024 * 1024);
  return mb >= 1 ? `${formatNumber(Math.round(mb * 10) / 10)} MB` : `${formatNumber(Math.max(1, Math.round(bytes / 1024)))} KB`;
}

/** Why `file` cannot be uploaded (a JPEG, PNG or WebP photo of at most 10 MB), or null. */
export function refusal(file) {
  if (!IMAGE_TYPES.includes(file.type)) return t('media.notImage', { name: file.name });
  if (file.size > MAX_IMAGE_BYTES) return t('media.tooBig', { name: file.name });
  if (file.size === 0) return t('media.empty', { name: file.name });
  return null;
}

let pickerSeq = 0;

/**
 * Choose photos for a post, a product or an avatar (`max` 1): JPEG, PNG or WebP up to 10 MB
 * each, refused here before anything is asked of the API; each chosen photo shows a preview,
 * its size and a Remove button. `upload()` sends the ones not sent yet, one after the other
 * (`POST /uploads`, then the PUT with a progress bar per file), and resolves with their keys
 * in order; a failure marks that photo and rejects with the problem (the photos sent before
 * it keep their keys, so trying again sends only the rest). `onChange()` hears every change
 * of the choice.
 */
export function imagePicker({ max = MAX_IMAGES, label = t('media.add'), onChange = () => {} } = {}) {
  const id = `pick-${++pickerSeq}`;
  let items = [];
  let busy = false;
  const input = h('input', { type: 'file', id, class: 'sr-only picker-input', accept: IMAGE_TYPES.join(','), multiple: max > 1 });
  const list = h('ul', { class: 'picks', 'aria-label': t('media.chosen') });
  const note = h('div', { class: 'picker-note', 'aria-live': 'polite' });
  const addLabel = h('label', { for: id, class: 'btn btn-ghost btn-small picker-add' }, h('span', { 'aria-hidden': 'true', text: '📷 ' }), label);
  const el = h(
    'div',
    { class: 'picker' },
    h('div', { class: 'row' }, input, addLabel),
    h('p', { class: 'field-hint', id: `${id}-hint`, text: t(max > 1 ? 'media.hint' : 'media.hintOne', { max }) }),
    note,
    list,
  );
  input.setAttribute('aria-describedby', `${id}-hint`);

  const row = (item) => {
    const bar = h('progress', { class: 'pick-bar', max: '100', value: '0', 'aria-label': t('media.uploadingName', { name: item.file.name }) });
    const pct = h('span', { class: 'pick-pct small muted' });
    const remove = h('button', {
      type: 'button',
      class: 'btn btn-ghost btn-small pick-remove',
      'aria-label': t('media.removeName', { name: item.file.name }),
      onclick: () => {
        if (busy) return;
        URL.revokeObjectURL(item.url);
        const at = items.indexOf(item);
        items = items.filter((x) => x !== item);
        item.row.remove();
        paintAdd();
        onChange();
        // Keep the keyboard in the list: the next photo's Remove, else the add button.
        const next = (items[at] ?? items[at - 1])?.row.querySelector('.pick-remove');
        if (next) next.focus();
        else input.focus();
      },
      text: t('media.remove'),
    });
    const thumb = h('img', { class: 'pick-thumb', src: item.url, alt: t('media.previewOf', { name: item.file.name }), width: '64', height: '64' });
    thumb.addEventListener('error', () => thumb.replaceWith(h('span', { class: 'pick-thumb pick-thumb-none', 'aria-hidden': 'true', text: '🖼️' })), {
      once: true,
    });
    item.bar = bar;
    item.pct = pct;
    item.row = h(
      'li',
      { class: 'pick', dataset: { state: 'chosen', progress: '0' } },
      thumb,
      h(
        'div',
        { class: 'pick-body' },
        h('span', { class: 'pick-name', text: item.file.name }),
        h('span', { class: 'pick-size small muted', text: sizeText(item.file.size) }),
        h('span', { class: 'pick-progress' }, bar, pct),
      ),
      remove,
    );
    return item.row;
  };

  const setProgress = (item, p) => {
    item.bar.value = p;
    item.pct.textContent = `${p}%`;
    item.row.dataset.progress = String(p);
  };

  const paintAdd = () => {
    addLabel.hidden = items.length >= max && max > 1;
    input.disabled = busy;
  };

  const add = (files) => {
    clear(note);
    const refused = [];
    for (const file of files) {
      const why = refusal(file);
      if (why) refused.push(why);
      else {
        if (max === 1) {
          for (const x of items) URL.revokeObjectURL(x.url);
          items = [];
          clear(list);
        }
        if (items.length >= max) {
          refused.push(t('media.tooMany', { max }));
          break;
        }
        const item = { file, url: URL.createObjectURL(file), key: null };
        items.push(item);
        list.append(row(item));
      }
    }
    if (refused.length) {
      note.append(
        h(
          'div',
          { class: 'alert alert-error', role: 'alert' },
          h(
            'ul',
            { class: 'alert-fields' },
            refused.map((r) => h('li', { text: r })),
          ),
        ),
      );
    }
    paintAdd();
    onChange();
  };

  input.addEventListener('change', () => {
    add([...input.files]);
    input.value = '';
  });

  return {
    el,
    input,
    count: () => items.length,
    /** Uploads what is not uploaded yet; resolves with every key, in order. */
    async upload() {
      busy = true;
      paintAdd();
      for (const b of list.querySelectorAll('.pick-remove')) b.disabled = true;
      try {
        for (const item of items) {
          if (item.key) continue;
          item.row.dataset.state = 'uploading';
          setProgress(item, 0);
          try {
            const ticket = await api.uploadImage(item.file, { onProgress: (p) => setProgress(item, p) });
            item.key = ticket.key;
            setProgress(item, 100);
            item.row.dataset.state = 'done';
          } catch (err) {
            item.row.dataset.state = 'failed';
            throw err;
          }
        }
        return items.map((x) => x.key);
      } finally {
        busy = false;
        paintAdd();
        for (const b of list.querySelectorAll('.pick-remove')) b.disabled = false;
      }
    },
    /** Forgets every chosen photo (after they were used). */
    reset() {
      for (const x of items) URL.revokeObjectURL(x.url);
      items = [];
      clear(list);
      clear(note);
      paintAdd();
    },
  };
}

/** A stand-in picture (an icon) for an item without photos. */
export function noPicture(icon) {
  return h('span', { class: 'pic pic-none', 'aria-hidden': 'true', text: icon });
}
