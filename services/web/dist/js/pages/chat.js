// Chat (#/chat, #/chat/{id}): my rooms, most recent activity first, each with its last
// message and unread count, kept up to date by the one WebSocket of the app (../chat.js);
// a form to start a room (a name and people's usernames). A room: its history (newest page
// first, "Load older" by cursor), live messages and joined/left lines, my messages pending
// until the server acks them (then with their seq), who is typing, the members with how far
// each has read, invite by username, leave (after a confirm step). Messages count as read
// while the room is on the screen and the page is visible. The connection's state shows at
// the top ("Connecting…", "Offline, retrying in N s").

import * as api from '../api.js';
import * as chat from '../chat.js';
import { h, append, clear, errorBox, loading, toast, sr, sizeOf } from '../dom.js';
import { t, lang, formatDate, formatNumber } from '../i18n.js';
import { formFields, sendForm } from '../ui.js';

const HISTORY = 30;
const TYPING_SHOWN = 5000;
const COUNT_FROM = 3500;

function clock(iso) {
  const d = new Date(iso ?? '');
  if (Number.isNaN(d.getTime())) return '';
  const today = new Date().toDateString() === d.toDateString();
  if (!today) return formatDate(iso, true);
  return new Intl.DateTimeFormat(lang() === 'ko' ? 'ko-KR' : 'en-US', { timeStyle: 'short' }).format(d);
}

/** "alice, bob" (commas or spaces, a leading @ dropped) → ['alice', 'bob']. */
export function parseUsernames(text) {
  const out = [];
  for (const raw of String(text ?? '').split(/[\s,]+/)) {
    const name = raw.replace(/^@/, '').trim();
    if (name && !out.includes(name)) out.push(name);
  }
  return out;
}

// ---- the connection's state ---------------------------------------------------------------

function connectionBar(offs) {
  const text = h('span', { class: 'chat-conn-text' });
  const said = h('span', { class: 'sr-only', role: 'status' });
  const again = h('button', { type: 'button', class: 'btn btn-ghost btn-small chat-retry', onclick: () => chat.retryNow(), text: t('chat.retryNow') });
  const bar = h('div', { class: 'chat-conn' }, h('span', { class: 'chat-conn-dot', 'aria-hidden': 'true' }), text, said, again);
  let tick = null;
  let lastState = null;
  const paint = () => {
    const s = chat.status();
    bar.dataset.state = s.state;
    const secs = s.retryAt ? Math.max(0, Math.ceil((s.retryAt - Date.now()) / 1000)) : 0;
    text.textContent =
      s.state === 'online'
        ? t('chat.online')
        : s.state === 'offline'
          ? secs > 0
            ? t('chat.offlineRetry', { n: formatNumber(secs) })
            : t('chat.offline')
          : t('chat.connecting');
    again.hidden = s.state !== 'offline';
    // Screen readers hear the state changes, not every second of the countdown.
    if (s.state !== lastState) {
      lastState = s.state;
      said.textContent = s.state === 'online' ? t('chat.online') : s.state === 'offline' ? t('chat.offline') : t('chat.connecting');
    }
  };
  paint();
  offs.push(chat.on('status', paint));
  tick = setInterval(paint, 1000);
  offs.push(() => clearInterval(tick));
  return bar;
}

// ---- the room list ----------------------------------------------------------------------------

function preview(r) {
  const m = r.last_message;
  if (!m) return t('chat.noMessages');
  const who = m.sender === api.currentUser()?.username ? t('chat.you') : m.sender || t('chat.deletedUser');
  return `${who}: ${m.text ?? ''}`;
}

function roomItem(r, currentId) {
  const n = Number(r.unread) || 0;
  return h(
    'li',
    { class: ['chat-room', n > 0 && 'has-unread'], dataset: { id: r.id, unread: String(n) } },
    h(
      'a',
      { class: 'chat-room-link', href: `#/chat/${encodeURIComponent(r.id)}`, 'aria-current': r.id === currentId ? 'page' : null },
      h(
        'span',
        { class: 'chat-room-top' },
        h('span', { class: 'chat-room-name', text: r.name }),
        h('time', { class: 'chat-room-time muted small', datetime: r.last_activity_at, text: clock(r.last_activity_at) }),
      ),
      h(
        'span',
        { class: 'chat-room-bottom' },
        h('span', { class: 'chat-room-preview muted small', text: preview(r) }),
        n > 0 &&
          h(
            'span',
            { class: 'chat-unread', dataset: { n: String(n) } },
            h('span', { 'aria-hidden': 'true', text: n > 99 ? '99+' : formatNumber(n) }),
            sr(t('chat.unread', { n: formatNumber(n) })),
          ),
      ),
    ),
  );
}

function roomList(currentId, offs) {
  const box = h('div', { class: 'chat-rooms-box', 'aria-busy': 'true' });
  const status = h('div', { class: 'more-status' });
  const more = h('button', { type: 'button', class: 'btn more-btn chat-more-rooms', text: t('common.more'), hidden: true });
  let error = null;
  const paint = () => {
    if (error) {
      append(clear(box), [errorBox(error, first)]);
      return;
    }
    if (!chat.roomsReady()) {
      append(clear(box), [loading()]);
      return;
    }
    box.removeAttribute('aria-busy');
    const list = chat.rooms();
    more.hidden = !chat.moreRooms();
    if (!list.length) {
      append(clear(box), [h('p', { class: 'empty chat-rooms-empty', text: t('chat.noRooms') })]);
      return;
    }
    // Rebuilt on every change: the order follows activity.
    const focused = document.activeElement?.closest?.('.chat-room')?.dataset.id;
    const ul = h(
      'ul',
      { class: 'chat-rooms', dataset: { list: 'rooms' } },
      list.map((r) => roomItem(r, currentId)),
    );
    append(clear(box), [ul, h('div', { class: 'more' }, status, more)]);
    if (focused) ul.querySelector(`.chat-room[data-id="${CSS.escape(focused)}"] a`)?.focus();
  };
  const first = async () => {
    error = null;
    if (!chat.roomsReady()) paint();
    try {
      await chat.loadRooms();
    } catch (err) {
      if (!chat.roomsReady()) error = err;
    }
    paint();
  };
  more.addEventListener('click', async () => {
    more.disabled = true;
    clear(status);
    try {
      await chat.loadRooms({ more: true });
    } catch (err) {
      status.append(errorBox(err));
    } finally {
      more.disabled = false;
    }
  });
  offs.push(chat.on('rooms', paint));
  paint();
  first();
  return box;
}

function newRoomForm(navigate, open) {
  const fields = formFields('chat-new');
  const name = h('input', { type: 'text', class: 'chat-new-name', maxlength: '100', autocomplete: 'off' });
  const members = h('input', { type: 'text', class: 'chat-new-members', autocomplete: 'off', autocapitalize: 'none', spellcheck: 'false' });
  const status = h('div', { class: 'form-status' });
  const button = h('button', { type: 'submit', class: 'btn btn-primary chat-new-submit', text: t('chat.create') });
  const form = h(
    'form',
    { class: 'chat-new-form stack', novalidate: true },
    fields.field('name', t('chat.roomName'), name, t('chat.roomNameHint')),
    fields.field('members', t('chat.members'), members, t('chat.membersHint')),
    status,
    button,
  );
  sendForm(form, {
    fields,
    status,
    button,
    submit: () => chat.createRoom(name.value.trim(), parseUsernames(members.value)),
    done: (r) => {
      toast(t('chat.created', { name: r.name }));
      navigate(`#/chat/${encodeURIComponent(r.id)}`);
    },
  });
  return h(
    'details',
    { class: 'chat-new card', open },
    h('summary', { class: 'chat-new-summary' }, h('span', { 'aria-hidden': 'true', text: '+ ' }), t('chat.newRoom')),
    form,
  );
}

// ---- one room ---------------------------------------------------------------------------------

function problemText(code, message) {
  const key = `chat.error.${code}`;
  const text = t(key);
  return text === key ? message || t('error.unexpected') : text;
}

function roomPanel(id, { navigate, offs, size }) {
  const me = () => api.currentUser()?.username;
  const heading = h('h1', { id: 'chat-room-h', class: 'chat-room-title', text: chat.room(id)?.name ?? t('chat.title') });
  const meta = h('p', { class: 'muted small chat-room-meta' });
  const panel = h('section', { class: 'chat-room-panel card', dataset: { id }, 'aria-labelledby': 'chat-room-h' });
  const body = h('div', { class: 'chat-room-body' });
  append(panel, [h('a', { class: 'chat-back small', href: '#/chat', text: `← ${t('chat.allRooms')}` }), heading, meta, body]);
  body.append(loading());

  const members = new Map(); // username -> Member
  const nodes = new Map(); // seq -> li
  const pendingNodes = new Map(); // client_msg_id -> li
  const typingUsers = new Map(); // username -> timer
  let nextCursor = null;

  const nameOf = (username) => {
    if (!username) return t('chat.deletedUser');
    const m = members.get(username);
    return m?.display_name || username;
  };

  // ---- the log ----
  const log = h('ol', { class: 'chat-log', role: 'log', 'aria-label': t('chat.messages'), dataset: { list: 'messages' } });
  const scroller = h('div', { class: 'chat-scroll', tabindex: '0', 'aria-label': t('chat.messages') });
  const older = h('button', { type: 'button', class: 'btn btn-ghost btn-small chat-older', text: t('chat.older'), hidden: true });
  const olderStatus = h('div', { class: 'more-status' });
  append(scroller, [h('div', { class: 'chat-older-box' }, olderStatus, older), log]);

  const nearBottom = () => scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 80;
  const toBottom = () => {
    scroller.scrollTop = scroller.scrollHeight;
  };

  const readers = (seq) => {
    let n = 0;
    for (const m of members.values()) if (m.username !== me() && (Number(m.last_read_seq) || 0) >= seq) n += 1;
    return n;
  };

  const paintMine = (li) => {
    const state = li.dataset.state;
    const metaEl = li.querySelector('.chat-msg-meta');
    if (!metaEl) return;
    if (state === 'pending') {
      metaEl.textContent = t('chat.sending');
      return;
    }
    if (state === 'failed') return; // painted with its reason and button
    const seq = Number(li.dataset.seq);
    const n = readers(seq);
    li.dataset.read = String(n);
    metaEl.textContent = n > 0 ? `#${seq} · ${t('chat.readBy', { n: formatNumber(n) })}` : `#${seq} · ${t('chat.sent')}`;
  };

  const messageNode = (m) => {
    const mine = m.sender === me();
    const li = h('li', {
      class: ['chat-msg', mine && 'is-mine'],
      dataset: { kind: 'text', sender: m.sender ?? '', mine: String(mine), state: 'sent' },
    });
    if (Number.isFinite(m.seq)) li.dataset.seq = String(m.seq);
    if (m.client_msg_id) li.dataset.clientId = m.client_msg_id;
    append(li, [
      h(
        'p',
        { class: 'chat-msg-head small' },
        h('span', { class: 'chat-sender', text: mine ? t('chat.you') : nameOf(m.sender) }),
        m.sent_at && [' · ', h('time', { class: 'muted', datetime: m.sent_at, text: clock(m.sent_at) })],
      ),
      h('p', { class: 'chat-text', text: m.text ?? '' }),
      h('p', { class: 'chat-msg-meta muted small', text: Number.isFinite(m.seq) ? `#${m.seq}` : '' }),
    ]);
    if (mine) paintMine(li);
    return li;
  };

  const lineNode = (m) =>
    h(
      'li',
      { class: 'chat-line muted small', dataset: { kind: m.kind, seq: String(m.seq), user: m.sender ?? '' } },
      t(m.kind === 'joined' ? 'chat.joined' : 'chat.left', { name: nameOf(m.sender) }),
      m.sent_at && [' · ', h('time', { datetime: m.sent_at, text: clock(m.sent_at) })],
    );

  /** Puts a node with a seq in seq order (pending ones stay last). */
  const place = (li, seq) => {
    let after = null;
    for (let el = log.lastElementChild; el; el = el.previousElementSibling) {
      if (el.dataset.seq && Number(el.dataset.seq) < seq) {
        after = el;
        break;
      }
    }
    if (after) after.after(li);
    else log.prepend(li);
  };

  const insert = (m) => {
    if (!Number.isFinite(m.seq) || nodes.has(m.seq)) return null;
    let li = m.client_msg_id ? pendingNodes.get(m.client_msg_id) : null;
    if (li) {
      // My message came back stored: from now on it has its seq and its place by seq.
      pendingNodes.delete(m.client_msg_id);
      const focused = li.contains(document.activeElement);
      li.remove();
      li = messageNode(m);
      if (focused) text.focus();
    } else {
      li = m.kind === 'text' ? messageNode(m) : lineNode(m);
    }
    nodes.set(m.seq, li);
    place(li, m.seq);
    return li;
  };

  const pendingNode = (p) => {
    const li = messageNode({ sender: me(), text: p.text, client_msg_id: p.client_msg_id });
    pendingNodes.set(p.client_msg_id, li);
    paintPending(li, p);
    log.append(li);
    return li;
  };

  const paintPending = (li, p) => {
    li.dataset.state = p.state === 'failed' ? 'failed' : 'pending';
    const metaEl = li.querySelector('.chat-msg-meta');
    if (p.state === 'failed') {
      append(clear(metaEl), [
        h('span', { class: 'chat-failed', text: `${t('chat.notSent')} (${problemText(p.code, '')})` }),
        ' ',
        h('button', {
          type: 'button',
          class: 'btn btn-ghost btn-small chat-resend',
          onclick: () => {
            const again = chat.resend(p.client_msg_id);
            if (again) paintPending(li, again);
          },
          text: t('chat.sendAgain'),
        }),
      ]);
    } else {
      paintMine(li);
    }
  };

  // ---- typing ----
  const typingLine = h('p', { class: 'chat-typing muted small', 'aria-live': 'polite' });
  const paintTyping = () => {
    const names = [...typingUsers.keys()].map(nameOf);
    typingLine.dataset.n = String(names.length);
    typingLine.textContent = !names.length
      ? ''
      : names.length === 1
        ? t('chat.typingOne', { name: names[0] })
        : t('chat.typingMany', { names: names.join(', ') });
  };
  const stopTyping = (user) => {
    clearTimeout(typingUsers.get(user));
    typingUsers.delete(user);
    paintTyping();
  };
  offs.push(() => {
    for (const timer of typingUsers.values()) clearTimeout(timer);
  });

  // ---- the composer ----
  const errors = h('div', { class: 'chat-errors' });
  const fields = formFields('chat');
  const text = h('textarea', { class: 'chat-input', rows: '2', autocomplete: 'off', placeholder: t('chat.placeholder') });
  const count = h('p', { class: 'chat-count muted small', hidden: true });
  const sendBtn = h('button', { type: 'submit', class: 'btn btn-primary chat-send', text: t('chat.send') });
  const composer = h(
    'form',
    { class: 'chat-compose', novalidate: true },
    fields.field('text', t('chat.message'), text, t('chat.enterHint')),
    count,
    h('div', { class: 'chat-compose-actions' }, sendBtn),
  );
  const paintCount = () => {
    const n = chat.textLength(text.value);
    count.hidden = n < COUNT_FROM;
    count.classList.toggle('is-over', n > chat.MAX_TEXT);
    count.textContent = t('chat.count', { n: formatNumber(n), max: formatNumber(chat.MAX_TEXT) });
  };
  text.addEventListener('input', () => {
    paintCount();
    if (text.value.trim()) chat.typing(id);
  });
  text.addEventListener('keydown', (e) => {
    // Enter sends, Shift+Enter is a new line; not while an input method composes (Korean).
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
      e.preventDefault();
      composer.requestSubmit();
    }
  });
  composer.addEventListener('submit', (e) => {
    e.preventDefault();
    fields.reset();
    clear(errors);
    const value = text.value;
    const n = chat.textLength(value);
    if (!value.trim() || n > chat.MAX_TEXT) {
      fields.show({
        problem: { errors: [{ field: 'text', message: !value.trim() ? t('chat.empty') : t('chat.tooLong', { max: formatNumber(chat.MAX_TEXT) }) }] },
      });
      text.focus();
      return;
    }
    pendingNode(chat.send(id, value));
    text.value = '';
    paintCount();
    toBottom();
    text.focus();
  });

  // ---- members ----
  const memberList = h('ul', { class: 'chat-member-list', dataset: { list: 'members' } });
  const memberCount = h('span', { class: 'chat-member-n' });
  const paintMembers = () => {
    const list = [...members.values()].sort(
      (a, b) => (a.role === 'owner' ? -1 : 0) - (b.role === 'owner' ? -1 : 0) || String(a.joined_at).localeCompare(String(b.joined_at)),
    );
    memberCount.dataset.n = String(list.length);
    memberCount.textContent = ` (${formatNumber(list.length)})`;
    append(clear(memberList), [
      list.map((m) =>
        h(
          'li',
          { class: 'chat-member', dataset: { username: m.username, role: m.role, read: String(m.last_read_seq ?? 0) } },
          h('a', { class: 'user-link', href: `#/u/${encodeURIComponent(m.username)}`, title: `@${m.username}`, text: m.display_name || m.username }),
          m.username === me() && h('span', { class: 'pill pill-you', text: t('follow.you') }),
          m.role === 'owner' && h('span', { class: 'pill chat-owner', text: t('chat.owner') }),
          h('span', {
            class: 'muted small chat-member-read',
            text: Number(m.last_read_seq) > 0 ? t('chat.readUpTo', { seq: m.last_read_seq }) : t('chat.readNothing'),
          }),
        ),
      ),
    ]);
    const r = chat.room(id);
    const n = list.length || Number(r?.member_count) || 0;
    meta.textContent = t(n === 1 ? 'chat.memberCountOne' : 'chat.memberCount', { n: formatNumber(n) });
    for (const li of log.querySelectorAll('.chat-msg.is-mine[data-seq]')) paintMine(li);
  };
  let membersTimer = null;
  const loadMembers = async () => {
    const page = await api.get(`/chat/rooms/${encodeURIComponent(id)}/members`, { auth: 'required' });
    members.clear();
    for (const m of page.items ?? []) members.set(m.username, m);
    paintMembers();
  };
  const reloadMembers = () => {
    clearTimeout(membersTimer);
    membersTimer = setTimeout(() => loadMembers().catch(() => {}), 300);
  };
  offs.push(() => clearTimeout(membersTimer));

  const inviteFields = formFields('chat-invite');
  const inviteInput = h('input', { type: 'text', class: 'chat-invite-input', autocomplete: 'off', autocapitalize: 'none', spellcheck: 'false' });
  const inviteStatus = h('div', { class: 'form-status' });
  const inviteBtn = h('button', { type: 'submit', class: 'btn btn-small chat-invite-submit', text: t('chat.invite') });
  const inviteForm = h(
    'form',
    { class: 'chat-invite stack', novalidate: true },
    inviteFields.field('usernames', t('chat.inviteLabel'), inviteInput, t('chat.membersHint')),
    inviteStatus,
    inviteBtn,
  );
  sendForm(inviteForm, {
    fields: inviteFields,
    status: inviteStatus,
    button: inviteBtn,
    submit: () => api.post(`/chat/rooms/${encodeURIComponent(id)}/members`, { usernames: parseUsernames(inviteInput.value) }, { auth: 'required' }),
    done: (res) => {
      inviteInput.value = '';
      const added = res?.items ?? [];
      for (const m of added) members.set(m.username, m);
      paintMembers();
      toast(added.length ? t('chat.invited', { names: added.map((m) => m.display_name || m.username).join(', ') }) : t('chat.invitedNone'));
    },
  });
  const membersBox = h(
    'details',
    { class: 'chat-members' },
    h('summary', { class: 'chat-members-summary' }, t('chat.membersTitle'), memberCount),
    memberList,
    inviteForm,
  );

  // ---- leave ----
  const leaveBox = h('div', { class: 'chat-leave row' });
  const leaveStatus = h('div', { class: 'form-status' });
  const paintLeave = (confirming) => {
    if (!confirming) {
      append(clear(leaveBox), [
        h('button', {
          type: 'button',
          class: 'btn btn-ghost btn-small btn-danger chat-leave-btn',
          onclick: () => {
            paintLeave(true);
            leaveBox.querySelector('.chat-leave-cancel')?.focus();
          },
          text: t('chat.leave'),
        }),
      ]);
      return;
    }
    const leave = async () => {
      const yes = leaveBox.querySelector('.chat-leave-yes');
      if (yes.disabled) return;
      for (const b of leaveBox.querySelectorAll('button')) b.disabled = true;
      clear(leaveStatus);
      try {
        await chat.leaveRoom(id);
        toast(t('chat.leftRoom', { name: heading.textContent }));
        navigate('#/chat');
      } catch (err) {
        leaveStatus.append(errorBox(err, leave));
        for (const b of leaveBox.querySelectorAll('button')) b.disabled = false;
      }
    };
    append(clear(leaveBox), [
      h(
        'div',
        { class: 'chat-leave-confirm', role: 'group', 'aria-labelledby': 'chat-leave-q' },
        h('p', { id: 'chat-leave-q', class: 'chat-leave-text', text: t('chat.leaveConfirm') }),
        h(
          'div',
          { class: 'row' },
          h('button', { type: 'button', class: 'btn btn-small btn-danger chat-leave-yes', onclick: leave, text: t('chat.leaveYes') }),
          h('button', {
            type: 'button',
            class: 'btn btn-small btn-ghost chat-leave-cancel',
            onclick: () => {
              paintLeave(false);
              leaveBox.querySelector('.chat-leave-btn')?.focus();
            },
            text: t('emoji.cancel'),
          }),
        ),
      ),
    ]);
  };
  paintLeave(false);

  // ---- live frames ----
  offs.push(
    chat.on('item', ({ room_id, item }) => {
      if (room_id !== id) return;
      const stick = nearBottom();
      insert(item);
      if (item.kind === 'text' && item.sender) stopTyping(item.sender);
      if (item.kind !== 'text') reloadMembers();
      if (stick) toBottom();
    }),
    chat.on('pending', ({ room_id, entry }) => {
      if (room_id !== id) return;
      const li = pendingNodes.get(entry.client_msg_id);
      if (li) paintPending(li, entry);
    }),
    chat.on('read', ({ room_id, user, seq }) => {
      if (room_id !== id) return;
      const m = members.get(user);
      if (m && seq > (Number(m.last_read_seq) || 0)) {
        m.last_read_seq = seq;
        paintMembers();
      }
    }),
    chat.on('typing', ({ room_id, user }) => {
      if (room_id !== id) return;
      clearTimeout(typingUsers.get(user));
      typingUsers.set(
        user,
        setTimeout(() => stopTyping(user), TYPING_SHOWN),
      );
      paintTyping();
    }),
    chat.on('problem', ({ room_id, code, message }) => {
      if (room_id !== null && room_id !== id) return;
      append(clear(errors), [
        errorBox({ problem: { code, detail: problemText(code, message), title: t('chat.errorTitle') } }, null, { title: t('chat.errorTitle') }),
      ]);
    }),
    chat.on('rooms', () => {
      const r = chat.room(id);
      if (r && heading.textContent !== r.name) heading.textContent = r.name;
    }),
    chat.on('removed', ({ room_id }) => {
      if (room_id !== id || !panel.isConnected) return;
      append(clear(body), [h('p', { class: 'alert chat-gone', role: 'status', text: t('chat.gone') })]);
    }),
  );

  // ---- history ----
  const loadOlder = async () => {
    if (!nextCursor || older.disabled) return;
    older.disabled = true;
    clear(olderStatus);
    const before = scroller.scrollHeight - scroller.scrollTop;
    try {
      const q = new URLSearchParams({ size: String(size), cursor: nextCursor });
      const page = await api.get(`/chat/rooms/${encodeURIComponent(id)}/messages?${q}`, { auth: 'required' });
      for (const m of page.items ?? []) insert(chat.normalize({ room_id: id, ...m }));
      nextCursor = page.next_cursor ?? null;
      older.hidden = !nextCursor;
      scroller.scrollTop = scroller.scrollHeight - before;
    } catch (err) {
      olderStatus.append(errorBox(err, loadOlder));
    } finally {
      older.disabled = false;
    }
  };
  older.addEventListener('click', loadOlder);

  const open = async () => {
    clear(body).append(loading());
    try {
      const [r, page] = await Promise.all([
        chat.fetchRoom(id),
        api.get(`/chat/rooms/${encodeURIComponent(id)}/messages?size=${size}`, { auth: 'required' }),
        loadMembers(),
      ]);
      heading.textContent = r.name;
      document.title = `${r.name} · Moji`;
      for (const m of page.items ?? []) insert(chat.normalize({ room_id: id, ...m }));
      nextCursor = page.next_cursor ?? null;
      older.hidden = !nextCursor;
      for (const p of chat.pendingIn(id)) if (!pendingNodes.has(p.client_msg_id)) pendingNode(p);
      append(clear(body), [h('div', { class: 'chat-tools row' }, membersBox, leaveBox), leaveStatus, scroller, typingLine, errors, composer]);
      paintMembers();
      toBottom();
      chat.view(id);
    } catch (err) {
      const code = err.status === 403 ? 'chat.forbidden' : err.status === 404 ? 'chat.notFound' : null;
      const shown = code ? { problem: { ...err.problem, detail: t(code) } } : err;
      append(clear(body), [errorBox(shown, code ? null : open), h('p', {}, h('a', { href: '#/chat', text: t('chat.allRooms') }))]);
    }
  };
  open();
  return panel;
}

// ---- the page ---------------------------------------------------------------------------------

export function render({ params, query, navigate, onLeave }) {
  chat.start();
  const id = params[0] ? decodeURIComponent(params[0]) : null;
  const offs = [];
  onLeave(() => {
    for (const off of offs) off();
    chat.view(null);
  });
  const side = h(
    'aside',
    { class: 'chat-side stack', 'aria-labelledby': 'chat-rooms-h' },
    h('h2', { id: 'chat-rooms-h', class: 'h-small', text: t('chat.rooms') }),
    newRoomForm(navigate, false),
    roomList(id, offs),
  );
  return h(
    'section',
    { class: 'chat-page', dataset: { view: id ? 'room' : 'list' } },
    !id && h('div', { class: 'page-head' }, h('h1', { text: t('chat.title') }), h('p', { class: 'muted', text: t('chat.lead') })),
    connectionBar(offs),
    h('div', { class: 'chat-layout' }, side, id && roomPanel(id, { navigate, offs, size: sizeOf(query, HISTORY) })),
  );
}
