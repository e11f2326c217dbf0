import { EventEmitter } from 'node:events';

export interface OutputEvent {
  executionId: string;
  seq: number;
  stream: string;
  text: string;
}

export interface StatusEvent {
  executionId: string;
  status: string;
}

export interface EndEvent {
  executionId: string;
  status: string;
  error: string | null;
}

type BusMessage = { kind: 'output'; event: OutputEvent } | { kind: 'status'; event: StatusEvent } | { kind: 'end'; event: EndEvent };

/**
 * How the bus reaches the other orchestrator instances (cluster-bus.ts: Redis pub/sub, one
 * channel per execution). Absent: one process, nothing to relay.
 */
export interface OutputRelay {
  publish(executionId: string, message: BusMessage): void;
  /** Delivers what other instances publish for the execution; `ready` once the subscription holds. */
  follow(executionId: string, deliver: (message: BusMessage) => void): { ready: Promise<void>; off(): void };
}

/** Unsubscribes; `ready` settles once events published anywhere (not only here) reach the handlers. */
export type Subscription = (() => void) & { ready: Promise<void> };

export interface FollowHandlers {
  output(e: OutputEvent): void;
  status?(e: StatusEvent): void;
  end(e: EndEvent): void;
}

/**
 * Fan-out of stored (already scrubbed) output to live followers: SSE responses and socket.io rooms,
 * on this instance directly and on the others through the relay. Only what is already stored is
 * published, so a follower can replay then follow, whichever instance records the run.
 */
export class OutputBus {
  private readonly emitter = new EventEmitter();

  constructor(private readonly relay?: OutputRelay) {
    // Many followers of one execution are normal (dashboards); the default of 10 would warn.
    this.emitter.setMaxListeners(0);
  }

  publishOutput(e: OutputEvent): void {
    this.emit({ kind: 'output', event: e });
  }

  publishStatus(executionId: string, status: string): void {
    this.emit({ kind: 'status', event: { executionId, status } });
  }

  publishEnd(e: EndEvent): void {
    this.emit({ kind: 'end', event: e });
  }

  /** Subscribes to one execution; await `ready` before replaying stored output, so nothing falls in between. */
  follow(executionId: string, handlers: FollowHandlers): Subscription {
    const { output, end } = handlers;
    const status = handlers.status ?? (() => undefined);
    this.emitter.on(`output:${executionId}`, output);
    this.emitter.on(`status:${executionId}`, status);
    this.emitter.on(`end:${executionId}`, end);
    const remote = this.relay?.follow(executionId, (m) => {
      if (m.kind === 'output') output(m.event);
      else if (m.kind === 'status') status(m.event);
      else end(m.event);
    });
    const off = () => {
      this.emitter.off(`output:${executionId}`, output);
      this.emitter.off(`status:${executionId}`, status);
      this.emitter.off(`end:${executionId}`, end);
      remote?.off();
    };
    return Object.assign(off, { ready: remote?.ready ?? Promise.resolve() });
  }

  private emit(m: BusMessage): void {
    this.emitter.emit(`${m.kind}:${m.event.executionId}`, m.event);
    this.relay?.publish(m.event.executionId, m);
  }
}
