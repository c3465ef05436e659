/**
 * The engine port: everything groupgate needs from a WhatsApp connection, in WhatsApp's own terms.
 *
 * An engine adapter (sandbox emulator, Baileys) implements `EngineFactory`; the core creates one
 * `EngineSession` per instance and never sees the library behind it.
 *
 * Contract shared by every adapter (checked by the engine conformance suite):
 * - People are `Jid`s: `<E.164 digits>@s.whatsapp.net` or `<digits>@lid`. Groups are `<digits>@g.us`.
 * - Whole-operation failures throw `EngineError` carrying WhatsApp's numeric code
 *   (400, 401, 403, 404, 406, 410, 419, 423, 429, 500, 503, plus 304/405 when joining by code).
 *   Adapters never throw anything else for a refusal; a thrown non-EngineError is a bug or an outage.
 * - Per-participant results are data (`ParticipantResult`), with WhatsApp's per-participant code.
 * - Every state change the account sees (its own actions included) is reported through the
 *   `EngineSink` given at creation. The sink is idempotent on state: reporting what is already known
 *   changes nothing. The sandbox awaits the sinks of every member before an operation returns.
 */

/** `<digits>@s.whatsapp.net`, `<digits>@lid` or `<digits>@g.us`. */
export type Jid = string;

/**
 * WhatsApp per-participant result codes (the `error` attribute of a `<participant>`; absent = 200).
 * add: 200 added, 403 privacy refused (with addRequest), 404 not on WhatsApp, 408 left recently,
 * 409 already a member, 419 group full. remove/promote/demote/approve/reject: 200 done, 404 not a
 * member (or no such request), 406 not allowed (the creator cannot be removed or demoted).
 */
/** Any other code WhatsApp answers is passed through as it is (the core reports it as a failed outcome). */
export type ParticipantCode = 200 | 403 | 404 | 406 | 408 | 409 | 417 | 419 | 500 | (number & {});

/** Whole-operation codes WhatsApp answers in `<error code=...>`. */
export type EngineErrorCode = 304 | 400 | 401 | 403 | 404 | 405 | 406 | 408 | 409 | 410 | 419 | 423 | 428 | 429 | 500 | 503;

/** A refusal from WhatsApp's group server for a whole operation, with its numeric code. */
export class EngineError extends Error {
  constructor(
    readonly code: EngineErrorCode,
    readonly text: string,
    message?: string,
  ) {
    super(message ?? `${code} ${text}`);
    this.name = 'EngineError';
  }
}

/** Standard text for each code, as WhatsApp writes it in `<error text=...>`. */
export const ENGINE_ERROR_TEXT: Record<EngineErrorCode, string> = {
  304: 'not-modified',
  400: 'bad-request',
  401: 'not-authorized',
  403: 'forbidden',
  404: 'item-not-found',
  405: 'not-allowed',
  406: 'not-acceptable',
  408: 'request-timeout',
  409: 'conflict',
  410: 'gone',
  419: 'resource-limit',
  423: 'locked',
  428: 'precondition-required',
  429: 'rate-overlimit',
  500: 'internal-server-error',
  503: 'service-unavailable',
};

/** Builds an `EngineError` with WhatsApp's standard text for the code. */
export function engineError(code: EngineErrorCode, message?: string): EngineError {
  return new EngineError(code, ENGINE_ERROR_TEXT[code], message);
}

export type ParticipantRole = 'member' | 'admin' | 'superadmin';

/** One member of a group. `jid` is how the group addresses them; both forms are given when known. */
export interface GroupParticipant {
  /** Phone-number jid `<digits>@s.whatsapp.net`, when visible. */
  phoneJid?: Jid;
  /** `<digits>@lid`, when known. */
  lid?: Jid;
  role: ParticipantRole;
}

/** Every key of `GroupSettings`, in the order the API shows them. */
export const GROUP_SETTING_KEYS = ['announcement', 'locked', 'memberAddMode', 'approvalMode', 'ephemeralSeconds'] as const satisfies readonly (keyof GroupSettings)[];

export interface GroupSettings {
  /** Only admins may send messages. */
  announcement: boolean;
  /** Only admins may edit subject, description and picture. */
  locked: boolean;
  memberAddMode: 'admins' | 'all';
  /** Joining by link creates a request that an admin must approve. */
  approvalMode: boolean;
  /** 0 (off), 86400, 604800 or 7776000. */
  ephemeralSeconds: number;
}

/** Group metadata as the group server reports it. */
export interface GroupMetadata {
  id: Jid;
  subject: string;
  /** Jid of whoever last set the subject. */
  subjectOwner?: Jid;
  /** Epoch seconds. */
  subjectTime?: number;
  description: string;
  /** Creator's phone jid when known, else its LID. */
  owner?: Jid;
  /** Epoch seconds. */
  creation: number;
  settings: GroupSettings;
  participants: GroupParticipant[];
  addressingMode: 'pn' | 'lid';
}

/** Per-participant result of add/remove/promote/demote/approve/reject. */
export interface ParticipantResult {
  /** The jid as requested. */
  jid: Jid;
  /** Canonical phone jid / LID when the server knows the person. */
  phoneJid?: Jid;
  lid?: Jid;
  code: ParticipantCode;
  /** Present on a 403 add: the invite-v4 code and its expiration (epoch seconds). */
  addRequest?: { code: string; expiration: number };
}

export interface CreateGroupResult {
  group: GroupMetadata;
  /** Results for every requested participant (200 for those in the group). */
  results: ParticipantResult[];
}

export interface JoinRequest {
  jid: Jid;
  phoneJid?: Jid;
  lid?: Jid;
  /** Epoch seconds. */
  requestTime: number;
  method: 'invite_link' | 'linked_group_join' | 'non_admin_add';
}

export interface InviteInfo {
  id: Jid;
  subject: string;
  description: string;
  owner?: Jid;
  creation: number;
  size: number;
  approvalMode: boolean;
}

export interface GroupInviteV4 {
  groupId: Jid;
  code: string;
  /** Epoch seconds. */
  expiration: number;
  groupName: string;
  caption?: string;
}

export interface SettingsChange {
  announcement?: boolean;
  locked?: boolean;
  memberAddMode?: 'admins' | 'all';
  approvalMode?: boolean;
  ephemeralSeconds?: number;
}

export interface OnWhatsAppResult {
  /** The number as asked (digits). */
  phone: string;
  registered: boolean;
  /** Canonical jid when registered. */
  jid?: Jid;
  lid?: Jid;
}

export type ConnectionStatus = 'starting' | 'qr' | 'pairing' | 'connected' | 'disconnected' | 'logged_out' | 'failed';

/** Events an engine reports. Actor is who did it (absent when unknown). */
export type EngineEvent =
  | { type: 'connection'; status: ConnectionStatus; reason: string; phone?: string; qr?: string }
  /** The account is in this group: it created it, was added, joined, or a resync saw it. */
  | { type: 'group.upsert'; group: GroupMetadata; reason: 'created' | 'added' | 'joined' | 'sync'; actor?: Jid }
  /** The account is no longer in this group (left, removed, or a resync no longer sees it). */
  | { type: 'group.gone'; groupId: Jid; reason: 'left' | 'removed' | 'sync'; actor?: Jid }
  | {
      type: 'group.participants';
      groupId: Jid;
      action: 'add' | 'remove' | 'promote' | 'demote' | 'leave';
      participants: GroupParticipant[];
      actor?: Jid;
    }
  | {
      type: 'group.update';
      groupId: Jid;
      changes: Partial<Pick<GroupMetadata, 'subject' | 'description'>> & SettingsChange;
      actor?: Jid;
    }
  /** The invite code was reset; `code` is the new one when the notification carries it. */
  | { type: 'group.invite_code'; groupId: Jid; code?: string; actor?: Jid }
  | {
      type: 'group.join_request';
      groupId: Jid;
      action: 'created' | 'revoked' | 'approved' | 'rejected';
      participant: { phoneJid?: Jid; lid?: Jid };
      actor?: Jid;
      /** How a created request came about, when the notification says: by link, or a member's add. */
      method?: JoinRequest['method'];
    }
  | {
      type: 'message';
      id: string;
      chatId: Jid;
      from: Jid;
      fromMe: boolean;
      /** Epoch seconds. */
      timestamp: number;
      /** The sender's display name (WhatsApp's push name), when the engine knows it. */
      pushName?: string;
      text?: string;
      groupInvite?: GroupInviteV4;
    }
  /**
   * A receipt for a message this account sent (`id` as `sendText` answered): delivered to the
   * recipient's phone (in a group: to at least one member), read, or failed. May arrive while the
   * `sendText` call is still in flight; the core logs it after the message.
   */
  | { type: 'message.status'; id: string; chatId: Jid; status: MessageReceiptStatus; timestamp: number };

/** What a receipt says of a sent message. */
export type MessageReceiptStatus = 'delivered' | 'read' | 'failed';

/**
 * Receives engine events. Must be awaited; the sandbox awaits every member's sink. `many`, when a
 * sink has it, takes several events of one chat at once, in order, exactly as one call each would
 * (the core then applies them in one store transaction).
 */
export type EngineSink = ((event: EngineEvent) => Promise<void>) & { many?: (events: EngineEvent[]) => Promise<void> };

/**
 * One WhatsApp account connection. All group methods require status `connected`, else they throw
 * EngineError(428).
 */
export interface EngineSession {
  // --- connection ---
  /** Starts connecting; status changes arrive as `connection` events. Idempotent. */
  connect(): Promise<void>;
  /** Closes the connection, keeping credentials. Idempotent. */
  close(): Promise<void>;
  /** Unlinks the device and wipes credentials. Idempotent. */
  logout(): Promise<void>;
  /** Current status and a human-readable reason. */
  status(): { status: ConnectionStatus; reason: string; phone?: string };
  /** Current QR string while status is `qr`. */
  currentQr?(): string | undefined;
  /** Requests an 8-character pairing code for `phone` (digits). */
  requestPairingCode?(phone: string): Promise<string>;

  // --- groups ---
  /** Creates a group; the creator is superadmin. Throws 406 for a subject over 100 characters, 429 when creating too fast. */
  createGroup(subject: string, participants: Jid[], options?: { locked?: boolean; description?: string }): Promise<CreateGroupResult>;
  /** Metadata of one group. 404 no such group; 403 not a member. */
  groupMetadata(groupId: Jid): Promise<GroupMetadata>;
  /** Every group the account is in. */
  listGroups(): Promise<GroupMetadata[]>;
  /** Leaves the group. 404 no such group; 403 not a member. */
  leaveGroup(groupId: Jid): Promise<void>;
  setSubject(groupId: Jid, subject: string): Promise<void>;
  /** Empty string removes the description. 400 when over 2048 characters. */
  setDescription(groupId: Jid, description: string): Promise<void>;
  /** `null` removes the picture. */
  setPicture(groupId: Jid, image: Buffer | null): Promise<void>;
  addParticipants(groupId: Jid, jids: Jid[]): Promise<ParticipantResult[]>;
  removeParticipants(groupId: Jid, jids: Jid[]): Promise<ParticipantResult[]>;
  promoteParticipants(groupId: Jid, jids: Jid[]): Promise<ParticipantResult[]>;
  demoteParticipants(groupId: Jid, jids: Jid[]): Promise<ParticipantResult[]>;
  /** Admin only (401). */
  inviteCode(groupId: Jid): Promise<string>;
  /** Admin only; returns the new code; the old one answers 410 from then on. */
  revokeInvite(groupId: Jid): Promise<string>;
  /** Joins by code. Returns the group and whether a join request was created instead. 410 revoked, 406 invalid, 304 already a member. */
  joinByCode(code: string): Promise<{ groupId: Jid; pendingApproval: boolean }>;
  /** Preview by code without joining. */
  inviteInfo(code: string): Promise<InviteInfo>;
  /** Accepts an invite v4 received from `inviter`. */
  acceptInviteV4(invite: { groupId: Jid; code: string; expiration: number; inviter: Jid }): Promise<{ groupId: Jid }>;
  /** Applies the given settings in order. 400 for a non-standard ephemeral duration. */
  updateSettings(groupId: Jid, change: SettingsChange): Promise<void>;
  joinRequests(groupId: Jid): Promise<JoinRequest[]>;
  approveJoinRequests(groupId: Jid, jids: Jid[]): Promise<ParticipantResult[]>;
  rejectJoinRequests(groupId: Jid, jids: Jid[]): Promise<ParticipantResult[]>;

  // --- messages and contacts ---
  /** Sends a text; returns the message id. */
  sendText(chatId: Jid, text: string): Promise<{ id: string; timestamp: number }>;
  /** Sends an invite-v4 message to one person. */
  sendGroupInvite(to: Jid, invite: GroupInviteV4): Promise<{ id: string; timestamp: number }>;
  /** Which of these numbers (digits) are on WhatsApp. */
  onWhatsApp(phones: string[]): Promise<OnWhatsAppResult[]>;
}

export interface EngineSessionOptions {
  instanceId: string;
  /** The instance's phone (digits) if known in advance (sandbox instances always have one). */
  phone?: string;
  sink: EngineSink;
}

/** Creates sessions of one engine kind. */
export interface EngineFactory {
  readonly kind: 'sandbox' | 'baileys';
  create(options: EngineSessionOptions): Promise<EngineSession>;
  /** Wipes any engine-held state for an instance that is being deleted. */
  destroy?(instanceId: string): Promise<void>;
}
