import type { Logger } from 'pino';
import { io, type Socket } from 'socket.io-client';
import {
  HEARTBEAT_INTERVAL_MS, registerAck, resultAck,
  type OrchestratorToWorker, type OutputPayload, type ProtocolPayload, type RegisterPayload, type ResultPayload, type WorkerToOrchestrator,
} from '../shared/socket-events';

export type WorkerSocket = Socket<OrchestratorToWorker, WorkerToOrchestrator>;

export interface SocketOptions {
  delayMs?: number;
  maxDelayMs?: number;
  /** PEM of the CA that signed the orchestrator's certificate (ORCHESTRATOR_CA_FILE), for a private CA. */
  ca?: string;
}

/** Moves a socket made from several URLs on to the next one (see createOrchestratorSocket). */
const NEXT_URL = Symbol('next orchestrator URL');
type Failover = WorkerSocket & { [NEXT_URL]?: () => void };

/** The URL the socket connects to now (the next attempt goes there). */
export function currentUrl(socket: WorkerSocket): string {
  return (socket.io as unknown as { uri: string }).uri;
}

/**
 * socket.io-client to the gateway with reconnection backoff (1 s doubling to 30 s, ±50 % jitter so
 * a fleet does not reconnect in step). Websocket only: no sticky sessions are needed behind a load
 * balancer. An https:// URL speaks WSS and verifies the orchestrator's certificate (against `ca`
 * when given, else the system's CAs). With several URLs (several orchestrators) it starts with the
 * first and every reconnection attempt goes to the next one, so a worker whose orchestrator died is
 * back on another within a second or two. Not connected yet: the caller attaches its handlers,
 * then calls `OrchestratorConnection.start()`.
 */
export function createOrchestratorSocket(url: string | readonly string[], token: string, opts: SocketOptions = {}): WorkerSocket {
  const urls = typeof url === 'string' ? [url] : [...url];
  const socket: Failover = io(urls[0], {
    auth: { token },
    ...(opts.ca ? { ca: opts.ca } : {}),
    rejectUnauthorized: true,
    autoConnect: false,
    forceNew: true, // never share a Manager with another socket to the same URL (tests run several workers)
    transports: ['websocket'],
    reconnection: true,
    reconnectionDelay: opts.delayMs ?? 1_000,
    reconnectionDelayMax: opts.maxDelayMs ?? 30_000,
    randomizationFactor: 0.5,
    timeout: 10_000,
  });
  if (urls.length > 1) {
    let current = 0;
    // The Manager opens each attempt on its `uri` (engine.io parses it afresh every time).
    const next = () => {
      current = (current + 1) % urls.length;
      (socket.io as unknown as { uri: string }).uri = urls[current];
    };
    socket[NEXT_URL] = next;
    socket.io.on('reconnect_attempt', next);
  }
  return socket;
}

/** After the orchestrator itself dropped us (it is shutting down): try the next URL, if there are several. */
function failOver(socket: WorkerSocket): void {
  (socket as Failover)[NEXT_URL]?.();
}

export interface ConnectionDeps {
  socket: WorkerSocket;
  identity: Omit<RegisterPayload, 'running' | 'finished'>;
  /** Executions still running, for register and heartbeat. */
  runningIds: () => string[];
  logger: Logger;
  /** The orchestrator refused us for good (registration refused; a refused token is retried). */
  onFatal: (err: Error) => void;
  ackTimeoutMs?: number;
  heartbeatMs?: number;
  /** Protocol payloads kept while not registered; the oldest go first beyond this. */
  queueLimit?: number;
  /** Output characters kept per execution until its result is acknowledged (re-sent after a reconnect). */
  retainOutputChars?: number;
  /** Wait before reconnecting after the server itself dropped us (socket.io does not retry that). */
  serverDropRetryMs?: number;
  /** The gateway's URL, for the lines that say what the worker waits for (default: the socket's current one). */
  url?: string;
  /** Wait after the gateway refused the token: doubling from `initialMs` to `maxMs` (default 5 s to 5 min). */
  refusedBackoff?: { initialMs: number; maxMs: number };
}

type Queued = { event: 'protocol'; payload: ProtocolPayload };

/** Sent output of one execution, kept until its result is acknowledged. */
interface Retained {
  batches: OutputPayload[];
  chars: number;
}

/**
 * The worker's session with the orchestrator: registers on every (re)connect and sends nothing
 * else before that ack (the gateway ignores an unregistered socket); queues protocol messages
 * meanwhile; keeps each execution's output and its result until the result is acknowledged, and
 * re-sends them after a reconnect. Output is not acknowledged batch by batch, so a batch written
 * into a connection that was already dead would otherwise be lost; re-sent batches that did arrive
 * are ignored by the orchestrator (same execution and seq).
 */
export class OrchestratorConnection {
  private registered = false;
  private closed = false;
  private queue: Queued[] = [];
  private dropped = 0;
  private readonly results = new Map<string, ResultPayload>();
  private readonly retained = new Map<string, Retained>();
  private readonly inFlight = new Set<string>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private heartbeat?: NodeJS.Timeout;
  /** Token refusals since the last connection, for the backoff. */
  private refusals = 0;
  private readonly ackTimeoutMs: number;

  constructor(private readonly deps: ConnectionDeps) {
    this.ackTimeoutMs = deps.ackTimeoutMs ?? 10_000;
  }

  get isRegistered(): boolean {
    return this.registered;
  }

  /** Results not yet acknowledged. */
  get unacknowledged(): number {
    return this.results.size;
  }

  hasResult(executionId: string): boolean {
    return this.results.has(executionId);
  }

  start(): void {
    const { socket, logger: log } = this.deps;
    const where = () => this.deps.url ?? currentUrl(socket) ?? 'its URL';
    socket.on('connect', () => {
      this.refusals = 0;
      void this.register();
    });
    socket.on('disconnect', (reason) => {
      this.registered = false;
      if (this.closed) log.info('disconnected from orchestrator');
      else log.warn({ reason }, 'disconnected from orchestrator');
      // After a server-side disconnect socket.io does not reconnect by itself.
      if (reason === 'io server disconnect' && !this.closed) {
        this.later(this.deps.serverDropRetryMs ?? 1_000, () => {
          failOver(socket);
          socket.connect();
        });
      }
    });
    socket.on('connect_error', (err) => {
      if (socket.active) {
        log.warn(`cannot reach the orchestrator at ${where()} (${err.message}); retrying`);
        return;
      }
      // The orchestrator could not check the token just now (its database): not a refusal.
      if ((err as Error & { data?: { retry?: boolean } }).data?.retry) {
        log.warn({ err: err.message }, 'orchestrator could not check the worker token; retrying');
        this.later(this.deps.serverDropRetryMs ?? 1_000, () => socket.connect());
        return;
      }
      // Refused by the gateway's handshake: the token is wrong or was revoked. Say so, and try again
      // slowly rather than exit: the orchestrator's side may be fixed without restarting this worker
      // (and a supervisor restarting an exited worker would only spin).
      const { initialMs, maxMs } = this.deps.refusedBackoff ?? { initialMs: 5_000, maxMs: 300_000 };
      const delayMs = Math.min(maxMs, initialMs * 2 ** Math.min(this.refusals++, 20));
      log.error(
        `the orchestrator at ${where()} refused the worker token (${err.message}): WORKER_TOKEN is not the orchestrator's, ` +
          `or this worker's enrolled token was revoked; retrying in ${Math.round(delayMs / 100) / 10} s`,
      );
      this.later(delayMs, () => socket.connect());
    });
    // The orchestrator asks when another connection claims this worker's identity: answering keeps it ours.
    socket.on('probe', (_p, ack) => {
      if (typeof ack === 'function') ack({ ok: true });
    });
    this.heartbeat = setInterval(() => {
      if (this.registered) socket.emit('heartbeat', { workerId: this.deps.identity.workerId, running: this.deps.runningIds() });
    }, this.deps.heartbeatMs ?? HEARTBEAT_INTERVAL_MS);
    socket.connect();
  }

  sendOutput(payload: OutputPayload): void {
    this.retain(payload);
    if (this.registered && this.deps.socket.connected) this.deps.socket.emit('output', payload);
  }

  sendProtocol(payload: ProtocolPayload): void {
    this.sendOrQueue({ event: 'protocol', payload });
  }

  /** Keeps the result until acknowledged; sends it now if registered, else after the next register. */
  sendResult(result: ResultPayload): void {
    this.results.set(result.executionId, result);
    this.trySendResult(result.executionId);
  }

  /** Resolves when every result is acknowledged or `timeoutMs` passed; answers whether all were. */
  async waitForResults(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.results.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    return this.results.size === 0;
  }

  /** Stops heartbeat and retries and disconnects for good. */
  close(): void {
    this.closed = true;
    this.registered = false;
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.timers.forEach(clearTimeout);
    this.timers.clear();
    this.deps.socket.disconnect();
  }

  private later(ms: number, fn: () => void): void {
    if (this.closed) return;
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (!this.closed) fn();
    }, ms);
    this.timers.add(t);
  }

  private async register(): Promise<void> {
    const { socket, logger: log } = this.deps;
    const payload: RegisterPayload = { ...this.deps.identity, running: this.deps.runningIds(), finished: [...this.results.keys()] };
    let ack: unknown;
    try {
      ack = await socket.timeout(this.ackTimeoutMs).emitWithAck('register', payload);
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'register not acknowledged');
      if (socket.connected) this.later(1_000, () => void this.register()); // still connected: ask again
      return;
    }
    const parsed = registerAck.safeParse(ack);
    if (!parsed.success || !parsed.data.ok) {
      this.deps.onFatal(new Error(`orchestrator refused registration: ${parsed.data?.error ?? 'invalid ack'}`));
      return;
    }
    this.registered = true;
    // An enrolled token's name is the identity, whatever WORKER_ID says.
    const workerId = parsed.data.workerId ?? payload.workerId;
    log.info({ workerId, url: currentUrl(socket), running: payload.running.length, unacknowledged: this.results.size }, 'registered with orchestrator');
    for (const r of this.retained.values()) for (const batch of r.batches) socket.emit('output', batch);
    const queued = this.queue;
    this.queue = [];
    for (const q of queued) this.emit(q);
    for (const id of this.results.keys()) this.trySendResult(id);
  }

  private emit(q: Queued): void {
    this.deps.socket.emit(q.event, q.payload);
  }

  /** Keeps a batch for re-sending; beyond the bound the oldest go (they were most likely delivered). */
  private retain(payload: OutputPayload): void {
    const r = this.retained.get(payload.executionId) ?? { batches: [], chars: 0 };
    this.retained.set(payload.executionId, r);
    r.batches.push(payload);
    r.chars += payload.chunks.reduce((n, c) => n + c.text.length, 0);
    const limit = this.deps.retainOutputChars ?? 4_000_000;
    while (r.chars > limit && r.batches.length > 1) {
      r.chars -= r.batches.shift()!.chunks.reduce((n, c) => n + c.text.length, 0);
    }
  }

  private sendOrQueue(q: Queued): void {
    if (this.registered && this.deps.socket.connected) return this.emit(q);
    this.queue.push(q);
    if (this.queue.length > (this.deps.queueLimit ?? 5_000)) {
      this.queue.shift();
      if (this.dropped++ % 100 === 0) this.deps.logger.warn({ dropped: this.dropped }, 'output queue full while disconnected; dropping the oldest');
    }
  }

  private trySendResult(executionId: string): void {
    const result = this.results.get(executionId);
    if (!result || !this.registered || !this.deps.socket.connected || this.inFlight.has(executionId)) return;
    const { socket, logger: log } = this.deps;
    this.inFlight.add(executionId);
    socket.timeout(this.ackTimeoutMs).emitWithAck('result', result).then(
      (ack) => {
        this.inFlight.delete(executionId);
        const parsed = resultAck.safeParse(ack);
        // ok:false means the orchestrator will never take this result (invalid); re-sending cannot help.
        if (!parsed.success || !parsed.data.ok) log.warn({ executionId }, 'orchestrator rejected the result; dropping it');
        this.results.delete(executionId);
        this.retained.delete(executionId);
      },
      (err: Error) => {
        this.inFlight.delete(executionId);
        log.warn({ executionId, err: err.message }, 'result not acknowledged; will re-send');
        // Disconnected: the next register re-sends it. Still connected (slow store): try again soon.
        if (socket.connected) this.later(2_000, () => this.trySendResult(executionId));
      },
    );
  }
}
