/**
 * Serves the browser dashboard: the static files Vite builds into `dist/dashboard`, at `/dashboard`.
 * `/` redirects there. When the build output is missing, `/dashboard` answers a 503 page saying how
 * to build it, instead of a bare 404.
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';

/** Where `vite build` writes the dashboard (the same from `src/http` under tsx and `dist/http`). */
export const DEFAULT_DASHBOARD_DIR = fileURLToPath(new URL('../../dist/dashboard/', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
};

// Everything the dashboard loads comes from this origin; the QR image is a data: URL.
const CSP = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

const MISSING_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>groupgate dashboard not built</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 4rem auto; line-height: 1.5">
<h1>The dashboard is not built</h1>
<p>The server is running, but the dashboard's files are missing. Build them with:</p>
<pre style="background:#f3f4f6;padding:1rem;border-radius:6px">npm run build</pre>
<p>then reload this page. The API works meanwhile: see <a href="/docs">/docs</a>.</p>
</body></html>
`;

export interface DashboardOptions {
  /** Directory holding the built dashboard (index.html and assets/). */
  root?: string;
}

/** Registers `GET /` (redirect), `GET /dashboard` and `GET /dashboard/*` (static files, SPA fallback). */
export const dashboardRoutes: FastifyPluginAsync<DashboardOptions> = async (app, options) => {
  const root = normalize(options.root ?? DEFAULT_DASHBOARD_DIR);
  const rootPrefix = root.endsWith(sep) ? root : root + sep;

  const send = (reply: FastifyReply, file: string, immutable: boolean) => {
    const type = TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';
    reply
      .header('content-type', type)
      .header('content-length', statSync(file).size)
      .header('x-content-type-options', 'nosniff')
      // Vite puts a content hash in every asset name, so those never change; index.html always may.
      .header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
    if (type.startsWith('text/html')) reply.header('content-security-policy', CSP).header('x-frame-options', 'DENY');
    return reply.send(createReadStream(file));
  };

  const serveIndex = (reply: FastifyReply) => {
    const index = join(root, 'index.html');
    if (!existsSync(index)) return reply.code(503).header('content-type', 'text/html; charset=utf-8').header('retry-after', '60').send(MISSING_PAGE);
    return send(reply, index, false);
  };

  const hide = { schema: { hide: true } };
  app.get('/', hide, async (_request, reply) => reply.redirect('/dashboard/', 302));
  app.get('/dashboard', hide, async (_request, reply) => serveIndex(reply));
  app.get<{ Params: { '*': string } }>('/dashboard/*', hide, async (request, reply) => {
    const rel = request.params['*'] ?? '';
    if (rel === '' || rel === 'index.html') return serveIndex(reply);
    const file = normalize(join(root, rel));
    // Never serve anything outside the build directory (`..`, encoded or not, lands outside it).
    if (!file.startsWith(rootPrefix)) return serveIndex(reply);
    if (existsSync(file) && statSync(file).isFile()) return send(reply, file, rel.startsWith('assets/'));
    // A missing asset is a real 404; any other path is a page of the single-page app.
    if (rel.startsWith('assets/') || extname(rel) !== '') return reply.code(404).header('content-type', 'text/plain; charset=utf-8').send('not found');
    return serveIndex(reply);
  });
};
