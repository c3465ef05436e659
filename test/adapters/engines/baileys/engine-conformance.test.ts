/**
 * Runs the engine conformance suite against the Baileys engine: real Baileys sockets, answered at
 * the stanza level by the sandbox emulator through test/adapters/engines/baileys/harness.ts.
 */
import { makeBaileysHarness } from './harness.js';
import { runEngineConformance } from '../engine-conformance.js';

runEngineConformance('baileys', makeBaileysHarness);
