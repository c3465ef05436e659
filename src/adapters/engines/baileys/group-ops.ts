/**
 * The engine port's group, message and contact operations, mapped onto a Baileys socket.
 * Every refusal becomes an `EngineError` with WhatsApp's code (see `toEngineError`).
 */
import type { BinaryNode, GroupMetadata as WaGroupMetadata, WASocket } from 'baileys';
import type {
  CreateGroupResult,
  GroupInviteV4,
  GroupMetadata,
  InviteInfo,
  JoinRequest,
  Jid,
  OnWhatsAppResult,
  ParticipantResult,
  SettingsChange,
} from '../../../core/ports/engine.js';
import { EngineError, engineError } from '../../../core/ports/engine.js';
import type { BaileysModule } from './baileys-types.js';
import { compact, isLid, isPn, normalizeJid, personPhone, phoneOf, toEngineError, toMetadata, toResult } from './convert.js';
import type { LidMap } from './lid-map.js';

export interface OpsContext {
  lib: () => BaileysModule;
  /** The connected socket, or EngineError 428. */
  sock: () => WASocket;
  lids: LidMap;
  /** Raw metadata seen so far, by group id (feeds `cachedGroupMetadata`). */
  cache: Map<string, WaGroupMetadata>;
  /** Own phone jid. */
  me: () => Jid;
  /** Clock (ms) for the rate-limit cooldowns. */
  now: () => number;
  /**
   * Runs one call on the socket so that it cannot end silently: it fails with 408 when WhatsApp does
   * not answer within the query timeout and with 428 as soon as the socket closes (Baileys resolves
   * such queries with `undefined` instead of failing them).
   */
  guard: <T>(call: (sock: WASocket) => Promise<T>) => Promise<T>;
  /** How long our own IQs wait for an answer. */
  queryTimeoutMs: number;
}

/** After a 429, the same operation pauses: 1 minute, doubling up to 15 minutes, reset by a success. */
const COOLDOWN_FIRST_MS = 60_000;
const COOLDOWN_CAP_MS = 15 * 60_000;

const EPHEMERAL = new Set([0, 86_400, 604_800, 7_776_000]);

/** Runs a socket call, converting WhatsApp refusals to EngineError. */
async function wa<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toEngineError(err);
  }
}

const node = (tag: string, attrs: Record<string, string> = {}, content?: BinaryNode[] | Buffer): BinaryNode => (content === undefined ? { tag, attrs } : { tag, attrs, content });

const children = (node: BinaryNode | undefined, tag?: string): BinaryNode[] => (Array.isArray(node?.content) ? node.content.filter((c) => tag === undefined || c.tag === tag) : []);

/** Builds the operations over a context. */
export function createGroupOps(ctx: OpsContext) {
  const { lids, cache } = ctx;
  const remember = (m: WaGroupMetadata): GroupMetadata => {
    cache.set(m.id, m);
    return toMetadata(m, lids);
  };
  /** One IQ with an explicit timeout; an IQ WhatsApp never answered is 408, never a silent success. */
  const iq = async (attrs: Record<string, string>, content?: BinaryNode[]): Promise<BinaryNode> => {
    ctx.sock();
    const answer = await wa(() => ctx.guard((sock) => sock.query(node('iq', attrs, content), ctx.queryTimeoutMs)));
    if (!answer) throw engineError(408, 'WhatsApp did not answer');
    return answer;
  };
  const groupQuery = (to: string, type: 'get' | 'set', content: BinaryNode[]) => iq({ type, xmlns: 'w:g2', to }, content);
  /** A `<group>` answer as Baileys' metadata; 500 when the answer holds no group. */
  const metadataOf = (answer: BinaryNode): WaGroupMetadata => {
    if (!children(answer, 'group')[0]) throw engineError(500, 'answer without a group');
    return ctx.lib().extractGroupMetadata(answer);
  };
  const participantsUpdate = async (groupId: Jid, jids: Jid[], action: 'add' | 'remove' | 'promote' | 'demote'): Promise<ParticipantResult[]> => {
    const answer = await groupQuery(groupId, 'set', [
      node(
        action,
        {},
        jids.map((jid) => node('participant', { jid })),
      ),
    ]);
    const list = children(answer, action)[0];
    if (!list) throw engineError(500, `${action} answered without results`);
    return matchResults(
      jids,
      children(list, 'participant').map((p) => ({ jid: p.attrs.jid, status: p.attrs.error ?? '200', node: p })),
    );
  };
  const setting = (groupId: Jid, child: BinaryNode) => groupQuery(groupId, 'set', [child]);
  const matchResults = (jids: Jid[], answered: { jid?: string; status?: string; node?: BinaryNode }[]): ParticipantResult[] => {
    const pool = [...answered];
    return jids.map((requested, index) => {
      const norm = normalizeJid(requested);
      let at = pool.findIndex((r) => {
        const id = normalizeJid(r.jid);
        return id === norm || (isLid(id) && lids.phoneOf(id) === norm) || normalizeJid(r.node?.attrs.phone_number) === norm;
      });
      if (at < 0 && pool.length === jids.length - index) at = 0; // answered in request order
      const hit = at >= 0 ? pool.splice(at, 1)[0] : undefined;
      return toResult(requested, hit?.node, hit?.status ?? (hit ? undefined : '404'), lids);
    });
  };
  const requestsAction = async (groupId: Jid, jids: Jid[], action: 'approve' | 'reject'): Promise<ParticipantResult[]> => {
    const answer = await groupQuery(groupId, 'set', [
      node('membership_requests_action', {}, [
        node(
          action,
          {},
          jids.map((jid) => node('participant', { jid })),
        ),
      ]),
    ]);
    const list = children(children(answer, 'membership_requests_action')[0], action)[0];
    if (!list) throw engineError(500, `${action} answered without results`);
    return matchResults(
      jids,
      children(list, 'participant').map((p) => ({ jid: p.attrs.jid, status: p.attrs.error ?? '200', node: { tag: 'participant', attrs: { jid: p.attrs.jid ?? '' } } })),
    );
  };
  const setDescription = async (groupId: Jid, description: string): Promise<void> => {
    // WhatsApp wants the id of the description being replaced.
    const prev = metadataOf(await groupQuery(groupId, 'get', [node('query', { request: 'interactive' })])).descId;
    const attrs: Record<string, string> = description ? { id: ctx.lib().generateMessageID() } : { delete: 'true' };
    if (prev) attrs.prev = prev;
    await groupQuery(groupId, 'set', [node('description', attrs, description ? [node('body', {}, Buffer.from(description, 'utf-8'))] : undefined)]);
  };

  const ops = {
    async createGroup(subject: string, participants: Jid[], options: { locked?: boolean; description?: string } = {}): Promise<CreateGroupResult> {
      if (options.description !== undefined && options.description.length > 2048) throw engineError(400, 'description over 2048 characters');
      // Raw create: Baileys' groupCreate drops the per-participant errors WhatsApp returns.
      const key = ctx.lib().generateMessageIDV2();
      const result = await groupQuery('@g.us', 'set', [{ tag: 'create', attrs: { subject, key }, content: participants.map((jid) => ({ tag: 'participant', attrs: { jid } })) }]);
      const groupNode = children(result, 'group')[0];
      if (!groupNode) throw engineError(500, 'create answered without a group');
      const all = children(groupNode, 'participant');
      const failed = all.filter((p) => p.attrs.error && p.attrs.error !== '200');
      const clean: BinaryNode = { ...groupNode, content: children(groupNode).filter((c) => !failed.includes(c)) };
      const raw = ctx.lib().extractGroupMetadata({ tag: 'result', attrs: {}, content: [clean] });
      // A refusal names the person as asked; look there first (the creator asking for itself gets 409).
      const ordered = [...failed, ...all.filter((p) => !failed.includes(p))];
      const results = matchResults(
        participants,
        ordered.map((node) => ({ jid: node.attrs.jid, node })),
      );
      cache.set(raw.id, raw);
      if (options.description) {
        await setDescription(raw.id, options.description);
        raw.desc = options.description;
      }
      if (options.locked !== undefined && options.locked !== !!raw.restrict) {
        await setting(raw.id, node(options.locked ? 'locked' : 'unlocked'));
        raw.restrict = options.locked;
      }
      return { group: remember(raw), results };
    },

    groupMetadata: async (groupId: Jid) => remember(metadataOf(await groupQuery(groupId, 'get', [node('query', { request: 'interactive' })]))),

    async listGroups(): Promise<GroupMetadata[]> {
      const answer = await groupQuery('@g.us', 'get', [node('participating', {}, [node('participants'), node('description')])]);
      // Only an answer that carries the list says which groups we are in.
      const list = children(answer, 'groups')[0];
      if (!list) throw engineError(500, 'group list answered without groups');
      return children(list, 'group').map((group) => remember(ctx.lib().extractGroupMetadata(node('result', {}, [group]))));
    },

    async leaveGroup(groupId: Jid): Promise<void> {
      await groupQuery('@g.us', 'set', [node('leave', {}, [node('group', { id: groupId })])]);
    },
    async setSubject(groupId: Jid, subject: string): Promise<void> {
      await groupQuery(groupId, 'set', [node('subject', {}, Buffer.from(subject, 'utf-8'))]);
    },
    async setDescription(groupId: Jid, description: string): Promise<void> {
      if (description.length > 2048) throw engineError(400, 'description over 2048 characters');
      await setDescription(groupId, description);
    },
    async setPicture(groupId: Jid, image: Buffer | null): Promise<void> {
      if (!image) {
        await iq({ to: 's.whatsapp.net', type: 'set', xmlns: 'w:profile:picture', target: groupId });
        return;
      }
      // Baileys converts to a 640x640 JPEG with an optional image library (sharp/jimp). When that fails,
      // only a JPEG can go as given: anything else WhatsApp cannot show, so it is refused here.
      const img = await ctx
        .lib()
        .generateProfilePicture(image)
        .then(
          (r) => r.img,
          () => (isJpeg(image) ? image : undefined),
        );
      if (!img) throw engineError(400, 'the picture could not be converted to a JPEG (send a JPEG or PNG image)');
      await iq({ to: 's.whatsapp.net', type: 'set', xmlns: 'w:profile:picture', target: groupId }, [node('picture', { type: 'image' }, img)]);
    },

    addParticipants: (groupId: Jid, jids: Jid[]) => participantsUpdate(groupId, jids, 'add'),
    removeParticipants: (groupId: Jid, jids: Jid[]) => participantsUpdate(groupId, jids, 'remove'),
    promoteParticipants: (groupId: Jid, jids: Jid[]) => participantsUpdate(groupId, jids, 'promote'),
    demoteParticipants: (groupId: Jid, jids: Jid[]) => participantsUpdate(groupId, jids, 'demote'),

    async inviteCode(groupId: Jid): Promise<string> {
      const code = children(await groupQuery(groupId, 'get', [node('invite')]), 'invite')[0]?.attrs.code;
      if (!code) throw engineError(500, 'no invite code in the answer');
      return code;
    },
    async revokeInvite(groupId: Jid): Promise<string> {
      const code = children(await groupQuery(groupId, 'set', [node('invite')]), 'invite')[0]?.attrs.code;
      if (!code) throw engineError(500, 'no invite code in the answer');
      return code;
    },
    async joinByCode(code: string): Promise<{ groupId: Jid; pendingApproval: boolean }> {
      // Raw: Baileys' groupAcceptInvite returns nothing when the join only filed a request.
      const result = await groupQuery('@g.us', 'set', [{ tag: 'invite', attrs: { code } }]);
      const joined = children(result, 'group')[0];
      if (joined?.attrs.jid) return { groupId: normalizeJid(joined.attrs.jid)!, pendingApproval: false };
      const pending = children(result, 'membership_approval_request')[0];
      if (pending?.attrs.jid) return { groupId: normalizeJid(pending.attrs.jid)!, pendingApproval: true };
      throw engineError(500, 'join answered without a group');
    },
    async inviteInfo(code: string): Promise<InviteInfo> {
      const m = metadataOf(await groupQuery('@g.us', 'get', [node('invite', { code })]));
      return compact({
        id: m.id,
        subject: m.subject ?? '',
        description: m.desc ?? '',
        owner: m.owner || m.ownerPn ? personPhone(m.owner, m.ownerPn, lids) : undefined,
        creation: m.creation ?? 0,
        size: m.size ?? m.participants.length,
        approvalMode: !!m.joinApprovalMode,
      });
    },
    async acceptInviteV4(invite: { groupId: Jid; code: string; expiration: number; inviter: Jid }): Promise<{ groupId: Jid }> {
      // Raw accept: Baileys' groupAcceptInviteV4 also fakes a local "added" message we do not want.
      await groupQuery(invite.groupId, 'set', [{ tag: 'accept', attrs: { code: invite.code, expiration: String(invite.expiration), admin: invite.inviter } }]);
      return { groupId: invite.groupId };
    },

    async updateSettings(groupId: Jid, change: SettingsChange): Promise<void> {
      if (change.ephemeralSeconds !== undefined && !EPHEMERAL.has(change.ephemeralSeconds)) {
        throw engineError(400, `ephemeral duration must be 0, 86400, 604800 or 7776000 seconds`);
      }
      ctx.sock();
      // In the caller's order, one stanza per setting, as WhatsApp clients do.
      for (const [name, value] of Object.entries(change)) {
        if (value === undefined) continue;
        if (name === 'announcement') await setting(groupId, node(value ? 'announcement' : 'not_announcement'));
        else if (name === 'locked') await setting(groupId, node(value ? 'locked' : 'unlocked'));
        else if (name === 'memberAddMode') await setting(groupId, node('member_add_mode', {}, Buffer.from(value === 'all' ? 'all_member_add' : 'admin_add')));
        else if (name === 'approvalMode') await setting(groupId, node('membership_approval_mode', {}, [node('group_join', { state: value ? 'on' : 'off' })]));
        else if (name === 'ephemeralSeconds') await setting(groupId, value ? node('ephemeral', { expiration: String(value) }) : node('not_ephemeral'));
      }
    },

    async joinRequests(groupId: Jid): Promise<JoinRequest[]> {
      const answer = await groupQuery(groupId, 'get', [node('membership_approval_requests')]);
      const list = children(children(answer, 'membership_approval_requests')[0], 'membership_approval_request').map((n) => n.attrs);
      return list.map((attrs: Record<string, string>) => {
        const id = normalizeJid(attrs.jid);
        let lid = isLid(id) ? id : normalizeJid(attrs.lid);
        let phoneJid = isPn(id) ? id : normalizeJid(attrs.phone_number);
        lids.learn(lid, phoneJid);
        phoneJid ??= lids.phoneOf(lid);
        lid ??= lids.lidOf(phoneJid);
        const method = attrs.request_method === 'linked_group_join' || attrs.request_method === 'non_admin_add' ? attrs.request_method : 'invite_link';
        return compact({ jid: phoneJid ?? id ?? '', phoneJid, lid, requestTime: Number(attrs.request_time ?? 0), method });
      });
    },
    approveJoinRequests: (groupId: Jid, jids: Jid[]) => requestsAction(groupId, jids, 'approve'),
    rejectJoinRequests: (groupId: Jid, jids: Jid[]) => requestsAction(groupId, jids, 'reject'),

    async sendText(chatId: Jid, text: string): Promise<{ id: string; timestamp: number }> {
      checkCanSend(chatId);
      // Stamped with the engine's clock, the one every other time it reports comes from.
      const sent = await wa(() => ctx.guard((sock) => sock.sendMessage(chatId, { text }, { timestamp: new Date(ctx.now()) })));
      return sentInfo(sent);
    },
    async sendGroupInvite(to: Jid, invite: GroupInviteV4): Promise<{ id: string; timestamp: number }> {
      const sent = await wa(() =>
        ctx.guard((sock) =>
          sock.sendMessage(
            to,
            { groupInvite: { jid: invite.groupId, inviteCode: invite.code, inviteExpiration: invite.expiration, subject: invite.groupName, text: invite.caption ?? '' } },
            // The group's picture is only the thumbnail: a group without one (item-not-found) still gets its invite.
            {
              timestamp: new Date(ctx.now()),
              getProfilePicUrl: (jid: string, type: 'preview' | 'image') => sock.profilePictureUrl(jid, type, ctx.queryTimeoutMs).catch(() => undefined),
            } as Parameters<WASocket['sendMessage']>[2],
          ),
        ),
      );
      return sentInfo(sent);
    },
    async onWhatsApp(phones: string[]): Promise<OnWhatsAppResult[]> {
      // Baileys' onWhatsApp asks only the contact protocol; asking the LID protocol too learns each
      // person's LID in the same query. WhatsApp lists unregistered numbers as "out" (Baileys drops them).
      const lib = ctx.lib();
      const query = new lib.USyncQuery().withContactProtocol().withLIDProtocol();
      for (const phone of phones) query.withUser(new lib.USyncUser().withPhone(`+${phone}`));
      const answer = phones.length ? await wa(() => ctx.guard((sock) => sock.executeUSyncQuery(query))) : undefined;
      if (phones.length && !answer) throw engineError(408, 'WhatsApp did not answer the contact query');
      const byPhone = new Map<string, { jid: string; lid?: string }>();
      for (const entry of (answer?.list ?? []) as { id: string; contact?: unknown; lid?: unknown }[]) {
        if (entry.contact !== true) continue;
        const jid = normalizeJid(entry.id)!;
        const lid = typeof entry.lid === 'string' ? normalizeJid(entry.lid) : lids.lidOf(jid);
        lids.learn(lid, jid);
        byPhone.set(phoneOf(jid), compact({ jid, lid }));
      }
      return phones.map((phone) => {
        const hit = byPhone.get(phone);
        return hit ? compact({ phone, registered: true, jid: hit.jid, lid: hit.lid }) : { phone, registered: false };
      });
    },
  };

  return withRateLimitBackoff(ops, ctx.now);

  /** WhatsApp drops a message a member may not send; refuse it up front from the metadata we hold. */
  function checkCanSend(chatId: Jid): void {
    const meta = cache.get(chatId);
    if (!chatId.endsWith('@g.us') || !meta) return;
    const me = ctx.me();
    const mine = meta.participants.find((p) => normalizeJid(p.id) === me || normalizeJid(p.phoneNumber) === me || lids.phoneOf(normalizeJid(p.id)) === me);
    if (!mine) throw engineError(403, `not a member of ${chatId}`);
    if (meta.announce && !mine.admin) throw engineError(401, `only admins may send to ${chatId}`);
  }
}

/** JPEG files start with the SOI marker and another marker. */
const isJpeg = (image: Buffer): boolean => image.length > 3 && image[0] === 0xff && image[1] === 0xd8 && image[2] === 0xff;

function sentInfo(sent: { key?: { id?: string | null }; messageTimestamp?: unknown } | undefined): { id: string; timestamp: number } {
  const ts = sent?.messageTimestamp;
  const timestamp =
    typeof ts === 'number'
      ? ts
      : ts && typeof (ts as { toNumber?: () => number }).toNumber === 'function'
        ? (ts as { toNumber: () => number }).toNumber()
        : Math.floor(Date.now() / 1000);
  return { id: sent?.key?.id ?? '', timestamp };
}

/**
 * Wraps every operation so a 429 (rate-overlimit) pauses that operation instead of letting callers
 * hammer WhatsApp: further calls fail fast with 429 until the cooldown ends. WhatsApp's 429 is the
 * signal to stop (see the README, "Link a real number"), so nothing is retried automatically.
 */
function withRateLimitBackoff<T extends Record<string, (...args: never[]) => Promise<unknown>>>(ops: T, now: () => number): T {
  const cooldowns = new Map<string, { until: number; ms: number }>();
  const wrapped: Record<string, unknown> = {};
  for (const [name, op] of Object.entries(ops)) {
    wrapped[name] = async (...args: never[]) => {
      const cooldown = cooldowns.get(name);
      if (cooldown && now() < cooldown.until) {
        throw engineError(429, `rate-overlimit: WhatsApp asked to slow down; ${name} paused for ${Math.ceil((cooldown.until - now()) / 1000)} s`);
      }
      try {
        const result = await op(...args);
        cooldowns.delete(name);
        return result;
      } catch (err) {
        if (err instanceof EngineError && err.code === 429) {
          const ms = cooldown ? Math.min(COOLDOWN_CAP_MS, cooldown.ms * 2) : COOLDOWN_FIRST_MS;
          cooldowns.set(name, { until: now() + ms, ms });
        }
        throw err;
      }
    };
  }
  return wrapped as T;
}

export type GroupOps = ReturnType<typeof createGroupOps>;
