// "Report" under a post, product or comment (issue 17): a button that opens a small form
// with a reason picker and optional words, and sends POST /reports. The person then follows
// the report's status on #/reports; they never learn anything about the reported person.

import * as api from './api.js';
import { h, append, clear, errorBox, toast } from './dom.js';
import { t } from './i18n.js';

export const REASONS = ['spam', 'abuse', 'sexual', 'illegal', 'copyright', 'other'];

/** A report control for `targetType`/`targetId`; nothing when signed out. */
export function reportButton(targetType, targetId) {
  if (!api.signedIn()) return null;
  const box = h('div', { class: 'report-box', dataset: { target: targetType } });
  const closed = () =>
    append(clear(box), [
      h('button', {
        type: 'button',
        class: 'btn btn-ghost btn-small report-open',
        onclick: () => {
          open();
          box.querySelector('select')?.focus();
        },
        text: t('report.button'),
      }),
    ]);
  const open = () => {
    const status = h('div', { class: 'form-status' });
    const reason = h(
      'select',
      { name: 'reason', class: 'report-reason', 'aria-label': t('report.reason') },
      REASONS.map((r) => h('option', { value: r, text: t(`report.reason.${r}`) })),
    );
    const text = h('textarea', { name: 'text', class: 'report-text', maxlength: 1000, rows: 2, placeholder: t('report.text') });
    const send = h('button', { type: 'submit', class: 'btn btn-small btn-danger report-send', text: t('report.send') });
    const form = h(
      'form',
      {
        class: 'card report-form stack',
        onsubmit: async (e) => {
          e.preventDefault();
          if (send.disabled) return;
          send.disabled = true;
          clear(status);
          try {
            await api.post(
              '/reports',
              { target_type: targetType, target_id: targetId, reason: reason.value, text: text.value.trim() || undefined },
              { auth: 'required' },
            );
            toast(t('report.sent'));
            append(clear(box), [
              h('p', { class: 'report-done muted' }, t('report.done'), ' ', h('a', { href: '#/reports', text: t('report.mine') })),
            ]);
          } catch (err) {
            send.disabled = false;
            status.append(errorBox(err));
          }
        },
      },
      h('label', { class: 'field' }, h('span', { text: t('report.reason') }), reason),
      h('label', { class: 'field' }, h('span', { text: t('report.textLabel') }), text),
      h(
        'div',
        { class: 'row' },
        send,
        h('button', { type: 'button', class: 'btn btn-ghost btn-small', onclick: closed, text: t('emoji.cancel') }),
      ),
      status,
    );
    append(clear(box), [form]);
  };
  closed();
  return box;
}
