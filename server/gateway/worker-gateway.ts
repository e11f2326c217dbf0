import http from 'node:http';
import { Server, type Socket } from 'socket.io';
import type { Logger } from 'pino';
import {
  assignAck, heartbeatPayload, outputPayload, protocolPayload, registerPayload, resultPayload,
  type AssignAck, type AssignPayload, type CancelPayload, type OrchestratorToWorker, type OutputPayload,
  type ProtocolPayload, type ResultPayload, type WorkerToOrchestrator,
} from '../../shared/socket-events';
import { safeEqual } from '../http/auth';
import { WorkerRegistry } from './worker-registry';

export type WorkerSocket = Socket<WorkerToOrchestrator, OrchestratorToWorker>;

/** What the gateway hands on; the dispatcher implements it. */
export interface WorkerEvents {
  onRegistered(workerId: string, running: string[]): void;
  onOutput(workerId: string, p: OutputPayload): Promise<void>;
  onProtocol(workerId: string, p: ProtocolPayload): Promise<void>;
  /** Resolves once the result is durable; only then is the worker's result acknowledged. */
  onResult(workerId: string, p: ResultPayload): Promise<void>;
  onDisconnected(workerId: string, running: string[]): void;
}

export interface GatewayOptions {
  workerToken: string;
  logger: Logger;
  registry: WorkerRegistry<WorkerSocket>;
  clock?: () => Date;
  ackTimeoutMs?: number;
}

/**
 * The socket.io server workers connect to (WS_PORT). Authenticates the handshake with WORKER_TOKEN,
 * validates every payload with the shared schemas, keeps the registry current, forwards the rest.
 */
export class WorkerGateway {
  readonly io: Server<WorkerToOrchestrator, OrchestratorToWorker>;
  private readonly httpServer = http.createServer((_req, res) => {
    res.writeHead(404).end();
  });
  private handler?: WorkerEvents;
  private readonly now: () => string;

  constructor(private readonly opts: GatewayOptions) {
    this.now = () => (opts.clock ?? (() => new Date()))().toISOString();
    this.io = new Server(this.httpServer, { maxHttpBufferSize: 8 * 1024 * 1024, pingInterval: 10_000, pingTimeout: 10_000 });
    this.io.use((socket, next) => {
      const token = (socket.handshake.auth as { token?: unknown } | undefined)?.token;
      if (typeof token === 'string' && safeEqual(token, opts.workerToken)) return next();
      opts.logger.warn({ address: socket.handshake.address }, 'worker connection refused: invalid WORKER_TOKEN');
      next(new Error('unauthorized'));
    });
    this.io.on('connection', (socket) => this.attach(socket));
  }

  setHandler(handler: WorkerEvents): void {
    this.handler = handler;
  }

  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.httpServer.once('error', reject);
      this.httpServer.listen(port, host, () => {
        const address = this.httpServer.address();
        resolve(typeof address === 'object' && address ? address.port : port);
      });
    });
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
    // io.close() also closes the underlying HTTP server.
    await new Promise<void>((resolve) => this.io.close(() => resolve()));
  }

  private attach(socket: WorkerSocket): void {
    const log = this.opts.logger;
    let workerId: string | undefined;
    const guard = (what: string, fn: () => Promise<void>) => {
      fn().catch((err) => log.error({ err, workerId, what }, 'worker event handling failed'));
    };

    socket.on('register', (raw, ack) => {
      const p = registerPayload.safeParse(raw);
      if (!p.success) {
        log.warn({ issues: p.error.issues.length }, 'invalid register payload');
        if (typeof ack === 'function') ack({ ok: false, error: 'invalid register payload' });
        return;
      }
      workerId = p.data.workerId;
      this.opts.registry.register({ ...p.data, socket }, this.now());
      log.info({ workerId, slots: p.data.slots, version: p.data.version, running: p.data.running.length }, 'worker registered');
      this.handler?.onRegistered(workerId, p.data.running);
      if (typeof ack === 'function') ack({ ok: true });
    });

    socket.on('heartbeat', (raw) => {
      const p = heartbeatPayload.safeParse(raw);
      if (p.success && workerId) this.opts.registry.heartbeat(workerId, this.now());
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
        await this.handler?.onResult(id, p.data);
        if (typeof ack === 'function') ack({ ok: true });
      });
    });

    socket.on('disconnect', (reason) => {
      if (!workerId) return;
      const running = this.opts.registry.unregister(workerId, socket);
      log.warn({ workerId, reason, running: running.length }, 'worker disconnected');
      this.handler?.onDisconnected(workerId, running);
    });
  }
}
