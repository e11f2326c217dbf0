import ipaddr from 'ipaddr.js';
import { nonPublicRange } from '../../shared/address-range';

/**
 * Which addresses a polling trigger may connect to (pure). Only public unicast addresses, unless the
 * operator lists a host in POLL_ALLOW_PRIVATE_HOSTS: a poll URL is written by whoever can create a
 * trigger, and without this it could read the host's loopback services, the cloud metadata endpoint
 * (169.254.169.254) or the private network, and hand the answer to an agent as an event payload.
 */

/** One POLL_ALLOW_PRIVATE_HOSTS entry: a host name or an IP (normalized), and a port or any port. */
export interface HostAllowance {
  host: string;
  port: number | null;
}

export type AllowanceResult = { ok: true; allowances: HostAllowance[] } | { ok: false; message: string };

/** Where one request goes: the URL's host and port, and one address that host resolved to. */
export interface Destination {
  host: string;
  port: number;
  address: string;
}

const LABEL = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
const HOST_NAME = new RegExp(`^${LABEL}(?:\\.${LABEL})*$`);

const RANGE_WORDS: Record<string, string> = {
  loopback: 'loopback',
  private: 'private',
  uniqueLocal: 'private (unique local)',
  linkLocal: 'link-local',
  carrierGradeNat: 'carrier-grade NAT',
  unspecified: 'unspecified',
  multicast: 'multicast',
  broadcast: 'broadcast',
  ipv4Compatible: 'IPv4-compatible',
};

/** An IP address in one canonical form (IPv4-mapped IPv6 becomes IPv4), or null when `text` is not one. */
function canonicalIp(text: string): string | null {
  if (ipaddr.IPv4.isValidFourPartDecimal(text)) return ipaddr.IPv4.parse(text).toString();
  if (text.includes(':') && ipaddr.IPv6.isValid(text)) return ipaddr.process(text).toString();
  return null;
}

/** A URL host or allowance host in the form the two are compared in: lower case, no brackets, no final dot, IPs canonical. */
export function normalizeHost(host: string): string {
  const bare = host.toLowerCase().replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '');
  return canonicalIp(bare) ?? bare;
}

function parseEntry(raw: string): HostAllowance | string {
  const entry = raw.trim();
  let host = entry;
  let port: string | null = null;
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
  if (bracketed) {
    [, host, port = null] = bracketed;
    if (!ipaddr.IPv6.isValid(host)) return `"${raw}" is not an IPv6 address in brackets`;
  } else if (!(entry.includes(':') && ipaddr.IPv6.isValid(entry))) {
    const colon = entry.lastIndexOf(':');
    if (colon >= 0) [host, port] = [entry.slice(0, colon), entry.slice(colon + 1)];
  }
  if (port !== null && !(/^\d{1,5}$/.test(port) && Number(port) >= 1 && Number(port) <= 65535)) {
    return `"${raw}" has an invalid port (1-65535)`;
  }
  const normalized = normalizeHost(host);
  const isName = HOST_NAME.test(normalized) && normalized.length <= 253 && !/^\d+$/.test(normalized.split('.').pop()!);
  if (canonicalIp(normalized) === null && !isName) {
    return `"${raw}" is not a host name, IPv4 address or [IPv6] address, optionally with :port (ranges are not supported)`;
  }
  return { host: normalized, port: port === null ? null : Number(port) };
}

/** Parses POLL_ALLOW_PRIVATE_HOSTS: comma-separated `host[:port]`, `[ipv6][:port]`; empty means none. */
export function parseHostAllowances(value: string | undefined): AllowanceResult {
  if (value === undefined || value.trim() === '') return { ok: true, allowances: [] };
  const allowances: HostAllowance[] = [];
  for (const raw of value.split(',')) {
    if (raw.trim() === '') return { ok: false, message: 'has an empty entry (entries are comma-separated host[:port])' };
    const entry = parseEntry(raw);
    if (typeof entry === 'string') return { ok: false, message: entry };
    allowances.push(entry);
  }
  return { ok: true, allowances };
}

/**
 * Why a connection to `dest` is refused, or null when it may go ahead. A public address always may;
 * any other needs an allowance whose host is the URL's host or the address itself, and whose port
 * (when it names one) is the destination port.
 */
export function destinationRefusal(allowances: readonly HostAllowance[], dest: Destination): string | null {
  const range = nonPublicRange(dest.address);
  if (range === null) return null;
  const host = normalizeHost(dest.host);
  const address = normalizeHost(dest.address);
  const allowed = allowances.some((a) => (a.port === null || a.port === dest.port) && (a.host === host || a.host === address));
  if (allowed) return null;
  const shown = address.includes(':') ? `[${address}]` : address;
  return `${address} is not a public address (${RANGE_WORDS[range] ?? range}); list "${shown}:${dest.port}" in POLL_ALLOW_PRIVATE_HOSTS to allow it`;
}
