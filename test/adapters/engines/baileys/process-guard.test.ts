/**
 * The process guard: a rejection inside Baileys' own listeners (the groups dirty-bit refresh answered
 * with 429 rate-overlimit) is logged with its instance id and ends neither the process nor the other
 * instance. Run in a child process, since the fault would otherwise end the test runner.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';

const child = fileURLToPath(new URL('./double/process-guard-child.ts', import.meta.url));

function run(guard: boolean): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', child], { env: { ...process.env, GUARD: guard ? '1' : '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (out += d.toString()));
    proc.on('close', (code) => resolve({ code, out }));
  });
}

describe('baileys process guard', () => {
  it('rate-overlimit 429 on the groups dirty refresh: without the guard Node exits with code 1', async () => {
    const { code, out } = await run(false);
    assert.equal(code, 1, out);
    assert.doesNotMatch(out, /second instance still works/);
  });

  it('rate-overlimit 429 on the groups dirty refresh: the guard logs it with the instance id and every instance keeps working', async () => {
    const { code, out } = await run(true);
    assert.equal(code, 0, out);
    const entry = out
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { instanceId?: string; msg: string; err: { message: string } })
      .find((e) => e.msg.startsWith('unhandled rejection'));
    assert.ok(entry, out);
    assert.equal(entry.instanceId, 'inst-15550000001');
    assert.match(entry.err.message, /rate-overlimit/);
    assert.match(out, /second instance still works/);
  });
});
