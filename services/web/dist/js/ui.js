// Shared pieces of the pages: expression emoji, bar lists, emoji cards, post and product
// cards, tags, like and follow buttons, and the fields of forms that the API answers.

import * as api from './api.js';
import { h, append, clear, errorBox, toast } from './dom.js';
import { t, tParts, pick, formatNumber, formatDate, formatPrice } from './i18n.js';
import { picture, noPicture, thumbs, photoCount, statusBadge, settle } from './media.js';

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

/**
 * Like / unlike toggle; updates itself from the API's answer, rolls back on error. `base` is
 * the collection (`/emojis` or `/posts`): `PUT` / `DELETE {base}/{id}/like`.
 */
export function likeButton(emoji, { base = '/emojis', loginKey = 'gallery.loginToLike' } = {}) {
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
      toast(t(loginKey));
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
        ? await api.del(`${base}/${emoji.id}/like`, { auth: 'required' })
        : await api.put(`${base}/${emoji.id}/like`, { auth: 'required' });
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

/** A link to a person's public page (#/u/<username>), showing their display name. */
export function userLink(owner, { className = 'user-link' } = {}) {
  if (!owner?.username) return h('span', { text: owner?.display_name ?? '' });
  return h('a', {
    class: className,
    href: `#/u/${encodeURIComponent(owner.username)}`,
    title: `@${owner.username}`,
    text: owner.display_name || owner.username,
  });
}

/** Whether the signed-in person may follow `username` (signed in, and not themselves). */
export function canFollow(username) {
  return api.signedIn() && Boolean(username) && api.currentUser()?.username !== username;
}

/**
 * Follow / unfollow someone (`PUT` / `DELETE /users/{username}/follow`). `person` needs
 * `username` and `followed_by_me` (and `display_name` for the button's name). The button
 * says "Follow" or "Following" (pressing it then unfollows) and takes its state from the
 * API's answer, never from a guess. `onChange(answer, before)` hears every answer
 * (`{username, followed_by_me, followers, following}`; `before` is the state it replaced).
 * A failure shows the problem (detail, field errors, request id, retry) in `status` when
 * given, as a toast otherwise.
 */
export function followButton(person, { onChange = () => {}, status = null, small = false } = {}) {
  const name = person.display_name || person.username;
  const path = `/users/${encodeURIComponent(person.username)}/follow`;
  let following = Boolean(person.followed_by_me);
  let busy = false;
  const btn = h('button', { type: 'button', dataset: { user: person.username } });
  const paint = () => {
    btn.className = ['btn', small && 'btn-small', 'follow-btn', following ? 'is-following' : 'btn-primary'].filter(Boolean).join(' ');
    btn.dataset.following = String(following);
    btn.setAttribute('aria-label', t(following ? 'follow.followingLabel' : 'follow.followLabel', { name }));
    if (following) btn.title = t('follow.unfollowTitle');
    else btn.removeAttribute('title');
    append(clear(btn), [
      h('span', { class: 'follow-icon', 'aria-hidden': 'true', text: following ? '✓' : '+' }),
      h('span', { class: 'follow-text', text: following ? t('follow.following') : t('follow.follow') }),
    ]);
  };
  const press = async () => {
    if (busy) return;
    busy = true;
    // aria-disabled rather than disabled: the button keeps the keyboard focus.
    btn.setAttribute('aria-disabled', 'true');
    btn.setAttribute('aria-busy', 'true');
    if (status) clear(status);
    const before = following;
    try {
      const res = before ? await api.del(path, { auth: 'required' }) : await api.put(path, { auth: 'required' });
      following = Boolean(res.followed_by_me);
      paint();
      toast(t(following ? 'follow.nowFollowing' : 'follow.notFollowing', { name }));
      onChange(res, before);
    } catch (err) {
      if (status) status.append(errorBox(err, press));
      else toast(err.problem?.detail ?? t('error.unexpected'), 'error');
    } finally {
      busy = false;
      btn.removeAttribute('aria-disabled');
      btn.removeAttribute('aria-busy');
    }
  };
  btn.addEventListener('click', press);
  paint();
  return btn;
}

/**
 * A gallery card of a saved emoji. `period` ('week' | 'month') shows the likes received in
 * that window (`likes_in_period`); `owner: false` leaves out the owner (on their own page).
 */
export function emojiCard(e, { period = null, owner = true } = {}) {
  const name = e.owner?.display_name || e.owner?.username || '';
  const windowed = (period === 'week' || period === 'month') && Number.isFinite(e.likes_in_period);
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
      h(
        'div',
        { class: 'emoji-meta' },
        owner ? h('span', { class: 'emoji-owner' }, tParts('gallery.by', { name: userLink(e.owner) })) : h('span'),
        likeButton(e),
      ),
      windowed &&
        h('p', {
          class: 'likes-period small',
          dataset: { n: String(e.likes_in_period) },
          text: t(period === 'week' ? 'gallery.likesWeek' : 'gallery.likesMonth', { n: formatNumber(e.likes_in_period) }),
        }),
      h('p', { class: 'emoji-date muted small', text: formatDate(e.created_at) }),
    ),
  );
}

/** "🍀 Lucky item: a red umbrella" (nothing when the result has none). */
export function luckyItem(item) {
  if (!item) return null;
  return h(
    'p',
    { class: 'lucky' },
    h('span', { class: 'lucky-icon', 'aria-hidden': 'true', text: '🍀' }),
    h('span', {}, h('strong', { text: `${t('result.lucky')}: ` }), h('span', { class: 'lucky-item', text: pick(item) })),
  );
}

/** The address of the page that shows a shared zodiac result. */
export function zodiacShareUrl(taskId) {
  return `${location.origin}${location.pathname}#/z/${taskId}`;
}

/** Copies text to the clipboard; when the browser refuses, selects `input` for a manual copy. */
export async function copyText(text, input) {
  try {
    await navigator.clipboard.writeText(text);
    toast(t('common.copied'));
    return true;
  } catch {
    input?.focus();
    input?.select();
    toast(t('common.copyManual'));
    return false;
  }
}

/**
 * Publish / unpublish a zodiac result (`PATCH /zodiac/results/{id}`) and, while it is public,
 * its share link with a copy button. `result` needs `task_id` and `visibility`;
 * `onChange(view)` hears about every change the API confirmed.
 */
export function publishControl(result, { onChange = () => {}, compact = false } = {}) {
  const id = result.task_id;
  let visibility = result.visibility === 'public' ? 'public' : 'private';
  let busy = false;
  const box = h('div', { class: ['publish', compact && 'publish-compact'], dataset: { task: id } });
  const announce = h('p', { class: 'sr-only', 'aria-live': 'polite' });

  const set = async (next) => {
    if (busy) return;
    busy = true;
    box.setAttribute('aria-busy', 'true');
    for (const b of box.querySelectorAll('button')) b.disabled = true;
    try {
      const view = await api.patch(`/zodiac/results/${id}`, { visibility: next }, { auth: 'required' });
      visibility = view.visibility === 'public' ? 'public' : 'private';
      paint();
      announce.textContent = visibility === 'public' ? t('zodiac.published') : t('zodiac.unpublished');
      onChange(view);
    } catch (err) {
      toast(err.problem?.detail ?? t('error.unexpected'), 'error');
      paint();
    } finally {
      busy = false;
      box.removeAttribute('aria-busy');
    }
  };

  const paint = () => {
    box.dataset.visibility = visibility;
    const url = zodiacShareUrl(id);
    const inputId = `share-${id}`;
    const input = h('input', { id: inputId, class: 'share-url', type: 'text', readonly: true, value: url, spellcheck: 'false' });
    input.addEventListener('focus', () => input.select());
    append(clear(box), [
      h(
        'p',
        { class: 'publish-status' },
        h('span', { class: 'publish-icon', 'aria-hidden': 'true', text: visibility === 'public' ? '🌐' : '🔒' }),
        h('span', { text: visibility === 'public' ? t('zodiac.public') : t('zodiac.private') }),
      ),
      visibility === 'public' &&
        h(
          'div',
          { class: 'field share-field' },
          h('label', { for: inputId, class: compact ? 'sr-only' : null, text: t('zodiac.shareLink') }),
          h(
            'div',
            { class: 'share-row' },
            input,
            h('button', { type: 'button', class: 'btn btn-small copy-link', onclick: () => copyText(url, input), text: t('common.copy') }),
          ),
        ),
      h(
        'div',
        { class: 'row' },
        visibility === 'public'
          ? [
              !compact && h('button', { type: 'button', class: 'btn btn-ghost btn-small', onclick: () => share(`#/z/${id}`, null), text: t('result.share') }),
              compact && h('a', { class: 'btn btn-ghost btn-small', href: `#/z/${id}`, text: t('zodiac.openShared') }),
              h('button', { type: 'button', class: 'btn btn-ghost btn-small unpublish', onclick: () => set('private'), text: t('zodiac.unpublish') }),
            ]
          : h('button', {
              type: 'button',
              class: ['btn', compact ? 'btn-small' : 'btn-primary', 'publish-btn'],
              onclick: () => set('public'),
              text: t('zodiac.publish'),
            }),
      ),
      announce,
    ]);
  };
  paint();
  return box;
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

// ---- posts --------------------------------------------------------------------------------

/** The address of a tag's posts. */
export function tagHref(tag) {
  return `#/t/${encodeURIComponent(tag)}`;
}

/** A post's tags as links to each tag's posts (nothing when it has none). */
export function tagList(tags) {
  if (!tags?.length) return null;
  return h(
    'ul',
    { class: 'tags', 'aria-label': t('posts.tags') },
    tags.map((tag) => h('li', {}, h('a', { class: 'tag', href: tagHref(tag), dataset: { tag }, text: `#${tag}` }))),
  );
}

/** "♡ 3 · 👁 12" style counts: the like button and the view count. */
export function viewCount(n) {
  return h(
    'span',
    { class: 'views muted small', dataset: { n: String(n ?? 0) }, title: t('posts.views', { n: formatNumber(n ?? 0) }) },
    h('span', { 'aria-hidden': 'true', text: '👁 ' }),
    h('span', { class: 'views-n', text: formatNumber(n ?? 0) }),
    h('span', { class: 'sr-only', text: ` ${t('posts.viewsWord')}` }),
  );
}

/** "💬 4" with "4 comments" for screen readers (nothing when the API does not count them). */
export function commentCount(p) {
  if (typeof p.comment_count !== 'number') return null;
  const n = p.comment_count;
  return h(
    'a',
    { class: 'comment-count muted small', href: `#/p/${p.id}`, dataset: { n: String(n) }, title: t('comments.count', { n: formatNumber(n) }) },
    h('span', { 'aria-hidden': 'true', text: '💬 ' }),
    h('span', { class: 'comment-count-n', text: formatNumber(n) }),
    h('span', { class: 'sr-only', text: ` ${t('comments.countWord')}` }),
  );
}

/**
 * A post in a list: its title (a link to the post's page), author and date, its photos'
 * thumbnails, the text (as text, line breaks kept; long ones are clamped by the stylesheet),
 * tags, likes, comments and views. `author: false` leaves out the author (on their own page).
 * A pending post (its photos are being processed: only its author sees it) says so and
 * updates itself in place until it is published or failed.
 */
export function postCard(p, { author = true } = {}) {
  const li = h('li', { class: 'card post-card' });
  const paint = (x) => {
    li.dataset.id = x.id;
    li.dataset.status = x.status ?? 'published';
    append(clear(li), [
      h('h3', { class: 'post-card-title' }, h('a', { href: `#/p/${x.id}`, text: x.title })),
      h(
        'p',
        { class: 'post-meta muted small' },
        author && h('span', { class: 'post-author' }, tParts('gallery.by', { name: userLink(x.author) })),
        author && ' · ',
        h('time', { datetime: x.created_at, text: formatDate(x.created_at, true) }),
      ),
      statusBadge(x),
      thumbs(x.images, { href: `#/p/${x.id}`, alt: x.title }),
      x.text && h('p', { class: 'post-text post-text-clamp', text: x.text }),
      tagList(x.tags),
      h(
        'div',
        { class: 'post-foot' },
        likeButton(x, { base: '/posts', loginKey: 'posts.loginToLike' }),
        commentCount(x),
        photoCount(x.images),
        viewCount(x.view_count),
      ),
    ]);
  };
  paint(p);
  settle(p, `/posts/${p.id}`, li, paint);
  return li;
}

/** A price in won: "32,000원" in Korean, "₩32,000" in English. */
export function price(n) {
  return h('span', { class: 'price', dataset: { price: String(n) }, text: formatPrice(n) });
}

/**
 * A product in a list: its first photo (or an icon), name (a link to its page), price and,
 * unless `seller: false`, the seller. A pending one (only its seller sees it) updates itself.
 */
export function productCard(p, { seller = true } = {}) {
  const li = h('li', { class: 'card product-card' });
  const paint = (x) => {
    li.dataset.id = x.id;
    li.dataset.status = x.status ?? 'published';
    const first = x.images?.[0];
    append(clear(li), [
      h(
        'a',
        { class: 'product-card-img', href: `#/m/${x.id}`, tabindex: '-1', 'aria-hidden': 'true' },
        first ? picture(first, { thumb: true, alt: x.name }) : noPicture('🛍️'),
      ),
      h(
        'div',
        { class: 'product-card-body' },
        h('h3', { class: 'product-card-name' }, h('a', { href: `#/m/${x.id}`, text: x.name })),
        h('p', { class: 'product-card-price' }, price(x.price)),
        seller && h('p', { class: 'product-seller muted small' }, tParts('market.soldBy', { name: userLink(x.seller) })),
        statusBadge(x),
      ),
    ]);
  };
  paint(p);
  settle(p, `/products/${p.id}`, li, paint);
  return li;
}

/** "a, b  #c" -> ['a', 'b', 'c'] (commas or spaces between tags; a leading # is dropped). */
export function parseTags(text) {
  return String(text ?? '')
    .split(/[\s,]+/)
    .map((x) => x.replace(/^#+/, ''))
    .filter(Boolean);
}

let formSeq = 0;

/**
 * The labelled fields of a form and the API's answers to them. `field(name, label, control,
 * hint)` builds one: label, control, hint and an error line, wired with aria-describedby;
 * `group(name, label, content, control)` does the same for a composite field (the photo
 * picker), `control` being what gets the focus. `reset()` clears every message; `show(err)`
 * puts each of the problem's `errors[]` at its field (`x[i]` at `x`) and returns the first
 * control that got one and whether any message had no field here.
 */
export function formFields(prefix = 'form') {
  const id = `${prefix}-${++formSeq}`;
  const fields = {};
  const errorLine = (name, control, describedBy) => {
    const errId = `${id}-${name}-error`;
    control.setAttribute('aria-describedby', [describedBy, errId].filter(Boolean).join(' '));
    const error = h('p', { class: 'field-error', id: errId, hidden: true });
    fields[name] = { control, error };
    return error;
  };
  return {
    id,
    field(name, label, control, hint) {
      const hintId = hint ? `${id}-${name}-hint` : null;
      control.id = `${id}-${name}`;
      control.name = name;
      return h(
        'div',
        { class: 'field', dataset: { field: name } },
        h('label', { for: control.id, text: label }),
        control,
        hint && h('p', { class: 'field-hint', id: hintId, text: hint }),
        errorLine(name, control, [hintId, control.getAttribute('aria-describedby')].filter(Boolean).join(' ')),
      );
    },
    group(name, label, content, control) {
      const labelId = `${id}-${name}-label`;
      return h(
        'div',
        { class: 'field field-group-box', dataset: { field: name }, role: 'group', 'aria-labelledby': labelId },
        h('span', { class: 'label', id: labelId, text: label }),
        content,
        errorLine(name, control, control.getAttribute('aria-describedby')),
      );
    },
    reset() {
      for (const f of Object.values(fields)) {
        f.error.hidden = true;
        f.error.textContent = '';
        f.control.removeAttribute('aria-invalid');
      }
    },
    show(err) {
      let first = null;
      let unplaced = false;
      for (const { field: name, message } of err.problem?.errors ?? []) {
        const f = fields[String(name).replace(/\[\d+\]$/, '')];
        if (!f) {
          unplaced = true;
          continue;
        }
        f.error.textContent = f.error.hidden ? message : `${f.error.textContent} ${message}`;
        f.error.hidden = false;
        f.control.setAttribute('aria-invalid', 'true');
        first ??= f.control;
      }
      return { first, unplaced };
    },
  };
}

/**
 * Sends a form through `submit()` (a promise of the API's answer) and hands the answer to
 * `done(answer)`. While it runs the button is disabled and the form busy; a refusal puts the
 * field messages at their fields (`fields`, from `formFields`) and the problem in `status`,
 * and the focus on the first field in question (else the button).
 */
export function sendForm(form, { fields, status, button, submit, done }) {
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (button.disabled) return;
    clear(status);
    fields.reset();
    button.disabled = true;
    form.setAttribute('aria-busy', 'true');
    try {
      done(await submit());
    } catch (err) {
      const { first, unplaced } = fields.show(err);
      status.append(errorBox(err, null, { fields: unplaced }));
      (first ?? button).focus();
    } finally {
      button.disabled = false;
      form.removeAttribute('aria-busy');
    }
  });
}

/**
 * The form that writes or edits a post: title, text, tags (one field, commas or spaces), and
 * with `media` (an `imagePicker`) photos. `submit({title, text, tags})` sends it and resolves
 * with the post view; a refusal shows the API's field messages next to their fields (`tags[i]`
 * and `tags` next to the tags, `images[i]` at the photos) and the problem under the form.
 * `done(view, controls)` hears a success; `cancel` adds a Cancel button.
 */
export function postForm({ initial = {}, submitText, submit, done, cancel = null, className = '', media = null }) {
  const fields = formFields('post');
  const title = h('input', { type: 'text', class: 'post-title-input', maxlength: '100', autocomplete: 'off', value: initial.title ?? '' });
  const text = h('textarea', { class: 'post-text-input', rows: '4', maxlength: '2000' });
  text.value = initial.text ?? '';
  const tags = h('input', { type: 'text', class: 'post-tags-input', autocomplete: 'off', value: (initial.tags ?? []).join(', ') });
  const status = h('div', { class: 'form-status' });
  const send = h('button', { type: 'submit', class: 'btn btn-primary post-submit', text: submitText });
  const form = h(
    'form',
    { class: ['post-form', 'stack', className], novalidate: true },
    fields.field('title', t('posts.title'), title, t('posts.titleHint')),
    fields.field('text', t('posts.text'), text, t('posts.textHint')),
    fields.field('tags', t('posts.tagsField'), tags, t('posts.tagsHint')),
    media && fields.group('images', t('media.photosLabel'), media.el, media.input),
    status,
    h('div', { class: 'row' }, send, cancel && h('button', { type: 'button', class: 'btn btn-ghost post-cancel', onclick: cancel, text: t('emoji.cancel') })),
  );
  sendForm(form, {
    fields,
    status,
    button: send,
    submit: () => submit({ title: title.value.trim(), text: text.value, tags: parseTags(tags.value) }),
    done: (view) => done(view, { title, text, tags }),
  });
  return form;
}
