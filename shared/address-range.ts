import ipaddr from 'ipaddr.js';

/**
 * Pure: what kind of address an IP is, for egress and polling checks. IPv4-mapped IPv6
 * (`::ffff:127.0.0.1`) is judged as the IPv4 address it carries, so it cannot smuggle loopback past.
 */
export type AddressKind = 'public' | 'loopback' | 'private' | 'link-local' | 'other';

/** `undefined` when `ip` is not an IP literal. */
export function addressKind(ip: string): AddressKind | undefined {
  const bare = ip.startsWith('[') && ip.endsWith(']') ? ip.slice(1, -1) : ip;
  if (!ipaddr.isValid(bare)) return undefined;
  let addr = ipaddr.parse(bare);
  if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress()) addr = (addr as ipaddr.IPv6).toIPv4Address();
  const range = addr.range();
  switch (range) {
    case 'unicast':
      return 'public';
    case 'loopback':
      return 'loopback';
    case 'linkLocal':
      return 'link-local';
    case 'private':
    case 'uniqueLocal':
    case 'carrierGradeNat':
      return 'private';
    default:
      return 'other'; // unspecified, multicast, broadcast, reserved, documentation, 6to4, teredo …
  }
}

/** True for an IP literal that is not a public unicast address. */
export function isNonPublicAddress(ip: string): boolean {
  const kind = addressKind(ip);
  return kind !== undefined && kind !== 'public';
}
