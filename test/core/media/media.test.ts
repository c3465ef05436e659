/** Images fetched from client-given URLs: the address rules of webhooks, a 200 answer, JPEG or PNG, bounded size. */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { httpMediaFetcher } from '../../../src/adapters/webhooks/http-client.js';
import { isDomainError } from '../../../src/core/common/errors.js';
import { createMediaService, MAX_IMAGE_BYTES } from '../../../src/core/media/media-service.js';

const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(64, 1)]);
const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(64, 2)]);

const code = async (p: Promise<unknown>): Promise<string> => {
  try {
    await p;
  } catch (err) {
    if (isDomainError(err)) return err.code;
    throw err;
  }
  return 'resolved';
};

describe('media: fetching a picture from a URL', () => {
  let server: Server;
  let base: string;
  before(async () => {
    server = createServer((req, res) => {
      switch (req.url) {
        case '/photo.jpg':
          return res.writeHead(200, { 'content-type': 'image/jpeg' }).end(JPEG);
        case '/photo.png':
          return res.writeHead(200, { 'content-type': 'image/png' }).end(PNG);
        case '/page.html':
          return res.writeHead(200, { 'content-type': 'text/html' }).end('<html></html>');
        case '/huge.jpg':
          return res.writeHead(200, { 'content-type': 'image/jpeg' }).end(Buffer.concat([JPEG, Buffer.alloc(MAX_IMAGE_BYTES)]));
        case '/moved':
          return res.writeHead(302, { location: '/photo.jpg' }).end();
        default:
          return res.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const open = createMediaService({ fetcher: httpMediaFetcher, allowPrivate: () => true });
  const strict = createMediaService({ fetcher: httpMediaFetcher, allowPrivate: () => false });

  it('answers a JPEG or a PNG with its bytes', async () => {
    assert.deepEqual(await open.fetchImage(`${base}/photo.jpg`), { data: JPEG, kind: 'jpeg' });
    assert.deepEqual(await open.fetchImage(`${base}/photo.png`), { data: PNG, kind: 'png' });
  });

  it('refuses what is not an image, a non-200 answer (redirects are not followed) and a body over the limit', async () => {
    assert.equal(await code(open.fetchImage(`${base}/page.html`)), 'unsupported_media_type');
    assert.equal(await code(open.fetchImage(`${base}/missing.jpg`)), 'media_fetch_failed');
    assert.equal(await code(open.fetchImage(`${base}/moved`)), 'media_fetch_failed');
    assert.equal(await code(open.fetchImage(`${base}/huge.jpg`)), 'payload_too_large');
  });

  it('refuses private and loopback targets unless allowed, other schemes, credentials and metadata hosts', async () => {
    assert.equal(await code(strict.fetchImage(`${base}/photo.jpg`)), 'media_url_refused');
    assert.equal(await code(strict.fetchImage('http://localhost/photo.jpg')), 'media_url_refused');
    assert.equal(await code(strict.fetchImage('http://169.254.169.254/latest/meta-data')), 'media_url_refused');
    assert.equal(await code(open.fetchImage('ftp://example.com/photo.jpg')), 'media_url_refused');
    assert.equal(await code(open.fetchImage('http://user:pw@example.com/photo.jpg')), 'media_url_refused');
    assert.equal(await code(open.fetchImage('not a url')), 'media_url_refused');
  });

  it('a refused address never leaks what the name resolved to into the message path or query', async () => {
    const err = await strict.fetchImage(`${base}/photo.jpg?token=secret`).catch((e: Error) => e);
    assert.ok(err instanceof Error);
    assert.doesNotMatch(err.message, /secret/);
  });
});
