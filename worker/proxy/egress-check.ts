import dns from 'node:dns';
import net from 'node:net';
import { isNonPublicAddress } from '../../shared/address-range';
import { hostAllowed, parseHostPattern, type HostPattern } from '../../shared/host-pattern';
import type { EgressCheck } from './egress';

export type Lookup = (host: string) => Promise<string[]>;

const systemLookup: Lookup = async (host) => (await dns.promises.lookup(host, { all: true, verbatim: true })).map((a) => a.address);

/**
 * A run's egress rule: its persona's `allowedHosts` plus the worker's `WORKER_ALLOWED_HOSTS`.
 * A name that resolves to a loopback, private or link-local address is reachable only through an
 * entry that names it with its port (so DNS cannot turn an allowed name into a path to the host's
 * own services or a metadata endpoint). The Claude API host is never a direct destination: runs
 * reach it only through the token proxy.
 */
export function createEgressCheck(opts: {
  patterns: readonly string[];
  claudeApi: { host: string; port: number };
  lookup?: Lookup;
  /** The worker's own outbound proxy for a destination, if it must go through one. */
  upstream?: (host: string, port: number, protocol: 'http' | 'https') => URL | undefined;
}): EgressCheck {
  const patterns: HostPattern[] = [];
  for (const entry of opts.patterns) {
    try {
      patterns.push(parseHostPattern(entry));
    } catch {
      // Validated where it was configured; an entry that no longer parses simply allows nothing.
    }
  }
  const withPort = patterns.filter((p) => p.port !== undefined);
  const lookup = opts.lookup ?? systemLookup;
  const claudeHost = opts.claudeApi.host.toLowerCase().replace(/^\[|\]$/g, '');

  return async (given, port, protocol) => {
    const host = given.toLowerCase().replace(/\.$/, '');
    const where = `${net.isIPv6(host) ? `[${host}]` : host}:${port}`;
    if (host === claudeHost && port === opts.claudeApi.port) {
      return { ok: false, reason: `${where}: the Claude API is reached through the worker's proxy (ANTHROPIC_BASE_URL), not directly` };
    }
    if (!hostAllowed(patterns, host, port)) {
      return { ok: false, reason: `egress to ${where} is not allowed for this persona (add it to the persona's allowedHosts)` };
    }
    const via = opts.upstream?.(host, port, protocol);
    // Behind the worker's proxy the name is resolved there (this host's DNS may not know it), so
    // only the name is checked: listed names are trusted not to point inward.
    if (via) return { ok: true, address: host, via };
    if (net.isIP(host)) return { ok: true, address: host };
    let addresses: string[];
    try {
      addresses = await lookup(host);
    } catch (err) {
      return { ok: false, reason: `${host} could not be resolved: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` };
    }
    if (addresses.length === 0) return { ok: false, reason: `${host} did not resolve to any address` };
    if (addresses.some(isNonPublicAddress) && !hostAllowed(withPort, host, port)) {
      return { ok: false, reason: `${where} resolves to a non-public address; list it with its port in allowedHosts to reach it` };
    }
    return { ok: true, address: addresses[0] };
  };
}
