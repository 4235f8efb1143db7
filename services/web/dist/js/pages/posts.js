// Lists of posts, read with the API's cursors ("Load more"; `?size=` in the address sets the
// page size):
//   #/feed              signed in: a box to write a post, with photos (uploaded first, with a
//                       progress bar each; the post goes first in the list once the API took
//                       it, pending until its photos are processed), then my posts and those
//                       of the people I follow
//                       (GET /feed); empty: a hint to follow people and a link to everyone's;
//                       above the list, "For you" (recommend.js, loaded on first use; nothing
//                       when it has nothing or fails)
//   #/posts             everyone's latest posts (GET /posts/latest)
//   #/posts?tag=x, #/t/x  one tag's posts (GET /posts?tag=x)

import * as api from '../api.js';
import { h, cursorList, sizeOf, toast } from '../dom.js';
import { t, tParts } from '../i18n.js';
import { postCard, postForm } from '../ui.js';
import { imagePicker } from '../media.js';

const SIZE = 10;

function decode(x) {
  try {
    return decodeURIComponent(x);
  } catch {
    return x;
  }
}

/**
 * A cursor list of posts from `path` (a path with or without a query); `onPage(page)` hears
 * every page. `first`: a post to show first that the list may not have (one just written,
 * still pending: the feed lists published posts only).
 */
export function postList(path, { size, empty, author = true, ref, name, onPage, first = null }) {
  return cursorList(h('div', { class: 'post-list-wrap' }), {
    load: (cursor) => {
      const [base, qs = ''] = path.split('?');
      const q = new URLSearchParams(qs);
      q.set('size', String(size));
      if (cursor) q.set('cursor', cursor);
      return api.get(`${base}?${q}`).then((page) => {
        onPage?.(page);
        if (first && !cursor && !page.items?.some((x) => x.id === first.id)) return { ...page, items: [first, ...(page.items ?? [])] };
        return page;
      });
    },
    list: () => h('ul', { class: 'post-list', dataset: { list: name } }),
    item: (p) => postCard(p, { author }),
    empty,
    ref,
  });
}

function compose(onPosted) {
  const media = imagePicker();
  const form = postForm({
    submitText: t('posts.publish'),
    media,
    // The photos first (each with its progress bar), then the post that refers to them.
    submit: async (body) => {
      const images = media.count() ? await media.upload() : [];
      return api.post('/posts', images.length ? { ...body, images } : body, { auth: 'required' });
    },
    done: (view, { title, text, tags }) => {
      title.value = '';
      text.value = '';
      tags.value = '';
      media.reset();
      toast(t(view.status === 'pending' ? 'posts.postedPending' : 'posts.posted'));
      onPosted(view);
    },
    className: 'compose-form',
  });
  return h(
    'section',
    { class: 'card compose', 'aria-labelledby': 'compose-h' },
    h('h2', { id: 'compose-h', class: 'h-small', text: t('posts.compose') }),
    form,
  );
}

/**
 * The "For you" row of posts: a placeholder now, the row once recommend.js (a module of the
 * pages that use it, kept off the first load) is there.
 */
function forYou() {
  const slot = h('div', { class: 'rec-slot' });
  import('../recommend.js').then(
    (rec) => slot.isConnected && slot.replaceWith(rec.forYouRow('posts')),
    (err) => console.warn('moji: "for you" is not shown', err),
  );
  return slot;
}

export function render({ mode, params, query }) {
  const size = sizeOf(query, SIZE);
  const root = h('section', { class: 'posts-page stack-lg', dataset: { mode } });

  if (mode === 'feed') {
    let ctl = null;
    const listBox = h('div', {});
    const load = (first = null) =>
      listBox.replaceChildren(
        postList('/feed', {
          size,
          name: 'feed',
          first,
          ref: (c) => (ctl = c),
          empty: () =>
            h(
              'div',
              { class: 'empty feed-empty' },
              h('p', { class: 'empty-icon', 'aria-hidden': 'true', text: '📰' }),
              h('p', { class: 'empty-title', text: t('posts.feedEmpty') }),
              h('p', {}, t('posts.feedEmptyHint'), ' ', h('a', { href: '#/posts', class: 'to-latest', text: t('posts.seeLatest') })),
            ),
        }),
      );
    load();
    root.append(
      h(
        'div',
        { class: 'page-head' },
        h('h1', { text: t('posts.feedTitle') }),
        h('p', { class: 'muted' }, t('posts.feedLead'), ' ', h('a', { href: '#/posts', text: t('posts.seeLatest') })),
      ),
      compose((view) => {
        if (!ctl?.prepend(view)) load(view);
      }),
      forYou(),
      h('section', { 'aria-label': t('posts.feedTitle') }, listBox),
    );
    return root;
  }

  const tag = mode === 'tag' ? decode(params[0] ?? '') : (query.get('tag') ?? '').trim();
  if (tag) {
    const norm = tag.replace(/^#+/, '').toLowerCase();
    root.dataset.tag = norm;
    root.append(
      h(
        'div',
        { class: 'page-head' },
        h('h1', { class: 'tag-title', text: `#${norm}` }),
        h('p', { class: 'muted' }, tParts('posts.tagLead', { tag: `#${norm}` }), ' ', h('a', { href: '#/posts', text: t('posts.seeLatest') })),
      ),
      postList(`/posts?tag=${encodeURIComponent(norm)}`, {
        size,
        name: 'tag',
        empty: () => h('p', { class: 'empty', text: t('posts.tagEmpty') }),
      }),
    );
    return root;
  }

  root.append(
    h(
      'div',
      { class: 'page-head' },
      h('h1', { text: t('posts.latestTitle') }),
      h('p', { class: 'muted' }, t('posts.latestLead'), api.signedIn() ? [' ', h('a', { href: '#/feed', text: t('posts.toFeed') })] : null),
    ),
    postList('/posts/latest', { size, name: 'latest', empty: () => h('p', { class: 'empty', text: t('posts.latestEmpty') }) }),
  );
  return root;
}
