/**
 * Runs the engine conformance suite against the Baileys engine: real Baileys sockets, answered at
 * the stanza level by the sandbox emulator through test/baileys/harness.ts.
 */
import { makeBaileysHarness } from '../baileys/harness.js';
import { runEngineConformance } from './suite.js';

runEngineConformance('baileys', makeBaileysHarness);
