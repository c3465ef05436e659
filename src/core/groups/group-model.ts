/** The local group store's records: whole groups with their participants. */
import type { GroupSettings, ParticipantRole } from '../ports/engine.js';

export interface StoredParticipant {
  phoneJid: string | null;
  lid: string | null;
  role: ParticipantRole;
}

export interface StoredGroup {
  instanceId: string;
  id: string;
  subject: string;
  description: string;
  owner: string | null;
  createdAt: string;
  subjectOwner: string | null;
  subjectTime: string | null;
  settings: GroupSettings;
  myRole: ParticipantRole;
  inviteCode: string | null;
  size: number;
  addressingMode: 'pn' | 'lid';
  participants: StoredParticipant[];
}
