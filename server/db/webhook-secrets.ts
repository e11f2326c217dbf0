import type { Knex } from 'knex';
import { isUniqueViolation } from './errors';
import { rowMapper } from './row-mapper';

export const WEBHOOK_SOURCES = ['github', 'gitlab', 'slack', 'generic'] as const;
export type WebhookSource = (typeof WEBHOOK_SOURCES)[number];

/** A webhook secret as stored: the secret only as AES-256-GCM ciphertext (hex). */
export interface WebhookSecretRecord {
  id: string;
  source: WebhookSource;
  name: string;
  personaId: string | null;
  encryptedSecret: string;
  iv: string;
  tag: string;
  createdAt: string;
  lastUsedAt: string | null;
}

const mapper = rowMapper<WebhookSecretRecord>({
  id: 'id', source: 'source', name: 'name', personaId: 'persona_id', encryptedSecret: 'encrypted_secret', iv: 'iv', tag: 'tag',
  createdAt: 'created_at', lastUsedAt: 'last_used_at',
});

/** Inserts a secret; answers false when the source already has a secret of that name. */
export async function insertWebhookSecret(db: Knex, s: WebhookSecretRecord): Promise<boolean> {
  try {
    await db('webhook_secrets').insert(mapper.toRow(s));
    return true;
  } catch (err) {
    if (isUniqueViolation(err)) return false;
    throw err;
  }
}

/** Every secret, by source then name. */
export async function listWebhookSecrets(db: Knex): Promise<WebhookSecretRecord[]> {
  return (await db('webhook_secrets').select('*').orderBy('source', 'asc').orderBy('name', 'asc')).map(mapper.fromRow);
}

/** The secrets of the given sources; with `personaId`, only those bound to that persona. */
export async function listSecretsFor(db: Knex, sources: readonly WebhookSource[], personaId?: string): Promise<WebhookSecretRecord[]> {
  const q = db('webhook_secrets').select('*').whereIn('source', sources as WebhookSource[]);
  if (personaId !== undefined) q.where('persona_id', personaId);
  return (await q.orderBy('source', 'asc').orderBy('name', 'asc')).map(mapper.fromRow);
}

/** Answers the number of rows deleted (0 when unknown). */
export async function deleteWebhookSecret(db: Knex, id: string): Promise<number> {
  return db('webhook_secrets').where({ id }).delete();
}

export async function touchWebhookSecret(db: Knex, id: string, at: string): Promise<void> {
  await db('webhook_secrets').where({ id }).update({ last_used_at: at });
}
