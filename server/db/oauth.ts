import type { Knex } from 'knex';
import { dialectOf } from './dialect';

/**
 * The stored Claude token (a single row, id 'claude') and the pending OAuth authorizations.
 * Secret columns hold ciphertext only (`*Enc`: JSON of an AES-256-GCM blob); this module never sees clear text.
 */

export const TOKEN_ROW_ID = 'claude';

export type StoredTokenSource = 'oauth' | 'manual';

export interface StoredToken {
  source: StoredTokenSource;
  accessTokenEnc: string;
  refreshTokenEnc: string | null;
  tokenType: string | null;
  scope: string | null;
  expiresAt: string | null;
  /** Null until the first refresh. */
  refreshedAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface PendingAuthorization {
  state: string;
  codeVerifierEnc: string;
  createdAt: string;
}

function tokenFromRow(row: Record<string, unknown>): StoredToken {
  return {
    source: row.source as StoredTokenSource,
    accessTokenEnc: row.access_token_enc as string,
    refreshTokenEnc: (row.refresh_token_enc as string | null) ?? null,
    tokenType: (row.token_type as string | null) ?? null,
    scope: (row.scope as string | null) ?? null,
    expiresAt: (row.expires_at as string | null) ?? null,
    refreshedAt: (row.refreshed_at as string | null) ?? null,
    createdAt: row.created_at as string,
    updatedAt: row.updated_at as string,
  };
}

function tokenToRow(t: Partial<StoredToken>): Record<string, unknown> {
  const row: Record<string, unknown> = {
    source: t.source,
    access_token_enc: t.accessTokenEnc,
    refresh_token_enc: t.refreshTokenEnc,
    token_type: t.tokenType,
    scope: t.scope,
    expires_at: t.expiresAt,
    refreshed_at: t.refreshedAt,
    created_at: t.createdAt,
    updated_at: t.updatedAt,
  };
  for (const key of Object.keys(row)) if (row[key] === undefined) delete row[key];
  return row;
}

export async function getToken(db: Knex): Promise<StoredToken | undefined> {
  const row = await db('oauth_tokens').where({ id: TOKEN_ROW_ID }).first();
  return row ? tokenFromRow(row) : undefined;
}

/** Inserts or wholly replaces the stored token. */
export async function upsertToken(db: Knex, token: StoredToken): Promise<void> {
  await db('oauth_tokens')
    .insert({ id: TOKEN_ROW_ID, ...tokenToRow(token) })
    .onConflict('id')
    .merge();
}

/**
 * Updates the stored token only if it is still the version last read (`updated_at` = `expectedUpdatedAt`),
 * so a refresh that finishes after a disconnect or a new connection changes nothing. Answers rows changed (0 or 1).
 */
export async function updateTokenIfUnchanged(
  db: Knex,
  expectedUpdatedAt: string,
  fields: Partial<StoredToken>,
): Promise<number> {
  return db('oauth_tokens').where({ id: TOKEN_ROW_ID, updated_at: expectedUpdatedAt }).update(tokenToRow(fields));
}

export async function deleteToken(db: Knex): Promise<number> {
  return db('oauth_tokens').where({ id: TOKEN_ROW_ID }).delete();
}

export async function insertPending(db: Knex, pending: PendingAuthorization): Promise<void> {
  await db('oauth_pending').insert({
    state: pending.state,
    code_verifier_enc: pending.codeVerifierEnc,
    created_at: pending.createdAt,
  });
}

/**
 * Deletes and returns the pending authorization for `state` in one statement (DELETE … RETURNING):
 * each state is usable once. Knex's SQLite dialect drops `.returning()` on delete (it answers the
 * count), so SQLite gets the same statement raw; SQLite has RETURNING since 3.35.
 */
export async function takePending(db: Knex, state: string): Promise<PendingAuthorization | undefined> {
  const columns = ['state', 'code_verifier_enc', 'created_at'];
  const rows: Array<Record<string, string>> =
    dialectOf(db) === 'postgres'
      ? await db('oauth_pending').where({ state }).del(columns)
      : await db.raw(`DELETE FROM oauth_pending WHERE state = ? RETURNING ${columns.join(', ')}`, [state]);
  const row = rows[0];
  return row ? { state: row.state, codeVerifierEnc: row.code_verifier_enc, createdAt: row.created_at } : undefined;
}

/** Removes pending authorizations created before `beforeIso`; answers how many. */
export async function purgePendingBefore(db: Knex, beforeIso: string): Promise<number> {
  return db('oauth_pending').where('created_at', '<', beforeIso).delete();
}
