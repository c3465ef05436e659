/**
 * Conversions between Baileys' shapes and the engine port's: group metadata, participants, results,
 * and stanza errors (Boom with WhatsApp's code in `data`) to `EngineError`.
 */
import type { BinaryNode, GroupMetadata as WaGroupMetadata, GroupParticipant as WaParticipant } from 'baileys';
import type { EngineErrorCode, GroupMetadata, GroupParticipant, Jid, ParticipantCode, ParticipantResult, ParticipantRole } from '../../../core/ports/engine.js';
import { ENGINE_ERROR_TEXT, EngineError } from '../../../core/ports/engine.js';
import type { LidMap } from './lid-map.js';

export const isLid = (jid: string | undefined): jid is string => !!jid && jid.endsWith('@lid');
export const isPn = (jid: string | undefined): jid is string => !!jid && jid.endsWith('@s.whatsapp.net');

/** `123:4@s.whatsapp.net` -> `123@s.whatsapp.net` (drops the device); `@c.us` becomes `@s.whatsapp.net`. */
export function normalizeJid(jid: string | undefined): string | undefined {
  if (!jid) return undefined;
  const at = jid.indexOf('@');
  if (at < 0) return jid;
  const user = jid.slice(0, at).split(':')[0]!;
  const server = jid.slice(at + 1) === 'c.us' ? 's.whatsapp.net' : jid.slice(at + 1);
  return `${user}@${server}`;
}

/** Digits of a person jid. */
export const phoneOf = (jid: string): string => jid.split('@')[0]!.split(':')[0]!;

/** Drops undefined fields, so results compare equal to the sandbox's. */
export function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

function role(admin: WaParticipant['admin'] | undefined): ParticipantRole {
  return admin === 'superadmin' ? 'superadmin' : admin === 'admin' ? 'admin' : 'member';
}

/** A participant with both forms when known (learning the LID <-> phone pair on the way). */
export function toParticipant(p: Pick<WaParticipant, 'id' | 'admin'> & { phoneNumber?: string; lid?: string }, lids: LidMap): GroupParticipant {
  const id = normalizeJid(p.id);
  let phoneJid = isPn(id) ? id : normalizeJid(p.phoneNumber);
  let lid = isLid(id) ? id : normalizeJid(p.lid);
  lids.learn(lid, phoneJid);
  phoneJid ??= lids.phoneOf(lid);
  lid ??= lids.lidOf(phoneJid);
  return compact({ phoneJid, lid, role: role(p.admin) });
}

/** The phone jid of a person named by either form, when known. */
export function personPhone(jid: string | undefined, alt: string | undefined, lids: LidMap): Jid | undefined {
  const a = normalizeJid(jid);
  const b = normalizeJid(alt);
  if (isPn(a)) {
    lids.learn(isLid(b) ? b : undefined, a);
    return a;
  }
  if (isPn(b)) {
    lids.learn(a, b);
    return b;
  }
  return lids.phoneOf(a) ?? a;
}

/** Baileys' group metadata as the port reports it. */
export function toMetadata(m: WaGroupMetadata, lids: LidMap): GroupMetadata {
  return compact({
    id: m.id,
    subject: m.subject ?? '',
    subjectOwner: m.subjectOwner || m.subjectOwnerPn ? personPhone(m.subjectOwner, m.subjectOwnerPn, lids) : undefined,
    subjectTime: m.subjectTime !== undefined && !Number.isNaN(m.subjectTime) ? m.subjectTime : undefined,
    description: m.desc ?? '',
    owner: m.owner || m.ownerPn ? personPhone(m.owner, m.ownerPn, lids) : undefined,
    creation: m.creation ?? 0,
    settings: {
      announcement: !!m.announce,
      locked: !!m.restrict,
      memberAddMode: m.memberAddMode ? ('all' as const) : ('admins' as const),
      approvalMode: !!m.joinApprovalMode,
      ephemeralSeconds: m.ephemeralDuration ?? 0,
    },
    participants: m.participants.map((p) => toParticipant(p, lids)),
    addressingMode: m.addressingMode === 'lid' ? ('lid' as const) : ('pn' as const),
  });
}

const KNOWN_CODES = new Set<number>(Object.keys(ENGINE_ERROR_TEXT).map(Number));

/** A per-participant result from a `<participant jid error=...>` node (with `add_request` on a 403). */
export function toResult(requested: Jid, node: BinaryNode | undefined, status: string | undefined, lids: LidMap): ParticipantResult {
  const attrs = node?.attrs ?? {};
  // A code outside the documented list is WhatsApp's answer all the same: kept, never turned into 500.
  const raw = Number(status ?? attrs.error ?? 200);
  const code: ParticipantCode = Number.isInteger(raw) && raw > 0 ? raw : 500;
  const id = normalizeJid(attrs.jid);
  const lid = isLid(id) ? id : normalizeJid(attrs.lid);
  let phoneJid = isPn(id) ? id : normalizeJid(attrs.phone_number);
  lids.learn(lid, phoneJid);
  phoneJid ??= lids.phoneOf(lid);
  const request = Array.isArray(node?.content) ? node.content.find((child) => child.tag === 'add_request') : undefined;
  const addRequest = request ? { code: request.attrs.code ?? '', expiration: Number(request.attrs.expiration ?? 0) } : undefined;
  // Only a person the server knows (it gave a LID) is named canonically, as the sandbox does.
  return compact({ jid: requested, phoneJid: lid ? phoneJid : undefined, lid, code, addRequest });
}

/**
 * Converts what Baileys threw into an `EngineError` when it is a WhatsApp refusal: stanza errors
 * carry the code in `data` (the Boom's own status is always 500); metadata errors carry the error
 * node; a closed connection is 428. Anything else is returned unchanged (a bug or an outage).
 */
export function toEngineError(err: unknown): unknown {
  if (err instanceof EngineError) return err;
  const boom = err as { isBoom?: boolean; data?: unknown; message?: string; output?: { statusCode?: number } };
  if (!boom || typeof boom !== 'object' || !boom.isBoom) return err;
  let code: number | undefined;
  if (typeof boom.data === 'number') code = boom.data;
  else if (boom.data && typeof boom.data === 'object' && 'attrs' in boom.data) code = Number((boom.data as BinaryNode).attrs.code);
  else if (boom.output?.statusCode === 428 || /Connection Closed/i.test(boom.message ?? '')) code = 428;
  else if (boom.output?.statusCode === 408) code = 408;
  if (code === undefined || !KNOWN_CODES.has(code)) return err;
  const c = code as EngineErrorCode;
  return new EngineError(c, ENGINE_ERROR_TEXT[c], `${c} ${boom.message || ENGINE_ERROR_TEXT[c]}`);
}
