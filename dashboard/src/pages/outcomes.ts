/** Per-participant outcomes (added, invited, not on WhatsApp, ...) as a readable table. */
import type { Outcome } from '../api';
import { badge, h } from '../dom';

const TONE: Record<string, string> = {
  added: 'ok',
  removed: 'ok',
  promoted: 'ok',
  demoted: 'ok',
  approved: 'ok',
  rejected: 'ok',
  invited: 'info',
  privacy_refused: 'warn',
  already_member: 'warn',
  not_member: 'warn',
  recently_left: 'warn',
  no_request: 'warn',
  not_on_whatsapp: 'bad',
  group_full: 'bad',
  not_allowed: 'bad',
  failed: 'bad',
};

const EXPLAIN: Record<string, string> = {
  invited: 'Their privacy settings refused the add; a private invite was sent',
  privacy_refused: 'Their privacy settings refused the add',
  not_on_whatsapp: 'This number is not on WhatsApp',
  already_member: 'Already in the group',
  not_member: 'Not in the group',
  recently_left: 'Left recently; WhatsApp blocks re-adding for a while',
  group_full: 'The group is full',
  no_request: 'No pending join request',
  not_allowed: 'Not allowed',
  failed: 'WhatsApp refused this one',
};

/** How a status reads: `not_on_whatsapp` -> `not on WhatsApp`. */
export const outcomeLabel = (status: string) => status.replace(/_/g, ' ').replace('whatsapp', 'WhatsApp');

/** Tone of an outcome status: ok, info, warn or bad. */
export const outcomeTone = (status: string) => TONE[status] ?? 'info';

/** Counts per status, e.g. `2 added · 1 invited`. */
export function outcomeCounts(outcomes: { status: string }[]): string {
  const counts = new Map<string, number>();
  for (const o of outcomes) counts.set(o.status, (counts.get(o.status) ?? 0) + 1);
  return [...counts].map(([status, n]) => `${n} ${outcomeLabel(status)}`).join(' · ');
}

/** A box listing each participant's outcome, under a title. */
export function outcomesView(title: string, outcomes: Outcome[]): HTMLElement {
  return h(
    'div',
    { class: 'outcomes card', id: 'outcomes', role: 'status' },
    h('div', { class: 'outcomes-head' }, h('h3', null, title), h('span', { class: 'muted' }, outcomeCounts(outcomes))),
    h(
      'table',
      { class: 'table table-compact' },
      h('thead', null, h('tr', null, h('th', null, 'Participant'), h('th', null, 'Outcome'), h('th', null, 'Details'))),
      h(
        'tbody',
        null,
        outcomes.map((o) =>
          h(
            'tr',
            { 'data-participant': o.participant, 'data-status': o.status },
            h('td', null, o.participant, o.jid && o.jid !== o.participant ? h('div', { class: 'muted small' }, o.jid) : null),
            h('td', null, badge(outcomeLabel(o.status), outcomeTone(o.status))),
            h('td', { class: 'small' }, EXPLAIN[o.status] ?? '', o.inviteSent && o.status !== 'invited' ? ' (invite sent)' : ''),
          ),
        ),
      ),
    ),
  );
}
