// What the recommendation service answers (docs/recommend.md), as the pages show it: its
// cards (search results, "Similar" under a post or a product, the "For you" and "Popular"
// rows), and the time a post's or product's page was on the screen (a view with its dwell
// time, told when the person leaves). Loaded with the pages that use it, never on the first
// load.
//
// A card: {kind, id, title, snippet, owner, price?, created_at, score, why: {reason, item_id,
// item_title, text}, matched_by?}. It links to the item's usual page here (#/p/, #/m/, #/e/,
// #/u/). `why.text` is the service's English sentence: shown as it is in English; in Korean
// the same reason is said from `why.reason` and `why.item_title` (the text when the reason is
// one this client does not know).

import * as api from './api.js';
import { h } from './dom.js';
import { t, tParts, lang, formatDate } from './i18n.js';
import { userLink, price } from './ui.js';

/** Below this a visit is not told (a page passed through, not looked at). */
export const MIN_DWELL_MS = 1000;

// Reasons whose sentence names the item they come from (`why.item_title`).
const WHY_WITH_TITLE = ['similar_to', 'because_you_liked', 'because_you_viewed'];
const WHY_PLAIN = ['matched', 'popular', 'latest'];
const MATCHED_BY = ['semantic', 'fulltext'];

/** The username of a person's card (the person is its owner; `username` if it has one). */
function cardUsername(card) {
  return card.username ?? card.owner?.username ?? null;
}

/** The address of a card's item in this client, or null (a person without a username). */
export function cardHref(card) {
  const id = encodeURIComponent(card.id ?? '');
  switch (card.kind) {
    case 'post':
      return `#/p/${id}`;
    case 'product':
      return `#/m/${id}`;
    case 'emoji':
      return `#/e/${id}`;
    case 'user': {
      const username = cardUsername(card);
      return username ? `#/u/${encodeURIComponent(username)}` : null;
    }
    default:
      return null;
  }
}

/** Why a card is there, in the current language ('' when the card does not say). */
export function whyText(why) {
  if (!why) return '';
  if (lang() === 'en' && why.text) return why.text;
  if (WHY_PLAIN.includes(why.reason)) return t(`rec.why.${why.reason}`);
  if (WHY_WITH_TITLE.includes(why.reason) && why.item_title) return t(`rec.why.${why.reason}`, { title: why.item_title });
  return why.text ?? '';
}

/** "meaning" / "words" badges: how a search result was found. */
function matchedBadges(by) {
  const known = (Array.isArray(by) ? by : []).filter((x) => MATCHED_BY.includes(x));
  if (!known.length) return null;
  return h(
    'ul',
    { class: 'rec-badges', 'aria-label': t('rec.matchedBy') },
    known.map((x) => h('li', { class: 'rec-badge', dataset: { by: x }, text: t(`rec.by.${x}`) })),
  );
}

/** The line under a card's title: whose it is (and a product's price), and when. */
function cardMeta(card) {
  const parts = [];
  if (card.kind === 'user') {
    const username = cardUsername(card);
    if (username) parts.push(h('span', { class: 'rec-username', text: `@${username}` }));
  } else {
    if (card.kind === 'product' && Number.isFinite(card.price)) parts.push(price(card.price));
    if (card.owner?.username || card.owner?.display_name) {
      const key = card.kind === 'product' ? 'market.soldBy' : 'gallery.by';
      parts.push(h('span', { class: 'rec-owner' }, tParts(key, { name: userLink(card.owner) })));
    }
    const date = card.created_at ? formatDate(card.created_at) : '';
    if (date) parts.push(h('time', { datetime: card.created_at, text: date }));
  }
  if (!parts.length) return null;
  return h(
    'p',
    { class: 'rec-card-meta muted small' },
    parts.flatMap((p, i) => (i ? [' · ', p] : [p])),
  );
}

/**
 * One card: the title (a link to the item's page), owner (a product's price), the snippet,
 * and small: why it is there (`why: false` leaves it out: under an item, "similar to" it
 * goes without saying) and, for search results (`matched: true`), by what it was found.
 */
export function recCard(card, { why = true, matched = false } = {}) {
  const href = cardHref(card);
  const title = card.title || (card.kind === 'user' ? cardUsername(card) : '') || t('rec.untitled');
  const data = { id: String(card.id ?? ''), kind: String(card.kind ?? '') };
  if (card.why?.reason) data.reason = card.why.reason;
  if (card.why?.item_id) data.whyItem = card.why.item_id;
  if (card.kind === 'user' && cardUsername(card)) data.username = cardUsername(card);
  if (matched) data.matched = (card.matched_by ?? []).join(' ');
  const reason = why ? whyText(card.why) : '';
  const badges = matched ? matchedBadges(card.matched_by) : null;
  return h(
    'li',
    { class: 'card rec-card', dataset: data },
    h('h3', { class: 'rec-card-title' }, href ? h('a', { href, text: title }) : h('span', { text: title })),
    cardMeta(card),
    card.snippet && h('p', { class: 'rec-card-snippet', text: card.snippet }),
    (reason || badges) && h('div', { class: 'rec-card-foot' }, reason && h('p', { class: 'rec-why muted', text: reason }), badges),
  );
}

let sectionSeq = 0;

/**
 * A titled list of cards read from `path` (`{items, cold_start?}`). Hidden until it has
 * cards; stays hidden when there are none, and when the call fails: the failure is written to
 * the console and the page around it goes on as if the section did not exist.
 *   name     data-row, for tests and styles
 *   layout   'row' (one line that scrolls sideways) | 'grid'
 *   auth     the request's auth ('required' for what is "for you")
 *   cold     label the list "popular and new" when the answer says `cold_start`
 *   why      show why each card is there
 */
export function recSection(path, { name, title, layout = 'row', auth = 'optional', cold = false, why = true }) {
  const id = `rec-h-${++sectionSeq}`;
  const heading = h('h2', { class: 'h-small rec-title', id, text: title });
  const head = h('div', { class: 'rec-head' }, heading);
  const list = h('ul', { class: ['rec-list', `rec-list-${layout}`], dataset: { list: name } });
  const el = h('section', { class: 'rec-section', hidden: true, dataset: { row: name, state: 'loading' }, 'aria-labelledby': id }, head, list);
  api.get(path, { auth }).then(
    (res) => {
      const items = Array.isArray(res?.items) ? res.items : [];
      el.dataset.state = items.length ? 'shown' : 'empty';
      if (typeof res?.cold_start === 'boolean') el.dataset.coldStart = String(res.cold_start);
      if (!items.length) return;
      if (cold && res.cold_start === true) head.append(h('span', { class: 'pill rec-cold', text: t('rec.coldStart') }));
      list.append(...items.map((x) => recCard(x, { why })));
      el.hidden = false;
    },
    (err) => {
      el.dataset.state = 'failed';
      console.warn(`moji: "${name}" is not shown: ${err?.problem?.detail ?? err?.message ?? err}`, err?.problem ?? err);
    },
  );
  return el;
}

/** "For you" (signed in): `kind` 'posts' or 'products', labelled when it is a cold start. */
export function forYouRow(kind) {
  return recSection(`/recommend/${kind}?size=8`, { name: `for-you-${kind}`, title: t('rec.forYou'), auth: 'required', cold: true });
}

/** "Popular" products, for people who are not signed in. */
export function popularRow() {
  return recSection('/products/recommend?size=8', { name: 'popular-products', title: t('rec.popular'), auth: 'none' });
}

/** "Similar" under a post (`kind` 'posts') or a product ('products'). */
export function similarSection(kind, id) {
  return recSection(`/${kind}/${encodeURIComponent(id)}/similar?size=6`, {
    name: `similar-${kind}`,
    title: t(kind === 'posts' ? 'rec.similarPosts' : 'rec.similarProducts'),
    layout: 'grid',
    why: false,
  });
}

// ---- dwell time ------------------------------------------------------------------------------

const browserEnv = {
  doc: globalThis.document,
  win: globalThis.window,
  now: () => globalThis.performance?.now() ?? Date.now(),
  send: (item, dwellMs) => api.beacon('/recommend/events/views', { item, dwell_ms: dwellMs }),
};

/**
 * Counts the time the page of `item` (a post or a product) is visible and tells it once per
 * visit, `POST /recommend/events/views {item, dwell_ms}`, when the person leaves: another page
 * of the app (`onLeave`, the router's), the tab hidden (`visibilitychange`: a phone may never
 * unload a page it put in the background) or the page unloaded (`pagehide`). Hidden time does
 * not count; nothing is sent below a second, before `ready()` (the item loaded; not for a page
 * that said "not found"), or signed out (api.beacon: a `keepalive` fetch with the token, since
 * sendBeacon cannot carry one; its failures are ignored). `env` replaces the browser in tests.
 * Returns `{ready(), finish()}`.
 */
export function trackDwell(item, onLeave, env = browserEnv) {
  const { doc, win, now, send } = env;
  let shown = 0;
  let since = doc.visibilityState === 'hidden' ? null : now();
  let loaded = false;
  let done = false;
  const onVisibility = () => {
    if (done) return;
    if (doc.visibilityState === 'hidden') finish();
    else if (since === null) since = now();
  };
  function finish() {
    if (done) return;
    done = true;
    if (since !== null) shown += now() - since;
    since = null;
    doc.removeEventListener('visibilitychange', onVisibility);
    win.removeEventListener('pagehide', finish);
    if (loaded && shown >= MIN_DWELL_MS) {
      try {
        send(item, Math.round(shown));
      } catch {
        // Best effort: a view that is not told is not worth an error.
      }
    }
  }
  doc.addEventListener('visibilitychange', onVisibility);
  win.addEventListener('pagehide', finish);
  onLeave?.(finish);
  return {
    ready: () => {
      loaded = true;
    },
    finish,
  };
}
