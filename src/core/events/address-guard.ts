// Which addresses a webhook may reach (events.md §2): never loopback, private, link-local,
// multicast or unspecified ones, unless WEBHOOK_ALLOW_PRIVATE. The check runs when an endpoint
// is saved and again at each delivery, through a DNS lookup of our own whose answers are the
// only addresses a new connection may go to (http-post.ts), so a name that resolves elsewhere
// later (DNS rebinding) is still refused. IPv6 forms that carry an IPv4 address (mapped,
// NAT64, 6to4) are judged by that address.
import { BlockList, isIP } from 'node:net';
import { lookup as dnsLookup } from 'node:dns/promises';
import type { LookupAddress } from 'node:dns';

export const ADDRESS_NOT_ALLOWED = 'This address is not allowed.';

/** Resolves a host name to every address it has (the seam tests use to change answers). */
export type Resolver = (hostname: string) => Promise<LookupAddress[]>;

export const systemResolver: Resolver = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

const V4_FORBIDDEN: Array<[string, number]> = [
  ['0.0.0.0', 8], // "this network", unspecified
  ['10.0.0.0', 8], // private
  ['100.64.0.0', 10], // carrier-grade NAT (shared, private in practice)
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local (cloud metadata services live here)
  ['172.16.0.0', 12], // private
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.168.0.0', 16], // private
  ['198.18.0.0', 15], // benchmarking, never on the internet
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
];

const V6_FORBIDDEN: Array<[string, number]> = [
  ['::', 96], // unspecified, loopback (::1) and the deprecated IPv4-compatible form
  ['fc00::', 7], // unique local (private)
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated, private)
  ['ff00::', 8], // multicast
  ['100::', 64], // discard-only
];

function blockList(): BlockList {
  const list = new BlockList();
  for (const [net, bits] of V4_FORBIDDEN) list.addSubnet(net, bits, 'ipv4');
  for (const [net, bits] of V6_FORBIDDEN) list.addSubnet(net, bits, 'ipv6');
  return list;
}

/** 16 bytes of an IPv6 address (zone id dropped, embedded dotted quad allowed); null if malformed. */
export function ipv6Bytes(address: string): Uint8Array | null {
  let text = address.replace(/^\[|\]$/g, '').split('%')[0];
  const v4tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4tail) {
    if (isIP(v4tail[1]) !== 4) return null;
    const [a, b, c, d] = v4tail[1].split('.').map(Number);
    text = text.slice(0, -v4tail[1].length) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const head = halves[0] ? halves[0].split(':') : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const missing = 8 - head.length - tail.length;
  if ((halves.length === 2 && missing < 1) || (halves.length === 1 && missing !== 0)) return null;
  const groups = [...head, ...Array(halves.length === 2 ? missing : 0).fill('0'), ...tail];
  const bytes = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    if (!/^[0-9a-f]{1,4}$/i.test(groups[i])) return null;
    const v = parseInt(groups[i], 16);
    bytes[i * 2] = v >> 8;
    bytes[i * 2 + 1] = v & 255;
  }
  return bytes;
}

function startsWith(bytes: Uint8Array, prefix: number[]): boolean {
  return prefix.every((b, i) => bytes[i] === b);
}

/** The IPv4 address an IPv6 one stands for, if it is one of the forms that carry one. */
function embeddedIPv4(bytes: Uint8Array): string | null {
  const quad = (at: number) => `${bytes[at]}.${bytes[at + 1]}.${bytes[at + 2]}.${bytes[at + 3]}`;
  const zeros = (n: number) => Array(n).fill(0);
  if (startsWith(bytes, [...zeros(10), 0xff, 0xff])) return quad(12); // ::ffff:a.b.c.d, mapped
  if (startsWith(bytes, [0x00, 0x64, 0xff, 0x9b, ...zeros(8)])) return quad(12); // 64:ff9b::/96, NAT64
  if (startsWith(bytes, [0x20, 0x02])) return quad(2); // 2002::/16, 6to4
  return null;
}

export class AddressGuard {
  private readonly forbidden = blockList();

  constructor(readonly allowPrivate: boolean, private readonly resolver: Resolver = systemResolver) {}

  /** True for an address a webhook must never reach (always false with WEBHOOK_ALLOW_PRIVATE). */
  isForbidden(address: string): boolean {
    if (this.allowPrivate) return false;
    return isForbiddenAddress(this.forbidden, address);
  }

  /**
   * The addresses of `host` when every one of them is allowed. A literal address is judged as
   * it is; a name is resolved, and one forbidden answer refuses the whole name.
   */
  async resolve(host: string): Promise<{ ok: true; addresses: LookupAddress[] } | { ok: false; reason: 'forbidden' | 'unresolved'; error?: Error }> {
    const bare = host.replace(/^\[|\]$/g, '');
    const family = isIP(bare);
    if (family !== 0) {
      return this.isForbidden(bare) ? { ok: false, reason: 'forbidden' } : { ok: true, addresses: [{ address: bare, family }] };
    }
    let addresses: LookupAddress[];
    try {
      addresses = await this.resolver(bare);
    } catch (err) {
      return { ok: false, reason: 'unresolved', error: err as Error };
    }
    if (addresses.length === 0) return { ok: false, reason: 'unresolved' };
    if (addresses.some((a) => this.isForbidden(a.address))) return { ok: false, reason: 'forbidden' };
    return { ok: true, addresses };
  }

  /**
   * The addresses a delivery may connect to: those of `host` when every one is allowed; an
   * `AddressNotAllowedError` when one is forbidden, the resolver's error when it has none.
   */
  async check(host: string): Promise<LookupAddress[] | Error> {
    const r = await this.resolve(host);
    if (r.ok) return r.addresses;
    if (r.reason === 'forbidden') return new AddressNotAllowedError();
    return r.error ?? notFound(host);
  }
}

/** The error of a name with no (usable) address, as the system resolver words it. */
export function notFound(host: string): Error {
  return Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
}

export class AddressNotAllowedError extends Error {
  readonly code = 'EADDRNOTALLOWED';
  constructor() {
    super(ADDRESS_NOT_ALLOWED);
    this.name = 'AddressNotAllowedError';
  }
}

function isForbiddenAddress(list: BlockList, address: string): boolean {
  const bare = address.replace(/^\[|\]$/g, '').split('%')[0];
  const family = isIP(bare);
  if (family === 4) return list.check(bare, 'ipv4');
  if (family !== 6) return true; // not an address at all: never connect to it
  const bytes = ipv6Bytes(bare);
  if (!bytes) return true;
  const v4 = embeddedIPv4(bytes);
  if (v4 !== null && list.check(v4, 'ipv4')) return true;
  return list.check(bare, 'ipv6');
}
