/** Groups of an instance: search and paging over the store, create, join by link, resync. */
import { api, apiCall, errorMessage, type Group, type GroupSummary, type Operation, type Outcome, seg } from '../api';
import { badge, busy, formatTime, h, mount, notice, toast } from '../dom';
import { subscribeLive } from '../events-panel';
import { link, navigate, setFlash, type PageContext } from '../router';

const PAGE_SIZE = 25;

/**
 * Splits pasted numbers: one per line, or separated by commas, semicolons or tabs. Spaces belong to
 * a number (`+55 11 98888-1234`); the server reads every usual way of writing one.
 */
export function parseNumbers(text: string): string[] {
  return [
    ...new Set(
      text
        .split(/[\r\n,;\t]+/)
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  ];
}

/** The settings of a group at a glance: who may send, edit and add, approval, disappearing messages. */
export function settingsBadges(s: Group['settings']): HTMLElement[] {
  return [
    badge(s.announcement ? 'admins send' : 'all send', s.announcement ? 'info' : 'muted'),
    badge(s.locked ? 'admins edit' : 'all edit', s.locked ? 'info' : 'muted'),
    badge(s.memberAddMode === 'all' ? 'all add' : 'admins add', s.memberAddMode === 'all' ? 'muted' : 'info'),
    ...(s.approvalMode ? [badge('approval', 'info')] : []),
    ...(s.ephemeralSeconds ? [badge(`disappearing ${Math.round(s.ephemeralSeconds / 86400)} d`, 'info')] : []),
  ];
}

/** Encodes a group id for the URL of the dashboard. */
export const groupPath = (instanceId: string, groupId: string) => `/instances/${instanceId}/groups/${encodeURIComponent(groupId)}`;

/** `#/instances/:id/groups`. */
export function groupsPage({ params, main, signal }: PageContext): void {
  const [id] = params;
  const base = `/api/instances/${seg(id)}`;
  let offset = 0;
  let search = '';
  const tbody = h('tbody');
  const pager = h('div', { class: 'pager' });
  const error = h('div');

  const load = async () => {
    const query = new URLSearchParams({ limit: String(PAGE_SIZE), offset: String(offset) });
    if (search) query.set('search', search);
    try {
      const page = await api<{ groups: GroupSummary[]; total: number; limit: number; offset: number }>('GET', `${base}/groups?${query}`, undefined, { signal });
      error.replaceChildren();
      if (page.groups.length === 0) {
        mount(
          tbody,
          h('tr', null, h('td', { colSpan: 5, class: 'empty-row' }, search ? `No group matches “${search}”.` : 'No groups yet. Create one below, or resync from WhatsApp.')),
        );
      } else {
        mount(
          tbody,
          page.groups.map((g) =>
            h(
              'tr',
              { 'data-group': g.id },
              h('td', null, link(groupPath(id, g.id), h('strong', null, g.name || '(no name)')), h('div', { class: 'muted small' }, g.id)),
              h('td', null, String(g.size)),
              h('td', null, badge(g.myRole)),
              h('td', { class: 'settings-cell' }, settingsBadges(g.settings)),
              h('td', null, formatTime(g.createdAt)),
            ),
          ),
        );
      }
      const last = Math.min(page.offset + page.groups.length, page.total);
      const prev = h(
        'button',
        { type: 'button', class: 'btn btn-secondary btn-small', disabled: page.offset === 0, onclick: () => ((offset = Math.max(0, offset - PAGE_SIZE)), void load()) },
        '← Previous',
      );
      const next = h(
        'button',
        { type: 'button', class: 'btn btn-secondary btn-small', disabled: last >= page.total, onclick: () => ((offset += PAGE_SIZE), void load()) },
        'Next →',
      );
      mount(pager, h('span', { class: 'muted' }, page.total ? `${page.offset + 1}–${last} of ${page.total}` : '0 groups'), prev, next);
    } catch (err) {
      if (!signal.aborted) error.replaceChildren(notice(errorMessage(err)));
    }
  };

  let debounce: ReturnType<typeof setTimeout> | undefined;
  const searchBox = h('input', {
    type: 'search',
    placeholder: 'Search by name or id',
    class: 'search',
    'aria-label': 'Search groups',
    oninput: () => {
      clearTimeout(debounce);
      debounce = setTimeout(() => {
        search = searchBox.value.trim();
        offset = 0;
        void load();
      }, 250);
    },
  });
  const resync = h('button', { type: 'button', class: 'btn btn-secondary' }, 'Resync from WhatsApp');
  resync.addEventListener(
    'click',
    () =>
      void busy(resync, async () => {
        const r = await api<{ groups: number; removed: number }>('POST', `${base}/groups/refresh`);
        toast(`Resynced: ${r.groups} groups${r.removed ? `, ${r.removed} stale removed` : ''}.`, 'success');
        await load();
      }),
  );

  mount(
    main,
    h('div', { class: 'page-head' }, link(`/instances/${id}`, '← Instance'), h('h1', null, 'Groups')),
    error,
    h('div', { class: 'toolbar' }, searchBox, h('span', { class: 'spacer' }), resync),
    h(
      'div',
      { class: 'card card-flush' },
      h(
        'table',
        { class: 'table', id: 'groups-table' },
        h('thead', null, h('tr', null, h('th', null, 'Group'), h('th', null, 'Size'), h('th', null, 'My role'), h('th', null, 'Settings'), h('th', null, 'Created'))),
        tbody,
      ),
      pager,
    ),
    h('div', { class: 'two-col' }, createForm(id, base), joinForm(id, base)),
  );
  void load();
  signal.addEventListener('abort', () => clearTimeout(debounce), { once: true });
  subscribeLive((event) => {
    if (event.instanceId === id && /^group\.(created|joined|left|updated)$/.test(event.type)) void load();
  }, signal);
}

function createForm(id: string, base: string): HTMLElement {
  const name = h('input', { name: 'group-name', required: true, maxLength: 100, placeholder: 'Customers Q3' });
  const numbers = h('textarea', {
    name: 'group-participants',
    rows: 4,
    required: true,
    placeholder: 'One number per line, with its country code, e.g.\n+55 11 98888-1234\n+1 (415) 555-0101',
  });
  const description = h('input', { name: 'group-description', maxLength: 2048, placeholder: 'Optional' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Create group');
  const status = h('div');
  const form = h(
    'form',
    {
      class: 'card form-stack',
      id: 'create-group',
      onsubmit: (event: Event) => {
        event.preventDefault();
        status.replaceChildren();
        const participants = parseNumbers(numbers.value);
        if (participants.length === 0) return void status.replaceChildren(notice('Add at least one number.'));
        void busy(submit, async () => {
          const body: Record<string, unknown> = { name: name.value.trim(), participants };
          if (description.value.trim()) body.description = description.value.trim();
          try {
            const res = await apiCall<(Group & { outcomes: Outcome[] }) | { operation: Operation }>('POST', `${base}/groups`, body);
            if ('operation' in res.body) {
              toast('Pacing: the group will be created later. Follow it under Operations.', 'info');
              navigate(`/instances/${id}/operations`);
              return;
            }
            setFlash({ title: 'Group created', outcomes: res.body.outcomes });
            navigate(groupPath(id, res.body.id));
          } catch (err) {
            status.replaceChildren(notice(errorMessage(err)));
          }
        });
      },
    },
    h('h2', null, 'New group'),
    h('label', null, 'Name', name),
    h('label', null, 'Participants', numbers),
    h('label', null, 'Description', description),
    status,
    h('div', { class: 'form-actions' }, submit),
  );
  return form;
}

function joinForm(id: string, base: string): HTMLElement {
  const code = h('input', { name: 'invite', required: true, placeholder: 'https://chat.whatsapp.com/…' });
  const submit = h('button', { type: 'submit', class: 'btn btn-secondary' }, 'Join');
  const status = h('div');
  return h(
    'form',
    {
      class: 'card form-stack',
      onsubmit: (event: Event) => {
        event.preventDefault();
        status.replaceChildren();
        void busy(submit, async () => {
          try {
            const r = await api<{ status: string; groupId: string }>('POST', `${base}/groups/join`, { code: code.value.trim() });
            if (r.status === 'joined') navigate(groupPath(id, r.groupId));
            else status.replaceChildren(notice('Join request sent: an admin of the group must approve it.', 'info'));
          } catch (err) {
            status.replaceChildren(notice(errorMessage(err)));
          }
        });
      },
    },
    h('h2', null, 'Join by invite link'),
    h('label', null, 'Invite link or code', code),
    status,
    h('div', { class: 'form-actions' }, submit),
  );
}
