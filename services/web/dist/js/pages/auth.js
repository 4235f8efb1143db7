// Log in / sign up. Field errors from the API (422 `errors`, 409 username/e-mail taken) are
// shown next to their fields; anything else as the problem's detail above the form.

import * as api from '../api.js';
import { h, clear, errorBox } from '../dom.js';
import { t } from '../i18n.js';

const FIELD_OF_CODE = { username_taken: 'username', email_taken: 'email' };

function field({ name, label, type = 'text', hint, autocomplete, required = true, minlength, inputmode }) {
  const id = `f-${name}`;
  const hintId = `${id}-hint`;
  const errId = `${id}-err`;
  return h(
    'div',
    { class: 'field', dataset: { field: name } },
    h('label', { for: id, text: label }),
    h('input', {
      id,
      name,
      type,
      required,
      autocomplete,
      minlength,
      inputmode,
      autocapitalize: type === 'password' || type === 'email' || name === 'username' || name === 'login' ? 'none' : null,
      spellcheck: 'false',
      'aria-describedby': [hint ? hintId : null, errId].filter(Boolean).join(' '),
    }),
    hint && h('p', { class: 'field-hint', id: hintId, text: hint }),
    h('p', { class: 'field-error', id: errId, hidden: true }),
  );
}

function showFieldErrors(form, err) {
  for (const el of form.querySelectorAll('.field-error')) {
    el.hidden = true;
    el.textContent = '';
  }
  for (const input of form.querySelectorAll('input')) input.removeAttribute('aria-invalid');
  const list = [...(err.problem?.errors ?? [])];
  const byCode = FIELD_OF_CODE[err.code];
  if (byCode) list.push({ field: byCode, message: err.problem.detail });
  let first = null;
  for (const { field: name, message } of list) {
    const box = form.querySelector(`[data-field="${CSS.escape(name)}"]`);
    if (!box) continue;
    const msg = box.querySelector('.field-error');
    msg.textContent = message;
    msg.hidden = false;
    const input = box.querySelector('input');
    input.setAttribute('aria-invalid', 'true');
    first ??= input;
  }
  return first;
}

export function render({ mode, query, navigate }) {
  const signup = mode === 'signup';
  const next = query.get('next');
  const safeNext = next && next.startsWith('/') && !next.startsWith('/login') && !next.startsWith('/signup') ? next : '/';
  const carry = next ? `?next=${encodeURIComponent(next)}` : '';
  const status = h('div', { class: 'form-status' });

  const fields = signup
    ? [
        field({ name: 'username', label: t('auth.username'), hint: t('auth.usernameHint'), autocomplete: 'username' }),
        field({ name: 'email', label: t('auth.email'), type: 'email', autocomplete: 'email', inputmode: 'email' }),
        field({ name: 'password', label: t('auth.password'), type: 'password', hint: t('auth.passwordHint'), autocomplete: 'new-password', minlength: '10' }),
        field({ name: 'display_name', label: t('auth.displayName'), autocomplete: 'nickname', required: false }),
      ]
    : [
        field({ name: 'login', label: t('auth.login'), autocomplete: 'username' }),
        field({ name: 'password', label: t('auth.password'), type: 'password', autocomplete: 'current-password' }),
      ];

  const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-block', text: signup ? t('auth.submitSignup') : t('auth.submitLogin') });
  const form = h('form', { class: 'stack', novalidate: true }, status, fields, submit);

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const data = Object.fromEntries(new FormData(form));
    clear(status);
    submit.disabled = true;
    form.setAttribute('aria-busy', 'true');
    try {
      if (signup) {
        const body = { username: data.username.trim(), email: data.email.trim(), password: data.password };
        if (data.display_name.trim()) body.display_name = data.display_name.trim();
        await api.signUp(body);
      } else {
        await api.logIn(data.login.trim(), data.password);
      }
      navigate(`#${safeNext}`, { replace: true });
    } catch (err) {
      const first = showFieldErrors(form, err);
      status.append(errorBox(err, null, { fields: !first }));
      (first ?? status).focus?.();
      if (!first) status.scrollIntoView({ block: 'nearest' });
    } finally {
      submit.disabled = false;
      form.removeAttribute('aria-busy');
    }
  });

  return h(
    'section',
    { class: 'auth' },
    h(
      'div',
      { class: 'card auth-card' },
      h(
        'nav',
        { class: 'tabs', 'aria-label': `${t('auth.loginTab')} / ${t('auth.signupTab')}` },
        h('a', { href: `#/login${carry}`, class: 'tab', 'aria-current': signup ? null : 'page', text: t('auth.loginTab') }),
        h('a', { href: `#/signup${carry}`, class: 'tab', 'aria-current': signup ? 'page' : null, text: t('auth.signupTab') }),
      ),
      h('h1', { text: signup ? t('auth.signupTitle') : t('auth.loginTitle') }),
      h('p', { class: 'muted', text: t('auth.intro') }),
      form,
      h(
        'p',
        { class: 'auth-switch' },
        h('a', { href: signup ? `#/login${carry}` : `#/signup${carry}`, text: signup ? t('auth.haveAccount') : t('auth.needAccount') }),
      ),
    ),
  );
}
