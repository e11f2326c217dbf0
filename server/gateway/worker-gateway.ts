import http from 'node:http';
import https from 'node:https';
import { Server, type Socket } from 'socket.io';
import type { Logger } from 'pino';
import {
  assignAck, heartbeatPayload, outputPayload, protocolPayload, registerPayload, resultPayload,
  type AssignAck, type AssignPayload, type CancelPayload, type OrchestratorToWorker, type OutputPayload,
  type ProtocolPayload, type ResultPayload, type WorkerToOrchestrator,
} from '../../shared/socket-events';
import { identityOf, markRegistered, workerHandshake, type EnrolledTokens } from './worker-auth';
import { WorkerIdentities, type Departure } from './worker-identities';
import { WorkerRegistry } from './worker-registry';

export type WorkerSocket = Socket<WorkerToOrchestrator, OrchestratorToWorker>;

/** What the gateway hands on; the dispatcher implements it. */
export interface WorkerEvents {
  /** `held`: the runs it still has or finished unacknowledged; `session`: its process's random id. */
  onRegistered(workerId: string, running: string[], held?: { finished: string[]; session?: string }): void;
  onOutput(workerId: string, p: OutputPayload): Promise<void>;
  onProtocol(workerId: string, p: ProtocolPayload): Promise<void>;
  /**
   * Resolves once the result is durable; only then is the worker's result acknowledged. False: the
   * result was refused (not this worker's run) and is acknowledged `ok: false`.
   */
  onResult(workerId: string, p: ResultPayload): Promise<boolean>;
  /**
   * The worker's connection ended. `dropped`/`replaced`: it may come back (its runs get the grace);
   * `revoked`: its token was revoked, it cannot come back.
   */
  onDisconnected(workerId: string, running: string[], how: Departure): void;
}

export interface GatewayOptions {
  /** The shared WORKER_TOKEN; undefined when only enrolled tokens connect. */
  workerToken?: string;
  /** Enrolled worker tokens (identity = token name); without them only the shared token connects. */
  tokens?: EnrolledTokens;
  logger: Logger;
  registry: WorkerRegistry<WorkerSocket>;
  clock?: () => Date;
  ackTimeoutMs?: number;
  /** How long a connected worker has to answer before a second connection with its identity replaces it. */
  probeTimeoutMs?: number;
  /** How often connected enrolled workers' tokens are re-checked (a revoke made by another orchestrator). */
  revalidateMs?: number;
  /** PEM certificate and key: the gateway then speaks WSS (HTTPS) only. */
  tls?: { cert: Buffer | string; key: Buffer | string };
}

/**
 * The socket.io server workers connect to (WS_PORT, WSS when `tls` is given). Authenticates the
 * handshake (shared WORKER_TOKEN or an enrolled token), gives each connection one identity that a
 * second live connection cannot take over, validates every payload with the shared schemas, keeps
 * the registry current, forwards the rest, and drops workers whose token is revoked.
 */
export class WorkerGateway {
  readonly io: Server<WorkerToOrchestrator, OrchestratorToWorker>;
  private readonly httpServer: http.Server | https.Server;
  private handler?: WorkerEvents;
  private readonly now: () => string;
  private readonly identities: WorkerIdentities;

  constructor(private readonly opts: GatewayOptions) {
    this.now = () => (opts.clock ?? (() => new Date()))().toISOString();
    const notFound: http.RequestListener = (_req, res) => void res.writeHead(404).end();
    this.httpServer = opts.tls ? https.createServer({ cert: opts.tls.cert, key: opts.tls.key }, notFound) : http.createServer(notFound);
    // Websocket only, as workers connect: a load balancer in front needs no stickiness.
    this.io = new Server(this.httpServer, { maxHttpBufferSize: 8 * 1024 * 1024, pingInterval: 10_000, pingTimeout: 10_000, transports: ['websocket'] });
    this.io.use(workerHandshake({ sharedToken: opts.workerToken, tokens: opts.tokens, logger: opts.logger }));
    this.identities = new WorkerIdentities({
      registry: opts.registry, tokens: opts.tokens, logger: opts.logger,
      sockets: () => this.io.sockets.sockets.values(),
      departed: (workerId, running, how) => this.handler?.onDisconnected(workerId, running, how),
      probeTimeoutMs: opts.probeTimeoutMs, revalidateMs: opts.revalidateMs,
    });
    this.io.on('connection', (socket) => this.attach(socket));
  }

  setHandler(handler: WorkerEvents): void {
    this.handler = handler;
  }

  listen(port: number, host: string): Promise<number> {
    this.identities.start();
    return new Promise((resolve, reject) => {
      this.httpServer.once('error', reject);
      this.httpServer.listen(port, host, () => {
        const address = this.httpServer.address();
        resolve(typeof address === 'object' && address ? address.port : port);
      });
    });
  }

  /** Token ids of the enrolled workers registered here now. */
  connectedTokenIds(): Set<string> {
    return this.identities.connectedTokenIds();
  }

  /** Drops every connection of a revoked token at once (see WorkerIdentities.revoke). */
  revokeToken(tokenId: string): number {
    return this.identities.revoke(tokenId);
  }

  /** Sends an assignment and waits for the worker's ack; a timeout or bad ack counts as refused. */
  async assign(workerId: string, payload: AssignPayload): Promise<AssignAck> {
    const link = this.opts.registry.get(workerId);
    if (!link) return { accepted: false, reason: 'worker_gone' };
    try {
      const ack = await link.socket.timeout(this.opts.ackTimeoutMs ?? 10_000).emitWithAck('assign', payload);
      const parsed = assignAck.safeParse(ack);
      return parsed.success ? parsed.data : { accepted: false, reason: 'bad_ack' };
    } catch {
      return { accepted: false, reason: 'ack_timeout' };
    }
  }

  cancel(workerId: string, payload: CancelPayload): boolean {
    const link = this.opts.registry.get(workerId);
    if (!link) return false;
    link.socket.emit('cancel', payload);
    return true;
  }

  async close(): Promise<void> {
    this.identities.stop();
    // io.close() also closes the underlying HTTP server.
    await new Promise<void>((resolve) => this.io.close(() => resolve()));
  }

  private attach(socket: WorkerSocket): void {
    const log = this.opts.logger;
    let workerId: string | undefined;
    const guard = (what: string, fn: () => Promise<void>) => {
      fn().catch((err) => log.error({ err, workerId, what }, 'worker event handling failed'));
    };

    const identity = identityOf(socket);
    const tokenId = identity?.kind === 'enrolled' ? identity.tokenId : undefined;

    socket.on('register', (raw, ack) => {
      const reply = (a: { ok: boolean; error?: string; workerId?: string }) => {
        if (typeof ack === 'function') ack(a);
      };
      const p = registerPayload.safeParse(raw);
      if (!p.success) {
        log.warn({ issues: p.error.issues.length }, 'invalid register payload');
        reply({ ok: false, error: 'invalid register payload' });
        return;
      }
      guard('register', async () => {
        const claim = await this.identities.claim(socket, p.data.workerId);
        if (!claim.ok) {
          log.warn({ workerId: p.data.workerId, tokenId, address: socket.handshake.address, reason: claim.error }, 'worker registration refused');
          reply({ ok: false, error: claim.error });
          // Give the refusal time to arrive, then hang up (the worker gives up on a refusal).
          setTimeout(() => socket.disconnect(true), 1_000).unref?.();
          return;
        }
        workerId = claim.workerId;
        markRegistered(socket, workerId);
        this.opts.registry.register({ ...p.data, workerId, auth: tokenId ? 'enrolled' : 'shared', socket }, this.now());
        log.info({ workerId, slots: p.data.slots, version: p.data.version, running: p.data.running.length, enrolled: Boolean(tokenId) }, 'worker registered');
        if (tokenId) void this.opts.tokens?.seen(tokenId, true);
        this.handler?.onRegistered(workerId, p.data.running, { finished: p.data.finished ?? [], session: p.data.session });
        reply({ ok: true, workerId });
      });
    });

    socket.on('heartbeat', (raw) => {
      const p = heartbeatPayload.safeParse(raw);
      if (!p.success || !workerId) return;
      this.opts.registry.heartbeat(workerId, this.now());
      if (tokenId) void this.opts.tokens?.seen(tokenId);
    });

    socket.on('output', (raw) => {
      const p = outputPayload.safeParse(raw);
      if (!p.success || !workerId) return;
      const id = workerId;
      guard('output', () => this.handler?.onOutput(id, p.data) ?? Promise.resolve());
    });

    socket.on('protocol', (raw) => {
      const p = protocolPayload.safeParse(raw);
      if (!p.success || !workerId) return;
      const id = workerId;
      guard('protocol', () => this.handler?.onProtocol(id, p.data) ?? Promise.resolve());
    });

    socket.on('result', (raw, ack) => {
      const p = resultPayload.safeParse(raw);
      if (!p.success || !workerId) {
        if (typeof ack === 'function') ack({ ok: false });
        return;
      }
      const id = workerId;
      guard('result', async () => {
        const accepted = (await this.handler?.onResult(id, p.data)) ?? false;
        if (typeof ack === 'function') ack({ ok: accepted });
      });
    });

    socket.on('disconnect', (reason) => {
      // Not (or no longer) the identity's current connection: revoked or replaced, already handled.
      if (!workerId || this.opts.registry.get(workerId)?.socket !== socket) return;
      const running = this.opts.registry.unregister(workerId, socket);
      log.warn({ workerId, reason, running: running.length }, 'worker disconnected');
      if (tokenId) void this.opts.tokens?.seen(tokenId, true);
      this.handler?.onDisconnected(workerId, running, 'dropped');
    });
  }
}
