/**
 * Records and ports of the sandbox emulator: the server-side state of a tiny WhatsApp.
 *
 * Every record is plain JSON so any store can keep it as text. Times that only the emulator reads
 * are epoch milliseconds (`...Ms`); times WhatsApp reports to clients are epoch seconds.
 */
import type { EngineEvent, GroupMetadata, GroupSettings, JoinRequest, ParticipantRole } from '../../../../core/ports/engine.js';

/** Who may add this person to a group without an invite (WhatsApp's "Groups" privacy setting). */
export type GroupAddPrivacy = 'everyone' | 'contacts' | 'nobody';

/** Settings of one phone number, as a test or an operator seeds them. */
export interface SandboxAccountSettings {
  /** false = the number is not on WhatsApp (404 when added, never a member). */
  registered: boolean;
  groupAddPrivacy: GroupAddPrivacy;
  /** Phones (digits) this person has as contacts; `contacts` privacy lets only them add. */
  contacts: string[];
  /** The display name others see on this number's messages (WhatsApp's push name). */
  name?: string;
}

/** One phone number known to the network. */
export interface SandboxAccountRecord extends SandboxAccountSettings {
  /** E.164 digits without '+'. */
  phone: string;
  /** `<digits>@lid`, random, created once and never changed. */
  lid: string;
  /** When this number created its recent groups, for the rolling-hour 429. */
  groupCreationsMs: number[];
  /**
   * Groups an admin removed this number from: joining them by link answers 405 until an admin adds
   * it again. Kept with the person, as WhatsApp does, so a group's record does not grow with
   * everyone it ever removed.
   */
  removedFrom?: string[];
}

/** What `getAccount` reports; `lid` is absent until the network has seen the number. */
export interface SandboxAccountView extends SandboxAccountSettings {
  phone: string;
  lid?: string;
}

export interface SandboxParticipantRecord {
  phone: string;
  role: ParticipantRole;
}

export interface SandboxJoinRequestRecord {
  phone: string;
  /** Epoch seconds. */
  requestTime: number;
  method: JoinRequest['method'];
}

/** An invite v4 issued by a 403 add; valid until expiration unless revoked. */
export interface SandboxAddRequestRecord {
  phone: string;
  code: string;
  /** Epoch seconds. */
  expiration: number;
  /** Phone of the admin whose add was refused. */
  inviter: string;
  /** A later add of the same person, or an invite-link reset, revokes it (410 from then on). */
  revoked: boolean;
}

export interface SandboxPictureRecord {
  /** Hex SHA-256 of the image; the bytes themselves are not kept. */
  sha256: string;
  size: number;
  setBy: string;
  /** Epoch seconds. */
  time: number;
}

/** One group on the server. */
export interface SandboxGroupRecord {
  /** `120363<12 digits>@g.us`. */
  id: string;
  subject: string;
  /** Phone of whoever last set the subject. */
  subjectOwner: string;
  /** Epoch seconds. */
  subjectTime: number;
  description: string;
  /** Phone of the creator (superadmin while a member). */
  creator: string;
  /** Epoch seconds. */
  creation: number;
  settings: GroupSettings;
  addressingMode: 'pn' | 'lid';
  /** In join order. */
  participants: SandboxParticipantRecord[];
  inviteCode: string;
  /** Every code this group ever had before the current one: they answer 410 forever. */
  revokedInviteCodes: string[];
  picture: SandboxPictureRecord | null;
  /** Phone -> when that person left by themselves (408 when re-added within the window). */
  leftAtMs: Record<string, number>;
  /** Saved by earlier versions; moved to the accounts' `removedFrom` when loaded. */
  removedByAdmin?: string[];
  joinRequests: SandboxJoinRequestRecord[];
  addRequests: SandboxAddRequestRecord[];
}

/** The server's truth about one group, for assertions and operator tools. */
export interface SandboxGroupView {
  /** A copy: changing it changes nothing. */
  record: SandboxGroupRecord;
  metadata: GroupMetadata;
}

/** Everything persisted. */
export interface SandboxSnapshot {
  accounts: SandboxAccountRecord[];
  groups: SandboxGroupRecord[];
}

/** What one operation changed; saved before any event is dispatched. */
export interface SandboxChanges {
  accounts: SandboxAccountRecord[];
  groups: SandboxGroupRecord[];
  deletedGroupIds: string[];
}

/**
 * Where the network keeps its state. `commit` should be atomic when the store allows it. Commits are
 * handed over one after another, a later one possibly before an earlier one has resolved, and must
 * be saved in that order. The network shows a change to its readers as soon as it hands it over,
 * but delivers its events and answers the caller only once the commit resolves; after a failed
 * commit it reloads what `load` answers.
 */
export interface SandboxPersistence {
  /** Everything saved so far (empty on a fresh store). */
  load(): Promise<SandboxSnapshot>;
  /** Upserts the given records by key and deletes the given groups (deleting a missing one is a no-op). */
  commit(changes: SandboxChanges): Promise<void>;
}

/** One event for one account, as an operation queued it. */
export interface SandboxNotice {
  phone: string;
  event: EngineEvent;
}

/** One mutation in the shared log: what it saved and what it told whom, numbered without gaps. */
export interface SandboxLogEntry {
  seq: number;
  changes: SandboxChanges;
  notices: SandboxNotice[];
}

/** What other processes committed after a position: the log entries, or a whole snapshot when some were pruned. */
export type SandboxCatchUp = { entries: SandboxLogEntry[] } | { snapshot: SandboxSnapshot; seq: number };

/**
 * Persistence shared by several processes (cluster mode): the network then serialises every
 * mutation across all of them and replays what the others committed before it reads or writes.
 */
export interface SharedSandboxPersistence extends SandboxPersistence {
  readonly shared: true;
  /** What was committed after `seq` (a negative `seq` asks for the whole snapshot). */
  since(seq: number): Promise<SandboxCatchUp>;
  /**
   * Runs one mutation alone across every process, in one transaction: `mutation` first gets what
   * the others committed after `seq` (as `since` answers), then returns what to save. Changes and
   * notices are saved as the next log entry and the other processes are woken after the commit.
   * A throwing `mutation` saves nothing. `seq` is undefined when nothing was saved.
   */
  exclusive<T>(seq: number, mutation: (missed: SandboxCatchUp) => { value: T; changes: SandboxChanges; notices: SandboxNotice[] }): Promise<{ value: T; seq: number | undefined }>;
  /** Calls `wake` whenever another process may have committed (and now and then in any case); resolves once listening. */
  watch(wake: () => void): Promise<void>;
  /** Stops watching. */
  close(): Promise<void>;
}

/** Source of randomness: returns `size` random bytes. Injectable for deterministic tests. */
export type RandomBytes = (size: number) => Uint8Array;

/** Called when an attached sink throws; the operation itself has already been committed. */
export type SinkErrorHandler = (error: unknown, phone: string, event: EngineEvent) => void;

export interface SandboxNetworkOptions {
  /** A `SharedSandboxPersistence` turns on shared mode (several processes, one network); any other keeps the network in this process. */
  persistence: SandboxPersistence | SharedSandboxPersistence;
  /** Clock in epoch milliseconds; default `Date.now`. */
  now?: () => number;
  /** Groups one number may create within a rolling hour before 429; default 30, 0 = no limit. */
  groupCreateLimitPerHour?: number;
  /** How long after leaving by themselves a person cannot be re-added (408); default 3600. */
  recentlyLeftSeconds?: number;
  /** Members including the creator; default 1024 (WhatsApp's limit). Lower it only in tests. */
  maxGroupSize?: number;
  random?: RandomBytes;
  /** Default: `console.error`. */
  onSinkError?: SinkErrorHandler;
  /** Shared mode: a background catch-up failed (the next one retries). Default: `console.error`. */
  onSyncError?: (error: unknown) => void;
}

/** Resolved configuration shared by every operation. */
export interface SandboxConfig {
  now: () => number;
  groupCreateLimitPerHour: number;
  recentlyLeftSeconds: number;
  maxGroupSize: number;
  random: RandomBytes;
  onSinkError: SinkErrorHandler;
  onSyncError: (error: unknown) => void;
}
