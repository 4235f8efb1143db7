// Shared pieces of the pages: expression emoji, bar lists, emoji cards, like buttons.

import * as api from './api.js';
import { h, toast } from './dom.js';
import { t, formatNumber, formatDate } from './i18n.js';

/** The seven expressions in the model's order, with the emoji the UI shows for each. */
export const EXPRESSIONS = ['angry', 'disgust', 'fear', 'happy', 'sad', 'surprise', 'neutral'];
const EXPR_EMOJI = {
  angry: '😠',
  disgust: '🤢',
  fear: '😨',
  happy: '😄',
  sad: '😢',
  surprise: '😮',
  neutral: '😐',
};

export function exprEmoji(expr) {
  return EXPR_EMOJI[expr] ?? '🙂';
}

export function exprName(expr) {
  const key = `expr.${expr}`;
  const text = t(key);
  return text === key ? expr : text;
}

/** "😄 Happy" with the emoji hidden from screen readers (the word says it). */
export function exprLabel(expr) {
  return h('span', { class: 'expr' }, h('span', { class: 'expr-emoji', 'aria-hidden': 'true', text: exprEmoji(expr) }), exprName(expr));
}

/**
 * A horizontal bar chart as a list: [{label (node or text), value, display, highlight}].
 * `max` defaults to the largest value. Bars are sized with a CSS custom property.
 */
export function barList(rows, { max, label, className = '' } = {}) {
  const top = max ?? Math.max(0, ...rows.map((r) => r.value));
  return h(
    'ul',
    { class: `bars ${className}`, 'aria-label': label },
    rows.map((r) =>
      h(
        'li',
        { class: ['bar-row', r.highlight && 'is-top'], dataset: r.key ? { key: r.key } : undefined },
        h('span', { class: 'bar-label' }, r.label),
        h(
          'span',
          { class: 'bar-track', 'aria-hidden': 'true' },
          h('span', { class: 'bar-fill', vars: { '--v': top > 0 ? String(Math.max(0, r.value) / top) : '0' } }),
        ),
        h('span', { class: 'bar-value', text: r.display ?? formatNumber(r.value) }),
      ),
    ),
  );
}

/** 0.99846 -> "99.8", 0.31 -> "31", 0.029 -> "2.9", 0.00001 -> "0". */
export function pct(x) {
  const v = Math.max(0, Math.min(1, Number(x) || 0)) * 100;
  if (v < 0.05) return '0';
  if (v >= 99.95) return '100';
  if (v >= 99.5 || v < 10) return v.toFixed(1);
  return v.toFixed(0);
}

/** Like / unlike toggle; updates itself from the API's answer, rolls back on error. */
export function likeButton(emoji) {
  const state = { liked: emoji.liked_by_me, count: emoji.like_count, busy: false };
  const count = h('span', { class: 'like-count' });
  const btn = h('button', { type: 'button', class: 'like' }, h('span', { class: 'like-heart', 'aria-hidden': 'true' }), count);
  const paint = () => {
    btn.setAttribute('aria-pressed', String(state.liked));
    btn.setAttribute('aria-label', `${state.liked ? t('gallery.unlike') : t('gallery.like')} · ${t('gallery.likes', { n: state.count })}`);
    btn.classList.toggle('is-liked', state.liked);
    count.textContent = formatNumber(state.count);
  };
  btn.addEventListener('click', async () => {
    if (state.busy) return;
    if (!api.signedIn()) {
      toast(t('gallery.loginToLike'));
      location.hash = `#/login?next=${encodeURIComponent(location.hash.slice(1) || '/gallery')}`;
      return;
    }
    const before = { ...state };
    state.busy = true;
    state.liked = !before.liked;
    state.count = before.count + (state.liked ? 1 : -1);
    paint();
    try {
      const res = before.liked
        ? await api.del(`/emojis/${emoji.id}/like`, { auth: 'required' })
        : await api.put(`/emojis/${emoji.id}/like`, { auth: 'required' });
      state.liked = res.liked_by_me;
      state.count = res.like_count;
    } catch (err) {
      Object.assign(state, before);
      toast(err.problem?.detail ?? t('error.unexpected'), 'error');
    } finally {
      state.busy = false;
      paint();
    }
  });
  paint();
  return btn;
}

/** A gallery card of a saved emoji. */
export function emojiCard(e) {
  const name = e.owner?.display_name || e.owner?.username || '';
  return h(
    'li',
    { class: 'card emoji-card', dataset: { id: e.id, expression: e.expression } },
    h(
      'a',
      { class: 'emoji-card-img', href: `#/e/${e.id}` },
      h('img', {
        src: api.fileUrl(e.thumbnail_url),
        alt: e.caption
          ? `${e.caption} — ${t('gallery.imgAlt', { expr: exprName(e.expression), name })}`
          : t('gallery.imgAlt', { expr: exprName(e.expression), name }),
        loading: 'lazy',
        width: '256',
        height: '256',
      }),
      h('span', { class: 'emoji-badge', 'aria-hidden': 'true', text: exprEmoji(e.expression) }),
    ),
    h(
      'div',
      { class: 'emoji-card-body' },
      e.caption && h('p', { class: 'emoji-caption', text: e.caption }),
      h('div', { class: 'emoji-meta' }, h('span', { class: 'emoji-owner', text: t('gallery.by', { name }) }), likeButton(e)),
      h('p', { class: 'emoji-date muted small', text: formatDate(e.created_at) }),
    ),
  );
}

/** Log out (the API call, then the tokens are dropped whatever it answered) and go home. */
export async function logout(navigate) {
  try {
    await api.logOut();
    toast(t('account.loggedOut'));
  } catch (err) {
    toast(err.problem?.detail ?? t('error.unexpected'), 'error');
  }
  navigate('#/');
}

/** Share a link (Web Share on phones, the clipboard elsewhere). */
export async function share(url, text) {
  const full = new URL(url, location.href).href;
  try {
    if (navigator.share) {
      await navigator.share({ title: 'Moji', text, url: full });
      return;
    }
  } catch (err) {
    if (err?.name === 'AbortError') return;
  }
  try {
    await navigator.clipboard.writeText(text ? `${text} ${full}` : full);
    toast(t('common.copied'));
  } catch {
    window.prompt(t('result.share'), full);
  }
}
