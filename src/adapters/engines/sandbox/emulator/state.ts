/** The committed state of the network and its lookup indexes. */
import type { EngineSink } from '../../../../core/ports/engine.js';
import type { SandboxAccountRecord, SandboxChanges, SandboxConfig, SandboxGroupRecord, SandboxSnapshot } from './types.js';
import { groupSerialOf } from './ids.js';

/** Where an invite-link code points; `revoked` = an old code of that group (410). */
export interface CodeEntry {
  groupId: string;
  revoked: boolean;
}

/**
 * Committed records only: operations work on drafts (see `Tx`) and `install` swaps them in after
 * persistence succeeded, in one synchronous step, so readers never see half an operation.
 */
export class NetworkState {
  readonly accounts = new Map<string, SandboxAccountRecord>();
  /** LID -> phone. */
  readonly lids = new Map<string, string>();
  readonly groups = new Map<string, SandboxGroupRecord>();
  /** Invite-link code (current or revoked) -> group. */
  readonly codes = new Map<string, CodeEntry>();
  /** Phone -> the sink of the sandbox instance connected for it. */
  readonly sinks = new Map<string, EngineSink>();
  /** The highest serial of the group ids issued here or installed (loaded, or made by another process): new ids follow it (`newGroupId`). */
  readonly groupSerial = { last: 0 };

  constructor(readonly config: SandboxConfig) {}

  /** Replaces everything with a persisted snapshot. */
  restore(snapshot: SandboxSnapshot): void {
    this.accounts.clear();
    this.lids.clear();
    this.groups.clear();
    this.codes.clear();
    this.install({ accounts: snapshot.accounts, groups: snapshot.groups, deletedGroupIds: [] });
    // Earlier versions kept removals on the group: move them to the people (saved with their next change).
    for (const group of snapshot.groups) {
      for (const phone of group.removedByAdmin ?? []) {
        const account = this.accounts.get(phone);
        if (account && !account.removedFrom?.includes(group.id)) account.removedFrom = [...(account.removedFrom ?? []), group.id];
      }
      delete group.removedByAdmin;
    }
  }

  /** Makes saved changes visible. Records are owned by the state from now on. */
  install(changes: SandboxChanges): void {
    for (const account of changes.accounts) {
      this.accounts.set(account.phone, account);
      this.lids.set(account.lid, account.phone);
    }
    for (const id of changes.deletedGroupIds) {
      const old = this.groups.get(id);
      if (old) this.unindexCodes(old);
      this.groups.delete(id);
    }
    for (const group of changes.groups) {
      const old = this.groups.get(group.id);
      if (old) this.unindexCodes(old);
      // Loaded, or made by another process (shared mode): later ids still follow it.
      else this.groupSerial.last = Math.max(this.groupSerial.last, groupSerialOf(group.id) ?? 0);
      this.groups.set(group.id, group);
      this.codes.set(group.inviteCode, { groupId: group.id, revoked: false });
      for (const code of group.revokedInviteCodes) this.codes.set(code, { groupId: group.id, revoked: true });
    }
  }

  private unindexCodes(group: SandboxGroupRecord): void {
    this.codes.delete(group.inviteCode);
    for (const code of group.revokedInviteCodes) this.codes.delete(code);
  }
}
