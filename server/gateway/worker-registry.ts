import type { RegisterPayload } from '../../shared/socket-events';

/** A connected worker as `/api/status` shows it. */
export interface WorkerSummary {
  workerId: string;
  version: string;
  slots: number;
  busy: number;
  free: number;
  running: string[];
  /** How the worker isolates CLI runs (`unknown` for workers that predate the field). */
  isolation: NonNullable<RegisterPayload['isolation']> | 'unknown';
  /** Whether its runs' network is limited to their allowlist (only `bwrap` does that; `uid` limits files and processes only). */
  networkLimited: boolean;
  /** `enrolled`: connected with an enrolled token, `workerId` is the token's name; `shared`: WORKER_TOKEN. */
  auth: 'enrolled' | 'shared';
  connectedAt: string;
  lastHeartbeatAt: string;
}

/** What the registry needs of a connection: a way to talk to that worker. Kept abstract for tests. */
export interface WorkerLink<S = unknown> {
  socket: S;
}

interface Entry<S> extends WorkerLink<S> {
  workerId: string;
  /** The worker process's session (random per process; absent for older workers). */
  session?: string;
  /** Runs it finished before this registration whose results it is about to send. */
  finished: Set<string>;
  version: string;
  slots: number;
  isolation: WorkerSummary['isolation'];
  auth: WorkerSummary['auth'];
  running: Set<string>;
  connectedAt: string;
  lastHeartbeatAt: string;
}

/**
 * The connected workers and which executions each is running. In memory by design: a worker that
 * is not connected cannot run anything, and workers re-register (with their running list) on reconnect.
 * Pure bookkeeping, no I/O; `onChange` lets the dispatcher resize its concurrency.
 */
export class WorkerRegistry<S = unknown> {
  private readonly workers = new Map<string, Entry<S>>();

  constructor(private readonly onChange: () => void = () => undefined) {}

  /** Adds or replaces a worker (a reconnect replaces the old socket but keeps nothing else). */
  register(
    w: {
      workerId: string; version: string; slots: number; running: string[]; isolation?: RegisterPayload['isolation']; auth?: WorkerSummary['auth']; socket: S;
      session?: string; finished?: string[];
    },
    now: string,
  ): void {
    this.workers.set(w.workerId, {
      workerId: w.workerId, version: w.version, slots: w.slots, socket: w.socket, session: w.session, finished: new Set(w.finished ?? []), isolation: w.isolation ?? 'unknown', auth: w.auth ?? 'shared',
      running: new Set(w.running), connectedAt: now, lastHeartbeatAt: now,
    });
    this.onChange();
  }

  /** Removes the worker if `socket` is still its current connection; answers what it was running. */
  unregister(workerId: string, socket: S): string[] {
    const entry = this.workers.get(workerId);
    if (!entry || entry.socket !== socket) return [];
    this.workers.delete(workerId);
    this.onChange();
    return [...entry.running];
  }

  get(workerId: string): (WorkerLink<S> & { workerId: string }) | undefined {
    return this.workers.get(workerId);
  }

  heartbeat(workerId: string, now: string): void {
    const entry = this.workers.get(workerId);
    if (entry) entry.lastHeartbeatAt = now;
  }

  /** The connected worker with the most free slots (spreads a burst), or undefined if all are full. */
  pickFree(exclude: ReadonlySet<string> = new Set()): (WorkerLink<S> & { workerId: string }) | undefined {
    let best: Entry<S> | undefined;
    for (const w of this.workers.values()) {
      if (exclude.has(w.workerId)) continue;
      const free = w.slots - w.running.size;
      if (free > 0 && (!best || free > best.slots - best.running.size)) best = w;
    }
    return best;
  }

  reserve(workerId: string, executionId: string): boolean {
    const entry = this.workers.get(workerId);
    if (!entry || entry.running.size >= entry.slots) return false;
    entry.running.add(executionId);
    return true;
  }

  release(workerId: string | null, executionId: string): void {
    if (workerId) this.workers.get(workerId)?.running.delete(executionId);
    else for (const w of this.workers.values()) w.running.delete(executionId);
    this.onChange();
  }

  /** The session of a connected worker (undefined: not connected here, or an older worker). */
  sessionOf(workerId: string): string | undefined {
    return this.workers.get(workerId)?.session;
  }

  /** Whether the connected worker has the run: running it, or finished with its result on the way. */
  holds(workerId: string, executionId: string): boolean {
    const entry = this.workers.get(workerId);
    return entry !== undefined && (entry.running.has(executionId) || entry.finished.has(executionId));
  }

  /** The worker that reports running `executionId`, if any. */
  findRunning(executionId: string): string | undefined {
    for (const w of this.workers.values()) if (w.running.has(executionId)) return w.workerId;
    return undefined;
  }

  totalSlots(): number {
    let n = 0;
    for (const w of this.workers.values()) n += w.slots;
    return n;
  }

  freeSlots(): number {
    let n = 0;
    for (const w of this.workers.values()) n += Math.max(0, w.slots - w.running.size);
    return n;
  }

  summaries(): WorkerSummary[] {
    return [...this.workers.values()].map((w) => ({
      workerId: w.workerId, version: w.version, slots: w.slots, isolation: w.isolation, networkLimited: w.isolation === 'bwrap', auth: w.auth,
      busy: w.running.size, free: Math.max(0, w.slots - w.running.size), running: [...w.running],
      connectedAt: w.connectedAt, lastHeartbeatAt: w.lastHeartbeatAt,
    }));
  }
}
