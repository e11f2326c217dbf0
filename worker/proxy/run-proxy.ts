import http from 'node:http';
import type net from 'node:net';
import type { Logger } from 'pino';
import { forwardToClaude, type ClaudeUpstream } from './claude-forward';
import { refuse, tunnel, forwardPlainHttp, type EgressCheck } from './egress';

/**
 * The one door out of a sandboxed run: an HTTP proxy that is at the same time the run's Anthropic
 * API endpoint.
 * - Requests for the API (origin-form `/v1/messages`, or absolute-form to the proxy's own address)
 *   must carry the run's placeholder credential; the proxy swaps it for the real Claude token and
 *   streams the answer back unbuffered. The real token never enters the sandbox, and the placeholder
 *   is worthless once the run ends (the proxy closes with it).
 * - `CONNECT host:port` and absolute-form `http://host/…` requests go out only where the egress
 *   check allows; everything else gets a 403 whose text the model reads in its tool result.
 * One proxy per run: it knows that run's allowlist and placeholder and nothing else.
 */
export interface RunProxyOptions {
  /** Where the proxy listens: a unix socket path (bwrap mode) or loopback TCP on an ephemeral port. */
  listen: { socketPath: string } | { tcp: true };
  /** Host:port forms under which the run addresses the proxy itself (its ANTHROPIC_BASE_URL). */
  selfAddresses: (port: number | undefined) => string[];
  claude: ClaudeUpstream;
  egress: EgressCheck;
  logger: Logger;
}

export interface RunProxy {
  /** The TCP port when listening on loopback; undefined for a unix socket. */
  readonly port: number | undefined;
  /** Counts of what the proxy let through and refused (for the run's log line). */
  readonly stats: { api: number; allowed: number; refused: number };
  /** Stops accepting, refuses the placeholder from now on, and destroys open connections. */
  close(): Promise<void>;
}

export async function startRunProxy(opts: RunProxyOptions): Promise<RunProxy> {
  const stats = { api: 0, allowed: 0, refused: 0 };
  const sockets = new Set<net.Socket>();
  let closed = false;
  let self: Set<string> = new Set();

  const server = http.createServer((req, res) => {
    const target = req.url ?? '/';
    if (target.startsWith('/')) return apiRequest(target);
    let url: URL;
    try {
      url = new URL(target);
    } catch {
      res.writeHead(400, { 'content-type': 'text/plain' }).end('personas sandbox proxy: malformed request target\n');
      return;
    }
    if (self.has(url.host.toLowerCase())) return apiRequest(`${url.pathname}${url.search}`);
    if (url.protocol !== 'http:') {
      res.writeHead(400, { 'content-type': 'text/plain' }).end('personas sandbox proxy: use CONNECT for https\n');
      return;
    }
    void forwardPlainHttp(req, res, url, opts.egress, stats, opts.logger);

    function apiRequest(pathAndQuery: string): void {
      stats.api += 1;
      forwardToClaude(req, res, pathAndQuery, { ...opts.claude, isOpen: () => !closed }, opts.logger);
    }
  });
  server.on('connect', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    void tunnel(req.url ?? '', socket, head, opts.egress, stats, opts.logger, () => closed);
  });
  server.on('connection', (socket: net.Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.on('clientError', (_err, socket) => refuse(socket as net.Socket, 400, 'malformed request'));

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    if ('socketPath' in opts.listen) server.listen(opts.listen.socketPath, resolve);
    else server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : undefined;
  self = new Set(opts.selfAddresses(port).map((a) => a.toLowerCase()));

  return {
    port,
    stats,
    close: () => {
      closed = true;
      for (const s of sockets) s.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
