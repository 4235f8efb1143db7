// Log in / sign up. Field errors from the API (422 `errors`, 409 username / e-mail / display
// name taken) are shown next to their fields; anything else as the problem's detail above the
// form. While signing up, the username and display name are checked as they are typed
// (`GET /users/availability`); the API still has the last word when the form is sent.

import * as api from '../api.js';
import { h, clear, errorBox } from '../dom.js';
import { t } from '../i18n.js';

const FIELD_OF_CODE = { username_taken: 'username', email_taken: 'email', display_name_taken: 'display_name' };

// Only values the API would accept are checked (anything else is explained on submit).
const CHECKS = {
  username: {
    valid: (v) => /^[A-Za-z0-9_]{3,30}$/.test(v),
    answer: 'username_available',
    free: 'auth.usernameFree',
    taken: 'auth.usernameTaken',
  },
  display_name: {
    valid: (v) => v.length >= 1 && [...v].length <= 50 && !/[\u0000-\u001f\u007f]/.test(v),
    answer: 'display_name_available',
    free: 'auth.displayNameFree',
    taken: 'auth.displayNameTaken',
  },
};

/** Checks a field's value with `GET /users/availability` while it is typed (debounced). */
function checkAvailability(box, name) {
  const rule = CHECKS[name];
  const input = box.querySelector('input');
  const out = box.querySelector('.field-check');
  let timer = null;
  let asked = '';
  let seq = 0;
  const paint = (state, text) => {
    out.dataset.state = state;
    out.textContent = text;
    out.hidden = !text;
    if (state === 'taken') input.setAttribute('aria-invalid', 'true');
    else if (box.querySelector('.field-error').hidden) input.removeAttribute('aria-invalid');
  };
  const run = async () => {
    clearTimeout(timer);
    const value = input.value.trim();
    if (value === asked) return;
    asked = value;
    const mine = ++seq;
    if (!rule.valid(value)) {
      paint('idle', '');
      return;
    }
    paint('checking', t('auth.checking'));
    try {
      const res = await api.get(`/users/availability?${new URLSearchParams({ [name]: value })}`, { auth: 'none' });
      if (mine !== seq) return;
      const free = res[rule.answer];
      if (free === true) paint('free', t(rule.free));
      else if (free === false) paint('taken', t(rule.taken));
      else paint('idle', '');
    } catch (err) {
      if (mine !== seq) return;
      // A field message from the API (say, a rule the client does not know); else say nothing.
      const msg = err.problem?.errors?.find((f) => f.field === name)?.message;
      paint(msg ? 'taken' : 'idle', msg ?? '');
      asked = '';
    }
  };
  input.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(run, 450);
  });
  input.addEventListener('blur', run);
}

function field({ name, label, type = 'text', hint, autocomplete, required = true, minlength, inputmode, check = false }) {
  const id = `f-${name}`;
  const hintId = `${id}-hint`;
  const errId = `${id}-err`;
  const checkId = `${id}-check`;
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
      'aria-describedby': [hint ? hintId : null, errId, check ? checkId : null].filter(Boolean).join(' '),
    }),
    hint && h('p', { class: 'field-hint', id: hintId, text: hint }),
    h('p', { class: 'field-error', id: errId, hidden: true }),
    check && h('p', { class: 'field-check', id: checkId, 'aria-live': 'polite', hidden: true }),
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
    const check = box.querySelector('.field-check');
    if (check) check.hidden = true;
    const input = box.querySelector('input');
    input.setAttribute('aria-invalid', 'true');
    first ??= input;
  }
  return first;
}

/** "Sign in with Google" when the API has a provider configured (GET /auth/oidc). */
function providerButton() {
  const box = h('p', { class: 'auth-provider', hidden: true });
  api
    .get('/auth/oidc', { auth: 'none' })
    .then((p) => {
      if (!p?.enabled) return;
      box.append(h('a', { href: `${api.BASE}/auth/oidc/start`, class: 'btn btn-block oidc-start', text: t('oidc.signIn', { name: p.name }) }));
      box.hidden = false;
    })
    .catch(() => {});
  return box;
}

export function render({ mode, query, navigate }) {
  const signup = mode === 'signup';
  const next = query.get('next');
  const safeNext = next && next.startsWith('/') && !next.startsWith('/login') && !next.startsWith('/signup') ? next : '/';
  const carry = next ? `?next=${encodeURIComponent(next)}` : '';
  const status = h('div', { class: 'form-status' });

  const fields = signup
    ? [
        field({ name: 'username', label: t('auth.username'), hint: t('auth.usernameHint'), autocomplete: 'username', check: true }),
        field({ name: 'email', label: t('auth.email'), type: 'email', autocomplete: 'email', inputmode: 'email' }),
        field({ name: 'password', label: t('auth.password'), type: 'password', hint: t('auth.passwordHint'), autocomplete: 'new-password', minlength: '10' }),
        field({ name: 'display_name', label: t('auth.displayName'), hint: t('auth.displayNameHint'), autocomplete: 'nickname', required: false, check: true }),
      ]
    : [
        field({ name: 'login', label: t('auth.login'), autocomplete: 'username' }),
        field({ name: 'password', label: t('auth.password'), type: 'password', autocomplete: 'current-password' }),
      ];

  const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-block', text: signup ? t('auth.submitSignup') : t('auth.submitLogin') });
  const form = h('form', { class: 'stack', novalidate: true }, status, fields, submit);
  for (const check of form.querySelectorAll('.field-check')) {
    const box = check.closest('.field');
    checkAvailability(box, box.dataset.field);
  }

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
      query.get('reset') === '1' && !signup ? h('p', { class: 'reset-done', role: 'status', text: t('recovery.done') }) : null,
      form,
      signup ? null : h('p', { class: 'auth-forgot' }, h('a', { href: '#/forgot', text: t('recovery.forgotLink') })),
      providerButton(),
      h(
        'p',
        { class: 'auth-switch' },
        h('a', { href: signup ? `#/login${carry}` : `#/signup${carry}`, text: signup ? t('auth.haveAccount') : t('auth.needAccount') }),
      ),
    ),
  );
}
