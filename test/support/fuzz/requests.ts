/**
 * Malformed-request generators. Each generated request says whether it is certainly invalid
 * (`strict`: the answer must be a 4xx) or only odd (the answer must merely not be a 5xx).
 */
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import fc from 'fast-check';
import { hasBody, unsafeWithValidAuth, type RouteSpec } from './routes.js';

export interface Fixtures {
  adminKey: string;
  apiKey: string;
  keyId: string;
  instanceId: string;
  idInstance: string;
  token: string;
  phone: string;
  groupId: string;
  twoChatUuid: string;
}

export interface FuzzRequest {
  kind: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  payload?: string;
  strict: boolean;
  route: RouteSpec;
}

/** Hand-picked nasty strings: traversal, SQL, markup, control and odd unicode, numbers that are not. */
export const NASTY = [
  '..%2F..%2Fetc%2Fpasswd',
  "' OR '1'='1",
  '1; DROP TABLE groups;--',
  '"); DELETE FROM instances; --',
  '<script>alert(1)</script>',
  '${jndi:ldap://x/a}',
  '{{7*7}}',
  '__proto__',
  'constructor',
  'NaN',
  '-1',
  '1e309',
  '0x10',
  '\u0000',
  'a\u0000b',
  '\u202egnp.exe',
  '\u200b\u200b',
  '\ud800',
  '😀'.repeat(40),
  'ß'.repeat(300),
  'x'.repeat(20_000),
  ' ',
  '',
  'null',
  '[]',
  '{}',
  '%',
  '%%',
  '\\',
  '\r\nX-Injected: 1',
];

const junkString = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...NASTY) },
  { weight: 2, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
);

/** Any JSON value, nested junk included. */
export const junkJson: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 4 }) },
  { weight: 1, arbitrary: junkString },
  { weight: 1, arbitrary: fc.constantFrom<unknown>(null, true, 0, -1, 1.5, 2 ** 53, [], {}, [[[[[[[[]]]]]]]], { a: { b: { c: { d: {} } } } }) },
);

/** Percent-encodes; a lone surrogate (which encodeURIComponent refuses) goes out as invalid UTF-8 bytes. */
function enc(s: string): string {
  try {
    return encodeURIComponent(s);
  } catch {
    return `${encodeURIComponent(s.replace(/[\ud800-\udfff]/g, ''))}%ED%A0%80`;
  }
}

const BAD_JSON = [
  '{',
  '{"name":',
  '[1,2',
  '{"a":1}}',
  "{'a':1}",
  'nul',
  'NaN',
  '{"a":NaN}',
  '\ufeff{}x',
  '{"__proto__":{"x":1}}',
  '{"constructor":{"prototype":{"x":1}}}',
  '"unterminated',
  '{"a":"\\u12"}',
  '['.repeat(5000),
];
const BAD_TYPES = ['application/xml', 'text/html', 'application/x-www-form-urlencoded', 'image/gif', 'application/octet-stream', 'a/b/c'];
/** Path parts that are escapes once decoded: `%25` is `%`, `%2525` is `%25`. */
const DOUBLE_ENCODED = ['%25', '%2525', '%25zz', '%25E0%25A4%25A', '%252B15550000001', 'a%25', '%25%25'];
const HUGE_NUMBERS = ['1e308', '1e20', '-1e308', '9'.repeat(400), '1.7976931348623157e308', '4294967296', String(Number.MAX_SAFE_INTEGER + 2)];
const BROKEN_ESCAPES = ['%zz', '%E0%A4%A', '%', 'a%2', '%u0041', '%C0%AF', '%ff%fe'];

function makeAjv(coerce: boolean) {
  const ajv = new Ajv.default({ strict: false, allErrors: false, coerceTypes: coerce ? 'array' : false, useDefaults: true });
  addFormats.default(ajv);
  ajv.addKeyword({ keyword: 'example' });
  return ajv;
}
const bodyAjv = makeAjv(false);
const queryAjv = makeAjv(true);
const validators = new WeakMap<object, (v: unknown) => boolean>();
function validatorFor(schema: Record<string, unknown>, ajv: Ajv.default) {
  let v = validators.get(schema);
  if (!v) {
    const compiled = ajv.compile(schema);
    v = (value: unknown) => compiled(structuredClone(value)) === true;
    validators.set(schema, v);
  }
  return v;
}

/** A valid-looking example of a schema, from its examples (the house style puts one on every field). */
export function exampleOf(schema: Record<string, unknown> | undefined, name = ''): unknown {
  if (!schema) return {};
  // Never a reachable address: a body that happens to be valid must not send anything anywhere.
  if (/url/i.test(name)) return 'http://127.0.0.1:9/fuzz';
  if (schema.example !== undefined) return schema.example;
  if (schema.default !== undefined) return schema.default;
  if (Array.isArray(schema.enum)) return schema.enum[0];
  const anyOf = (schema.anyOf ?? schema.oneOf) as Record<string, unknown>[] | undefined;
  if (anyOf?.length) return exampleOf(anyOf[0], name);
  switch (schema.type) {
    case 'object': {
      const props = (schema.properties ?? {}) as Record<string, Record<string, unknown>>;
      return Object.fromEntries(Object.entries(props).map(([k, s]) => [k, exampleOf(s, k)]));
    }
    case 'array':
      return [exampleOf(schema.items as Record<string, unknown>, name)];
    case 'string':
      return 'x';
    case 'integer':
    case 'number':
      return 1;
    case 'boolean':
      return true;
    default:
      return null;
  }
}

/** A body that breaks the schema one way or another (or, rarely, stays valid). */
function mutatedBody(schema: Record<string, unknown>): fc.Arbitrary<unknown> {
  const base = exampleOf(schema) as Record<string, unknown>;
  const keys = Object.keys((schema.properties ?? {}) as object);
  const key = keys.length ? fc.constantFrom(...keys) : fc.constant('name');
  return fc.oneof(
    junkJson,
    key.map((k) => {
      const b = { ...base };
      delete b[k];
      return b;
    }),
    fc.tuple(key, junkJson).map(([k, v]) => ({ ...base, [k]: v })),
    fc.tuple(key, junkString).map(([k, v]) => ({ ...base, [k]: v })),
    fc.tuple(key, junkString).map(([k, v]) => ({ ...base, [k]: [v, v] })),
    fc.tuple(junkString, junkJson).map(([k, v]) => ({ ...base, [k || 'extra']: v })),
    fc.tuple(key, fc.integer({ min: 100, max: 20_000 })).map(([k, n]) => ({ ...base, [k]: 'y'.repeat(n) })),
  );
}

/** Fills a route's params with working values. */
export function validParams(route: RouteSpec, fx: Fixtures): Record<string, string> {
  const p: Record<string, string> = {};
  for (const name of route.params) {
    switch (name) {
      case 'id':
        p[name] = route.path.startsWith('/api/keys') ? fx.keyId : route.path.startsWith('/api/webhooks') ? 'wh_missing' : fx.instanceId;
        break;
      case 'groupId':
        p[name] = encodeURIComponent(fx.groupId);
        break;
      case 'phone':
        p[name] = route.family === 'z-api' ? `${fx.groupId.split('@')[0]}-group` : encodeURIComponent('+15550000001');
        break;
      case 'idInstance':
        p[name] = fx.idInstance;
        break;
      case 'token':
        p[name] = fx.token;
        break;
      case 'instanceId':
        p[name] = fx.instanceId;
        break;
      case 'uuid':
        p[name] = fx.twoChatUuid;
        break;
      case 'from_number':
        p[name] = encodeURIComponent(`+${fx.phone}`);
        break;
      case 'method':
        p[name] = 'fuzzNoSuchMethod';
        break;
      default:
        p[name] = 'x1';
    }
  }
  return p;
}

export function urlOf(route: RouteSpec, params: Record<string, string>, query = ''): string {
  let url = route.path.replace(/:(\w+)/g, (_m, name: string) => params[name] ?? 'x');
  url = url.replace(/\*$/, 'fuzz');
  return query ? `${url}?${query}` : url;
}

/** Headers carrying valid credentials for the route's family. */
export function authHeaders(route: RouteSpec, fx: Fixtures): Record<string, string> {
  if (route.family === 'two-chat') return { 'x-user-api-key': fx.apiKey };
  if (route.family === 'native' || route.path === '/metrics') return { authorization: `Bearer ${fx.adminKey}` };
  // Wappfy takes a groupgate API key as X-Api-Key (or a Bearer token): the fixtures' instance-scoped key.
  if (route.family === 'wappfy') return { 'x-api-key': fx.apiKey };
  return {};
}

const IDENTITY_PARAMS = new Set(['id', 'idInstance', 'token', 'instanceId', 'groupId', 'opId', 'deliveryId']);

/** Every generator that applies to a route. */
export function requestsFor(route: RouteSpec, fx: Fixtures): fc.Arbitrary<FuzzRequest>[] {
  const arbs: fc.Arbitrary<FuzzRequest>[] = [];
  const params = validParams(route, fx);
  const auth = authHeaders(route, fx);
  const safe = !unsafeWithValidAuth(route);
  const req = (kind: string, over: Partial<FuzzRequest>): FuzzRequest => ({
    kind,
    method: route.method,
    url: urlOf(route, params),
    headers: { ...auth },
    strict: false,
    route,
    ...over,
  });
  const sensitive = route.family !== 'other' || route.path === '/metrics';

  // Bad credentials: always refused.
  if (sensitive) {
    const badSecret = fc.oneof(
      junkString.filter((s) => /^[\x21-\x7e]*$/.test(s)),
      fc.constantFrom('Bearer', 'Basic YWRtaW46YWRtaW4=', `${fx.adminKey}x`, fx.adminKey.slice(0, -1), 'k'.repeat(5000)),
    );
    arbs.push(
      badSecret.map((secret) => {
        if (route.family === 'native' || route.path === '/metrics') {
          return req('auth', { headers: secret ? { authorization: secret.startsWith('B') ? secret : `Bearer ${secret}` } : {}, strict: true });
        }
        if (route.family === 'two-chat') return req('auth', { headers: secret ? { 'x-user-api-key': secret } : {}, strict: true });
        if (route.family === 'wappfy') {
          // Either header Wappfy documents, with a bad key (or none).
          if (!secret) return req('auth', { headers: {}, strict: true });
          const headers: Record<string, string> = secret.length % 2 ? { 'x-api-key': secret } : { authorization: secret.startsWith('B') ? secret : `Bearer ${secret}` };
          return req('auth', { headers, strict: true });
        }
        const name = route.params.includes('token') ? 'token' : route.params.includes('idInstance') ? 'idInstance' : route.params[0];
        return req('auth', { url: urlOf(route, { ...params, [name]: enc(secret || 'none') }), strict: true });
      }),
    );
    if (route.family === 'native' || route.family === 'wappfy') {
      // A header sent twice reaches the app joined with ", ", as Node joins unknown headers.
      arbs.push(fc.constantFrom(`${fx.adminKey}, ${fx.adminKey}`, `junk, ${fx.adminKey}`).map((v) => req('repeated-header', { headers: { 'x-api-key': v }, strict: true })));
    }
  }

  // Transport: bad JSON, oversize, unsupported content types. Refused before any handler runs.
  if (hasBody(route.method)) {
    arbs.push(fc.constantFrom(...BAD_JSON).map((payload) => req('bad-json', { headers: { ...auth, 'content-type': 'application/json' }, payload, strict: true })));
    arbs.push(
      fc
        .integer({ min: 70_000, max: 300_000 })
        .map((n) => req('oversize', { headers: { ...auth, 'content-type': 'application/json' }, payload: JSON.stringify({ name: 'z'.repeat(n) }), strict: true })),
    );
    arbs.push(
      fc
        .tuple(fc.constantFrom(...BAD_TYPES), junkString)
        .map(([type, body]) => req('content-type', { headers: { ...auth, 'content-type': type }, payload: body || 'x', strict: true })),
    );
  }

  // Bad path params: junk (encoded), broken percent-escapes (raw), over-long values.
  if (route.params.length) {
    const name = fc.constantFrom(...route.params);
    arbs.push(
      fc
        .tuple(
          name,
          fc.oneof(
            junkString.filter((s) => s.length > 0),
            fc.integer({ min: 201, max: 2000 }).map((n) => 'p'.repeat(n)),
          ),
        )
        .map(([n, v]) => req('param', { url: urlOf(route, { ...params, [n]: enc(v) }), strict: strictParam(route, n), headers: { ...auth } })),
    );
    arbs.push(fc.tuple(name, fc.constantFrom(...BROKEN_ESCAPES)).map(([n, v]) => req('escape', { url: urlOf(route, { ...params, [n]: `a${v}` }), strict: true })));
    // Double-encoded parts: decoded once by the router, they still look like escapes (a second decode must never happen).
    arbs.push(
      fc
        .tuple(name, fc.constantFrom(...DOUBLE_ENCODED))
        .map(([n, v]) => req('double-encoded', { url: urlOf(route, { ...params, [n]: v }), strict: strictParam(route, n), headers: { ...auth } })),
    );
  }

  // Multipart without a boundary: refused with a 4xx before any part is read.
  if (hasBody(route.method)) {
    arbs.push(
      fc.constantFrom('multipart/form-data', 'multipart/form-data; charset=utf-8', 'multipart/mixed', 'multipart/form-data; boundary=').map((type) =>
        req('multipart-no-boundary', {
          headers: { ...auth, 'content-type': type },
          payload: '--x\r\ncontent-disposition: form-data; name="file"\r\n\r\nabc\r\n--x--',
          strict: true,
        }),
      ),
    );
  }

  // Huge numbers in every integer query parameter (and in the usual paging names): refused, never passed to the database. A route that acts on a valid request (logout, reboot) gets them only where its schema declares them, and so refuses them.
  if (route.method === 'GET' && (safe || route.query)) {
    const numeric = route.query
      ? Object.entries(route.query)
          .filter(([, q]) => q.schema.type === 'integer' || q.schema.type === 'number')
          .map(([k]) => k)
      : route.family !== 'native'
        ? ['page', 'pageSize', 'receiveTimeout']
        : [];
    if (numeric.length) {
      arbs.push(
        fc
          .tuple(fc.constantFrom(...numeric), fc.constantFrom(...HUGE_NUMBERS))
          .map(([k, v]) => req('huge-number', { url: urlOf(route, params, `${k}=${enc(v)}`), strict: route.query ? !queryValid(route, [[k, v]]) : false })),
      );
    }
  }

  // Bodies that break the schema, with valid credentials.
  if (hasBody(route.method) && route.bodySchema) {
    const valid = validatorFor(route.bodySchema, bodyAjv);
    let body = mutatedBody(route.bodySchema);
    if (!safe) body = body.filter((b) => !valid(b));
    arbs.push(body.map((b) => req('body', { headers: { ...auth, 'content-type': 'application/json' }, payload: JSON.stringify(b), strict: !valid(b) })));
  } else if (hasBody(route.method) && route.family !== 'native' && route.family !== 'other' && safe) {
    arbs.push(junkJson.map((b) => req('body', { headers: { ...auth, 'content-type': 'application/json' }, payload: JSON.stringify(b) ?? 'null' })));
  }

  // Query junk on reads.
  if (route.method === 'GET' && safe && (route.query || route.family !== 'native')) {
    const names = route.query ? Object.keys(route.query) : ['page', 'pageSize', 'url', 'receiveTimeout'];
    arbs.push(
      fc.array(fc.tuple(fc.constantFrom(...names, 'extra'), junkString), { minLength: 1, maxLength: 4 }).map((pairs) => {
        const qs = pairs.map(([k, v]) => `${k}=${enc(v)}`).join('&');
        return req('query', { url: urlOf(route, params, qs), strict: route.query ? !queryValid(route, pairs) : false });
      }),
    );
  }
  return arbs;
}

function strictParam(route: RouteSpec, name: string): boolean {
  if (route.family === 'native') return name !== 'phone';
  return name === 'token' || name === 'idInstance' || name === 'instanceId' || (IDENTITY_PARAMS.has(name) && route.family !== 'two-chat' && name !== 'groupId');
}

const queryValidators = new WeakMap<object, (v: unknown) => boolean>();

function queryValid(route: RouteSpec, pairs: [string, string][]): boolean {
  let valid = queryValidators.get(route.query!);
  if (!valid) {
    const schema = {
      type: 'object',
      properties: Object.fromEntries(Object.entries(route.query!).map(([k, v]) => [k, v.schema])),
      required: Object.entries(route.query!)
        .filter(([, v]) => v.required)
        .map(([k]) => k),
    };
    valid = validatorFor(schema, queryAjv);
    queryValidators.set(route.query!, valid);
  }
  const obj: Record<string, string | string[]> = {};
  for (const [k, v] of pairs) {
    const prev = obj[k];
    obj[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return valid(obj);
}
