import ipaddr from 'ipaddr.js';

/**
 * Pure: whether an IP address is public, for every check that keeps runs and pollers off the host's
 * own services, the private network and metadata endpoints (the worker's egress proxy, persona
 * `allowedHosts`, polling triggers). One classifier, so the three never disagree.
 */

/**
 * The special range `address` belongs to (`loopback`, `private`, `linkLocal`, …), or null when it is
 * a public unicast address. IPv4-mapped IPv6 (`::ffff:127.0.0.1`, `::ffff:7f00:1`) is judged as the
 * IPv4 address it maps; the IPv6 forms that embed IPv4 (IPv4-compatible `::/96`, NAT64, 6to4,
 * Teredo) and every other reserved range count as not public. Text that is not an IP is not public.
 */
export function nonPublicRange(address: string): string | null {
  const bare = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  if (!ipaddr.isValid(bare)) return 'not an IP address';
  const ip = ipaddr.process(bare);
  if (ip.kind() === 'ipv6' && (ip as ipaddr.IPv6).parts.slice(0, 6).every((p) => p === 0)) {
    return ip.range() === 'unicast' ? 'ipv4Compatible' : ip.range();
  }
  const range = ip.range();
  return range === 'unicast' ? null : range;
}

/** True for anything but a public unicast address (see nonPublicRange). */
export function isNonPublicAddress(address: string): boolean {
  return nonPublicRange(address) !== null;
}
