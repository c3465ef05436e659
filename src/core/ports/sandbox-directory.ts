/**
 * The sandbox directory port: who is on the emulated WhatsApp network and their privacy, as the
 * sandbox routes seed and read it. The sandbox engine's network implements it.
 */
export type GroupAddPrivacySetting = 'everyone' | 'contacts' | 'nobody';

export interface SandboxAccountSettings {
  /** false = the number is not on WhatsApp (404 when added, never a member). */
  registered: boolean;
  groupAddPrivacy: GroupAddPrivacySetting;
  /** Phones (digits) this person has as contacts; `contacts` privacy lets only them add. */
  contacts: string[];
  /** The display name others see on this number's messages (WhatsApp's push name). */
  name?: string;
}

export interface SandboxAccount extends SandboxAccountSettings {
  /** E.164 digits without '+'. */
  phone: string;
  lid?: string;
}

export interface SandboxDirectory {
  /** Creates or updates an account (idempotent); answers it. */
  seedAccount(phone: string, settings?: Partial<SandboxAccountSettings>): Promise<SandboxAccount>;
  /** The account as the network knows it (a default, unregistered view when unknown). */
  getAccount(phone: string): SandboxAccount;
  /** Brings `getAccount` up to date with what other processes committed (cluster mode); nothing to do on one process. */
  refresh(): Promise<void>;
}
