/**
 * Client version outdated (405) through the double: the double accepts one version only, and the
 * engine's version fetcher is injected (answering, failing or never answering).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { WAVersion } from 'baileys';
import { VERSION_SETTING } from '../../../../src/adapters/engines/baileys/client-version.js';
import type { VersionFetcher } from '../../../../src/adapters/engines/baileys/client-version.js';
import { makeDoubleHarness, type DoubleHarnessOptions } from './double/harness.js';

const [A, B, C] = ['15550000001', '15550000002', '15550000003'] as const;
const CURRENT: WAVersion = [2, 3000, 1234567890];

function counting(answer: (signal: AbortSignal) => Promise<WAVersion | undefined>) {
  const calls: number[] = [];
  const fetch: VersionFetcher = (signal) => {
    calls.push(1);
    return answer(signal);
  };
  return { fetch, calls };
}

async function withDouble(options: DoubleHarnessOptions, fn: (h: Awaited<ReturnType<typeof makeDoubleHarness>>) => Promise<void>): Promise<void> {
  const h = await makeDoubleHarness({ ...options, double: { clientVersion: CURRENT } });
  try {
    await fn(h);
  } finally {
    await h.close();
  }
}

describe('baileys client version outdated (405)', () => {
  it('405 client outdated: the version is fetched once, persisted, shared by the next session and by the next process', async () => {
    const fetcher = counting(async () => CURRENT);
    let auth: DoubleHarnessOptions['auth'];
    await withDouble({ engine: { fetchVersion: fetcher.fetch } }, async (h) => {
      auth = h.auth;
      await h.session(A);
      assert.equal(h.baileys(A)!.status().status, 'connected');
      assert.deepEqual(
        h.double.logins().map((l) => l.accepted),
        [false, true],
        'refused with 405, then accepted with the fetched version',
      );
      assert.deepEqual(JSON.parse((await h.auth.readSetting(VERSION_SETTING))!), CURRENT, 'persisted');
      // Another session of the same engine announces the learned version at once.
      await h.session(B);
      assert.equal(h.baileys(B)!.connectAttempts, 1);
      assert.equal(fetcher.calls.length, 1);
    });
    // A restart (a new engine over the same store) starts with the stored version and never fetches.
    const later = counting(async () => CURRENT);
    await withDouble({ auth, engine: { fetchVersion: later.fetch } }, async (h) => {
      await h.session(C);
      assert.equal(h.baileys(C)!.connectAttempts, 1);
      assert.equal(later.calls.length, 0);
    });
  });

  it('405 client outdated with the version fetch never answering: it is abandoned after its timeout, and the session backs off instead of hanging', async () => {
    let aborted = false;
    const fetcher = counting(
      (signal) =>
        new Promise<undefined>(() => {
          signal.addEventListener('abort', () => (aborted = true));
        }),
    );
    await withDouble({ engine: { fetchVersion: fetcher.fetch, versionFetchTimeoutMs: 100 } }, async (h) => {
      const session = await h.create(A);
      await session.connect();
      await session.whenStatus((s) => s.status === 'disconnected');
      assert.match(session.status().reason, /client version refused by WhatsApp \(405\); retrying/);
      assert.equal(fetcher.calls.length, 1);
      assert.ok(aborted, 'the fetch was aborted');
      assert.equal(await h.auth.readSetting(VERSION_SETTING), undefined);
    });
  });

  it('405 client outdated with the version fetch failing: the session backs off with the bundled version, nothing stored', async () => {
    const fetcher = counting(async () => {
      throw new Error('getaddrinfo ENOTFOUND web.whatsapp.com');
    });
    await withDouble({ engine: { fetchVersion: fetcher.fetch } }, async (h) => {
      const session = await h.create(A);
      await session.connect();
      await session.whenStatus((s) => s.status === 'disconnected');
      assert.match(session.status().reason, /client version refused by WhatsApp \(405\); retrying/);
      assert.equal(fetcher.calls.length, 1);
      assert.equal(session.connectAttempts, 2);
      assert.equal(await h.auth.readSetting(VERSION_SETTING), undefined);
    });
  });
});
