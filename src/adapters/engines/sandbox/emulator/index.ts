/** Public surface of the sandbox emulator (WhatsApp's group server, in process). */
export { createSandboxNetwork } from './network.js';
export type { SandboxActions, SandboxNetwork } from './network.js';
export { createMemoryPersistence } from './memory-persistence.js';
export type { MemoryPersistence } from './memory-persistence.js';
export { GROUP_ID_PATTERN, INVITE_CODE_PATTERN, phoneJid } from './ids.js';
export type * from './types.js';
