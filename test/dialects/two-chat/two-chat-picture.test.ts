/** 2Chat set-picture: `{from_number, url}`, the image fetched under the webhook address rules, size- and type-checked. */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createUnpacedInstance, startTestApp, type TestApp } from '../../support/app.js';

const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(64, 1)]);

describe('2chat set-picture', () => {
  let t: TestApp;
  let server: Server;
  let base: string;
  let a: Awaited<ReturnType<typeof createUnpacedInstance>>;
  let key: string;
  let uuid: string;
  let groupId: string;

  const chat = (url: string, payload: Record<string, unknown>) =>
    t.request({ method: 'POST', url: `/open/whatsapp${url}`, payload, headers: { 'x-user-api-key': key }, key: null });
  /** What WhatsApp (the sandbox) holds as the group's picture: a hash and a size, or null. */
  const picture = () => t.core.sandbox.group(groupId)?.record.picture ?? null;

  before(async () => {
    server = createServer((req, res) => {
      if (req.url === '/photo.jpg') return res.writeHead(200, { 'content-type': 'image/jpeg' }).end(JPEG);
      if (req.url === '/page.html') return res.writeHead(200, { 'content-type': 'text/html' }).end('<html></html>');
      return res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    t = await startTestApp();
    a = await createUnpacedInstance(t);
    key = (await t.request({ method: 'POST', url: '/api/keys', payload: { name: '2chat', instances: [a.id] } })).json().key;
    const created = await chat('/group/create', { from_number: `+${a.phone}`, group: { name: 'Pictured', participants: ['+5511977771001'] } });
    uuid = created.json().group.uuid;
    groupId = created.json().group.wa_group_id;
  });
  after(async () => {
    await t.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('sets the picture from a URL', async () => {
    assert.equal(picture(), null);
    const res = await chat(`/group/${uuid}/set-picture`, { from_number: `+${a.phone}`, url: `${base}/photo.jpg` });
    assert.deepEqual([res.statusCode, res.json()], [200, { success: true }]);
    assert.equal(picture()?.size, JPEG.byteLength);
  });

  it('a page that is not an image, a missing one, a forbidden address: 4xx in 2Chat form, nothing changed', async () => {
    const before = picture();
    const html = await chat(`/group/${uuid}/set-picture`, { from_number: `+${a.phone}`, url: `${base}/page.html` });
    assert.deepEqual([html.statusCode, html.json()], [415, { success: false, message: 'the image at the url is not a JPEG or a PNG' }]);
    const missing = await chat(`/group/${uuid}/set-picture`, { from_number: `+${a.phone}`, url: `${base}/nothing.jpg` });
    assert.deepEqual([missing.statusCode, missing.json()], [422, { success: false, message: 'the image url answered 404' }]);
    const metadata = await chat(`/group/${uuid}/set-picture`, { from_number: `+${a.phone}`, url: 'http://169.254.169.254/latest' });
    assert.equal(metadata.statusCode, 422, metadata.body);
    assert.equal(metadata.json().success, false);
    const noUrl = await chat(`/group/${uuid}/set-picture`, { from_number: `+${a.phone}` });
    assert.equal(noUrl.statusCode, 422);
    assert.deepEqual(noUrl.json().detail[0].loc, ['body', 'url']);
    assert.deepEqual(picture(), before);
  });
});
