/**
 * The engine conformance suite for the Baileys engine: real Baileys sockets logged into the WhatsApp
 * double (test/adapters/engines/baileys/double/), whose group server is the sandbox emulator, once
 * with LID-addressed groups and once with phone-number-addressed groups. Messages between the
 * accounts are end-to-end encrypted by the sockets themselves; the double relays them.
 */
import { makeDoubleHarness } from './double/harness.js';
import { runEngineConformance } from '../engine-conformance.js';

runEngineConformance('baileys (LID-addressed groups)', (options) => makeDoubleHarness({ ...options, addressing: 'lid' }));
runEngineConformance('baileys (phone-number-addressed groups)', (options) => makeDoubleHarness({ ...options, addressing: 'pn' }));
