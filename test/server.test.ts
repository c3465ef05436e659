/**
 * The `groupgate serve` process: starts on embedded defaults, prints a generated admin key once,
 * answers health probes, and exits cleanly on SIGTERM.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

const root = join(import.meta.dirname, '..');

function startServe(dataDir: string, env: Record<string, string> = {}) {
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'test/support/fixtures/serve.ts')], {
    cwd: root,
    env: { ...process.env, GROUPGATE_DATA_DIR: dataDir, GROUPGATE_PORT: '0', GROUPGATE_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const listening = new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /"address":"(http:\/\/[^"]+)"/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`server exited early (${code}): ${out}`)));
  });
  return { child, listening, output: () => out };
}

const exited = (child: ChildProcess) => new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

describe('groupgate serve', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gg-serve-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('starts on SQLite, prints a generated admin key once, serves /healthz and /readyz, stops on SIGTERM', async () => {
    const first = startServe(dir);
    const url = await first.listening;
    assert.match(first.output(), /Save it now/);
    const key = /GROUPGATE_ADMIN_KEY=(\S+)/.exec(first.output())![1]!;
    assert.equal((await fetch(`${url}/healthz`)).status, 200);
    assert.equal((await fetch(`${url}/readyz`)).status, 200);
    const created = await fetch(`${url}/api/instances`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ engine: 'sandbox' }),
    });
    assert.equal(created.status, 201);
    const body = (await created.json()) as { status: string; phone: string };
    assert.equal(body.status, 'connected');
    assert.match(body.phone, /^\d+$/);
    first.child.kill('SIGTERM');
    assert.equal(await exited(first.child), 0);
    // The log line about the key never carries the key itself.
    const logLines = first
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{'));
    assert.ok(logLines.length > 0 && logLines.every((l) => !l.includes(key)));

    const second = startServe(dir);
    const url2 = await second.listening;
    assert.doesNotMatch(second.output(), /Save it now/);
    const list = await fetch(`${url2}/api/instances`, { headers: { authorization: `Bearer ${key}` } });
    assert.equal(list.status, 200);
    assert.equal(((await list.json()) as { instances: unknown[] }).instances.length, 1);
    second.child.kill('SIGINT');
    assert.equal(await exited(second.child), 0);
  });

  it('refuses an invalid configuration with a clear message', async () => {
    const bad = spawn(process.execPath, ['--import', 'tsx', join(root, 'test/support/fixtures/serve.ts')], {
      cwd: root,
      env: { ...process.env, GROUPGATE_DATA_DIR: dir, GROUPGATE_PORT: 'not-a-port' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    bad.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    assert.equal(await exited(bad), 2);
    assert.match(err, /GROUPGATE_PORT/);
  });
});
