import os from 'node:os';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { processAlive } from '../../shared/process-alive';
import type { ClusterKeys } from './keys';

/** What an orchestrator instance says about itself every heartbeat. */
export interface InstanceRecord<W = unknown> {
  id: string;
  host: string;
  pid: number;
  startedAt: string;
  lastSeenAt: string;
  /** The workers connected to it, as `/api/status` shows them. */
  workers: W[];
}

export interface InstanceRegistryOptions<W> {
  redis: Redis;
  keys: ClusterKeys;
  instanceId: string;
  logger: Logger;
  /** The workers connected here now (sent with every heartbeat). */
  workers(): W[];
  /** Heartbeat period (default 1 s); the record lives `ttlMs` (default 5 s) unless renewed. */
  intervalMs?: number;
  ttlMs?: number;
  clock?: () => Date;
  host?: string;
  pid?: number;
}

/**
 * The live orchestrator instances of a deployment: each writes its record (id, host, start, last
 * seen, its workers) under a key that expires `ttlMs` after the last heartbeat, so an instance
 * killed with -9 drops out on its own. A record left by a dead process on this same host (same
 * hostname, pid gone) is removed at once, so a restarted instance need not wait for the expiry.
 */
export class InstanceRegistry<W = unknown> {
  private timer?: NodeJS.Timeout;
  private soon?: NodeJS.Timeout;
  private readonly startedAt: string;
  private readonly host: string;
  private readonly pid: number;
  private readonly ttlMs: number;
  private beating?: Promise<void>;

  constructor(private readonly opts: InstanceRegistryOptions<W>) {
    this.host = opts.host ?? os.hostname();
    this.pid = opts.pid ?? process.pid;
    this.ttlMs = opts.ttlMs ?? 5_000;
    this.startedAt = this.now().toISOString();
  }

  get id(): string {
    return this.opts.instanceId;
  }

  /** Writes the first heartbeat, clears records of dead processes on this host, and keeps beating. */
  async start(): Promise<void> {
    await this.beat();
    await this.reapLocalDead();
    this.timer = setInterval(() => void this.beat(), this.opts.intervalMs ?? 1_000);
    this.timer.unref();
  }

  /** Writes a heartbeat now (also called when the workers here change, so others see it at once). */
  beat(): Promise<void> {
    this.beating ??= this.write().finally(() => {
      this.beating = undefined;
    });
    return this.beating;
  }

  /** A heartbeat within 200 ms (workers came or went; several changes make one write). */
  beatSoon(): void {
    if (this.soon || !this.timer) return;
    this.soon = setTimeout(() => {
      this.soon = undefined;
      void this.beat();
    }, 200);
    this.soon.unref();
  }

  /** Every live instance, this one included, oldest first. */
  async list(): Promise<InstanceRecord<W>[]> {
    const { redis, keys } = this.opts;
    const ids = await redis.smembers(keys.instances);
    if (ids.length === 0) return [];
    const values = await redis.mget(ids.map((id) => keys.instance(id)));
    const live: InstanceRecord<W>[] = [];
    const gone: string[] = [];
    ids.forEach((id, i) => {
      const raw = values[i];
      if (!raw) return void gone.push(id);
      try {
        live.push(JSON.parse(raw) as InstanceRecord<W>);
      } catch {
        gone.push(id);
      }
    });
    if (gone.length) await redis.srem(keys.instances, ...gone);
    return live.sort((a, b) => a.startedAt.localeCompare(b.startedAt) || a.id.localeCompare(b.id));
  }

  /** Ids of the live instances. */
  async liveIds(): Promise<Set<string>> {
    return new Set((await this.list()).map((r) => r.id));
  }

  /** Stops beating and removes this instance's record (a clean shutdown is seen at once). */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.soon) clearTimeout(this.soon);
    this.timer = undefined;
    await this.beating?.catch(() => undefined);
    const { redis, keys } = this.opts;
    await redis.multi().del(keys.instance(this.id)).srem(keys.instances, this.id).exec();
  }

  private now(): Date {
    return (this.opts.clock ?? (() => new Date()))();
  }

  private async write(): Promise<void> {
    const { redis, keys } = this.opts;
    const record: InstanceRecord<W> = {
      id: this.id, host: this.host, pid: this.pid, startedAt: this.startedAt, lastSeenAt: this.now().toISOString(), workers: this.opts.workers(),
    };
    try {
      await redis.multi().set(keys.instance(this.id), JSON.stringify(record), 'PX', this.ttlMs).sadd(keys.instances, this.id).exec();
    } catch (err) {
      this.opts.logger.warn({ err: (err as Error).message }, 'instance heartbeat could not be written to Redis');
    }
  }

  /** Removes the records of instances that ran on this host and whose process is gone. */
  private async reapLocalDead(): Promise<void> {
    for (const r of await this.list()) {
      if (r.id === this.id || r.host !== this.host || processAlive(r.pid)) continue;
      await this.opts.redis.multi().del(this.opts.keys.instance(r.id)).srem(this.opts.keys.instances, r.id).exec();
      this.opts.logger.info({ instanceId: r.id, pid: r.pid }, 'removed the record of a dead orchestrator on this host');
    }
  }
}
