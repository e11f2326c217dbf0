import http from 'node:http';
import net from 'node:net';

/**
 * The worker's own outbound proxy (HTTP_PROXY / HTTPS_PROXY / NO_PROXY in its environment, as on a
 * network that allows no direct connection out): the run proxy sends both the Claude API traffic
 * and the runs' allowed egress through it. Runs never see these settings.
 */
export interface UpstreamProxySettings {
  http?: string;
  https?: string;
  /** NO_PROXY entries: `*`, a host, `.suffix` / `*.suffix`, each optionally `:port`. */
  noProxy: string[];
}

/** From the worker's pass-through variables (either case; lower case wins, as curl does). */
export function upstreamFromEnv(env: Readonly<Record<string, string>>): UpstreamProxySettings {
  const pick = (name: string) => env[name.toLowerCase()] || env[name.toUpperCase()] || undefined;
  const noProxy = (pick('no_proxy') ?? '').split(/[,\s]+/).map((s) => s.trim().toLowerCase()).filter(Boolean);
  return { http: pick('http_proxy'), https: pick('https_proxy'), noProxy };
}

function bypassed(noProxy: readonly string[], host: string, port: number): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '').replace(/\.$/, '');
  return noProxy.some((entry) => {
    if (entry === '*') return true;
    const m = /^(.+):(\d+)$/.exec(entry);
    const name = (m ? m[1] : entry).replace(/^\[|\]$/g, '');
    if (m && Number(m[2]) !== port) return false;
    const suffix = name.replace(/^\*?\./, '');
    return name.startsWith('.') || name.startsWith('*.') ? h.endsWith(`.${suffix}`) || h === suffix : h === name || h.endsWith(`.${name}`);
  });
}

/**
 * Pure: the proxy to go through for `protocol://host:port`, or undefined for a direct connection.
 * HTTPS and CONNECT tunnels use HTTPS_PROXY, plain HTTP uses HTTP_PROXY; NO_PROXY exempts a host.
 */
export function proxyFor(settings: UpstreamProxySettings, protocol: 'http' | 'https', host: string, port: number): URL | undefined {
  const raw = protocol === 'https' ? settings.https : settings.http;
  if (!raw || bypassed(settings.noProxy, host, port)) return undefined;
  try {
    return new URL(raw.includes('://') ? raw : `http://${raw}`);
  } catch {
    return undefined; // an unusable value: go direct rather than nowhere
  }
}

/** `Proxy-Authorization` for a proxy URL with credentials. */
export function proxyAuthorization(proxy: URL): string | undefined {
  if (!proxy.username) return undefined;
  const user = decodeURIComponent(proxy.username);
  const pass = decodeURIComponent(proxy.password);
  return `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
}

/** Opens a tunnel to `host:port` through `proxy` with CONNECT; rejects with the proxy's answer. */
export function connectThrough(proxy: URL, host: string, port: number, timeoutMs = 15_000): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const authority = `${net.isIPv6(host) ? `[${host}]` : host}:${port}`;
    const headers: http.OutgoingHttpHeaders = { host: authority };
    const auth = proxyAuthorization(proxy);
    if (auth) headers['proxy-authorization'] = auth;
    const req = http.request({
      host: proxy.hostname.replace(/^\[|\]$/g, ''), port: Number(proxy.port || 80), method: 'CONNECT', path: authority, headers, timeout: timeoutMs,
    });
    req.once('connect', (res, socket) => {
      if (res.statusCode === 200) return resolve(socket);
      socket.destroy();
      reject(new Error(`the worker's proxy ${proxy.host} answered ${res.statusCode} for ${authority}`));
    });
    req.once('timeout', () => req.destroy(new Error(`the worker's proxy ${proxy.host} did not answer within ${timeoutMs} ms`)));
    req.once('error', reject);
    req.end();
  });
}
