/** The wire-level WhatsApp double (test/adapters/engines/baileys/double/), for the benchmark's idle-session scenario. */
export { makeDoubleHarness } from '../test/adapters/engines/baileys/double/harness.js';
