/** Group details (name, description), settings toggles and pending join requests. */
import { api, errorMessage, type Group, type GroupSettings, type Outcome } from '../api';
import { busy, formatTime, h, mount, notice, showError, toast } from '../dom';

/** Rename and describe. `update` shows a newer group without overwriting what is being typed. */
export function detailsForm(base: string, initial: Group, reload: () => Promise<void>): { element: HTMLElement; update(group: Group): void } {
  let group = initial;
  const name = h('input', { name: 'name', value: group.name, maxLength: 100, required: true });
  const description = h('textarea', { name: 'description', rows: 3, value: group.description, maxLength: 2048 });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Save');
  const update = (next: Group) => {
    if (name.value === group.name && document.activeElement !== name) name.value = next.name;
    if (description.value === group.description && document.activeElement !== description) description.value = next.description;
    group = next;
  };
  const element = h(
    'form',
    {
      class: 'card form-stack',
      id: 'group-details',
      onsubmit: (event: Event) => {
        event.preventDefault();
        const body: Record<string, string> = {};
        if (name.value.trim() !== group.name) body.name = name.value.trim();
        if (description.value !== group.description) body.description = description.value;
        if (Object.keys(body).length === 0) return toast('Nothing changed.', 'info');
        void busy(submit, async () => {
          await api('PATCH', base, body);
          toast('Saved.', 'success');
          await reload();
        });
      },
    },
    h('h2', null, 'Details'),
    h('label', null, 'Name', name),
    h('label', null, 'Description', description),
    h('div', { class: 'form-actions' }, submit),
  );
  return { element, update };
}

const EPHEMERAL: [number, string][] = [
  [0, 'Off'],
  [86400, '24 hours'],
  [604800, '7 days'],
  [7776000, '90 days'],
];

/** Settings, each applied as soon as it changes. */
export function settingsCard(base: string, group: Group, reload: () => Promise<void>): HTMLElement {
  const apply = async (control: HTMLInputElement | HTMLSelectElement, change: Partial<GroupSettings>, undo: () => void) => {
    control.disabled = true;
    try {
      await api('PATCH', `${base}/settings`, change);
      toast('Setting changed.', 'success');
      await reload();
    } catch (err) {
      undo();
      showError(err);
    } finally {
      control.disabled = false;
    }
  };

  const toggle = (key: 'announcement' | 'locked' | 'approvalMode', label: string, hint: string) => {
    const box = h('input', { type: 'checkbox', name: key, checked: group.settings[key], role: 'switch' });
    box.addEventListener('change', () => void apply(box, { [key]: box.checked }, () => (box.checked = !box.checked)));
    return h('label', { class: 'switch-row' }, box, h('span', null, h('strong', null, label), h('span', { class: 'muted small' }, hint)));
  };

  const addMode = h('select', { name: 'memberAddMode' }, h('option', { value: 'admins' }, 'Only admins'), h('option', { value: 'all' }, 'All members'));
  addMode.value = group.settings.memberAddMode;
  addMode.addEventListener('change', () => void apply(addMode, { memberAddMode: addMode.value as 'admins' | 'all' }, () => (addMode.value = group.settings.memberAddMode)));

  const ephemeral = h(
    'select',
    { name: 'ephemeralSeconds' },
    EPHEMERAL.map(([v, l]) => h('option', { value: String(v) }, l)),
  );
  ephemeral.value = String(group.settings.ephemeralSeconds);
  ephemeral.addEventListener(
    'change',
    () => void apply(ephemeral, { ephemeralSeconds: Number(ephemeral.value) }, () => (ephemeral.value = String(group.settings.ephemeralSeconds))),
  );

  const card = h(
    'section',
    { class: 'card form-stack', id: 'group-settings' },
    h('h2', null, 'Settings'),
    toggle('announcement', 'Announcements only', 'Only admins send messages'),
    toggle('locked', 'Locked info', 'Only admins edit name, description and picture'),
    toggle('approvalMode', 'Approve new members', 'Joining by link needs an admin’s approval'),
    h('label', null, 'Who can add members', addMode),
    h('label', null, 'Disappearing messages', ephemeral),
  );
  if (group.myRole === 'member') for (const control of card.querySelectorAll<HTMLInputElement | HTMLSelectElement>('input, select')) control.disabled = true;
  return card;
}

interface JoinRequest {
  jid: string;
  phone: string | null;
  lid: string | null;
  requestedAt: string;
  method: string;
}

/** Pending join requests with approve and reject. */
export function joinRequestsCard(base: string, admin: boolean, onOutcomes: (title: string, outcomes: Outcome[]) => void): { element: HTMLElement; load(): Promise<void> } {
  const area = h('div');
  const load = async () => {
    try {
      const { requests } = await api<{ requests: JoinRequest[] }>('GET', `${base}/join-requests`);
      if (requests.length === 0) return mount(area, h('p', { class: 'muted' }, 'No pending requests.'));
      mount(
        area,
        h(
          'ul',
          { class: 'plain-list' },
          requests.map((r) => {
            const who = r.phone ?? r.lid ?? r.jid;
            const decide = (verb: 'approve' | 'reject') => {
              const button = h(
                'button',
                { type: 'button', class: `btn btn-small ${verb === 'approve' ? 'btn-primary' : 'btn-secondary'}` },
                verb === 'approve' ? 'Approve' : 'Reject',
              );
              button.addEventListener(
                'click',
                () =>
                  void busy(button, async () => {
                    const { outcomes } = await api<{ outcomes: Outcome[] }>('POST', `${base}/join-requests/${verb}`, { participants: [r.jid] });
                    onOutcomes(`${verb === 'approve' ? 'Approve' : 'Reject'} ${who}`, outcomes);
                    await load();
                  }),
              );
              return button;
            };
            return h(
              'li',
              { 'data-jid': r.jid },
              h('span', null, h('strong', null, who), h('span', { class: 'muted small' }, ` · ${r.method.replace(/_/g, ' ')} · ${formatTime(r.requestedAt)}`)),
              h('span', { class: 'row-actions' }, decide('approve'), decide('reject')),
            );
          }),
        ),
      );
    } catch (err) {
      mount(area, notice(errorMessage(err), 'info'));
    }
  };
  if (admin) void load();
  else mount(area, h('p', { class: 'muted' }, 'Only admins see join requests.'));
  return { element: h('section', { class: 'card', id: 'join-requests' }, h('h2', null, 'Join requests'), area), load: async () => (admin ? load() : undefined) };
}
