/**
 * Where webhooks may go. Checked twice: when subscribing (the URL's shape and any literal address)
 * and when connecting (every address the name resolves to), so DNS rebinding cannot reach inside.
 * Only public unicast addresses are allowed by default, whatever address the server binds to.
 * Link-local, cloud-metadata, translation (NAT64 local-use, 6to4, Teredo) and reserved addresses
 * are refused always; private and loopback ones only unless GROUPGATE_WEBHOOK_ALLOW_PRIVATE=true
 * (development). The ranges are IANA's IPv4 and IPv6 special-purpose address registries, matched
 * with Node's own `net.BlockList`.
 */
import { BlockList, isIP } from 'node:net';
import { DomainError } from '../common/errors.js';

export type AddressClass = 'public' | 'private' | 'loopback' | 'link-local' | 'metadata' | 'translation' | 'reserved';

/** Names of cloud metadata services (they resolve to link-local or internal addresses). */
const METADATA_NAMES = new Set(['metadata.google.internal', 'metadata.goog', 'metadata', 'instance-data', 'instance-data.ec2.internal']);

type Range = [network: string, prefix: number];
/** Address classes in the order they are judged; the first list holding an address names its class. */
const RANGES: [Exclude<AddressClass, 'public'>, Range[], Range[]][] = [
  [
    'metadata',
    // Alibaba Cloud, Azure's wire server and DNS, AWS over IPv6 (169.254.169.254 is link-local below).
    [
      ['100.100.100.200', 32],
      ['168.63.129.16', 32],
    ],
    [['fd00:ec2::254', 128]],
  ],
  [
    'loopback',
    [
      ['127.0.0.0', 8],
      ['0.0.0.0', 8], // "this network": 0.0.0.0 reaches the local host on Linux
    ],
    [
      ['::1', 128],
      ['::', 128],
    ],
  ],
  ['link-local', [['169.254.0.0', 16]], [['fe80::', 10]]],
  [
    'private',
    [
      ['10.0.0.0', 8],
      ['172.16.0.0', 12],
      ['192.168.0.0', 16],
      ['100.64.0.0', 10], // carrier-grade NAT
      ['198.18.0.0', 15], // benchmarking
    ],
    [
      ['fc00::', 7], // unique local
      ['fec0::', 10], // deprecated site-local
    ],
  ],
  [
    'translation',
    [['192.88.99.0', 24]], // 6to4 relay anycast
    [
      ['64:ff9b:1::', 48], // local-use NAT64
      ['2002::', 16], // 6to4: carries any IPv4 address, private ones included
      ['2001::', 32], // Teredo
    ],
  ],
  [
    'reserved',
    [
      ['192.0.0.0', 24], // IETF protocol assignments (192.0.0.192 and friends)
      ['192.0.2.0', 24], // documentation
      ['198.51.100.0', 24],
      ['203.0.113.0', 24],
      ['224.0.0.0', 4], // multicast
      ['240.0.0.0', 4], // reserved, broadcast
    ],
    [
      ['ff00::', 8], // multicast
      ['100::', 64], // discard
      ['2001:db8::', 32], // documentation
      ['2001:2::', 48], // benchmarking
      ['2001:10::', 28], // ORCHID
      ['2001:20::', 28], // ORCHIDv2
      ['3fff::', 20], // documentation
      ['5f00::', 16], // segment routing
    ],
  ],
];

const LISTS = RANGES.map(([cls, v4, v6]) => {
  const list = new BlockList();
  for (const [net, prefix] of v4) list.addSubnet(net, prefix, 'ipv4');
  for (const [net, prefix] of v6) list.addSubnet(net, prefix, 'ipv6');
  return [cls, list] as const;
});

function classifyV4(ip: string): AddressClass {
  for (const [cls, list] of LISTS) if (list.check(ip, 'ipv4')) return cls;
  return 'public';
}

/** Expands an IPv6 address to 8 16-bit groups. */
function groupsV6(ip: string): number[] | undefined {
  let s = ip.toLowerCase();
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two hex groups.
  const tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (tail) {
    const [a, b, c, d] = tail[1]!.split('.').map(Number) as [number, number, number, number];
    s = s.slice(0, -tail[1]!.length) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const head = halves[0] ? halves[0].split(':') : [];
  const rest = halves.length === 2 ? (halves[1] ? halves[1].split(':') : []) : [];
  const fill = halves.length === 2 ? 8 - head.length - rest.length : 0;
  const groups = [...head, ...Array<string>(Math.max(fill, 0)).fill('0'), ...rest].map((g) => Number.parseInt(g || '0', 16));
  return groups.length === 8 && groups.every((g) => g >= 0 && g <= 0xffff) ? groups : undefined;
}

function classifyV6(ip: string): AddressClass {
  const g = groupsV6(ip);
  if (!g) return 'reserved';
  const zeros = (n: number) => g.slice(0, n).every((x) => x === 0);
  // IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d) and well-known NAT64 (64:ff9b::a.b.c.d)
  // forms carry an IPv4 address: judge that one (:: and ::1 are judged as themselves).
  const wellKnownNat64 = g[0] === 0x64 && g[1] === 0xff9b && g.slice(2, 6).every((x) => x === 0);
  const mapped = zeros(5) && g[5] === 0xffff;
  const compatible = zeros(6) && (g[6]! > 0 || g[7]! > 1);
  if (mapped || compatible || wellKnownNat64) return classifyV4(`${g[6]! >> 8}.${g[6]! & 255}.${g[7]! >> 8}.${g[7]! & 255}`);
  const normal = g.map((x) => x.toString(16)).join(':');
  for (const [cls, list] of LISTS) if (list.check(normal, 'ipv6')) return cls;
  return 'public';
}

/** The class of an IP address (v4 or v6); anything unparsable counts as reserved. */
export function classifyAddress(ip: string): AddressClass {
  const bare = ip.split('%')[0]!;
  const kind = isIP(bare);
  if (kind === 4) return classifyV4(bare);
  if (kind === 6) return classifyV6(bare);
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
    case 'translation':
      return 'address translation ranges (NAT64 local-use, 6to4, Teredo) are never allowed';
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

/** The message for an address refused at connection time: the host as given and why, never the address it resolved to, the path or the query. */
export function connectRefusal(host: string, ip: string): string {
  return `${host} is refused: ${refusalReason(classifyAddress(ip))}`;
}
