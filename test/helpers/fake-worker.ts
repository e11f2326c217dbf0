import { io, type Socket } from 'socket.io-client';
import type { AssignPayload, OrchestratorToWorker, ResultPayload, WorkerToOrchestrator } from '../../shared/socket-events';
import { TEST_KEYS } from './env';

type ClientSocket = Socket<OrchestratorToWorker, WorkerToOrchestrator>;

export interface FakeWorkerOptions {
  url: string;
  workerId: string;
  slots: number;
  token?: string;
  /** How long a run takes before its result is sent (ms); default 50. */
  runMs?: number;
  /** Answer the orchestrator's identity probes (a live worker does); false plays a hung connection. */
  answerProbes?: boolean;
}

/**
 * A socket.io worker that speaks the real gateway protocol but runs nothing: it accepts assignments,
 * sends one output line, and reports `completed` after `runMs` (or `cancelled` on cancel).
 * For orchestrator-side tests only; the real worker and CLI are covered by the e2e suite.
 */
export class FakeWorker {
  readonly socket: ClientSocket;
  readonly assigned: AssignPayload[] = [];
  readonly cancels: string[] = [];
  /** When each run was taken and its result sent (performance.now(): one clock for every fake in the process). */
  readonly timeline: Array<{ at: number; executionId: string; what: 'assigned' | 'finished' }> = [];
  private readonly running = new Map<string, NodeJS.Timeout>();

  constructor(private readonly opts: FakeWorkerOptions) {
    this.socket = io(opts.url, { auth: { token: opts.token ?? TEST_KEYS.WORKER_TOKEN }, reconnection: false, transports: ['websocket'] });
    this.socket.on('assign', (p, ack) => {
      if (this.running.size >= opts.slots) return ack({ accepted: false, reason: 'no_free_slot' });
      this.assigned.push(p);
      this.timeline.push({ at: performance.now(), executionId: p.executionId, what: 'assigned' });
      ack({ accepted: true });
      this.socket.emit('output', { executionId: p.executionId, seq: 0, chunks: [{ stream: 'assistant', text: `ran ${p.executionId}` }] });
      this.running.set(p.executionId, setTimeout(() => this.finish(p.executionId, 'completed'), opts.runMs ?? 50));
    });
    this.socket.on('probe', (_p, ack) => {
      if (opts.answerProbes !== false) ack({ ok: true });
    });
    this.socket.on('cancel', (p) => {
      this.cancels.push(p.executionId);
      if (this.running.has(p.executionId)) this.finish(p.executionId, 'cancelled');
    });
  }

  /** Connects and registers; resolves with the identity the orchestrator gave it. */
  async register(): Promise<string> {
    if (!this.socket.connected) {
      await new Promise<void>((resolve, reject) => {
        this.socket.once('connect', () => resolve());
        this.socket.once('connect_error', reject);
      });
    }
    const ack = await this.socket.timeout(5000).emitWithAck('register', { workerId: this.opts.workerId, slots: this.opts.slots, version: 'fake', running: this.runningIds() });
    if (!ack.ok) throw new Error(`register refused: ${ack.error}`);
    return ack.workerId ?? this.opts.workerId;
  }

  runningIds(): string[] {
    return [...this.running.keys()];
  }

  finish(executionId: string, status: ResultPayload['status']): void {
    clearTimeout(this.running.get(executionId));
    this.running.delete(executionId);
    this.timeline.push({ at: performance.now(), executionId, what: 'finished' });
    const result: ResultPayload = {
      executionId, status, exitCode: status === 'completed' ? 0 : null, error: status === 'completed' ? null : status,
      result: `done ${executionId}`, costUsd: 0.001, durationMs: 10, numTurns: 1, sessionId: 'fake-session',
    };
    this.socket.emit('result', result, () => undefined);
  }

  /** Drops the connection abruptly, leaving runs unfinished (a crashed worker). */
  crash(): void {
    for (const t of this.running.values()) clearTimeout(t);
    this.running.clear();
    this.socket.disconnect();
  }

  close(): void {
    this.crash();
  }
}
