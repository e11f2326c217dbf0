import type { Knex } from 'knex';
import { getPersona, type Persona } from './personas';

/**
 * The configuration every run reads — personas, their tools and credential rows, subscriptions,
 * chain triggers — kept in memory between writes, so the hot path of an event and its execution
 * reads the record store only for what changes per run.
 *
 * Invalidation does not depend on which code writes: every statement this process sends through the
 * knex instance is seen (`query` events, transactions included), and a write to one of CONFIG_TABLES
 * (or one whose table cannot be told) drops everything, again when its transaction commits, and once
 * more `SETTLE_MS` later (a read on another pooled connection that raced the commit cannot keep an old
 * row). Other orchestrators on the same database hear of it through `onWrite` (the cluster bus's
 * `cache-drop`); and no entry lives longer than `TTL_MS`, should such a message be lost.
 * Cached values are shared: callers must not mutate them (credential rows stay encrypted here).
 */
export const CONFIG_TABLES = new Set(['personas', 'persona_tools', 'tool_definitions', 'persona_credentials', 'credentials', 'event_subscriptions', 'triggers']);
const TTL_MS = 5_000;
/** Keys include event types, which webhooks choose: the map never grows past this. */
const MAX_ENTRIES = 10_000;
const SETTLE_MS = 100;

const READ_ONLY = /^\s*(select|pragma|begin|savepoint|release|rollback|commit|show|explain|set\s)/i;
const WRITE_TABLE = /^\s*(?:insert\s+(?:or\s+\w+\s+)?into|replace\s+into|update|delete\s+from)\s+[`"]?(\w+)[`"]?/i;
/** Bookkeeping of credential use (every run with credentials): not a change of what runs read. */
const CREDENTIAL_USE = /^\s*update\s+[`"]?credentials[`"]?\s+set\s+[`"]?last_used_at[`"]?\s*=\s*[?$]\w*\s+where/i;

/** Pure: does this statement change configuration (or might it: statements whose table cannot be told)? */
export function changesConfig(sql: string): boolean {
  if (READ_ONLY.test(sql)) return false;
  if (CREDENTIAL_USE.test(sql)) return false;
  const table = WRITE_TABLE.exec(sql)?.[1];
  return table === undefined || CONFIG_TABLES.has(table.toLowerCase());
}

export class ConfigCache {
  private readonly entries = new Map<string, { value: Promise<unknown>; until: number }>();
  private generation = 0;
  private settleTimer?: NodeJS.Timeout;
  private readonly dirtyTransactions = new Set<string>();

  constructor(private readonly opts: { now?: () => number; onWrite?: () => void } = {}) {}

  /** The cached value of `key`, else `load()` (stored only if nothing was written meanwhile). */
  get<T>(key: string, load: () => Promise<T>): Promise<T> {
    const now = (this.opts.now ?? Date.now)();
    const hit = this.entries.get(key);
    if (hit && hit.until > now) return hit.value as Promise<T>;
    const generation = this.generation;
    const value = load();
    if (this.entries.size >= MAX_ENTRIES) this.entries.clear();
    this.entries.set(key, { value, until: now + TTL_MS });
    value.then(
      () => {
        if (generation !== this.generation) this.dropIfSame(key, value);
      },
      () => this.dropIfSame(key, value),
    );
    return value;
  }

  /** Forgets everything (a write here or, through the cluster bus, elsewhere). */
  invalidate(): void {
    this.generation += 1;
    this.entries.clear();
  }

  /** Watches every statement of `db` (see the class comment). */
  watch(db: Knex): void {
    db.on('query', (q: { sql?: string; __knexTxId?: string }) => {
      const sql = q.sql ?? '';
      const tx = q.__knexTxId;
      if (/^\s*(commit|rollback)\b/i.test(sql)) {
        if (tx && this.dirtyTransactions.delete(tx)) this.changed();
        return;
      }
      if (!changesConfig(sql)) return;
      if (tx) this.dirtyTransactions.add(tx);
      this.changed();
    });
    db.on('query-response', (_r: unknown, q: { sql?: string; __knexTxId?: string }) => {
      if (!q.__knexTxId && changesConfig(q.sql ?? '')) this.invalidate();
    });
  }

  private changed(): void {
    this.invalidate();
    this.opts.onWrite?.();
    if (this.settleTimer) return;
    this.settleTimer = setTimeout(() => {
      this.settleTimer = undefined;
      this.invalidate();
      this.opts.onWrite?.();
    }, SETTLE_MS);
    this.settleTimer.unref?.();
  }

  private dropIfSame(key: string, value: Promise<unknown>): void {
    if (this.entries.get(key)?.value === value) this.entries.delete(key);
  }
}

const caches = new WeakMap<Knex, ConfigCache>();

/** Gives `db` a configuration cache (the orchestrator's database; tests and tools read uncached). */
export function attachConfigCache(db: Knex, cache: ConfigCache): void {
  cache.watch(db);
  caches.set(db, cache);
}

/** `load()` through `db`'s configuration cache, if it has one. */
export function cachedConfig<T>(db: Knex, key: string, load: () => Promise<T>): Promise<T> {
  const cache = caches.get(db);
  return cache ? cache.get(key, load) : load();
}

/** A persona through the configuration cache (one key for every reader: the dispatcher, metrics). */
export function cachedPersona(db: Knex, id: string): Promise<Persona | undefined> {
  return cachedConfig(db, `persona:${id}`, () => getPersona(db, id));
}
