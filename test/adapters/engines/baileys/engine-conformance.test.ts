/**
 * The engine conformance suite for the Baileys engine: real Baileys sockets logged into the WhatsApp
 * double (test/adapters/engines/baileys/double/), whose group server is the sandbox emulator, once
 * with LID-addressed groups and once with phone-number-addressed groups.
 */
import { makeDoubleHarness } from './double/harness.js';
import { runEngineConformance } from '../engine-conformance.js';

// The double acknowledges messages but does not relay the encrypted payloads between accounts yet.
const suite = { skipMessageDelivery: 'the WhatsApp double does not relay encrypted messages between accounts' };
runEngineConformance('baileys (LID-addressed groups)', (options) => makeDoubleHarness({ ...options, addressing: 'lid' }), suite);
runEngineConformance('baileys (phone-number-addressed groups)', (options) => makeDoubleHarness({ ...options, addressing: 'pn' }), suite);
