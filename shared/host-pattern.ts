import net from 'node:net';
import ipaddr from 'ipaddr.js';
import { isNonPublicAddress } from './address-range';

/**
 * Pure: the hosts a run may connect to (a persona's `allowedHosts`, the worker's
 * `WORKER_ALLOWED_HOSTS`). The server validates entries with `parseHostPattern`; the worker's egress
 * proxy parses them once and asks `hostAllowed` at every connect.
 *
 * An entry is a host name (`api.github.com`), `*.example.com` (its subdomains at any depth, not
 * `example.com` itself) or an IP address (`93.184.216.34`, `2606:4700::1111`), each optionally followed by
 * `:port` (an IPv6 address then goes in brackets: `[2606:4700::1111]:443`). Loopback, private,
 * link-local and other non-public addresses, and the name `localhost` (and `*.localhost`), are only
 * accepted with a port, so listing one opens exactly one service of the host, never all of them.
 */
export type HostPattern =
  /** Exactly this host name (lower case, no trailing dot). */
  | { kind: 'name'; host: string; port?: number }
  /** Any name ending in `.suffix`; `suffix` itself does not match. */
  | { kind: 'subdomains'; suffix: string; port?: number }
  /** This address; IPv6 in its canonical compressed form without brackets, IPv4-mapped IPv6 as IPv4. */
  | { kind: 'ip'; address: string; port?: number };

const MAX_HOST_ENTRY_LENGTH = 300;

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
/** A label as inet_aton reads numbers (decimal, octal, hex): a name made only of these is an IP in disguise. */
const NUMERIC_LABEL = /^(?:0x[0-9a-f]*|[0-9]+)$/;
const REQUIRES_PORT =
  'loopback and private addresses are reachable only when listed with their port';

function fail(entry: string, message: string): never {
  throw new Error(`"${entry}": ${message}`);
}

function parsePort(entry: string, text: string): number {
  const port = /^[0-9]{1,5}$/.test(text) ? Number(text) : NaN;
  if (!(port >= 1 && port <= 65535)) fail(entry, 'the port must be a number from 1 to 65535');
  return port;
}

/** The canonical text of an IP literal (IPv4-mapped IPv6 as the IPv4 it carries). */
function canonicalIp(ip: string): string {
  return ipaddr.process(ip).toString();
}

function isLoopbackName(name: string): boolean {
  return name === 'localhost' || name.endsWith('.localhost');
}

/** Why `name` is not a host name, or undefined when it is one. */
function nameError(name: string): string | undefined {
  if (name.length === 0 || name.length > 253) return 'is not a valid host name';
  const labels = name.split('.');
  if (!labels.every((l) => LABEL.test(l))) {
    return 'is not a valid host name (letters, digits and hyphens in dot-separated labels), "*.domain" or an IP address';
  }
  if (/^[0-9]+$/.test(labels[labels.length - 1]) || labels.every((l) => NUMERIC_LABEL.test(l))) {
    return 'is neither a host name nor an IP address in standard notation (e.g. 93.184.216.34)';
  }
  return undefined;
}

/** Splits `host`, `host:port`, `[v6]`, `[v6]:port` and a bare IPv6 address. */
function splitHostPort(entry: string): { host: string; port?: number; bracketed: boolean } {
  if (entry.startsWith('[')) {
    const m = /^\[([^\]]*)\](?::(.*))?$/.exec(entry);
    if (!m || !net.isIPv6(m[1])) fail(entry, 'brackets must hold an IPv6 address, e.g. "[2606:4700::1111]:443"');
    return { host: m[1], port: m[2] === undefined ? undefined : parsePort(entry, m[2]), bracketed: true };
  }
  const colons = entry.split(':').length - 1;
  if (colons > 1) {
    if (!net.isIPv6(entry)) fail(entry, 'is not a valid address (an IPv6 address with a port goes in brackets: "[::1]:8080")');
    return { host: entry, bracketed: false };
  }
  if (colons === 1) {
    const at = entry.indexOf(':');
    return { host: entry.slice(0, at), port: parsePort(entry, entry.slice(at + 1)), bracketed: false };
  }
  return { host: entry, bracketed: false };
}

/**
 * Parses one entry (see HostPattern). Names are compared case-insensitively and a trailing dot is
 * dropped. Throws an Error whose message quotes the entry and says what is wrong: not a name or IP,
 * a bad port, `*` anywhere but a leading `*.` over a domain of two or more labels, or a
 * loopback/private address (or `localhost`) without a port.
 */
export function parseHostPattern(entry: string): HostPattern {
  if (typeof entry !== 'string' || entry.length === 0) fail(String(entry), 'must not be empty');
  if (entry.length > MAX_HOST_ENTRY_LENGTH) fail(entry.slice(0, 40) + '…', `must be at most ${MAX_HOST_ENTRY_LENGTH} characters`);
  if (/[\s\u0000-\u001f\u007f/@%?#]/.test(entry)) {
    fail(entry, 'must be a bare host, "*.domain" or IP with an optional ":port" (no scheme, path, spaces or zone id)');
  }
  const { host: rawHost, port, bracketed } = splitHostPort(entry);
  if (bracketed || net.isIP(rawHost)) {
    if (!net.isIP(rawHost)) fail(entry, 'is not a valid IP address');
    const address = canonicalIp(rawHost);
    if (port === undefined && isNonPublicAddress(address)) fail(entry, `${REQUIRES_PORT} (e.g. "${net.isIPv6(address) ? `[${address}]` : address}:8080")`);
    return port === undefined ? { kind: 'ip', address } : { kind: 'ip', address, port };
  }
  const host = rawHost.toLowerCase().replace(/\.$/, '');
  const wildcard = host.startsWith('*.');
  const name = wildcard ? host.slice(2) : host;
  if (name.includes('*')) fail(entry, 'a wildcard is only allowed as a leading "*." (e.g. "*.example.com")');
  const error = nameError(name);
  if (error) fail(entry, error);
  if (wildcard && !name.includes('.')) fail(entry, 'a wildcard must cover a domain of at least two labels (e.g. "*.example.com")');
  if (port === undefined && isLoopbackName(name)) fail(entry, `${REQUIRES_PORT} (e.g. "localhost:8080")`);
  const pattern: HostPattern = wildcard ? { kind: 'subdomains', suffix: name } : { kind: 'name', host: name };
  return port === undefined ? pattern : { ...pattern, port };
}

/** `host` as the patterns store it: an IP in canonical form, or a lower-case name without a trailing dot. */
function normalizeHost(host: string): { ip: string } | { name: string } {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (net.isIP(bare) && !bare.includes('%')) return { ip: canonicalIp(bare) };
  return { name: bare.toLowerCase().replace(/\.$/, '') };
}

function matches(p: HostPattern, h: { ip: string } | { name: string }): boolean {
  if (p.kind === 'ip') {
    // A non-public address without a port never matches (parseHostPattern refuses it; a hand-made one too).
    return 'ip' in h && h.ip === p.address && (p.port !== undefined || !isNonPublicAddress(p.address));
  }
  if (!('name' in h)) return false;
  if (p.port === undefined && isLoopbackName(h.name)) return false;
  return p.kind === 'name' ? h.name === p.host : h.name.endsWith(`.${p.suffix}`);
}

/**
 * Whether a connection to `host`:`port` is allowed by any pattern. `host` may be a name (any case,
 * trailing dot allowed) or an IP literal (IPv6 with or without brackets). A pattern without a port
 * matches every port, except that non-public IP patterns and `localhost` names match only with one.
 * Names are matched as text: the caller still decides what to do when a listed name resolves to a
 * non-public address.
 */
export function hostAllowed(patterns: readonly HostPattern[], host: string, port: number): boolean {
  const h = normalizeHost(host);
  return patterns.some((p) => (p.port === undefined || p.port === port) && matches(p, h));
}
