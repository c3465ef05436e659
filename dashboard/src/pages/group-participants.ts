/** The participants of a group: the list with per-person actions, and adding many at once. */
import { api, type Group, type Outcome, type Participant } from '../api';
import { badge, busy, confirmAction, h, toast } from '../dom';
import { parseNumbers } from './groups';
import { outcomeCounts } from './outcomes';

interface Options {
  base: string;
  group: Group;
  admin: boolean;
  onOutcomes: (title: string, outcomes: Outcome[]) => void;
  reload: () => Promise<void>;
}

const ROLE_ORDER = { superadmin: 0, admin: 1, member: 2 } as const;

/** The participants card's title and table (re-drawn on every reload). */
export function participantsTable({ base, group, admin, onOutcomes, reload }: Options): HTMLElement[] {
  const act = async (button: HTMLButtonElement, verb: 'promote' | 'demote' | 'remove', p: Participant) => {
    await busy(button, async () => {
      const who = p.phone ?? p.lid ?? p.jid;
      if (verb === 'remove' && !(await confirmAction(`Remove ${who}?`, `${who} is removed from “${group.name}”.`, 'Remove'))) return;
      const { outcomes } =
        verb === 'remove'
          ? await api<{ outcomes: Outcome[] }>('DELETE', `${base}/participants`, { participants: [p.phone ?? p.jid] })
          : await api<{ outcomes: Outcome[] }>('POST', `${base}/participants/${verb}`, { participants: [p.phone ?? p.jid] });
      onOutcomes(`${verb[0].toUpperCase()}${verb.slice(1)} ${who}`, outcomes);
      const ok = outcomes.every((o) => ['promoted', 'demoted', 'removed'].includes(o.status));
      toast(`${who}: ${outcomeCounts(outcomes)}`, ok ? 'success' : 'error');
      await reload();
    });
  };

  const sorted = [...group.participants].sort((a, b) => ROLE_ORDER[a.role] - ROLE_ORDER[b.role] || (a.phone ?? a.jid).localeCompare(b.phone ?? b.jid));
  const rows = sorted.map((p) => {
    const buttons: HTMLButtonElement[] = [];
    if (admin && p.role !== 'superadmin') {
      const toggle = h('button', { type: 'button', class: 'btn btn-secondary btn-small' }, p.role === 'admin' ? 'Demote' : 'Promote');
      toggle.addEventListener('click', () => void act(toggle, p.role === 'admin' ? 'demote' : 'promote', p));
      const remove = h('button', { type: 'button', class: 'btn btn-ghost btn-small danger-text' }, 'Remove');
      remove.addEventListener('click', () => void act(remove, 'remove', p));
      buttons.push(toggle, remove);
    }
    return h(
      'tr',
      { 'data-jid': p.jid, 'data-phone': p.phone ?? '', 'data-role': p.role },
      h('td', null, p.phone ?? h('span', { class: 'muted' }, 'hidden')),
      h('td', null, p.lid ? h('code', { class: 'small' }, p.lid) : h('span', { class: 'muted' }, '—')),
      h('td', null, badge(p.role)),
      h('td', { class: 'row-actions' }, buttons),
    );
  });

  return [
    h('h2', null, `Participants (${group.participants.length})`),
    h(
      'table',
      { class: 'table table-compact' },
      h('thead', null, h('tr', null, h('th', null, 'Phone'), h('th', null, 'LID'), h('th', null, 'Role'), h('th', null, ''))),
      h('tbody', null, rows),
    ),
  ];
}

/** Adding many numbers at once (built once, so a reload never loses what was pasted). */
export function addForm(base: string, onOutcomes: Options['onOutcomes'], reload: () => Promise<void>): HTMLElement {
  const numbers = h('textarea', { name: 'add-participants', rows: 3, placeholder: 'Paste numbers: one per line (+55 11 98888-1234), or separated by commas' });
  const invite = h('input', { type: 'checkbox', name: 'invite-on-refusal', checked: true });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Add participants');
  const form = h(
    'form',
    {
      class: 'form-stack add-form',
      id: 'add-participants',
      onsubmit: (event: Event) => {
        event.preventDefault();
        const participants = parseNumbers(numbers.value);
        if (participants.length === 0) return toast('Paste at least one number.', 'error');
        // The previous result goes at once: the panel never shows an older add as this one's outcome.
        onOutcomes('', []);
        void busy(submit, async () => {
          const res = await api<{ outcomes?: Outcome[]; operation?: { id: string; runAt?: string; progress?: { total: number }; summary?: { description: string } } }>(
            'POST',
            `${base}/participants`,
            {
              participants,
              inviteOnPrivacyRefusal: invite.checked,
            },
          );
          if (res.operation) {
            const when = res.operation.runAt ? ` The next batch runs at ${new Date(res.operation.runAt).toLocaleTimeString()}.` : '';
            const what = res.operation.summary
              ? `${res.operation.summary.description} (operation ${res.operation.id}).`
              : `Adding ${participants.length} number${participants.length === 1 ? '' : 's'} to this group in paced batches (operation ${res.operation.id}).`;
            const message = `${what}${when} Follow it under Operations.`;
            onOutcomes(message, []);
            toast(message, 'info');
          } else if (res.outcomes) {
            onOutcomes(`Added ${participants.length} number${participants.length === 1 ? '' : 's'}`, res.outcomes);
          }
          numbers.value = '';
          await reload();
        });
      },
    },
    h('h3', null, 'Add participants'),
    numbers,
    h('label', { class: 'check' }, invite, 'Send a private invite to whoever privacy settings refuse'),
    h('div', { class: 'form-actions' }, submit),
  );
  return form;
}
