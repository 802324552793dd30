import { lookup } from 'node:dns/promises';
import ipaddr from 'ipaddr.js';
import { AppError } from '../errors.js';

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}
/** Host name → addresses; injectable so tests can give a name a public and then a private address. */
export type ResolveHost = (hostname: string) => Promise<ResolvedAddress[]>;

export const systemResolveHost: ResolveHost = async (hostname) =>
  (await lookup(hostname, { all: true, verbatim: true })).map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));

/** Why an address may not be a webhook target, or null for a public unicast one. */
export function refusedRange(address: string): string | null {
  let ip = ipaddr.parse(address);
  if (ip.kind() === 'ipv6' && (ip as ipaddr.IPv6).isIPv4MappedAddress()) ip = (ip as ipaddr.IPv6).toIPv4Address();
  // Only public unicast: loopback, private, link-local (cloud metadata at 169.254.169.254),
  // carrier-grade NAT (100.100.100.200), unique-local (fd00:ec2::254), NAT64 and 6to4 (which can
  // wrap a private IPv4) and the reserved blocks are all refused.
  const range = ip.range();
  return range === 'unicast' ? null : range;
}

export interface TargetPolicy {
  /** WEBHOOK_ALLOW_PRIVATE_TARGETS: private addresses and plain http are allowed (tests, trusted internal setups). */
  allowPrivate: boolean;
  resolve: ResolveHost;
}

const refuse = (message: string): never => {
  throw new AppError('invalid_request', `url: ${message}`, { details: [{ path: 'url', message }] });
};

/**
 * The addresses a delivery to `url` may connect to, checked after DNS: every address the name has
 * must be public (one private answer could be the one a connection picks), and the delivery then
 * connects to exactly these (see `pinnedLookup`), so a name cannot resolve to a public address for
 * the check and a private one for the connection (DNS rebinding). Throws 400 `invalid_request`.
 */
export async function resolveTarget(url: URL, policy: TargetPolicy): Promise<ResolvedAddress[]> {
  if (url.protocol !== 'https:' && !(policy.allowPrivate && url.protocol === 'http:')) refuse('Must be an https URL.');
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  let addresses: ResolvedAddress[];
  if (ipaddr.isValid(host)) {
    addresses = [{ address: host, family: host.includes(':') ? 6 : 4 }];
  } else {
    try {
      addresses = await policy.resolve(host);
    } catch {
      addresses = [];
    }
    if (addresses.length === 0) refuse(`The host ${host} does not resolve.`);
  }
  if (!policy.allowPrivate) {
    for (const a of addresses) {
      const range = refusedRange(a.address);
      if (range) refuse(`The host resolves to ${a.address}, a ${range} address; webhooks go to public addresses only.`);
    }
  }
  return addresses;
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | { address: string; family: number }[], family?: number) => void;

/**
 * A `lookup` for http.request that answers with the addresses already checked, never asking DNS
 * again. Written here because the check and the connection must use one answer: a filtering agent
 * that re-resolves cannot promise that, and ours is a few lines over ipaddr.js, which classifies.
 */
export function pinnedLookup(addresses: ResolvedAddress[]) {
  return (_hostname: string, options: { all?: boolean; family?: number }, callback: LookupCallback): void => {
    const usable = options.family === 4 || options.family === 6 ? addresses.filter((a) => a.family === options.family) : addresses;
    const list = usable.length > 0 ? usable : addresses;
    if (options.all) callback(null, list);
    else callback(null, list[0]!.address, list[0]!.family);
  };
}
