/**
 * The double's group server: answers the `w:g2` (and profile-picture and contact) IQs a real Baileys
 * socket sends, from the sandbox emulator, and encodes the emulator's events as the `w:gp2`
 * notifications WhatsApp sends (see /work/shared/reference/whatsapp-groups.md), in either
 * addressing mode: LID groups name people by LID with `phone_number`; phone-number groups name them
 * by phone jid with `lid`. Test code only.
 */
import type { BinaryNode } from 'baileys';
import type { EngineEvent, GroupMetadata, GroupParticipant, ParticipantResult, SettingsChange } from '../../../../../src/core/ports/engine.js';
import { EngineError } from '../../../../../src/core/ports/engine.js';
import type { SandboxNetwork } from '../../../../../src/adapters/engines/sandbox/emulator/network.js';

const node = (tag: string, attrs: Record<string, string | undefined> = {}, content?: BinaryNode[] | Buffer | string): BinaryNode => {
  const clean: Record<string, string> = {};
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined) clean[k] = v;
  return content === undefined ? { tag, attrs: clean } : { tag, attrs: clean, content: typeof content === 'string' ? Buffer.from(content, 'utf-8') : content };
};
const kids = (n: BinaryNode | undefined, tag?: string): BinaryNode[] => (Array.isArray(n?.content) ? n.content.filter((c) => !tag || c.tag === tag) : []);
const text = (n: BinaryNode | undefined): string => (n?.content instanceof Uint8Array ? Buffer.from(n.content).toString('utf-8') : typeof n?.content === 'string' ? n.content : '');
const phoneOfJid = (jid: string) => jid.split('@')[0]!.split(':')[0]!;

/** Encodes what the emulator reports, the way WhatsApp's servers write it. */
export function createGroupServer(network: SandboxNetwork, addressing: 'lid' | 'pn') {
  const lidOf = (phoneJid: string | undefined) => (phoneJid ? network.getAccount(phoneOfJid(phoneJid)).lid : undefined);
  const personAttrs = (p: { phoneJid?: string; lid?: string }) =>
    addressing === 'lid' || !p.phoneJid ? { jid: p.lid ?? p.phoneJid, phone_number: p.lid ? p.phoneJid : undefined } : { jid: p.phoneJid, lid: p.lid };
  /** How a group names one person: its LID in LID groups, its phone jid in phone-number groups. */
  const nameOf = (phoneJid: string | undefined) => (addressing === 'lid' ? (lidOf(phoneJid) ?? phoneJid) : phoneJid);

  const participantNode = (p: GroupParticipant) => node('participant', { ...personAttrs(p), type: p.role === 'member' ? undefined : p.role });

  /** `<group>` as metadata answers and `create` notifications carry it (LID addressing). */
  function groupNode(m: GroupMetadata): BinaryNode {
    const content: BinaryNode[] = m.participants.map(participantNode);
    if (m.description) content.push(node('description', { id: `D${m.creation}`, t: String(m.creation) }, [node('body', {}, m.description)]));
    if (m.settings.ephemeralSeconds) content.push(node('ephemeral', { expiration: String(m.settings.ephemeralSeconds) }));
    content.push(node('member_add_mode', {}, m.settings.memberAddMode === 'all' ? 'all_member_add' : 'admin_add'));
    if (m.settings.announcement) content.push(node('announcement'));
    if (m.settings.locked) content.push(node('locked'));
    if (m.settings.approvalMode) content.push(node('membership_approval_mode', {}, [node('group_join', { state: 'on' })]));
    return node(
      'group',
      {
        id: m.id.split('@')[0],
        subject: m.subject,
        s_o: nameOf(m.subjectOwner),
        s_o_pn: addressing === 'lid' ? m.subjectOwner : undefined,
        s_t: m.subjectTime !== undefined ? String(m.subjectTime) : undefined,
        creation: String(m.creation),
        creator: nameOf(m.owner),
        creator_pn: addressing === 'lid' ? m.owner : undefined,
        size: String(m.participants.length),
        addressing_mode: addressing,
      },
      content,
    );
  }

  /** `<participant jid [lid] [error]>` with an `add_request` child on a 403. */
  function resultNode(r: ParticipantResult): BinaryNode {
    const attrs = { jid: r.phoneJid ?? r.jid, lid: r.lid, error: r.code === 200 ? undefined : String(r.code) };
    const content = r.addRequest ? [node('add_request', { code: r.addRequest.code, expiration: String(r.addRequest.expiration) })] : undefined;
    return node('participant', attrs, content);
  }

  /** Answers one IQ from `phone`; returns the result/error node. */
  async function answerIq(phone: string, iq: BinaryNode): Promise<BinaryNode> {
    const base = { id: iq.attrs.id, from: iq.attrs.to ?? 's.whatsapp.net' };
    try {
      const content = await handleIq(phone, iq);
      return node('iq', { ...base, type: 'result' }, content);
    } catch (err) {
      if (!(err instanceof EngineError)) throw err;
      return node('iq', { ...base, type: 'error' }, [node('error', { code: String(err.code), text: err.text })]);
    }
  }

  async function handleIq(phone: string, iq: BinaryNode): Promise<BinaryNode[] | undefined> {
    const net = network.as(phone);
    const to = iq.attrs.to ?? '';
    const [child] = kids(iq);
    const xmlns = iq.attrs.xmlns;
    if (xmlns === 'encrypt') {
      if (child?.tag === 'count') return [node('count', { value: '50' })];
      if (child?.tag === 'digest') return [node('digest')];
      return undefined;
    }
    if (xmlns === 'w:profile:picture') {
      // Asking for a picture: WhatsApp answers item-not-found when there is none (no URL is served here).
      if (iq.attrs.type === 'get') {
        if (!network.group(iq.attrs.target ?? '')?.record.picture) throw new EngineError(404, 'item-not-found');
        return [node('picture', { id: '1', type: kids(iq, 'picture')[0]?.attrs.type ?? 'preview' })];
      }
      const picture = kids(iq, 'picture')[0];
      await net.setPicture(iq.attrs.target!, picture ? Buffer.from(picture.content as Uint8Array) : null);
      return undefined;
    }
    if (xmlns === 'usync') {
      const users = kids(kids(kids(iq, 'usync')[0], 'list')[0], 'user');
      const phones = users.map((u) => text(kids(u, 'contact')[0]).replace('+', ''));
      const found = await net.onWhatsApp(phones);
      const list = found.map((r) =>
        node('user', { jid: `${r.phone}@s.whatsapp.net` }, [node('contact', { type: r.registered ? 'in' : 'out' }), ...(r.lid ? [node('lid', { val: r.lid })] : [])]),
      );
      return [node('usync', {}, [node('list', {}, list)])];
    }
    if (xmlns !== 'w:g2' || !child) return undefined;
    const type = iq.attrs.type;
    switch (child.tag) {
      case 'query':
        return [groupNode(await net.groupMetadata(to))];
      case 'participating':
        return [node('groups', {}, (await net.listGroups()).map(groupNode))];
      case 'create': {
        const jids = kids(child, 'participant').map((p) => p.attrs.jid!);
        const { group, results } = await net.createGroup(child.attrs.subject ?? '', jids);
        const g = groupNode(group);
        const failed = results.filter((r) => r.code !== 200).map(resultNode);
        return [{ ...g, content: [...(g.content as BinaryNode[]), ...failed] }];
      }
      case 'leave':
        await net.leaveGroup(kids(child, 'group')[0]!.attrs.id!);
        return undefined;
      case 'subject':
        await net.setSubject(to, text(child));
        return undefined;
      case 'description':
        await net.setDescription(to, child.attrs.delete === 'true' ? '' : text(kids(child, 'body')[0]));
        return undefined;
      case 'add':
      case 'remove':
      case 'promote':
      case 'demote': {
        const jids = kids(child, 'participant').map((p) => p.attrs.jid!);
        const op = { add: net.addParticipants, remove: net.removeParticipants, promote: net.promoteParticipants, demote: net.demoteParticipants }[child.tag];
        return [node(child.tag, {}, (await op(to, jids)).map(resultNode))];
      }
      case 'invite':
        if (to === '@g.us' && type === 'set') {
          const joined = await net.joinByCode(child.attrs.code!);
          return [node(joined.pendingApproval ? 'membership_approval_request' : 'group', { jid: joined.groupId })];
        }
        if (to === '@g.us') {
          const info = await net.inviteInfo(child.attrs.code!);
          const content = info.description ? [node('description', { id: 'D' }, [node('body', {}, info.description)])] : [];
          if (info.approvalMode) content.push(node('membership_approval_mode', {}, [node('group_join', { state: 'on' })]));
          return [
            node(
              'group',
              { id: info.id.split('@')[0], subject: info.subject, creation: String(info.creation), creator: lidOf(info.owner), creator_pn: info.owner, size: String(info.size) },
              content,
            ),
          ];
        }
        return [node('invite', { code: type === 'set' ? await net.revokeInvite(to) : await net.inviteCode(to) })];
      case 'accept':
        await net.acceptInviteV4({ groupId: to, code: child.attrs.code!, expiration: Number(child.attrs.expiration), inviter: child.attrs.admin! });
        return undefined;
      case 'announcement':
      case 'not_announcement':
      case 'locked':
      case 'unlocked':
      case 'member_add_mode':
      case 'membership_approval_mode':
      case 'ephemeral':
      case 'not_ephemeral':
        await net.updateSettings(to, settingOf(child));
        return undefined;
      case 'membership_approval_requests': {
        const requests = await net.joinRequests(to);
        const list = requests.map((r) =>
          node('membership_approval_request', { ...personAttrs({ phoneJid: r.phoneJid ?? r.jid, lid: r.lid }), request_time: String(r.requestTime), request_method: r.method }),
        );
        return [node('membership_approval_requests', {}, list)];
      }
      case 'membership_requests_action': {
        const [action] = kids(child);
        const jids = kids(action, 'participant').map((p) => p.attrs.jid!);
        const results = action!.tag === 'approve' ? await net.approveJoinRequests(to, jids) : await net.rejectJoinRequests(to, jids);
        return [node('membership_requests_action', {}, [node(action!.tag, {}, results.map(resultNode))])];
      }
      default:
        return undefined;
    }
  }

  function settingOf(child: BinaryNode): SettingsChange {
    switch (child.tag) {
      case 'announcement':
      case 'not_announcement':
        return { announcement: child.tag === 'announcement' };
      case 'locked':
      case 'unlocked':
        return { locked: child.tag === 'locked' };
      case 'member_add_mode':
        return { memberAddMode: text(child) === 'all_member_add' ? 'all' : 'admins' };
      case 'membership_approval_mode':
        return { approvalMode: kids(child, 'group_join')[0]?.attrs.state === 'on' };
      case 'ephemeral':
        return { ephemeralSeconds: Number(child.attrs.expiration) };
      default:
        return { ephemeralSeconds: 0 };
    }
  }

  let seq = 0;
  /** The `w:gp2` notifications that tell `phone` about `event` (none for messages and connection events). */
  function notificationsFor(phone: string, event: EngineEvent): BinaryNode[] {
    if (event.type === 'connection' || event.type === 'message' || event.type === 'message.status') return [];
    const groupId = event.type === 'group.upsert' ? event.group.id : event.groupId;
    const actor = event.actor;
    const attrs = {
      from: groupId,
      type: 'w:gp2',
      participant: nameOf(actor),
      participant_pn: addressing === 'lid' ? actor : undefined,
      addressing_mode: addressing,
      t: String(Math.floor(network.now() / 1000)),
    };
    const wrap = (child: BinaryNode) => node('notification', { ...attrs, id: `gp2-${++seq}` }, [child]);
    const me = { phoneJid: `${phone}@s.whatsapp.net`, lid: network.getAccount(phone).lid };
    switch (event.type) {
      case 'group.upsert':
        return [wrap(node('create', { type: event.reason === 'created' ? 'new' : undefined, reason: event.reason === 'joined' ? 'invite' : undefined }, [groupNode(event.group)]))];
      case 'group.gone':
        return [wrap(node('remove', {}, [node('participant', personAttrs(me))]))];
      case 'group.participants':
        return [wrap(node(event.action === 'leave' ? 'remove' : event.action, {}, event.participants.map(participantNode)))];
      case 'group.invite_code':
        return [wrap(node('invite', { code: network.group(groupId)?.record.inviteCode }))];
      case 'group.join_request': {
        const tag = event.action === 'created' ? 'created_membership_requests' : 'revoked_membership_requests';
        return [wrap(node(tag, { request_method: event.action === 'created' ? 'invite_link' : undefined }, [node('participant', personAttrs(event.participant))]))];
      }
      case 'group.update': {
        const c = event.changes;
        const out: BinaryNode[] = [];
        if (c.subject !== undefined) out.push(node('subject', { subject: c.subject, s_o: attrs.participant, s_t: attrs.t }));
        if (c.description !== undefined) out.push(node('description', { id: `D${seq}` }, c.description ? [node('body', {}, c.description)] : [node('delete')]));
        if (c.announcement !== undefined) out.push(node(c.announcement ? 'announcement' : 'not_announcement'));
        if (c.locked !== undefined) out.push(node(c.locked ? 'locked' : 'unlocked'));
        if (c.memberAddMode !== undefined) out.push(node('member_add_mode', {}, c.memberAddMode === 'all' ? 'all_member_add' : 'admin_add'));
        if (c.approvalMode !== undefined) out.push(node('membership_approval_mode', {}, [node('group_join', { state: c.approvalMode ? 'on' : 'off' })]));
        if (c.ephemeralSeconds !== undefined) out.push(c.ephemeralSeconds ? node('ephemeral', { expiration: String(c.ephemeralSeconds) }) : node('not_ephemeral'));
        return out.map(wrap);
      }
    }
  }

  return { answerIq, notificationsFor };
}
