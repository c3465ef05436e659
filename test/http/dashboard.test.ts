/** The server side of the dashboard: the built files at /dashboard, the redirect, the missing-build page. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Fastify from 'fastify';
import { DEFAULT_DASHBOARD_DIR, dashboardRoutes } from '../../src/http/dashboard.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { ensureDashboardBuilt } from '../support/browser.js';

describe('dashboard files', () => {
  let t: TestApp;
  let index: string;

  before(async () => {
    ensureDashboardBuilt();
    index = readFileSync(join(DEFAULT_DASHBOARD_DIR, 'index.html'), 'utf8');
    t = await startTestApp();
  });
  after(() => t?.close());

  test('/ redirects to the dashboard', async () => {
    const res = await t.request({ method: 'GET', url: '/', key: null });
    assert.equal(res.statusCode, 302);
    assert.equal(res.headers.location, '/dashboard/');
  });

  test('/dashboard serves the built index.html without a key, with a strict CSP', async () => {
    for (const url of ['/dashboard', '/dashboard/', '/dashboard/index.html']) {
      const res = await t.request({ method: 'GET', url, key: null });
      assert.equal(res.statusCode, 200, url);
      assert.equal(res.headers['content-type'], 'text/html; charset=utf-8');
      assert.equal(res.headers['cache-control'], 'no-cache');
      assert.match(String(res.headers['content-security-policy']), /default-src 'self'/);
      assert.equal(res.body, index);
    }
    assert.match(index, /<title>groupgate<\/title>/);
  });

  test('the assets index.html names are served, cached for good; nothing loads from another origin', async () => {
    const assets = [...index.matchAll(/(?:src|href)="(\/dashboard\/assets\/[^"]+)"/g)].map((m) => m[1]);
    assert.ok(assets.some((a) => a.endsWith('.js')) && assets.some((a) => a.endsWith('.css')), index);
    for (const url of assets) {
      const res = await t.request({ method: 'GET', url, key: null });
      assert.equal(res.statusCode, 200, url);
      assert.match(String(res.headers['content-type']), url.endsWith('.js') ? /^text\/javascript/ : /^text\/css/);
      assert.equal(res.headers['cache-control'], 'public, max-age=31536000, immutable');
      assert.doesNotMatch(res.body, /https?:\/\/(?!chat\.whatsapp\.com)[a-z0-9.-]+\.[a-z]{2,}\/[^"'\s]*\.(?:js|css|woff2?|ttf)/i, `${url} loads from another origin`);
    }
    assert.doesNotMatch(index, /https?:\/\//);
  });

  test('any other page path is the single-page app; a missing asset is a 404', async () => {
    const page = await t.request({ method: 'GET', url: '/dashboard/instances/abc', key: null });
    assert.equal(page.statusCode, 200);
    assert.equal(page.body, index);
    const missing = await t.request({ method: 'GET', url: '/dashboard/assets/nope-123.js', key: null });
    assert.equal(missing.statusCode, 404);
  });

  test('nothing outside the build directory is reachable', async () => {
    for (const url of ['/dashboard/..%2F..%2Fpackage.json', '/dashboard/%2e%2e/%2e%2e/package.json', '/dashboard/assets/..%2F..%2F..%2Fpackage.json']) {
      const res = await t.request({ method: 'GET', url, key: null });
      assert.doesNotMatch(res.body, /"name": "groupgate"/, url);
    }
  });

  test('the API behind it still needs a key', async () => {
    const res = await t.request({ method: 'GET', url: '/api/instances', key: null });
    assert.equal(res.statusCode, 401);
  });
});

describe('dashboard not built', () => {
  const app = Fastify();
  before(async () => {
    await app.register(dashboardRoutes, { root: join(tmpdir(), `groupgate-no-dashboard-${process.pid}`) });
    await app.ready();
  });
  after(() => app.close());

  test('/dashboard answers 503 with a page saying how to build it', async () => {
    for (const url of ['/dashboard', '/dashboard/groups']) {
      const res = await app.inject({ method: 'GET', url });
      assert.equal(res.statusCode, 503, url);
      assert.equal(res.headers['content-type'], 'text/html; charset=utf-8');
      assert.match(res.body, /The dashboard is not built/);
      assert.match(res.body, /npm run build/);
    }
  });

  test('/ still redirects', async () => {
    const res = await app.inject({ method: 'GET', url: '/' });
    assert.equal(res.statusCode, 302);
    assert.equal(res.headers.location, '/dashboard/');
  });
});
