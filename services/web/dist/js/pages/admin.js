// The admin page (#/admin, admins only; others see the API's 403 explained): the report
// queue grouped by target with filters (status, type, reason), each target's latest reports
// and the actions review / hide / dismiss / delete / warn; suspending or banning a person;
// report statistics as bars (by status, type, reason and day, median time to a decision);
// and the audit log. Every action asks the API and repaints from its answer.

import * as api from '../api.js';
import { h, append, clear, errorBox, toast, cursorList, section } from '../dom.js';
import { t, formatDate, formatNumber } from '../i18n.js';
import { REASONS } from '../report.js';
import { barList } from '../ui.js';

const TYPES = ['user', 'post', 'comment', 'reply', 'product', 'emoji', 'dataset', 'chat_message'];
const STATUSES = ['', 'received', 'in_review', 'resolved', 'dismissed'];
const LINKS = { post: (id) => `#/p/${id}`, product: (id) => `#/m/${id}` };

function select(name, values, value, label) {
  return h(
    'label',
    { class: 'field' },
    h('span', { text: label }),
    h(
      'select',
      { name, class: `admin-${name}` },
      values.map((v) => h('option', { value: v, selected: v === value, text: v ? t(`report.${name === 'status' ? 'status' : name === 'type' ? 'type' : 'reason'}.${v}`) : t('admin.any') })),
    ),
  );
}

function bars(title, counts, label) {
  return h(
    'figure',
    { class: 'card admin-bars', dataset: { chart: title } },
    h('figcaption', { text: t(`admin.by.${title}`) }),
    counts.length
      ? barList(
          counts.map((c) => ({ key: c.key, label: label(c.key), value: c.count })),
          { label: t(`admin.by.${title}`) },
        )
      : h('p', { class: 'muted', text: t('common.empty') }),
  );
}

function statsSection() {
  return section(
    h('div', { class: 'admin-stats grid-2' }),
    () => api.get('/admin/reports/stats?days=30', { auth: 'required' }),
    (s) => [
      bars('status', s.by_status, (k) => t(`report.status.${k}`)),
      bars('type', s.by_type, (k) => t(`report.type.${k}`)),
      bars('reason', s.by_reason, (k) => t(`report.reason.${k}`)),
      bars('day', s.by_day, (k) => k),
      h('p', {
        class: 'admin-median muted',
        text:
          s.median_resolution_secs == null
            ? t('admin.noMedian')
            : t('admin.median', { minutes: formatNumber(Math.round(s.median_resolution_secs / 60)) }),
      }),
    ],
  );
}

function targetCard(x, refresh) {
  const status = h('div', { class: 'form-status' });
  const note = h('input', { type: 'text', class: 'admin-note', maxlength: 1000, placeholder: t('admin.note'), 'aria-label': t('admin.note') });
  const act = async (action, btn) => {
    btn.disabled = true;
    clear(status);
    try {
      await api.post(`/admin/reports/${x.target_type}/${x.target_id}/actions`, { action, note: note.value.trim() || undefined }, { auth: 'required' });
      toast(t(`admin.done.${action}`));
      refresh();
    } catch (err) {
      btn.disabled = false;
      status.append(errorBox(err));
    }
  };
  const actions = ['review', 'hide', 'dismiss', 'delete', 'warn']
    .filter((a) => a !== 'hide' || ['post', 'product'].includes(x.target_type))
    .filter((a) => a !== 'delete' || !['user', 'chat_message'].includes(x.target_type));
  const link = LINKS[x.target_type];
  return h(
    'li',
    { class: 'card admin-target stack', dataset: { target: x.target_id, type: x.target_type, state: x.state } },
    h(
      'div',
      { class: 'row' },
      h('span', { class: 'badge', text: t(`report.type.${x.target_type}`) }),
      h('strong', { class: 'grow admin-preview' }, link ? h('a', { href: link(x.target_id), text: x.preview ?? x.target_id }) : x.preview ?? x.target_id),
      h('span', { class: `badge admin-state state-${x.state}`, text: x.state }),
    ),
    h('p', {
      class: 'muted admin-counts',
      text: t('admin.counts', { open: formatNumber(x.open_reports), people: formatNumber(x.open_reporters), owner: x.owner ?? '—' }),
    }),
    h('p', { class: 'admin-reasons', text: x.reasons.map((r) => `${t(`report.reason.${r.key}`)} ×${r.count}`).join(' · ') }),
    h(
      'ul',
      { class: 'admin-latest' },
      x.latest.map((r) =>
        h(
          'li',
          { class: 'muted' },
          `${r.reporter ?? '—'} · ${t(`report.reason.${r.reason}`)} · ${t(`report.status.${r.status}`)} · ${formatDate(r.created_at, true)}`,
          r.text ? h('q', { text: r.text }) : null,
        ),
      ),
    ),
    h(
      'div',
      { class: 'row admin-actions' },
      note,
      actions.map((a) => {
        const b = h('button', { type: 'button', class: `btn btn-small admin-${a}${a === 'delete' ? ' btn-danger' : ''}`, text: t(`admin.action.${a}`) });
        b.addEventListener('click', () => act(a, b));
        return b;
      }),
    ),
    status,
  );
}

function standingForm() {
  const status = h('div', { class: 'form-status' });
  const username = h('input', { type: 'text', name: 'username', required: true, class: 'admin-username', autocomplete: 'off' });
  const reason = h('input', { type: 'text', name: 'reason', required: true, maxlength: 1000, class: 'admin-reason' });
  const days = h('input', { type: 'number', name: 'days', min: 1, max: 3650, value: 7, class: 'admin-days' });
  const go = async (change) => {
    clear(status);
    const body = { reason: reason.value.trim() };
    if (change === 'suspend') body.until = new Date(Date.now() + Number(days.value) * 86_400_000).toISOString();
    try {
      const v = await api.post(`/admin/users/${encodeURIComponent(username.value.trim())}/${change}`, body, { auth: 'required' });
      status.append(h('p', { class: 'admin-standing-done', role: 'status', text: t(`admin.standing.${change}Done`, { name: v.username }) }));
    } catch (err) {
      status.append(errorBox(err));
    }
  };
  return h(
    'form',
    { class: 'card stack admin-standing', onsubmit: (e) => e.preventDefault() },
    h('h2', { text: t('admin.standing.title') }),
    h('label', { class: 'field' }, h('span', { text: t('admin.standing.username') }), username),
    h('label', { class: 'field' }, h('span', { text: t('admin.standing.reason') }), reason),
    h('label', { class: 'field' }, h('span', { text: t('admin.standing.days') }), days),
    h(
      'div',
      { class: 'row' },
      ['suspend', 'ban', 'reinstate'].map((c) =>
        h('button', { type: 'button', class: `btn btn-small admin-${c}${c === 'ban' ? ' btn-danger' : ''}`, onclick: () => go(c), text: t(`admin.standing.${c}`) }),
      ),
    ),
    status,
  );
}

function auditList() {
  return cursorList(h('div', { class: 'admin-audit' }), {
    load: (cursor) => api.get(`/admin/audit?size=20${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { auth: 'required' }),
    list: () => h('ul', { class: 'audit-list' }),
    item: (e) =>
      h(
        'li',
        { class: 'audit-row', dataset: { action: e.action, target: e.target_id } },
        h('time', { class: 'muted', datetime: e.created_at, text: formatDate(e.created_at, true) }),
        ` ${e.actor ?? t('admin.system')} · ${e.action} · ${t(`report.type.${e.target_type}`)}${e.subject ? ` (@${e.subject})` : ''}${e.reason ? ` — ${e.reason}` : ''}`,
      ),
    empty: () => h('p', { class: 'muted', text: t('common.empty') }),
  });
}

export function render({ query, navigate }) {
  document.title = `${t('admin.title')} · Moji`;
  if (api.currentUser()?.role !== 'admin') {
    return h('section', { class: 'stack' }, h('h1', { text: t('admin.title') }), h('p', { class: 'admin-denied', role: 'alert', text: t('admin.denied') }));
  }
  const status = query.get('status') ?? '';
  const type = query.get('type') ?? '';
  const reason = query.get('reason') ?? '';
  const filters = h(
    'form',
    {
      class: 'row admin-filters',
      onchange: (e) => {
        const q = new URLSearchParams();
        for (const [k, v] of new FormData(e.currentTarget)) if (v) q.set(k, v);
        navigate(`#/admin${q.size ? `?${q}` : ''}`);
      },
    },
    select('status', STATUSES, status, t('admin.filter.status')),
    select('type', ['', ...TYPES], type, t('admin.filter.type')),
    select('reason', ['', ...REASONS], reason, t('admin.filter.reason')),
  );
  const queueBox = h('div', { class: 'admin-queue' });
  const loadQueue = () =>
    cursorList(clear(queueBox), {
      load: (cursor) => {
        const q = new URLSearchParams({ size: '20' });
        if (status) q.set('status', status);
        if (type) q.set('target_type', type);
        if (reason) q.set('reason', reason);
        if (cursor) q.set('cursor', cursor);
        return api.get(`/admin/reports?${q}`, { auth: 'required' });
      },
      list: () => h('ul', { class: 'admin-targets stack' }),
      item: (x) => targetCard(x, refresh),
      key: (x) => `${x.target_type}:${x.target_id}`,
      empty: () => h('p', { class: 'muted admin-empty', text: t('admin.emptyQueue') }),
    });
  const statsBox = h('div', {});
  const auditBox = h('div', {});
  const refresh = () => {
    loadQueue();
    append(clear(statsBox), [statsSection()]);
    append(clear(auditBox), [auditList()]);
  };
  refresh();
  return h(
    'section',
    { class: 'stack-lg admin-page' },
    h('h1', { text: t('admin.title') }),
    h('h2', { text: t('admin.queue') }),
    filters,
    queueBox,
    standingForm(),
    h('h2', { text: t('admin.stats') }),
    statsBox,
    h('h2', { text: t('admin.audit') }),
    auditBox,
  );
}
