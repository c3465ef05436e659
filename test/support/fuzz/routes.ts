/**
 * The routes to fuzz, read from the running app (`printRoutes`) so every route that exists at test
 * time is covered, with body schemas from the OpenAPI document where the native API declares them.
 */
import type { FastifyInstance } from 'fastify';

export type Family = 'native' | 'green-api' | 'z-api' | 'two-chat' | 'wappfy' | 'other';

export interface RouteSpec {
  method: string;
  /** Fastify pattern, e.g. `/api/instances/:id/groups/:groupId`. */
  path: string;
  family: Family;
  params: string[];
  /** JSON body schema (OpenAPI), when the route declares one. */
  bodySchema?: Record<string, unknown>;
  /** Query parameters by name (OpenAPI), when declared. */
  query?: Record<string, { schema: Record<string, unknown>; required: boolean }>;
}

const SKIP_METHODS = new Set(['HEAD', 'TRACE', 'QUERY', 'CONNECT']);

/** Parses `app.printRoutes({ commonPrefix: false })` into method + full path pairs. */
export function parseRouteTree(tree: string): { method: string; path: string }[] {
  const out: { method: string; path: string }[] = [];
  const stack: string[] = [];
  for (const line of tree.split('\n')) {
    const m = /^((?:[│ ] {3})*)[├└]── (.*?)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (!m) continue;
    const depth = m[1].length / 4;
    const full = (stack[depth - 1] ?? '') + m[2];
    stack[depth] = full;
    stack.length = depth + 1;
    for (const method of (m[3] ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean))
      out.push({ method, path: full });
  }
  return out;
}

export function familyOf(path: string): Family {
  if (path.startsWith('/api/')) return 'native';
  if (path.startsWith('/waInstance') || /^\/[^/]+\/waInstance/.test(path)) return 'green-api';
  if (/^\/instances\/:[^/]+\/token\//.test(path)) return 'z-api';
  if (path.startsWith('/open/')) return 'two-chat';
  if (path.startsWith('/wappfy/')) return 'wappfy';
  return 'other';
}

const toOpenApi = (path: string) => path.replace(/:(\w+)/g, '{$1}');

/** Every fuzzable route of the app, with the native ones' schemas. */
export async function discoverRoutes(app: FastifyInstance): Promise<RouteSpec[]> {
  const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json() as {
    paths: Record<
      string,
      Record<
        string,
        {
          requestBody?: { content?: Record<string, { schema?: Record<string, unknown> }> };
          parameters?: { in: string; name: string; required?: boolean; schema: Record<string, unknown> }[];
        }
      >
    >;
  };
  const seen = new Set<string>();
  const routes: RouteSpec[] = [];
  for (const { method, path } of parseRouteTree(app.printRoutes({ commonPrefix: false }))) {
    if (SKIP_METHODS.has(method) || seen.has(`${method} ${path}`)) continue;
    seen.add(`${method} ${path}`);
    const op = doc.paths[toOpenApi(path)]?.[method.toLowerCase()];
    const query = Object.fromEntries((op?.parameters ?? []).filter((p) => p.in === 'query').map((p) => [p.name, { schema: p.schema, required: p.required === true }]));
    routes.push({
      method,
      path,
      family: familyOf(path),
      params: [...path.matchAll(/:(\w+)/g)].map((x) => x[1]),
      bodySchema: op?.requestBody?.content?.['application/json']?.schema,
      query: Object.keys(query).length ? query : undefined,
    });
  }
  return routes;
}

export const hasBody = (method: string) => method === 'POST' || method === 'PUT' || method === 'PATCH' || method === 'DELETE';

/**
 * Routes that must never be driven with valid credentials and an accepted body: they would leave
 * the machine (a real engine, a webhook receiver), hold the connection open (streams, long polls),
 * or take the fixtures away (logout, delete, leave, token rotation).
 */
export function unsafeWithValidAuth(route: RouteSpec): boolean {
  return (
    /\/events\/stream|receiveNotification|\/logout|\/reboot|leave|deleteNotification|setSettings|\/rotate|\/restart|\/token\/rotate|zapi-client-token/.test(route.path) ||
    (route.method === 'DELETE' && /\/api\/(instances|keys|webhooks)\/:id$/.test(route.path)) ||
    (route.method === 'POST' && /^\/api\/(instances|webhooks)$/.test(route.path)) ||
    (route.method === 'PATCH' && /^\/api\/webhooks\/:id$/.test(route.path)) ||
    (route.method === 'POST' && /\/api\/webhooks\/:id\/(test|replay)|\/retry$/.test(route.path)) ||
    /\/waInstance[^/]*\/:method\//.test(route.path)
  );
}
