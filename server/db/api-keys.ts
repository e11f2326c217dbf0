import type { Knex } from 'knex';
import type { Role } from '../auth/roles';
import { isUniqueViolation } from './errors';
import { rowMapper } from './row-mapper';

/** An API key as stored: never the key itself, only its hash. */
export interface ApiKeyRecord {
  id: string;
  name: string;
  role: Role;
  keyHash: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

const mapper = rowMapper<ApiKeyRecord>({
  id: 'id', name: 'name', role: 'role', keyHash: 'key_hash', createdAt: 'created_at', lastUsedAt: 'last_used_at', revokedAt: 'revoked_at',
});

/** Inserts a key; answers false when a live key already has that name. */
export async function insertApiKey(db: Knex, key: ApiKeyRecord): Promise<boolean> {
  try {
    await db('api_keys').insert(mapper.toRow(key));
    return true;
  } catch (err) {
    if (isUniqueViolation(err) && !(await findLiveKeyByHash(db, key.keyHash))) return false;
    throw err;
  }
}

/** Live (not revoked) keys, oldest first. */
export async function listLiveApiKeys(db: Knex): Promise<ApiKeyRecord[]> {
  return (await db('api_keys').select('*').whereNull('revoked_at').orderBy('created_at', 'asc').orderBy('id', 'asc')).map(mapper.fromRow);
}

export async function findLiveKeyByHash(db: Knex, keyHash: string): Promise<ApiKeyRecord | undefined> {
  const row = await db('api_keys').where({ key_hash: keyHash }).whereNull('revoked_at').first();
  return row ? mapper.fromRow(row) : undefined;
}

/** Marks a live key revoked; answers false when there is no live key with that id. */
export async function revokeApiKey(db: Knex, id: string, at: string): Promise<boolean> {
  return (await db('api_keys').where({ id }).whereNull('revoked_at').update({ revoked_at: at })) > 0;
}

export async function touchApiKey(db: Knex, id: string, at: string): Promise<void> {
  await db('api_keys').where({ id }).update({ last_used_at: at });
}
