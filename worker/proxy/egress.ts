import http from 'node:http';
import net from 'node:net';
import type { Logger } from 'pino';
import { connectThrough, proxyAuthorization } from './upstream-proxy';

/**
 * The egress half of the run proxy: `CONNECT` tunnels and plain-HTTP forwarding, each allowed only
 * after the run's egress check (host pattern, then the resolved address) said yes. The connection
 * goes to the address that was checked, so a DNS answer cannot change between check and connect.
 */
/** `via`: the worker's own outbound proxy to tunnel through (it then resolves the name itself). */
export type EgressDecision = { ok: true; address: string; via?: URL } | { ok: false; reason: string };
/** Decides whether the run may reach `host:port` (`https`: a CONNECT tunnel), resolving the name when it must. */
export type EgressCheck = (host: string, port: number, protocol: 'http' | 'https') => Promise<EgressDecision>;

interface Stats {
  allowed: number;
  refused: number;
}

/** Answers a raw socket with an HTTP status and a line the model can read, then closes it. */
export function refuse(socket: net.Socket, status: number, reason: string): void {
  if (socket.destroyed) return;
  const body = `personas sandbox: ${reason}\n`;
  // The reason also goes in the status line: CONNECT clients show that, not the body.
  const text = `personas sandbox: ${reason}`.replace(/[^\x20-\x7e]/g, ' ').slice(0, 300);
  socket.end(`HTTP/1.1 ${status} ${text}\r\ncontent-type: text/plain\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
}

/** `host:port` of a CONNECT request (IPv6 in brackets); undefined when malformed. */
export function parseAuthority(authority: string): { host: string; port: number } | undefined {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:[\]\s]+):(\d{1,5})$/.exec(authority);
  if (!m) return undefined;
  const port = Number(m[2]);
  if (port < 1 || port > 65535) return undefined;
  return { host: m[1].replace(/^\[|\]$/g, ''), port };
}

export async function tunnel(
  authority: string, client: net.Socket, head: Buffer, check: EgressCheck, stats: Stats, logger: Logger, closed: () => boolean,
): Promise<void> {
  client.on('error', () => client.destroy());
  const target = parseAuthority(authority);
  if (!target) return refuse(client, 400, `malformed CONNECT target '${authority.slice(0, 200)}'`);
  const decision: EgressDecision = closed() ? { ok: false, reason: 'the run has ended' } : await check(target.host, target.port, 'https');
  if (!decision.ok) {
    stats.refused += 1;
    logger.info({ host: target.host, port: target.port, reason: decision.reason }, 'egress refused');
    return refuse(client, 403, decision.reason);
  }
  stats.allowed += 1;
  let upstream: net.Socket;
  try {
    upstream = decision.via
      ? await connectThrough(decision.via, target.host, target.port)
      : await connectDirect(decision.address, target.port);
  } catch (err) {
    return refuse(client, 502, `could not connect to ${target.host}:${target.port}: ${(err as Error).message}`);
  }
  if (client.destroyed) {
    upstream.destroy();
    return;
  }
  client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
  if (head.length > 0) upstream.write(head);
  upstream.pipe(client);
  client.pipe(upstream);
  upstream.on('error', () => client.destroy());
  client.on('close', () => upstream.destroy());
  upstream.on('close', () => client.destroy());
}

function connectDirect(address: string, port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: address, port });
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

export async function forwardPlainHttp(
  req: http.IncomingMessage, res: http.ServerResponse, url: URL, check: EgressCheck, stats: Stats, logger: Logger,
): Promise<void> {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = Number(url.port || 80);
  const decision = await check(host, port, 'http');
  if (!decision.ok) {
    stats.refused += 1;
    logger.info({ host, port, reason: decision.reason }, 'egress refused');
    req.resume();
    res.writeHead(403, { 'content-type': 'text/plain' }).end(`personas sandbox: ${decision.reason}\n`);
    return;
  }
  stats.allowed += 1;
  const headers: http.OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined && !name.startsWith('proxy-') && name !== 'connection' && name !== 'keep-alive') headers[name] = value;
  }
  const via = decision.via;
  const auth = via ? proxyAuthorization(via) : undefined;
  if (auth) headers['proxy-authorization'] = auth;
  // Through the worker's proxy: absolute-form to it; else straight to the checked address.
  const upstream = via
    ? http.request({ host: via.hostname.replace(/^\[|\]$/g, ''), port: Number(via.port || 80), method: req.method, path: url.href, headers, setHost: false })
    : http.request({ host: decision.address, port, method: req.method, path: `${url.pathname}${url.search}`, headers, setHost: false });
  upstream.on('response', (answer) => {
    res.writeHead(answer.statusCode ?? 502, answer.headers);
    answer.pipe(res);
  });
  upstream.on('error', (err) => {
    if (res.headersSent) res.destroy();
    else res.writeHead(502, { 'content-type': 'text/plain' }).end(`personas sandbox: could not reach ${host}:${port}: ${err.message}\n`);
  });
  res.on('close', () => {
    if (!res.writableFinished) upstream.destroy();
  });
  req.pipe(upstream);
}
