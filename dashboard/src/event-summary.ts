/** One readable line per event of the log, for the live events panel. */
import type { LiveEvent } from './api';

interface PersonView {
  phone?: string | null;
  lid?: string | null;
  jid?: string;
}

function person(p: unknown): string {
  if (typeof p === 'string') return p;
  const v = p as PersonView | null;
  return v?.phone ?? v?.lid ?? v?.jid ?? '?';
}

function people(list: unknown): string {
  if (!Array.isArray(list)) return '';
  const shown = list.slice(0, 3).map(person).join(', ');
  return list.length > 3 ? `${shown} and ${list.length - 3} more` : shown;
}

function groupLabel(data: Record<string, unknown>, groupNames: Map<string, string>): string {
  const id = typeof data.groupId === 'string' ? data.groupId : '';
  const name = typeof data.name === 'string' ? data.name : groupNames.get(id);
  return name ? `“${name}”` : id ? id.replace(/@g\.us$/, '') : 'group';
}

function value(v: unknown): string {
  if (typeof v === 'boolean') return v ? 'on' : 'off';
  if (typeof v === 'string') return v.length > 40 ? `${v.slice(0, 40)}…` : v || '(empty)';
  return String(v);
}

/** A short sentence saying what an event means. */
export function summarize(event: LiveEvent, groupNames: Map<string, string>): string {
  const d = event.data ?? {};
  const group = groupLabel(d, groupNames);
  switch (event.type) {
    case 'group.created':
    case 'group.joined':
      return `${group} ${event.type === 'group.created' ? 'created' : 'joined'}${typeof d.size === 'number' ? `, ${d.size} participants` : ''}`;
    case 'group.left':
      return `Left ${group}${typeof d.reason === 'string' ? ` (${d.reason})` : ''}`;
    case 'group.updated': {
      const changes = (d.changes ?? {}) as Record<string, unknown>;
      const list = Object.entries(changes).map(([k, v]) => `${k} → ${value(v)}`);
      return `${group}: ${list.join(', ') || 'updated'}`;
    }
    case 'group.invite_code.changed':
      return `${group}: invite link revoked, a new one issued`;
    case 'instance.status':
      return `Status ${value(d.status)}${typeof d.reason === 'string' && d.reason !== d.status ? ` — ${d.reason}` : ''}`;
    case 'message.sent':
      return `Message sent to ${value(d.chatId)}`;
    case 'message.received':
      return `Message received${typeof d.chatId === 'string' ? ` in ${d.chatId}` : ''}`;
  }
  if (event.type.startsWith('group.participants.')) {
    const verb = event.type.slice('group.participants.'.length);
    return `${group}: ${verb} ${people(d.participants)}`;
  }
  if (event.type.startsWith('group.join_request.')) {
    const what = event.type.slice('group.join_request.'.length);
    return `${group}: join request ${what}${d.participants ? ` — ${people(d.participants)}` : d.participant ? ` — ${person(d.participant)}` : ''}`;
  }
  if (event.type.startsWith('operation.')) {
    const kind = typeof d.kind === 'string' ? d.kind : 'operation';
    return `${kind} ${event.type.endsWith('succeeded') ? 'succeeded' : 'failed'}${typeof d.operationId === 'string' ? ` (${d.operationId})` : ''}`;
  }
  const keys = Object.keys(d);
  return keys.length ? keys.slice(0, 4).join(', ') : '';
}
