import type { OutputChunk, OutputPayload } from '../shared/socket-events';

export interface BatcherOptions {
  executionId: string;
  send: (payload: OutputPayload) => void;
  /** Flush this long after the first chunk of a batch arrived. */
  flushMs?: number;
  /** Flush at once when a batch holds this many bytes of text. */
  maxBytes?: number;
  /** Injectable for tests; the global timers otherwise. */
  timers?: { set: (fn: () => void, ms: number) => unknown; clear: (handle: unknown) => void };
}

/**
 * Collects one execution's output chunks into `output` payloads: a batch goes out ~flushMs after
 * its first chunk, as soon as it reaches maxBytes, or on close(). Chunks are numbered consecutively
 * from 0 across batches (`seq` = number of the batch's first chunk), so the orchestrator can store
 * them in order and notice a gap.
 */
export class OutputBatcher {
  private pending: OutputChunk[] = [];
  private pendingBytes = 0;
  private nextSeq = 0;
  private timer: unknown;
  private closed = false;
  private readonly flushMs: number;
  private readonly maxBytes: number;
  private readonly timers: NonNullable<BatcherOptions['timers']>;

  constructor(private readonly opts: BatcherOptions) {
    this.flushMs = opts.flushMs ?? 50;
    this.maxBytes = opts.maxBytes ?? 16 * 1024;
    this.timers = opts.timers ?? { set: (fn, ms) => setTimeout(fn, ms), clear: (h) => clearTimeout(h as NodeJS.Timeout) };
  }

  /** Number of chunks handed to `send` so far. */
  get sent(): number {
    return this.nextSeq;
  }

  push(chunk: OutputChunk): void {
    if (this.closed) return; // a straggler after the result: the record is already final
    this.pending.push(chunk);
    this.pendingBytes += Buffer.byteLength(chunk.text);
    if (this.pendingBytes >= this.maxBytes) this.flush();
    else if (this.timer === undefined) this.timer = this.timers.set(() => this.flush(), this.flushMs);
  }

  flush(): void {
    if (this.timer !== undefined) {
      this.timers.clear(this.timer);
      this.timer = undefined;
    }
    if (this.pending.length === 0) return;
    const chunks = this.pending;
    const seq = this.nextSeq;
    this.pending = [];
    this.pendingBytes = 0;
    this.nextSeq += chunks.length;
    this.opts.send({ executionId: this.opts.executionId, seq, chunks });
  }

  /** Flushes what is left; later pushes are dropped. */
  close(): void {
    this.flush();
    this.closed = true;
  }
}
