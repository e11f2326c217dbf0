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
  /**
   * May leave out `output` and `status` of a run nobody follows elsewhere (see ClusterBus): a
   * follower fills what it missed from the records. `end` always goes out.
   */
  publish(executionId: string, message: BusMessage): void;
  /** Delivers what other instances publish for the execution; `ready` once the subscription holds. */
  follow(executionId: string, deliver: (message: BusMessage) => void): { ready: Promise<void>; off(): void };
  /** The stored output of an execution after `afterSeq`, in order: what fills a gap in what was relayed. */
  storedAfter(executionId: string, afterSeq: number): Promise<OutputEvent[]>;
}

/** Unsubscribes; `ready` settles once events published anywhere (not only here) reach the handlers. */
export type Subscription = (() => void) & { ready: Promise<void> };

export interface FollowHandlers {
  output(e: OutputEvent): void;
  status?(e: StatusEvent): void;
  end(e: EndEvent): void;
  /**
   * The last seq the follower has (replayed or received). With it, output relayed from another
   * instance that skips ahead, and its end, come after what was stored in between.
   */
  lastSeq?(): number;
}

/**
 * Fan-out of stored (already scrubbed) output to live followers: SSE responses and socket.io rooms,
 * on this instance directly and on the others through the relay. Only what is already stored is
 * published, so a follower can replay then follow, whichever instance records the run.
 */
export class OutputBus {
  private readonly emitter = new EventEmitter();

  constructor(
    private readonly relay?: OutputRelay,
    /** Told when handing a relayed message to a follower failed. */
    private readonly onRelayError: (err: unknown) => void = () => undefined,
  ) {
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
    const relay = this.relay;
    const relayed = { ...handlers, status };
    // Relayed messages are handled one after the other: a gap is filled before what follows it.
    let queue = Promise.resolve();
    const remote = relay?.follow(executionId, (m) => {
      queue = queue.then(() => this.deliverRelayed(relay, m, relayed)).catch(this.onRelayError);
    });
    const off = () => {
      this.emitter.off(`output:${executionId}`, output);
      this.emitter.off(`status:${executionId}`, status);
      this.emitter.off(`end:${executionId}`, end);
      remote?.off();
    };
    return Object.assign(off, { ready: remote?.ready ?? Promise.resolve() });
  }

  /** A relayed message, after any stored output the follower lacks (the publisher may have left it out). */
  private async deliverRelayed(relay: OutputRelay, m: BusMessage, h: Required<Pick<FollowHandlers, 'status'>> & FollowHandlers): Promise<void> {
    if (m.kind === 'status') return h.status(m.event);
    const last = h.lastSeq?.();
    const upTo = m.kind === 'output' ? m.event.seq : Number.POSITIVE_INFINITY;
    if (last !== undefined && upTo > last + 1) {
      const missed = await relay.storedAfter(m.event.executionId, last).catch(() => []);
      for (const e of missed) if (e.seq < upTo) h.output(e);
    }
    if (m.kind === 'output') h.output(m.event);
    else h.end(m.event);
  }

  private emit(m: BusMessage): void {
    this.emitter.emit(`${m.kind}:${m.event.executionId}`, m.event);
    this.relay?.publish(m.event.executionId, m);
  }
}
