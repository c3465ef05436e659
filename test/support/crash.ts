/**
 * The server as a child process (test/support/fixtures/crash-server.ts) for the crash tests: boot it
 * on a data directory, optionally to die at a crash point, and call its API.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';

export const ADMIN = 'crash-test-admin-key-0123456789';
const GUARD_MS = 60_000;

export interface Server {
  proc: ChildProcess;
  url: string;
  lines: string[];
  exited: Promise<number | null>;
  /** Resolves when a stdout line matches, rejects when the process exits first or the guard lapses. */
  waitFor(pred: (line: string) => boolean): Promise<string>;
}

export function boot(dir: string, crashAt?: string, extraEnv: Record<string, string> = {}): Promise<Server | { died: true; proc: ChildProcess }> {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'test/support/fixtures/crash-server.ts'], {
    cwd: process.cwd(),
    env: {
      ...process.env,
      NODE_ENV: 'test',
      GROUPGATE_DATA_DIR: dir,
      GROUPGATE_ADMIN_KEY: ADMIN,
      GROUPGATE_LOG_LEVEL: 'error',
      GROUPGATE_DATABASE_URL: '',
      GROUPGATE_TEST_CRASH_AT: crashAt ?? '',
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const waiters: { pred: (l: string) => boolean; resolve: (l: string) => void }[] = [];
  let buffer = '';
  proc.stdout!.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    let i;
    while ((i = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, i);
      buffer = buffer.slice(i + 1);
      lines.push(line);
      for (const w of [...waiters]) if (w.pred(line)) w.resolve(line);
    }
  });
  proc.stderr!.on('data', () => {});
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  const waitFor = (pred: (line: string) => boolean) =>
    new Promise<string>((resolve, reject) => {
      const seen = lines.find(pred);
      if (seen) return resolve(seen);
      const guard = setTimeout(() => reject(new Error(`timed out waiting; output so far:\n${lines.join('\n')}`)), GUARD_MS);
      waiters.push({
        pred,
        resolve: (l) => {
          clearTimeout(guard);
          resolve(l);
        },
      });
      void exited.then(() => {
        clearTimeout(guard);
        reject(new Error(`server exited; output:\n${lines.join('\n')}`));
      });
    });
  return new Promise((resolve) => {
    waitFor((l) => l.startsWith('READY ')).then(
      (line) => resolve({ proc, url: line.slice(6), lines, exited, waitFor }),
      () => resolve({ died: true, proc }),
    );
  });
}

export async function api(server: Server, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(server.url + path, {
    method,
    headers: { authorization: `Bearer ${ADMIN}`, ...(body ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as any };
}

/** Boots expecting the crash point to be hit: the process must die with SIGKILL. */
export async function bootAndDie(dir: string, crashAt: string): Promise<void> {
  const s = await boot(dir, crashAt);
  if (!('died' in s)) await s.exited;
  assert.equal(s.proc.signalCode, 'SIGKILL', `the server should have died at ${crashAt}`);
}
