// A shared zodiac result (#/z/{task_id}, the page a share link opens): the animal, its traits,
// the reasons, the fortune and lucky item, and whose face it was. Readable signed out when its
// owner published it; a private result (403) and a missing one (404) get their own message.

import * as api from '../api.js';
import { h, clear, errorBox, loading } from '../dom.js';
import { t, tParts, pick, formatDate } from '../i18n.js';
import { exprLabel, userLink, luckyItem, publishControl, share } from '../ui.js';

function notice(kind, icon, title, text) {
  return h(
    'div',
    { class: `card notice zodiac-${kind}`, role: 'status', dataset: { state: kind } },
    h('span', { class: 'notice-icon', 'aria-hidden': 'true', text: icon }),
    h('h2', { class: 'h-small', text: title }),
    h('p', { class: 'muted', text }),
    h('a', { class: 'btn btn-primary', href: '#/', text: t('zodiac.makeYours') }),
  );
}

function view(z) {
  const mine = api.currentUser()?.username === z.owner?.username;
  return h(
    'article',
    { class: 'card zodiac-card zodiac-shared', dataset: { task: z.task_id, animal: z.animal, visibility: z.visibility }, 'aria-labelledby': 'animal-h' },
    h('p', { class: 'muted zodiac-owner' }, tParts('zodiac.looksLike', { name: userLink(z.owner) })),
    h(
      'div',
      { class: 'animal' },
      h('span', { class: 'animal-emoji', 'aria-hidden': 'true', text: z.animal_emoji || '🐾' }),
      h('h2', { id: 'animal-h', class: 'animal-name', text: pick(z.animal_name) || z.animal }),
    ),
    z.traits && h('p', { class: 'traits', text: pick(z.traits) }),
    h('h3', { text: t('result.why') }),
    h(
      'ul',
      { class: 'reasons' },
      (z.reasons ?? []).map((x) => h('li', { dataset: { feature: x.feature }, text: pick(x.text) })),
    ),
    h('h3', { text: t('zodiac.fortuneOf', { date: formatDate(z.created_at) }) }),
    h('blockquote', { class: 'fortune', text: pick(z.fortune) }),
    luckyItem(z.lucky_item),
    z.expression && h('p', { class: 'muted small zodiac-mood' }, exprLabel(z.expression)),
    mine
      ? h('section', { class: 'zodiac-share', 'aria-label': t('zodiac.shareTitle') }, publishControl(z))
      : h(
          'div',
          { class: 'row' },
          h('a', { class: 'btn btn-primary', href: '#/', text: t('zodiac.makeYours') }),
          h('button', {
            type: 'button',
            class: 'btn btn-ghost',
            onclick: () => share(`#/z/${z.task_id}`, t('result.zodiacShare', { animal: pick(z.animal_name), fortune: pick(z.fortune) })),
            text: t('result.share'),
          }),
        ),
  );
}

export function render({ params }) {
  const id = params[0];
  const body = h('div', { class: 'zodiac-body' });
  const load = async () => {
    clear(body).append(loading());
    body.setAttribute('aria-busy', 'true');
    try {
      const z = await api.get(`/zodiac/results/${encodeURIComponent(id)}`, { auth: 'optional' });
      clear(body).append(view(z));
    } catch (err) {
      if (err.status === 403) clear(body).append(notice('private', '🔒', t('zodiac.privateTitle'), t('zodiac.privateText')));
      else if (err.status === 404 || err.status === 400) clear(body).append(notice('missing', '🔍', t('zodiac.notFoundTitle'), t('zodiac.notFoundText')));
      else clear(body).append(errorBox(err, load));
    } finally {
      body.removeAttribute('aria-busy');
    }
  };
  load();
  return h('section', { class: 'zodiac-page' }, h('h1', { text: t('zodiac.title') }), body);
}
