// Boot: the page shell (header, navigation, search, language switch, account), a hash
// router, and the safety nets that turn any failure into a readable message instead of a
// blank screen. Pages named with `load` are modules fetched on first use, so they do not
// weigh on the first load.

import * as api from './api.js';
import { h, clear, errorBox, loading, toast } from './dom.js';
import { logout } from './ui.js';
import { t, lang, setLang } from './i18n.js';
import * as authPage from './pages/auth.js';
import * as makePage from './pages/make.js';
import * as taskPage from './pages/task.js';
import * as galleryPage from './pages/gallery.js';
import * as emojiPage from './pages/emoji.js';
import * as rankingPage from './pages/ranking.js';
import * as mePage from './pages/me.js';
import * as zodiacPage from './pages/zodiac.js';
import * as userPage from './pages/user.js';
import * as peoplePage from './pages/people.js';
import * as postsPage from './pages/posts.js';

const routes = [
  { path: /^\/?$/, page: makePage, nav: 'make' },
  { path: /^\/login$/, page: authPage, mode: 'login' },
  { path: /^\/signup$/, page: authPage, mode: 'signup' },
  { path: /^\/task\/([\w-]+)$/, page: taskPage, nav: 'make', auth: true },
  { path: /^\/gallery$/, page: galleryPage, nav: 'gallery' },
  { path: /^\/e\/([\w-]+)$/, page: emojiPage, nav: 'gallery' },
  { path: /^\/ranking$/, page: rankingPage, nav: 'ranking' },
  { path: /^\/me$/, page: mePage, nav: 'me', auth: true },
  { path: /^\/z\/([\w-]+)$/, page: zodiacPage },
  { path: /^\/u\/([^/?#]+)$/, page: userPage, nav: 'gallery' },
  { path: /^\/u\/([^/?#]+)\/(followers|following)$/, page: peoplePage, nav: 'gallery' },
  { path: /^\/feed$/, page: postsPage, mode: 'feed', nav: 'feed', auth: true },
  { path: /^\/posts$/, page: postsPage, mode: 'latest', nav: 'feed' },
  { path: /^\/t\/([^/?#]+)$/, page: postsPage, mode: 'tag', nav: 'feed' },
  { path: /^\/p\/([\w-]+)$/, load: () => import('./pages/post.js'), nav: 'feed' },
  { path: /^\/market$/, load: () => import('./pages/market.js'), nav: 'market' },
  { path: /^\/sell$/, load: () => import('./pages/sell.js'), nav: 'market', auth: true },
  { path: /^\/m\/([\w-]+)$/, load: () => import('./pages/product.js'), nav: 'market' },
  { path: /^\/search$/, load: () => import('./pages/search.js'), nav: 'search' },
  { path: /^\/chat$/, load: () => import('./pages/chat.js'), nav: 'chat', auth: true },
  { path: /^\/chat\/([^/?#]+)$/, load: () => import('./pages/chat.js'), nav: 'chat', auth: true },
  // Signed out, the date-course pages say what they are and ask to log in (no redirect).
  { path: /^\/courses$/, load: () => import('./pages/courses.js'), nav: 'courses' },
  { path: /^\/courses\/([\w-]+)$/, load: () => import('./pages/courses.js'), nav: 'courses' },
  { path: /^\/datasets$/, load: () => import('./pages/datasets.js'), nav: 'datasets' },
  { path: /^\/forgot$/, load: () => import('./pages/recovery.js'), mode: 'forgot' },
  { path: /^\/reset$/, load: () => import('./pages/recovery.js'), mode: 'reset' },
  { path: /^\/verify$/, load: () => import('./pages/recovery.js'), mode: 'verify' },
  { path: /^\/oidc$/, load: () => import('./pages/recovery.js'), mode: 'oidc' },
  { path: /^\/reports$/, load: () => import('./pages/reports.js'), nav: 'me', auth: true },
  { path: /^\/admin$/, load: () => import('./pages/admin.js'), nav: 'admin', auth: true },
];

const NAV = [
  { id: 'make', href: '#/', icon: '✨', key: 'nav.make' },
  { id: 'feed', href: '#/feed', icon: '📰', key: 'nav.feed', auth: true },
  { id: 'chat', href: '#/chat', icon: '💬', key: 'nav.chat', auth: true },
  { id: 'courses', href: '#/courses', icon: '💑', key: 'nav.courses' },
  { id: 'market', href: '#/market', icon: '🛍️', key: 'nav.market' },
  { id: 'datasets', href: '#/datasets', icon: '🗂️', key: 'nav.datasets' },
  { id: 'gallery', href: '#/gallery', icon: '🖼️', key: 'nav.gallery' },
  { id: 'ranking', href: '#/ranking', icon: '🏆', key: 'nav.ranking' },
  { id: 'me', href: '#/me', icon: '🙂', key: 'nav.me' },
  { id: 'admin', href: '#/admin', icon: '🛡️', key: 'nav.admin', auth: true, admin: true },
];

let leave = [];
let currentNav = null;
// Unread chat messages over all my rooms, told by the chat module once it runs.
let chatUnread = 0;

function navBadge(id) {
  if (id !== 'chat' || chatUnread <= 0) return null;
  return h(
    'span',
    { class: 'nav-badge', dataset: { n: String(chatUnread) } },
    h('span', { 'aria-hidden': 'true', text: chatUnread > 99 ? '99+' : String(chatUnread) }),
    h('span', { class: 'sr-only', text: t('chat.unread', { n: chatUnread }) }),
  );
}

window.addEventListener('moji:chat-unread', (e) => {
  chatUnread = Number(e.detail?.unread) || 0;
  const link = document.querySelector('.nav-link[data-nav="chat"]');
  if (!link) return;
  link.querySelector('.nav-badge')?.remove();
  const badge = navBadge('chat');
  if (badge) link.append(badge);
});

function parseHash() {
  const raw = location.hash.replace(/^#/, '') || '/';
  const [path, qs = ''] = raw.split('?');
  return { path, query: new URLSearchParams(qs), raw };
}

export function navigate(hash, { replace = false } = {}) {
  const target = hash.startsWith('#') ? hash : `#${hash}`;
  if (location.hash === target) {
    render();
  } else if (replace) {
    history.replaceState(null, '', target);
    render();
  } else {
    location.hash = target;
  }
}

function shell() {
  const app = document.getElementById('app');
  clear(app);
  const skip = h('a', {
    class: 'skip',
    href: '#main',
    text: t('skip'),
    onclick: (e) => {
      e.preventDefault();
      document.getElementById('main')?.focus();
    },
  });
  const nav = h(
    'nav',
    { class: 'nav', 'aria-label': t('nav.label') },
    h(
      'ul',
      {},
      NAV.filter((n) => (!n.auth || api.signedIn()) && (!n.admin || api.currentUser()?.role === 'admin')).map((n) =>
        h(
          'li',
          {},
          h(
            'a',
            { href: n.href, class: 'nav-link', dataset: { nav: n.id }, 'aria-current': n.id === currentNav ? 'page' : null },
            h('span', { class: 'nav-icon', 'aria-hidden': 'true', text: n.icon }),
            h('span', { class: 'nav-text', text: t(n.key) }),
            navBadge(n.id),
          ),
        ),
      ),
    ),
  );
  const header = h(
    'header',
    { class: 'topbar' },
    h(
      'div',
      { class: 'wrap topbar-inner' },
      h(
        'a',
        { class: 'brand', href: '#/' },
        h('img', { src: '/favicon.svg', alt: '', width: '28', height: '28' }),
        h('span', { class: 'brand-name', text: t('app.name') }),
      ),
      // Search, language and account, then the navigation: a second row on wide screens, the
      // bottom tab bar on phones.
      searchBox(),
      h(
        'div',
        { class: 'actions' },
        h('button', {
          type: 'button',
          class: 'btn btn-ghost btn-small lang',
          lang: lang() === 'ko' ? 'en' : 'ko',
          'aria-label': t('lang.switchLabel'),
          onclick: () => {
            setLang(lang() === 'ko' ? 'en' : 'ko');
            render();
          },
          text: t('lang.switch'),
        }),
        h('div', { class: 'account-slot' }, accountArea()),
      ),
      nav,
    ),
  );
  const main = h('main', { id: 'main', class: 'wrap main', tabindex: '-1' });
  app.append(
    skip,
    header,
    main,
    h(
      'footer',
      { class: 'wrap footer muted small' },
      h('span', { text: `${t('app.name')} · ${t('app.tagline')}` }),
      ' · ',
      h('a', { href: '/docs/', text: 'API' }),
    ),
  );
  return main;
}

/** The address of the search page for `q` (and a kind other than posts). */
function searchHref(q, type) {
  const p = new URLSearchParams();
  if (q) p.set('q', q);
  if (type && type !== 'post') p.set('type', type);
  const qs = String(p);
  return `#/search${qs ? `?${qs}` : ''}`;
}

/**
 * The search box of the header (`#/search?q=`). On phones only its button shows: it opens
 * the search page, whose own box takes the words.
 */
function searchBox() {
  const { path, query } = parseHash();
  const here = path === '/search';
  const input = h('input', {
    type: 'search',
    id: 'header-q',
    class: 'header-search-input',
    name: 'q',
    maxlength: '100',
    autocomplete: 'off',
    placeholder: t('search.placeholder'),
    value: here ? (query.get('q') ?? '') : '',
  });
  const form = h(
    'form',
    { class: 'header-search', role: 'search', 'aria-label': t('search.title') },
    h('label', { for: 'header-q', class: 'sr-only', text: t('search.label') }),
    input,
    // type=button (Enter in the box still submits): the pages' own forms stay the first
    // submit buttons of the document.
    h(
      'button',
      {
        type: 'button',
        class: ['btn', 'btn-ghost', 'btn-small', 'header-search-btn', here && 'is-here'],
        'aria-label': t('search.submit'),
        onclick: () => form.requestSubmit(),
      },
      h('span', { 'aria-hidden': 'true', text: '🔍' }),
    ),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const visible = input.offsetParent !== null;
    if (!visible && here) {
      document.getElementById('search-q')?.focus();
      return;
    }
    navigate(searchHref(visible ? input.value.trim() : '', here ? query.get('type') : null));
  });
  return form;
}

function accountArea() {
  const user = api.currentUser();
  return user
    ? h(
        'div',
        { class: 'account' },
        h('a', { class: 'account-name', href: '#/me', title: `@${user.username}`, text: user.display_name || user.username }),
        h('button', { type: 'button', class: 'btn btn-ghost btn-small', id: 'logout', onclick: () => logout(navigate), text: t('account.logout') }),
      )
    : h('a', { class: 'btn btn-small btn-primary', href: `#/login?next=${encodeURIComponent(parseHash().raw)}`, text: t('account.login') });
}

let renders = 0;

/** Shows the page of the address; resolves once it is there (after its module loaded). */
function render() {
  for (const fn of leave) fn();
  leave = [];
  const seq = ++renders;
  const { path, query, raw } = parseHash();
  let match = null;
  let route = null;
  for (const r of routes) {
    match = path.match(r.path);
    if (match) {
      route = r;
      break;
    }
  }
  currentNav = route?.nav ?? null;
  document.documentElement.lang = lang();
  const main = shell();

  if (!route) {
    document.title = 'Moji';
    main.append(h('h1', { text: t('error.title') }), errorBox({ problem: { detail: t('error.notFound') } }));
    return Promise.resolve();
  }
  if (route.auth && !api.signedIn()) {
    navigate(`#/login?next=${encodeURIComponent(raw)}`, { replace: true });
    return Promise.resolve();
  }
  const show = (page) => {
    try {
      const view = page.render({
        params: match.slice(1),
        query,
        mode: route.mode,
        navigate,
        onLeave: (fn) => leave.push(fn),
      });
      main.append(view);
    } catch (err) {
      console.warn(err);
      main.append(errorBox(err));
    }
    const title = main.querySelector('h1')?.textContent;
    document.title = title ? `${title} · Moji` : 'Moji';
  };
  if (route.page) {
    show(route.page);
    return Promise.resolve();
  }
  const wait = loading();
  main.append(wait);
  return route.load().then(
    (page) => {
      if (seq !== renders) return; // the address changed meanwhile
      wait.remove();
      show(page);
    },
    (err) => {
      if (seq !== renders) return;
      console.warn(err);
      // A module that failed to load stays failed until the page is loaded again.
      clear(main).append(
        h('h1', { text: t('error.title') }),
        errorBox({ problem: { detail: t('error.network'), code: 'module' } }, () => location.reload()),
      );
    },
  );
}

// Focus the page heading after navigation (not on the first load), so keyboard and screen
// reader users land on the new content.
function focusHeading() {
  const h1 = document.querySelector('main h1');
  if (h1) {
    h1.setAttribute('tabindex', '-1');
    h1.focus({ preventScroll: true });
  }
  window.scrollTo(0, 0);
}

window.addEventListener('hashchange', () => {
  render().then(focusHeading);
});

api.onSession((user, reason) => {
  const slot = document.querySelector('.account-slot');
  if (slot) clear(slot).append(accountArea());
  if (reason === 'expired') {
    toast(t('account.expired'), 'error');
    const { path, raw } = parseHash();
    if (routes.some((r) => r.auth && r.path.test(path))) {
      navigate(`#/login?next=${encodeURIComponent(raw)}`, { replace: true });
    }
  }
});

// Refresh as soon as a background tab comes back (timers are throttled in the background).
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible' && api.signedIn()) api.accessToken().catch(() => {});
});

// Safety nets: a bug or an unhandled failure shows a message, never a blank page.
window.addEventListener('unhandledrejection', (e) => {
  toast(e.reason?.problem?.detail ?? t('error.unexpected'), 'error');
});
window.addEventListener('error', () => {
  toast(t('error.unexpected'), 'error');
});

render();
