import ipaddr from 'ipaddr.js';

export type IpFamily = 'ipv4' | 'ipv6';

export interface ParsedCidr {
  family: IpFamily;
  /** Normalised text: network address / prefix length, IPv6 in RFC 5952 form. */
  text: string;
  range: [ipaddr.IPv4 | ipaddr.IPv6, number];
}

const PREFIX = /^\d{1,3}$/;

/** RFC 5952 text; section 5 writes IPv4-mapped addresses with a dotted tail (`::ffff:10.1.2.3`). */
function rfc5952(addr: ipaddr.IPv6): string {
  return addr.isIPv4MappedAddress() ? `::ffff:${addr.toIPv4Address().toString()}` : addr.toRFC5952String();
}

const DOTTED_QUAD = /^(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})$/;

/**
 * The octets of a canonical dotted quad (no leading zeros, each ≤ 255), or null: the same texts
 * ipaddr's `isValidFourPartDecimal` accepts, without building its parser's objects.
 */
function dottedQuad(text: string): number[] | null {
  const m = DOTTED_QUAD.exec(text);
  if (!m) return null;
  const octets = [Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4])];
  return octets.every((o) => o <= 255) ? octets : null;
}

/** A canonical dotted quad as an unsigned 32-bit integer, or null. */
function ipv4ToUint(text: string): number | null {
  const q = dottedQuad(text);
  return q && ((q[0]! << 24) | (q[1]! << 16) | (q[2]! << 8) | q[3]!) >>> 0;
}

function parseAddress(text: string): ipaddr.IPv4 | ipaddr.IPv6 | null {
  const quad = dottedQuad(text);
  if (quad) return new ipaddr.IPv4(quad);
  // Zone ids (fe80::1%eth0) name an interface of one host, not a range: refused.
  if (!text.includes('%') && text.includes(':') && ipaddr.IPv6.isValid(text)) return ipaddr.IPv6.parse(text);
  return null;
}

/**
 * Parses one allowed-range entry: an IPv4 or IPv6 CIDR, or a bare address (meaning /32 or /128).
 * Returns null for anything else. The result is normalised to its network address.
 */
export function parseCidr(input: string): ParsedCidr | null {
  const value = input.trim();
  if (value.length === 0 || value.length > 64) return null;
  const slash = value.indexOf('/');
  const addrText = slash === -1 ? value : value.slice(0, slash);
  const prefixText = slash === -1 ? null : value.slice(slash + 1);
  const addr = parseAddress(addrText);
  if (!addr) return null;
  const family: IpFamily = addr.kind() === 'ipv4' ? 'ipv4' : 'ipv6';
  const max = family === 'ipv4' ? 32 : 128;
  let bits = max;
  if (prefixText !== null) {
    if (!PREFIX.test(prefixText)) return null;
    bits = Number(prefixText);
    if (bits > max) return null;
  }
  const network =
    family === 'ipv4'
      ? ipaddr.IPv4.networkAddressFromCIDR(`${addr.toString()}/${bits}`)
      : ipaddr.IPv6.networkAddressFromCIDR(`${(addr as ipaddr.IPv6).toNormalizedString()}/${bits}`);
  const text = family === 'ipv4' ? `${network.toString()}/${bits}` : `${rfc5952(network as ipaddr.IPv6)}/${bits}`;
  return { family, text, range: [network, bits] };
}

export function normalizeCidr(input: string): string | null {
  return parseCidr(input)?.text ?? null;
}

/** A client address as the socket or proxy reports it; IPv4-mapped IPv6 stays IPv6 here. */
export function parseClientIp(ip: string): ipaddr.IPv4 | ipaddr.IPv6 | null {
  return parseAddress(ip.trim());
}

/** Whether `ip` falls in any of the ranges. IPv4-mapped IPv6 clients (::ffff:a.b.c.d) also match IPv4 ranges. */
export function ipInRanges(ip: string, ranges: readonly ParsedCidr[]): boolean {
  const addr = parseClientIp(ip);
  if (!addr) return false;
  const asV4 = addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress() ? (addr as ipaddr.IPv6).toIPv4Address() : null;
  for (const r of ranges) {
    if (r.family === addr.kind() && addr.match(r.range as never)) return true;
    if (asV4 && r.family === 'ipv4' && asV4.match(r.range as [ipaddr.IPv4, number])) return true;
  }
  return false;
}

/** IPv6 clients within one network of this prefix share their per-IP abuse limits (ABUSE_IPV6_PREFIX). */
export const DEFAULT_ABUSE_IPV6_PREFIX = 64;

/**
 * Who a per-IP abuse limit counts as one client: an IPv4 address as itself (also when it arrives
 * IPv4-mapped, `::ffff:a.b.c.d`), an IPv6 address as its /`ipv6Prefix` network, since one home
 * connection or one cloud machine is handed a whole /64 and could otherwise spread its requests over
 * 2^64 addresses. Text that is not an address stands for itself.
 */
export function abuseClient(ip: string, ipv6Prefix = DEFAULT_ABUSE_IPV6_PREFIX): string {
  if (ipv4ToUint(ip) !== null) return ip;
  const addr = parseClientIp(ip);
  if (!addr) return ip;
  if (addr.kind() === 'ipv4') return addr.toString();
  const v6 = addr as ipaddr.IPv6;
  if (v6.isIPv4MappedAddress()) return v6.toIPv4Address().toString();
  const network = ipaddr.IPv6.networkAddressFromCIDR(`${v6.toString()}/${ipv6Prefix}`);
  return `${network.toRFC5952String()}/${ipv6Prefix}`;
}

/** The address written the way ranges are written: IPv4 dotted, IPv6 in RFC 5952 form. */
export function normalizeIp(ip: string): string {
  // The usual case, a canonical dotted quad, is already in normal form.
  if (ipv4ToUint(ip) !== null) return ip;
  const addr = parseClientIp(ip);
  if (!addr) return ip;
  return addr.kind() === 'ipv4' ? addr.toString() : rfc5952(addr as ipaddr.IPv6);
}

/**
 * `ipInRanges` for one fixed list of ranges, with the IPv4 ranges compiled to integer masks once, so
 * the usual client (a dotted quad, or one mapped into IPv6 as `::ffff:a.b.c.d`) is checked without
 * parsing objects. Any other address takes `ipInRanges` itself, so the answers are the same.
 */
export function compileRanges(ranges: readonly ParsedCidr[]): (ip: string) => boolean {
  const v4 = ranges
    .filter((r) => r.family === 'ipv4')
    .map((r) => {
      const mask = r.range[1] === 0 ? 0 : (0xffffffff << (32 - r.range[1])) >>> 0;
      return { network: ipv4ToUint(r.range[0].toString())!, mask };
    });
  return (ip) => {
    const quad = ip.startsWith('::ffff:') ? ip.slice(7) : ip;
    const n = ipv4ToUint(quad);
    if (n !== null) {
      for (const r of v4) if ((n & r.mask) >>> 0 === r.network) return true;
      // A plain IPv4 client matches IPv4 ranges only; a mapped one may still match an IPv6 range.
      if (quad === ip) return false;
    }
    return ipInRanges(ip, ranges);
  };
}
