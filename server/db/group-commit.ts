import type { Knex } from 'knex';
// Knex's own better-sqlite3 client and query runner, extended below (no type declarations ship for them).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const KnexBetterSqliteClient = require('knex/lib/dialects/better-sqlite3') as new (config: Knex.Config) => {
  runner(builder: unknown): unknown;
  _query(conn: unknown, obj: unknown): Promise<unknown>;
  destroyRawConnection(conn: unknown): Promise<unknown>;
};
// eslint-disable-next-line @typescript-eslint/no-require-imports
const KnexRunner = require('knex/lib/execution/runner') as new (client: unknown, builder: unknown) => {
  query(obj: unknown): Promise<unknown>;
  run(): Promise<unknown>;
};

/** What this file needs of a better-sqlite3 connection. */
interface SqliteConnection {
  readonly inTransaction: boolean;
  /** Prepared once per SQL text (statement-cache). */
  prepare(sql: string): { run(): unknown };
  /** Knex's mark for a broken connection, destroyed by its pool instead of reused. */
  __knex__disposed?: unknown;
}

/** A compiled query as Knex hands it to the dialect: `method` is absent for raw SQL such as `BEGIN;`. */
interface CompiledQuery {
  sql: string;
  method?: string;
  /** Set here: the commit of the group the query ran in, which its caller waits for. */
  groupCommit?: Promise<void>;
}

/** Statements that may run inside a group; anything else (BEGIN, DDL, PRAGMA, raw SQL) commits the group first. */
const GROUPABLE = new Set(['insert', 'update', 'del', 'select', 'first', 'pluck']);
const WRITES = new Set(['insert', 'update', 'del']);

/**
 * One open group: a transaction on the connection holding the statements that every caller issued
 * during one turn of the event loop, committed at the end of that turn (setImmediate).
 */
class Group {
  readonly committed: Promise<void>;
  settle!: (err?: Error) => void;

  constructor() {
    this.committed = new Promise<void>((resolve, reject) => {
      this.settle = (err) => (err ? reject(err) : resolve());
    });
    // Every member awaits it; this keeps a group nobody awaits any more from being an unhandled rejection.
    this.committed.catch(() => undefined);
  }
}

/** Per connection: the open group, and whether a write was autocommitted in this turn of the loop. */
interface ConnectionState {
  group?: Group;
  wroteThisTurn: boolean;
}

const states = new WeakMap<SqliteConnection, ConnectionState>();

function stateOf(conn: SqliteConnection): ConnectionState {
  let state = states.get(conn);
  if (!state) states.set(conn, (state = { wroteThisTurn: false }));
  return state;
}

/** Commits `group` now if it is still the open one on `conn`, and tells its members. */
function commitGroup(conn: SqliteConnection, state: ConnectionState, group: Group): void {
  if (state.group !== group) return;
  state.group = undefined;
  try {
    conn.prepare('COMMIT').run();
    group.settle();
  } catch (err) {
    group.settle(err as Error);
    try {
      if (conn.inTransaction) conn.prepare('ROLLBACK').run();
    } catch (rollbackErr) {
      // Stuck inside the failed transaction: Knex's pool replaces a connection marked disposed
      // (closing it rolls back) instead of letting later statements join a transaction never committed.
      conn.__knex__disposed = rollbackErr;
    }
  }
}

function openGroup(conn: SqliteConnection, state: ConnectionState): Group {
  const group = new Group();
  conn.prepare('BEGIN').run();
  state.group = group;
  setImmediate(() => commitGroup(conn, state, group));
  return group;
}

/** Remembers until the end of this turn that a write was autocommitted: the next one opens a group. */
function noteWrite(state: ConnectionState): void {
  if (state.wroteThisTurn) return;
  state.wroteThisTurn = true;
  setImmediate(() => (state.wroteThisTurn = false));
}

/**
 * Knex's better-sqlite3 client with group commit: the `client` in the Knex config of a SQLite store.
 *
 * In WAL mode every autocommitted write appends each page it touched (table and index leaves, 4 KiB
 * each) to the log and updates its index; measured in the orchestrator under load, a one-row insert
 * or update cost 80–150 µs of its CPU, a primary-key read 40. Here the writes and reads that callers
 * issue while no Knex transaction is open join one transaction per turn of the event loop: the first
 * write of a turn is autocommitted as before (alone, a group would only add its BEGIN and COMMIT); a
 * second one opens the group (BEGIN), which every later statement of the turn joins, and the group
 * commits after the turn's I/O callbacks (setImmediate), so pages shared by its statements go to the
 * log once.
 *
 * Nothing is answered before it is durable: a query that ran in a group resolves only once the group
 * has committed (its caller is held after the connection went back to the pool, so the others of the
 * turn still run), and a failed COMMIT fails every query of the group, reads included (they may have
 * seen the rolled-back rows). A statement that fails on its own (a constraint) is undone by SQLite
 * alone and fails only its caller; one that makes SQLite roll back the whole transaction (disk full,
 * I/O error) fails the group. A Knex transaction (`db.transaction`), raw SQL and schema changes first
 * commit the open group, then run as before: nothing changes inside a transaction.
 */
export class GroupCommitSqliteClient extends KnexBetterSqliteClient {
  declare config: Knex.Config;

  constructor(config: Knex.Config) {
    super(config);
    // Knex keeps the config it was given; migrations tell SQLite apart by its client's name.
    this.config = { ...config, client: 'better-sqlite3' };
  }

  override runner(builder: unknown): unknown {
    return new GroupCommitRunner(this, builder);
  }

  /** Closing the store (shutdown) commits the open group first: its callers are answered, nothing is lost. */
  override async destroyRawConnection(conn: SqliteConnection): Promise<unknown> {
    const state = states.get(conn);
    if (state?.group) commitGroup(conn, state, state.group);
    return super.destroyRawConnection(conn);
  }

  override async _query(conn: SqliteConnection, obj: CompiledQuery): Promise<unknown> {
    const state = stateOf(conn);
    const joins = obj.method !== undefined && GROUPABLE.has(obj.method);
    if (state.group && !joins) commitGroup(conn, state, state.group);
    let group = state.group;
    if (!group) {
      // Inside a Knex transaction (begun by it, not by a group) every statement runs as it always did;
      // so do reads, and the first write of a turn (autocommitted: a lone write gains nothing from a group).
      const writes = joins && WRITES.has(obj.method!);
      if (!writes || conn.inTransaction) return super._query(conn, obj);
      if (!state.wroteThisTurn) {
        noteWrite(state);
        return super._query(conn, obj);
      }
      group = openGroup(conn, state);
    }
    obj.groupCommit = group.committed;
    try {
      return await super._query(conn, obj);
    } catch (err) {
      // SQLite rolled the whole transaction back (e.g. SQLITE_FULL): the group's earlier writes are gone.
      if (!conn.inTransaction && state.group === group) {
        state.group = undefined;
        group.settle(err as Error);
      }
      throw err;
    }
  }
}

/**
 * Knex's runner, holding a query's answer until the group it ran in has committed — after the
 * connection went back to the pool, so the rest of the turn's queries run meanwhile.
 */
class GroupCommitRunner extends KnexRunner {
  private groupCommit?: Promise<void>;

  override async query(obj: CompiledQuery): Promise<unknown> {
    const result = await super.query(obj);
    if (obj.groupCommit) this.groupCommit = obj.groupCommit;
    return result;
  }

  override async run(): Promise<unknown> {
    const result = await super.run();
    if (this.groupCommit) await this.groupCommit;
    return result;
  }
}
