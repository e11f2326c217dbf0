import type { Knex } from 'knex';
import { isUniqueViolation } from './errors';
import { rowMapper } from './row-mapper';

/** An enrolled worker's token as stored: never the token, only its SHA-256. */
export interface WorkerTokenRecord {
  id: string;
  /** The worker's identity: `/api/status` lists it under this name. */
  name: string;
  tokenHash: string;
  createdAt: string;
  lastSeenAt: string | null;
  revokedAt: string | null;
}

const mapper = rowMapper<WorkerTokenRecord>({
  id: 'id', name: 'name', tokenHash: 'token_hash', createdAt: 'created_at', lastSeenAt: 'last_seen_at', revokedAt: 'revoked_at',
});

/** Inserts a token; answers false when a live token already has that name. */
export async function insertWorkerToken(db: Knex, t: WorkerTokenRecord): Promise<boolean> {
  try {
    await db('worker_tokens').insert(mapper.toRow(t));
    return true;
  } catch (err) {
    if (isUniqueViolation(err)) return false;
    throw err;
  }
}

/** Live tokens, oldest first. */
export async function listLiveWorkerTokens(db: Knex): Promise<WorkerTokenRecord[]> {
  return (await db('worker_tokens').select('*').whereNull('revoked_at').orderBy('created_at', 'asc').orderBy('id', 'asc')).map(mapper.fromRow);
}

export async function findLiveWorkerTokenByHash(db: Knex, tokenHash: string): Promise<WorkerTokenRecord | undefined> {
  const row = await db('worker_tokens').where({ token_hash: tokenHash }).whereNull('revoked_at').first();
  return row ? mapper.fromRow(row) : undefined;
}

export async function findLiveWorkerTokenByName(db: Knex, name: string): Promise<WorkerTokenRecord | undefined> {
  const row = await db('worker_tokens').where({ name }).whereNull('revoked_at').first();
  return row ? mapper.fromRow(row) : undefined;
}

/** Of `ids`, those still live (the gateway re-checks its connected workers with this). */
export async function liveWorkerTokenIds(db: Knex, ids: readonly string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await db('worker_tokens').select('id').whereIn('id', ids as string[]).whereNull('revoked_at');
  return new Set(rows.map((r: { id: string }) => r.id));
}

/** Marks a live token revoked; answers the record as it was, or undefined when there was none. */
export async function revokeWorkerToken(db: Knex, id: string, at: string): Promise<WorkerTokenRecord | undefined> {
  const rows = await db('worker_tokens').where({ id }).whereNull('revoked_at').update({ revoked_at: at }).returning('*');
  return rows[0] ? mapper.fromRow(rows[0]) : undefined;
}

export async function touchWorkerToken(db: Knex, id: string, at: string): Promise<void> {
  await db('worker_tokens').where({ id }).update({ last_seen_at: at });
}
