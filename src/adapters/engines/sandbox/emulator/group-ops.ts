/** Group lifecycle and properties: create, read, leave, subject, description, picture, settings. */
import { createHash } from 'node:crypto';
import type { CreateGroupResult, GroupMetadata, Jid, SettingsChange } from '../../../../core/ports/engine.js';
import { engineError } from '../../../../core/ports/engine.js';
import { newGroupId, phoneJid, randomCode } from './ids.js';
import { EPHEMERAL_DURATIONS, afterDeparture, checkDescription, checkSubject, pruneExpired, requireAdmin, requireEditor, requireMember, tryAdd } from './rules.js';
import type { Tx } from './tx.js';
import type { SandboxGroupRecord } from './types.js';
import { emitEach, memberPhones, metadataView, participantView } from './views.js';

const HOUR_MS = 3_600_000;

/** 429 when `actor` already created `groupCreateLimitPerHour` groups in the last hour; else counts this one. */
function countCreation(tx: Tx, actor: string): void {
  // Without a limit the history is never read: keeping it would rewrite an ever longer account record per group.
  if (tx.config.groupCreateLimitPerHour <= 0) return;
  const account = tx.account(actor);
  const since = tx.nowMs() - HOUR_MS;
  account.groupCreationsMs = account.groupCreationsMs.filter((time) => time > since);
  const limit = tx.config.groupCreateLimitPerHour;
  if (limit > 0 && account.groupCreationsMs.length >= limit) {
    throw engineError(429, `${actor} created ${limit} groups within the last hour`);
  }
  account.groupCreationsMs.push(tx.nowMs());
}

/** Creates a group with `actor` as superadmin; refused participants are simply not in it. */
export function createGroup(tx: Tx, actor: string, subject: string, participants: Jid[], options: { locked?: boolean; description?: string } = {}): CreateGroupResult {
  checkSubject(subject);
  if (options.description !== undefined) checkDescription(options.description);
  countCreation(tx, actor);
  const now = tx.nowSec();
  const group: SandboxGroupRecord = {
    id: newGroupId(tx.config.random, (id) => tx.findGroup(id) !== undefined, now, tx.state.groupSerial),
    subject,
    subjectOwner: actor,
    subjectTime: now,
    description: options.description ?? '',
    creator: actor,
    creation: now,
    settings: {
      announcement: false,
      locked: options.locked ?? true,
      memberAddMode: 'admins',
      approvalMode: false,
      ephemeralSeconds: 0,
    },
    addressingMode: 'lid',
    participants: [{ phone: actor, role: 'superadmin' }],
    inviteCode: randomCode(tx.config.random),
    revokedInviteCodes: [],
    picture: null,
    leftAtMs: {},
    joinRequests: [],
    addRequests: [],
  };
  const results = participants.map((jid) => tryAdd(tx, group, actor, jid));
  tx.addGroup(group);
  const metadata = metadataView(tx, group);
  tx.emit(actor, { type: 'group.upsert', group: metadata, reason: 'created', actor: phoneJid(actor) });
  emitEach(tx, memberPhones(group, [actor]), () => ({
    type: 'group.upsert',
    group: metadata,
    reason: 'added',
    actor: phoneJid(actor),
  }));
  return { group: metadata, results };
}

/** Metadata of a group `actor` is in. 404 no such group, 403 not a member. */
export function groupMetadata(tx: Tx, actor: string, groupId: Jid): GroupMetadata {
  const group = tx.readGroup(groupId);
  requireMember(group, actor);
  return metadataView(tx, group);
}

/** Every group `actor` is in, oldest first. */
export function listGroups(tx: Tx, actor: string): GroupMetadata[] {
  return tx
    .allGroups()
    .filter((group) => group.participants.some((participant) => participant.phone === actor))
    .map((group) => metadataView(tx, group));
}

/** `actor` leaves; remembered for the 408 window. */
export function leaveGroup(tx: Tx, actor: string, groupId: Jid): void {
  const group = tx.group(groupId);
  const leaver = requireMember(group, actor);
  pruneExpired(tx, group);
  group.participants = group.participants.filter((participant) => participant.phone !== actor);
  group.leftAtMs[actor] = tx.nowMs();
  const by = phoneJid(actor);
  tx.emit(actor, { type: 'group.gone', groupId, reason: 'left', actor: by });
  const left = [participantView(tx, leaver)];
  emitEach(tx, memberPhones(group), () => ({ type: 'group.participants', groupId, action: 'leave', participants: left, actor: by }));
  afterDeparture(tx, group);
}

/** Tells every member what changed (nothing is sent when nothing changed). */
function announceUpdate(tx: Tx, group: SandboxGroupRecord, actor: string, changes: Record<string, unknown>): void {
  if (Object.keys(changes).length === 0) return;
  emitEach(tx, memberPhones(group), () => ({ type: 'group.update', groupId: group.id, changes: { ...changes }, actor: phoneJid(actor) }));
}

/** 404, 403, 401 (locked and not admin), 406 (empty or over 100 characters). */
export function setSubject(tx: Tx, actor: string, groupId: Jid, subject: string): void {
  const group = tx.group(groupId);
  requireEditor(group, actor);
  checkSubject(subject);
  if (subject === group.subject) return;
  group.subject = subject;
  group.subjectOwner = actor;
  group.subjectTime = tx.nowSec();
  announceUpdate(tx, group, actor, { subject });
}

/** 404, 403, 401 (locked and not admin), 400 (over 2048 characters). Empty removes it. */
export function setDescription(tx: Tx, actor: string, groupId: Jid, description: string): void {
  const group = tx.group(groupId);
  requireEditor(group, actor);
  checkDescription(description);
  if (description === group.description) return;
  group.description = description;
  announceUpdate(tx, group, actor, { description });
}

/** Stores only a hash and the size; `null` removes. 400 for an empty image. No port event exists for pictures. */
export function setPicture(tx: Tx, actor: string, groupId: Jid, image: Uint8Array | null): void {
  const group = tx.group(groupId);
  requireEditor(group, actor);
  if (image === null) {
    group.picture = null;
    return;
  }
  if (image.byteLength === 0) throw engineError(400, 'empty picture');
  const sha256 = createHash('sha256').update(image).digest('hex');
  group.picture = { sha256, size: image.byteLength, setBy: actor, time: tx.nowSec() };
}

/** Checks every field first (400 for a bad value), so a refused change applies nothing. */
function checkSettings(change: SettingsChange): void {
  for (const [key, value] of Object.entries(change)) {
    if (value === undefined) continue;
    const ok =
      key === 'memberAddMode'
        ? value === 'admins' || value === 'all'
        : key === 'ephemeralSeconds'
          ? EPHEMERAL_DURATIONS.includes(value as number)
          : ['announcement', 'locked', 'approvalMode'].includes(key) && typeof value === 'boolean';
    if (!ok) throw engineError(400, `bad setting ${key}=${JSON.stringify(value)}`);
  }
}

/** Admins only (401). Applies the fields in the order given; members hear only real changes. */
export function updateSettings(tx: Tx, actor: string, groupId: Jid, change: SettingsChange): void {
  const group = tx.group(groupId);
  requireAdmin(group, actor);
  checkSettings(change);
  const settings = group.settings as unknown as Record<string, unknown>;
  const changes: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(change)) {
    if (value === undefined || settings[key] === value) continue;
    settings[key] = value;
    changes[key] = value;
  }
  announceUpdate(tx, group, actor, changes);
}
