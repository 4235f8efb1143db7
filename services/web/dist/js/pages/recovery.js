// Forgot password (#/forgot: an address → POST /auth/password-reset, always "check your
// mail"), the reset link's page (#/reset?token=…: a new password → .../confirm, then log in)
// the sign-up mail's link (#/verify?token=…: POST /auth/verify-email at once) and the end of a
// sign-in with the OpenID provider (#/oidc).

import * as api from '../api.js';
import { h, clear, errorBox } from '../dom.js';
import { t } from '../i18n.js';

function card(title, ...children) {
  return h('section', { class: 'auth' }, h('div', { class: 'card auth-card stack' }, h('h1', { text: title }), ...children));
}

function forgot() {
  const status = h('div', { class: 'form-status', 'aria-live': 'polite' });
  const email = h('input', { id: 'f-reset-email', type: 'email', name: 'email', required: true, autocomplete: 'email', inputmode: 'email' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-block', text: t('recovery.send') });
  const form = h(
    'form',
    {
      class: 'stack forgot-form',
      novalidate: true,
      onsubmit: async (e) => {
        e.preventDefault();
        clear(status);
        submit.disabled = true;
        try {
          await api.post('/auth/password-reset', { email: email.value.trim() }, { auth: 'none' });
          status.append(h('p', { class: 'recovery-sent', role: 'status', text: t('recovery.sent') }));
        } catch (err) {
          status.append(errorBox(err));
        } finally {
          submit.disabled = false;
        }
      },
    },
    h('div', { class: 'field' }, h('label', { for: 'f-reset-email', text: t('auth.email') }), email),
    submit,
    status,
  );
  return card(t('recovery.forgotTitle'), h('p', { class: 'muted', text: t('recovery.forgotIntro') }), form, h('p', {}, h('a', { href: '#/login', text: t('auth.loginTab') })));
}

function reset(token, navigate) {
  const status = h('div', { class: 'form-status', 'aria-live': 'polite' });
  const password = h('input', { id: 'f-new-password', type: 'password', name: 'new_password', required: true, minlength: 10, autocomplete: 'new-password' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-block', text: t('recovery.save') });
  const form = h(
    'form',
    {
      class: 'stack reset-form',
      novalidate: true,
      onsubmit: async (e) => {
        e.preventDefault();
        clear(status);
        submit.disabled = true;
        try {
          await api.post('/auth/password-reset/confirm', { token, new_password: password.value }, { auth: 'none' });
          api.clearSession('reset');
          navigate('#/login?reset=1', { replace: true });
        } catch (err) {
          status.append(errorBox(err));
          submit.disabled = false;
        }
      },
    },
    h('div', { class: 'field' }, h('label', { for: 'f-new-password', text: t('recovery.newPassword') }), password, h('p', { class: 'field-hint', text: t('auth.passwordHint') })),
    submit,
    status,
  );
  return card(t('recovery.resetTitle'), form);
}

function verify(token) {
  const status = h('div', { class: 'verify-status', 'aria-live': 'polite' }, h('p', { text: t('common.loading') }));
  api
    .post('/auth/verify-email', { token }, { auth: 'none' })
    .then(() => clear(status).append(h('p', { class: 'verify-done', role: 'status', text: t('recovery.verified') })))
    .catch((err) => clear(status).append(errorBox(err)));
  return card(t('recovery.verifyTitle'), status);
}

export function render({ mode, query, navigate }) {
  if (mode === 'oidc') return oidc({ query, navigate });
  const token = query.get('token') ?? '';
  if (mode === 'reset') return reset(token, navigate);
  if (mode === 'verify') return verify(token);
  return forgot();
}

// ---- sign-in with the OpenID provider -----------------------------------------------------
// #/oidc?ticket=… (the provider's sign-in worked: exchange the ticket for tokens),
// #/oidc?link=…&email=… (an account has this address: confirm with its password) or
// #/oidc?error=… (refused; say why and offer to try again).

const OIDC_ERRORS = {
  oidc_state: 'oidc.error.state',
  oidc_code: 'oidc.error.generic',
  oidc_id_token: 'oidc.error.generic',
  oidc_email: 'oidc.error.email',
  oidc_unavailable: 'oidc.error.unavailable',
  account_suspended: 'oidc.error.suspended',
};

export function oidc({ query, navigate }) {
  const status = h('div', { class: 'form-status', 'aria-live': 'polite' });
  const again = h('p', {}, h('a', { href: '/api/v1/auth/oidc/start', class: 'btn btn-ghost', text: t('oidc.again') }));
  const error = query.get('error');
  if (error) {
    return card(t('oidc.title'), h('p', { class: 'oidc-error', role: 'alert', text: t(OIDC_ERRORS[error] ?? 'oidc.error.generic') }), again);
  }
  const ticket = query.get('ticket');
  if (ticket) {
    api
      .oidcExchange(ticket)
      .then(() => navigate('#/', { replace: true }))
      .catch((err) => clear(status).append(errorBox(err), again));
    status.append(h('p', { text: t('common.loading') }));
    return card(t('oidc.title'), status);
  }
  const link = query.get('link') ?? '';
  const password = h('input', { id: 'f-link-password', type: 'password', name: 'password', required: true, autocomplete: 'current-password' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-block', text: t('oidc.link') });
  const form = h(
    'form',
    {
      class: 'stack oidc-link-form',
      onsubmit: async (e) => {
        e.preventDefault();
        clear(status);
        submit.disabled = true;
        try {
          await api.oidcLink(link, password.value);
          navigate('#/', { replace: true });
        } catch (err) {
          status.append(errorBox(err), again);
        }
      },
    },
    h('div', { class: 'field' }, h('label', { for: 'f-link-password', text: t('auth.password') }), password),
    submit,
    status,
  );
  return card(t('oidc.linkTitle'), h('p', { class: 'muted', text: t('oidc.linkIntro', { email: query.get('email') ?? '' }) }), form);
}
