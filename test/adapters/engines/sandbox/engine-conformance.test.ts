/** Runs the engine conformance suite against the sandbox engine over an in-memory network. */
import { createMemoryPersistence } from '../../../../src/adapters/engines/sandbox/emulator/memory-persistence.js';
import { runEngineConformance } from '../engine-conformance.js';
import { makeSandboxHarness } from './sandbox-harness.js';

runEngineConformance('sandbox', (options) => makeSandboxHarness(createMemoryPersistence(), options));
