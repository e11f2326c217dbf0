import { EventEmitter } from 'node:events';

export interface OutputEvent {
  executionId: string;
  seq: number;
  stream: string;
  text: string;
}

export interface EndEvent {
  executionId: string;
  status: string;
  error: string | null;
}

/**
 * In-process fan-out of stored (already scrubbed) output to live followers: SSE responses and
 * socket.io rooms. Only what is already in SQLite is published, so a follower can replay then follow.
 */
export class OutputBus {
  private readonly emitter = new EventEmitter();

  constructor() {
    // Many followers of one execution are normal (dashboards); the default of 10 would warn.
    this.emitter.setMaxListeners(0);
  }

  publishOutput(e: OutputEvent): void {
    this.emitter.emit(`output:${e.executionId}`, e);
  }

  publishStatus(executionId: string, status: string): void {
    this.emitter.emit(`status:${executionId}`, { executionId, status });
  }

  publishEnd(e: EndEvent): void {
    this.emitter.emit(`end:${e.executionId}`, e);
  }

  /** Subscribes to one execution; answers the unsubscribe function. */
  follow(
    executionId: string,
    handlers: { output(e: OutputEvent): void; status?(e: { executionId: string; status: string }): void; end(e: EndEvent): void },
  ): () => void {
    const { output, end } = handlers;
    const status = handlers.status ?? (() => undefined);
    this.emitter.on(`output:${executionId}`, output);
    this.emitter.on(`status:${executionId}`, status);
    this.emitter.on(`end:${executionId}`, end);
    return () => {
      this.emitter.off(`output:${executionId}`, output);
      this.emitter.off(`status:${executionId}`, status);
      this.emitter.off(`end:${executionId}`, end);
    };
  }
}
