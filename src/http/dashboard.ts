/**
 * Serves the browser dashboard: the static files Vite builds into `dist/dashboard`, at `/dashboard`,
 * sent by @fastify/static (content types, streaming, conditional requests, path safety). `/`
 * redirects there. Any page path is the single-page app; a missing asset is a 404. When the build
 * output is missing, `/dashboard` answers a 503 page saying how to build it, instead of a bare 404.
 */
import { existsSync, statSync } from 'node:fs';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';

/** Where `vite build` writes the dashboard (the same from `src/http` under tsx and `dist/http`). */
export const DEFAULT_DASHBOARD_DIR = fileURLToPath(new URL('../../dist/dashboard/', import.meta.url));

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

  // Only `reply.sendFile` is used: the routes below decide what each path is.
  await app.register(fastifyStatic, {
    root,
    serve: false,
    index: false,
    dotfiles: 'deny',
    etag: true,
    lastModified: true,
    cacheControl: false,
    setHeaders(res, path) {
      res.setHeader('x-content-type-options', 'nosniff');
      // Vite puts a content hash in every asset name, so those never change; index.html always may.
      const immutable = path.startsWith(join(rootPrefix, 'assets') + sep);
      res.setHeader('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
      if (extname(path).toLowerCase() === '.html') {
        res.setHeader('content-security-policy', CSP);
        res.setHeader('x-frame-options', 'DENY');
      }
    },
  });

  // RFC 9239: JavaScript is text/javascript (the mime table of @fastify/send still says application/javascript).
  app.addHook('onSend', async (_request, reply, payload) => {
    if (String(reply.getHeader('content-type') ?? '').startsWith('application/javascript')) reply.header('content-type', 'text/javascript; charset=utf-8');
    return payload;
  });

  const serveIndex = (reply: FastifyReply) => {
    if (!existsSync(join(root, 'index.html'))) return reply.code(503).header('content-type', 'text/html; charset=utf-8').header('retry-after', '60').send(MISSING_PAGE);
    return reply.sendFile('index.html');
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
    if (existsSync(file) && statSync(file).isFile()) return reply.sendFile(file.slice(rootPrefix.length));
    // A missing asset is a real 404; any other path is a page of the single-page app.
    if (rel.startsWith('assets/') || extname(rel) !== '') return reply.code(404).header('content-type', 'text/plain; charset=utf-8').send('not found');
    return serveIndex(reply);
  });
};
