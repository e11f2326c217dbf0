import { io, type Socket } from 'socket.io-client';
import type { OrchestratorToWorker, ResultPayload, WorkerToOrchestrator } from '../../shared/socket-events';

/**
 * A worker that speaks the real gateway protocol and stands in for the Claude CLI by answering at
 * once: it notes when each assignment arrived (wall clock, sub-millisecond), acknowledges it and
 * reports `completed` on the next tick.
 */
export class BenchWorker {
  private readonly socket: Socket<OrchestratorToWorker, WorkerToOrchestrator>;

  constructor(
    url: string,
    private readonly workerId: string,
    private readonly slots: number,
    token: string,
    private readonly onAssigned: (executionId: string, at: number) => void,
  ) {
    this.socket = io(url, { auth: { token }, reconnection: false, transports: ['websocket'] });
    this.socket.on('assign', (p, ack) => {
      this.onAssigned(p.executionId, performance.timeOrigin + performance.now());
      ack({ accepted: true });
      setImmediate(() => this.finish(p.executionId));
    });
  }

  async register(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.socket.once('connect', () => resolve());
      this.socket.once('connect_error', reject);
    });
    const ack = await this.socket.timeout(10_000).emitWithAck('register', { workerId: this.workerId, slots: this.slots, version: 'bench', running: [] });
    if (!ack.ok) throw new Error(`worker ${this.workerId}: register refused: ${ack.error}`);
  }

  private finish(executionId: string): void {
    const result: ResultPayload = {
      executionId, status: 'completed', exitCode: 0, error: null, result: 'ok',
      costUsd: 0, durationMs: 0, numTurns: 1, sessionId: 'bench',
    };
    this.socket.emit('result', result, () => undefined);
  }

  close(): void {
    this.socket.disconnect();
  }
}
