/** Starts a benchmark child process (see child.ts) and talks to it over IPC. */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ChildMessage, ChildSpec } from './child.js';

const CHILD = fileURLToPath(new URL('./child.ts', import.meta.url));
export const PROFILE_DIR = fileURLToPath(new URL('../profiles/', import.meta.url));

export interface Child {
  info: Record<string, unknown>;
  /** Sends a message and waits for the first reply of `replyType`. */
  request(message: ChildMessage, replyType: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  stop(): Promise<void>;
}

/**
 * Forks a child with `spec` and waits for its `ready` message. With BENCH_CPU_PROF=1 the child
 * writes a V8 CPU profile (open it in Chrome DevTools) to bench/profiles/.
 */
export async function startChild(spec: ChildSpec, timeoutMs = 120_000): Promise<Child> {
  const execArgv = ['--import', 'tsx', '--expose-gc', ...(process.env.BENCH_CHILD_FLAGS ?? '').split(' ').filter(Boolean)];
  if (process.env.BENCH_CPU_PROF === '1') {
    mkdirSync(PROFILE_DIR, { recursive: true });
    execArgv.push('--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`);
  }
  const proc = fork(CHILD, [], { execArgv, env: { ...process.env, BENCH_SPEC: JSON.stringify(spec) }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const info = await waitFor(proc, 'ready', timeoutMs);
  return {
    info,
    request(message, replyType, ms = 120_000) {
      const reply = waitFor(proc, replyType, ms);
      proc.send(message);
      return reply;
    },
    async stop() {
      if (proc.exitCode === null && proc.connected) {
        proc.send({ type: 'stop' } satisfies ChildMessage);
        const timer = setTimeout(() => proc.kill('SIGKILL'), 30_000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
}

function waitFor(proc: ChildProcess, type: string, timeoutMs: number): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => finish(new Error(`benchmark child: no '${type}' within ${timeoutMs} ms`)), timeoutMs);
    const onMessage = (m: Record<string, unknown>) => {
      if (m.type === type) finish(undefined, m);
      else if (m.type === 'error') finish(new Error(`benchmark child failed: ${String(m.message)}`));
    };
    const onExit = (code: number | null) => finish(new Error(`benchmark child exited (${code}) before '${type}'`));
    function finish(err?: Error, m?: Record<string, unknown>) {
      clearTimeout(timer);
      proc.off('message', onMessage);
      proc.off('exit', onExit);
      if (err) reject(err);
      else resolve(m!);
    }
    proc.on('message', onMessage);
    proc.on('exit', onExit);
  });
}
