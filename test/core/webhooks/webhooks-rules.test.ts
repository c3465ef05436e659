/** Pure webhook rules: address classes, URL checks, filters, secrets, backoff; and the checked HTTP client. */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { addressAllowed, checkWebhookUrl, classifyAddress } from '../../../src/core/webhooks/webhook-ssrf.js';
import {
  afterFailure,
  isValidWebhookSecret,
  matchesEventFilters,
  newWebhookSecret,
  retryDelayMs,
  validateEventFilters,
  DEAD_LETTER_AFTER_MS,
  MAX_RETRY_DELAY_MS,
} from '../../../src/core/webhooks/webhook-rules.js';
import { postJson } from '../../../src/adapters/webhooks/http-client.js';

describe('address classes', () => {
  const cases: [string, string][] = [
    ['169.254.169.254', 'link-local'],
    ['169.254.0.1', 'link-local'],
    ['100.100.100.200', 'metadata'],
    ['fd00:ec2::254', 'metadata'],
    ['fe80::1', 'link-local'],
    ['febf::1', 'link-local'],
    ['::ffff:169.254.169.254', 'link-local'],
    ['::ffff:a9fe:a9fe', 'link-local'],
    ['127.0.0.1', 'loopback'],
    ['0.0.0.0', 'loopback'],
    ['::1', 'loopback'],
    ['::', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['10.0.0.1', 'private'],
    ['172.16.5.4', 'private'],
    ['172.32.0.1', 'public'],
    ['192.168.0.1', 'private'],
    ['100.64.0.1', 'private'],
    ['fc00::1', 'private'],
    ['fd12:3456::1', 'private'],
    ['224.0.0.1', 'reserved'],
    ['ff02::1', 'reserved'],
    ['8.8.8.8', 'public'],
    ['2606:4700::1111', 'public'],
    ['64:ff9b::a9fe:a9fe', 'link-local'],
    ['nonsense', 'reserved'],
    // Translation and special-purpose ranges that used to pass as public.
    ['64:ff9b:1::7f00:1', 'translation'],
    ['2002:7f00:1::1', 'translation'],
    ['2001:0:4136:e378:8000:63bf:3fff:fdd2', 'translation'],
    ['168.63.129.16', 'metadata'],
    ['192.0.0.192', 'reserved'],
    ['192.0.2.1', 'reserved'],
    ['2001:db8::1', 'reserved'],
  ];
  for (const [ip, cls] of cases) it(`${ip} is ${cls}`, () => assert.equal(classifyAddress(ip), cls));

  it('link-local and metadata are refused even when private addresses are allowed', () => {
    assert.equal(addressAllowed('169.254.169.254', true), false);
    assert.equal(addressAllowed('fe80::1', true), false);
    assert.equal(addressAllowed('127.0.0.1', true), true);
    assert.equal(addressAllowed('127.0.0.1', false), false);
    assert.equal(addressAllowed('8.8.8.8', false), true);
    for (const ip of ['64:ff9b:1::7f00:1', '2002:7f00:1::1', '2001:0:4136:e378:8000:63bf:3fff:fdd2', '168.63.129.16', '192.0.0.192']) {
      assert.equal(addressAllowed(ip, true), false, `${ip} is refused even when private addresses are allowed`);
    }
  });
});

describe('webhook URL check', () => {
  const refused = (url: string, allowPrivate = true) =>
    assert.throws(
      () => checkWebhookUrl(url, allowPrivate),
      (e: { code?: string }) => e.code === 'webhook_url_refused',
      url,
    );
  it('refuses what can never be a receiver', () => {
    refused('http://169.254.169.254/latest/meta-data');
    refused('http://[fe80::abcd]/');
    refused('http://metadata.google.internal/');
    refused('file:///etc/passwd');
    refused('javascript:alert(1)');
    refused('http://a:b@example.com/');
  });
  it('refuses private and loopback hosts unless allowed', () => {
    refused('http://127.0.0.1/', false);
    refused('http://localhost:8080/', false);
    refused('http://app.localhost/', false);
    refused('http://[::1]/', false);
    assert.equal(checkWebhookUrl('http://127.0.0.1:8080/x', true).port, '8080');
    assert.equal(checkWebhookUrl('https://hooks.example.com/in', false).hostname, 'hooks.example.com');
  });
});

describe('filters, secrets, backoff', () => {
  it('matches types and prefixes', () => {
    assert.deepEqual(validateEventFilters(['group.*', 'group.*', 'instance.status']), ['group.*', 'instance.status']);
    assert.throws(() => validateEventFilters(['grp.*']));
    assert.equal(matchesEventFilters(['group.*'], 'group.participants.added'), true);
    assert.equal(matchesEventFilters(['group.participants.*'], 'group.created'), false);
    assert.equal(matchesEventFilters(['*'], 'message.sent'), true);
    assert.equal(matchesEventFilters(null, 'message.sent'), true);
    assert.equal(matchesEventFilters(['message.sent'], 'message.received'), false);
  });
  it('makes and checks Standard Webhooks secrets', () => {
    const s = newWebhookSecret();
    assert.equal(isValidWebhookSecret(s), true);
    assert.equal(isValidWebhookSecret('whsec_' + Buffer.alloc(8).toString('base64')), false, 'too short');
    assert.equal(isValidWebhookSecret('secret'), false);
  });
  it('doubles from the base, capped at 10 minutes, with jitter', () => {
    const mid = () => 0.5;
    assert.equal(retryDelayMs(1, 1000, mid), 1000);
    assert.equal(retryDelayMs(2, 1000, mid), 2000);
    assert.equal(retryDelayMs(4, 1000, mid), 8000);
    assert.equal(retryDelayMs(40, 1000, mid), MAX_RETRY_DELAY_MS);
    assert.equal(
      retryDelayMs(1, 1000, () => 0),
      800,
    );
    assert.equal(
      retryDelayMs(1, 1000, () => 1),
      1200,
    );
  });
  it('dead-letters 24 h after the first attempt, with a last try at the deadline', () => {
    const first = 1_000_000;
    assert.deepEqual(afterFailure({ attempts: 3, firstAttemptAt: first, now: first + 1000, baseMs: 1000, random: () => 0.5 }), { dead: false, nextAttemptAt: first + 5000 });
    assert.deepEqual(afterFailure({ attempts: 200, firstAttemptAt: first, now: first + DEAD_LETTER_AFTER_MS - 1, baseMs: 1000, random: () => 0.5 }), {
      dead: false,
      nextAttemptAt: first + DEAD_LETTER_AFTER_MS,
    });
    assert.deepEqual(afterFailure({ attempts: 201, firstAttemptAt: first, now: first + DEAD_LETTER_AFTER_MS, baseMs: 1000 }), { dead: true });
  });
});

describe('checked HTTP client', () => {
  it('refuses a name that resolves to a metadata address, without connecting (DNS rebinding)', async () => {
    let resolved = 0;
    const r = await postJson(
      new URL('http://rebind.example.test/hook'),
      '{}',
      {},
      {
        allowPrivate: true,
        resolver: async () => {
          resolved++;
          return [{ address: '169.254.169.254', family: 4 }];
        },
      },
    );
    assert.equal(resolved, 1);
    assert.equal(r.statusCode, null);
    assert.match(r.error!, /rebind\.example\.test is refused: link-local/);
    assert.ok(!r.error!.includes('169.254'), 'the resolved address is not revealed');
  });

  it('connects to the checked address, does not follow redirects, and reads at most 64 KB', async () => {
    const server = createServer((req, res) => {
      if (req.url === '/redirect') return res.writeHead(302, { location: 'http://169.254.169.254/' }).end();
      res.writeHead(200);
      res.end(Buffer.alloc(1024 * 1024, 97));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const resolver = async () => [{ address: '127.0.0.1', family: 4 }];
      const big = await postJson(new URL(`http://receiver.example.test:${port}/big`), '{}', {}, { allowPrivate: true, resolver });
      assert.equal(big.statusCode, 200);
      assert.equal(big.bytesRead, 64 * 1024);
      const redirect = await postJson(new URL(`http://receiver.example.test:${port}/redirect`), '{}', {}, { allowPrivate: true, resolver });
      assert.equal(redirect.statusCode, 302);
      const privateRefused = await postJson(new URL(`http://receiver.example.test:${port}/big`), '{}', {}, { allowPrivate: false, resolver });
      assert.equal(privateRefused.statusCode, null);
      assert.match(privateRefused.error!, /loopback addresses are not allowed/);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('gives up after the timeout', async () => {
    const server = createServer(() => undefined); // never answers
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const r = await postJson(new URL(`http://127.0.0.1:${port}/`), '{}', {}, { allowPrivate: true, timeoutMs: 50 });
      assert.equal(r.statusCode, null);
      assert.match(r.error!, /no answer within 50 ms/);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
