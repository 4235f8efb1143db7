// Make: pick a photo (file, drag and drop, or the camera on phones), choose emoji or zodiac
// (and an emoji template), upload with progress, then follow the task on its own page.
// The choices live at module level so a language switch does not lose the picked photo.

import * as api from '../api.js';
import { h, clear, errorBox, section } from '../dom.js';
import { t, pick } from '../i18n.js';
import { EXPRESSIONS, exprEmoji } from '../ui.js';
import { remember } from './task.js';

const TYPES = ['image/jpeg', 'image/png', 'image/webp'];
const MAX_BYTES = 15 * 1024 * 1024;

const state = { file: null, preview: null, kind: 'emoji', template: null, key: null };
let templates = null;

function loadTemplates() {
  if (templates) return Promise.resolve(templates);
  return api.get('/emoji-templates', { auth: 'none' }).then((r) => (templates = r.items));
}

function anonymous() {
  return h(
    'section',
    { class: 'hero' },
    h(
      'div',
      { class: 'hero-text' },
      h('h1', { text: t('make.anonTitle') }),
      h('p', { class: 'lead', text: t('make.anonLead') }),
      h(
        'div',
        { class: 'row' },
        h('a', { class: 'btn btn-primary', href: '#/signup', text: t('make.anonCta') }),
        h('a', { class: 'btn btn-ghost', href: '#/login', text: t('make.anonLogin') }),
      ),
    ),
    h(
      'div',
      { class: 'hero-art', 'aria-hidden': 'true' },
      EXPRESSIONS.map((e, i) => h('span', { class: `hero-emoji hero-emoji-${i}`, text: exprEmoji(e) })),
      h('span', { class: 'hero-emoji hero-emoji-z', text: '🐯' }),
    ),
  );
}

export function render({ navigate }) {
  if (!api.signedIn()) return anonymous();

  const status = h('div', { class: 'form-status' });
  const uploadBar = h('div', { class: 'upload-progress', hidden: true });

  // ---- 1. photo --------------------------------------------------------------------------
  const preview = h('div', { class: 'drop-preview' });
  const paintPreview = () => {
    clear(preview);
    if (state.preview) {
      const img = h('img', { src: state.preview, alt: t('make.previewAlt'), class: 'preview-img' });
      // A file the browser cannot show (HEIC, a damaged photo): an icon instead of a broken
      // image; the API still has the last word on whether it can read it.
      img.addEventListener('error', () => img.replaceWith(h('span', { class: 'drop-icon', 'aria-hidden': 'true', text: '🖼️' })), { once: true });
      preview.append(img, h('span', { class: 'preview-name', text: state.file.name }));
    } else {
      preview.append(h('span', { class: 'drop-icon', 'aria-hidden': 'true', text: '📷' }));
    }
  };
  const choose = (file) => {
    clear(status);
    if (!file) return;
    if (file.type && !TYPES.includes(file.type)) {
      status.append(errorBox({ problem: { detail: t('error.fileType') } }));
      return;
    }
    if (file.size > MAX_BYTES) {
      status.append(errorBox({ problem: { detail: t('error.fileTooBig') } }));
      return;
    }
    state.file = file;
    state.preview = URL.createObjectURL(file);
    state.key = null;
    paintPreview();
    syncSubmit();
  };
  const fileInput = h('input', {
    id: 'photo',
    name: 'photo',
    type: 'file',
    accept: TYPES.join(','),
    class: 'sr-only',
    onchange: (e) => choose(e.target.files[0]),
  });
  const cameraInput = h('input', {
    id: 'camera',
    type: 'file',
    accept: 'image/*',
    capture: 'user',
    class: 'sr-only',
    onchange: (e) => choose(e.target.files[0]),
  });
  const coarse = window.matchMedia?.('(pointer: coarse)').matches;
  const drop = h(
    'div',
    { class: 'dropzone' },
    preview,
    h(
      'div',
      { class: 'drop-actions' },
      fileInput,
      h('label', { for: 'photo', class: 'btn btn-primary' }, h('span', { 'aria-hidden': 'true', text: '🖼️ ' }), t('make.choose')),
      coarse && [cameraInput, h('label', { for: 'camera', class: 'btn btn-ghost' }, h('span', { 'aria-hidden': 'true', text: '🤳 ' }), t('make.camera'))],
    ),
    h('p', { class: 'muted small', text: t('make.drop') }),
  );
  drop.addEventListener('dragover', (e) => {
    e.preventDefault();
    drop.classList.add('is-over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('is-over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('is-over');
    choose(e.dataTransfer?.files?.[0]);
  });
  paintPreview();

  // ---- 2. kind ---------------------------------------------------------------------------
  const kindCard = (kind, icon, title, desc) =>
    h(
      'label',
      { class: 'choice' },
      h('input', {
        type: 'radio',
        name: 'kind',
        value: kind,
        checked: state.kind === kind,
        onchange: () => {
          state.kind = kind;
          state.key = null;
          templateSet.hidden = kind !== 'emoji';
          syncSubmit();
        },
      }),
      h(
        'span',
        { class: 'choice-body' },
        h('span', { class: 'choice-icon', 'aria-hidden': 'true', text: icon }),
        h('strong', { text: title }),
        h('span', { class: 'muted small', text: desc }),
      ),
    );

  // ---- 3. template -----------------------------------------------------------------------
  const templateList = h('div', { class: 'chips' });
  section(templateList, loadTemplates, (items) => {
    state.template ??= items[0]?.id ?? null;
    return items.map((tpl) =>
      h(
        'label',
        { class: 'chip', title: pick(tpl.description) },
        h('input', {
          type: 'radio',
          name: 'template',
          value: tpl.id,
          checked: tpl.id === state.template,
          onchange: () => {
            state.template = tpl.id;
            state.key = null;
          },
        }),
        h('span', { text: pick(tpl.name) }),
      ),
    );
  });
  const templateSet = h('fieldset', { class: 'step', hidden: state.kind !== 'emoji' }, h('legend', { text: t('make.step3') }), templateList);

  const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-big btn-block' });
  const syncSubmit = () => {
    submit.textContent = state.kind === 'zodiac' ? t('make.submitZodiac') : t('make.submitEmoji');
    submit.disabled = !state.file;
  };
  syncSubmit();

  const form = h(
    'form',
    { class: 'card make-form', novalidate: true },
    h('fieldset', { class: 'step' }, h('legend', { text: t('make.step1') }), drop),
    h(
      'fieldset',
      { class: 'step' },
      h('legend', { text: t('make.step2') }),
      h(
        'div',
        { class: 'choices' },
        kindCard('emoji', '😄', t('make.kindEmoji'), t('make.kindEmojiDesc')),
        kindCard('zodiac', '🐯', t('make.kindZodiac'), t('make.kindZodiacDesc')),
      ),
    ),
    templateSet,
    status,
    uploadBar,
    submit,
  );

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!state.file) return;
    clear(status);
    submit.disabled = true;
    form.setAttribute('aria-busy', 'true');
    // Same key for a retry of the same choice: a lost answer does not make a second task.
    state.key ??= api.newKey();
    const body = new FormData();
    body.append('kind', state.kind);
    if (state.kind === 'emoji' && state.template) body.append('template', state.template);
    body.append('image', state.file, state.file.name || 'photo');
    const bar = h('progress', { max: '100', value: '0', 'aria-label': t('make.uploading', { pct: 0 }) });
    const label = h('span', { text: t('make.uploading', { pct: 0 }) });
    clear(uploadBar).append(label, bar);
    uploadBar.hidden = false;
    try {
      const task = await api.upload('/faces/tasks', body, {
        headers: { 'Idempotency-Key': state.key },
        onProgress: (p) => {
          bar.value = p;
          label.textContent = t('make.uploading', { pct: p });
        },
      });
      remember(task, state.preview);
      state.key = null;
      navigate(`#/task/${task.id}`);
    } catch (err) {
      uploadBar.hidden = true;
      status.append(errorBox(err));
      status.scrollIntoView({ block: 'nearest' });
    } finally {
      submit.disabled = !state.file;
      form.removeAttribute('aria-busy');
    }
  });

  return h(
    'section',
    { class: 'make' },
    h('div', { class: 'page-head' }, h('h1', { text: t('make.title') }), h('p', { class: 'lead', text: t('make.lead') })),
    form,
  );
}
