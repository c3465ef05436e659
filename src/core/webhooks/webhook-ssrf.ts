/**
 * Where webhooks may go. Checked twice: when subscribing (the URL's shape and any literal address)
 * and when connecting (every address the name resolves to), so DNS rebinding cannot reach inside.
 * Link-local and cloud-metadata addresses are refused always; private and loopback ones only when
 * the server is not allowed to call its own network.
 */
import { isIP } from 'node:net';
import { DomainError } from '../common/errors.js';

export type AddressClass = 'public' | 'private' | 'loopback' | 'link-local' | 'metadata' | 'reserved';

/** Names of cloud metadata services (they resolve to link-local or internal addresses). */
const METADATA_NAMES = new Set(['metadata.google.internal', 'metadata.goog', 'metadata', 'instance-data', 'instance-data.ec2.internal']);
/** Metadata services that are not on link-local addresses (Alibaba Cloud, AWS over IPv6). */
const METADATA_V4 = new Set(['100.100.100.200']);
const METADATA_V6 = new Set(['fd00:ec2:0:0:0:0:0:254']);

function v4Parts(ip: string): number[] {
  return ip.split('.').map((p) => Number(p));
}

function classifyV4(ip: string): AddressClass {
  const [a, b] = v4Parts(ip) as [number, number, number, number];
  if (METADATA_V4.has(ip)) return 'metadata';
  if (a === 169 && b === 254) return 'link-local';
  if (a === 127) return 'loopback';
  if (a === 0) return 'loopback'; // 0.0.0.0 reaches the local host on Linux
  if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)) return 'private';
  if (a === 100 && b >= 64 && b <= 127) return 'private'; // carrier-grade NAT
  if (a === 198 && (b === 18 || b === 19)) return 'private'; // benchmarking networks
  if (a >= 224) return 'reserved'; // multicast, reserved, broadcast
  return 'public';
}

/** Expands an IPv6 address to 8 lowercase groups without leading zeros. */
function expandV6(ip: string): string[] | undefined {
  let s = ip.toLowerCase().split('%')[0]!;
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two hex groups.
  const tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (tail) {
    const [a, b, c, d] = v4Parts(tail[1]!) as [number, number, number, number];
    s = s.slice(0, -tail[1]!.length) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const head = halves[0] ? halves[0].split(':') : [];
  const rest = halves.length === 2 ? (halves[1] ? halves[1].split(':') : []) : [];
  const fill = halves.length === 2 ? 8 - head.length - rest.length : 0;
  const groups = [...head, ...Array<string>(Math.max(fill, 0)).fill('0'), ...rest];
  if (groups.length !== 8) return undefined;
  return groups.map((g) => Number.parseInt(g || '0', 16).toString(16));
}

function classifyV6(ip: string): AddressClass {
  const g = expandV6(ip);
  if (!g) return 'reserved';
  const first = Number.parseInt(g[0]!, 16);
  const isZeroPrefix = (n: number) => g.slice(0, n).every((x) => x === '0');
  // IPv4-mapped (::ffff:a.b.c.d) and IPv4-compatible forms carry an IPv4 address: judge that one.
  const nat64 = g[0] === '64' && g[1] === 'ff9b' && g.slice(2, 6).every((x) => x === '0');
  if ((isZeroPrefix(5) && g[5] === 'ffff') || isZeroPrefix(6) || nat64) {
    const hi = Number.parseInt(g[6]!, 16);
    const lo = Number.parseInt(g[7]!, 16);
    return classifyV4(`${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`);
  }
  if (METADATA_V6.has(g.join(':'))) return 'metadata';
  if ((first & 0xffc0) === 0xfe80) return 'link-local';
  if ((first & 0xfe00) === 0xfc00) return 'private'; // unique local
  if ((first & 0xffc0) === 0xfec0) return 'private'; // deprecated site-local
  if ((first & 0xff00) === 0xff00) return 'reserved'; // multicast
  return 'public';
}

/** The class of an IP address (v4 or v6); anything unparsable counts as reserved. */
export function classifyAddress(ip: string): AddressClass {
  const kind = isIP(ip.split('%')[0]!);
  if (kind === 4) return classifyV4(ip);
  if (kind === 6) return classifyV6(ip);
  return 'reserved';
}

/** Whether a webhook may connect to this address. */
export function addressAllowed(ip: string, allowPrivate: boolean): boolean {
  const c = classifyAddress(ip);
  return c === 'public' || (allowPrivate && (c === 'private' || c === 'loopback'));
}

/** Why an address is refused, for the error message. */
function refusalReason(c: AddressClass): string {
  switch (c) {
    case 'link-local':
      return 'link-local addresses are never allowed';
    case 'metadata':
      return 'cloud metadata addresses are never allowed';
    case 'reserved':
      return 'multicast and reserved addresses are not allowed';
    case 'private':
    case 'loopback':
      return `${c} addresses are not allowed on this server (GROUPGATE_WEBHOOK_ALLOW_PRIVATE)`;
    case 'public':
      return 'allowed';
  }
}

/**
 * Validates a webhook URL when subscribing: http(s) only, no credentials, no metadata host names,
 * and a literal IP host must be allowed. Names are checked again at connection time.
 */
export function checkWebhookUrl(raw: string, allowPrivate: boolean): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new DomainError('webhook_url_refused', 'the webhook url is not a valid absolute URL', { reason: 'invalid_url' });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new DomainError('webhook_url_refused', 'webhook urls must use http or https', { reason: 'scheme' });
  }
  if (url.username || url.password) {
    throw new DomainError('webhook_url_refused', 'webhook urls must not carry credentials; receivers verify the signature instead', { reason: 'credentials' });
  }
  const host = url.hostname
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '')
    .toLowerCase();
  if (!host) throw new DomainError('webhook_url_refused', 'the webhook url has no host', { reason: 'invalid_url' });
  if (METADATA_NAMES.has(host)) {
    throw new DomainError('webhook_url_refused', 'cloud metadata addresses are never allowed', { reason: 'metadata' });
  }
  const literal = isIP(host) ? host : undefined;
  const cls: AddressClass | undefined = literal ? classifyAddress(literal) : host === 'localhost' || host.endsWith('.localhost') ? 'loopback' : undefined;
  if (cls && !(cls === 'public' || (allowPrivate && (cls === 'private' || cls === 'loopback')))) {
    throw new DomainError('webhook_url_refused', `the webhook url is refused: ${refusalReason(cls)}`, { reason: cls });
  }
  return url;
}

/** The message for an address refused at connection time (never includes the URL's path or query). */
export function connectRefusal(host: string, ip: string): string {
  return `${host} resolves to ${ip}: ${refusalReason(classifyAddress(ip))}`;
}
