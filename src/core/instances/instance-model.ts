/** An instance (one WhatsApp number) and its settings. */
import type { ConnectionStatus } from '../ports/engine.js';

export type EngineKind = 'sandbox' | 'baileys';
export type InstanceStatus = ConnectionStatus;

/**
 * Per-instance settings kept as one JSON object; each feature owns its own key (`pacing`, and each
 * dialect its own).
 */
export interface InstanceSettings {
  pacing?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface Instance {
  id: string;
  idInstance: string;
  name: string;
  engine: EngineKind;
  /** Digits only (E.164 without '+'), once known. */
  phone: string | null;
  status: InstanceStatus;
  statusReason: string;
  tokenHash: string;
  createdAt: string;
  settings: InstanceSettings;
}
