import type { Knex } from 'knex';
import { rowMapper } from './row-mapper';

/**
 * A stored credential, ciphertext included. Only the credentials service handles this shape;
 * everything that leaves the process goes through its redacted view.
 */
export interface CredentialRecord {
  id: string;
  name: string;
  serviceType: string;
  /** AES-256-GCM ciphertext, hex. */
  encryptedData: string;
  iv: string;
  tag: string;
  metadata: Record<string, unknown> | null;
  lastUsedAt: string | null;
  createdAt: string;
  updatedAt: string;
}

const COLUMNS: Record<keyof CredentialRecord, string> = {
  id: 'id', name: 'name', serviceType: 'service_type', encryptedData: 'encrypted_data', iv: 'iv', tag: 'tag',
  metadata: 'metadata', lastUsedAt: 'last_used_at', createdAt: 'created_at', updatedAt: 'updated_at',
};

const mapper = rowMapper<CredentialRecord>(COLUMNS, { json: ['metadata'] });
function fromRow(row: Record<string, unknown>): CredentialRecord {
  const c = mapper.fromRow(row);
  // Only an object is metadata; anything else stored there reads as none.
  if (!c.metadata || typeof c.metadata !== 'object' || Array.isArray(c.metadata)) c.metadata = null;
  return c;
}
const toRow = mapper.toRow;

/** Every credential, by name then id. */
export async function listCredentials(db: Knex): Promise<CredentialRecord[]> {
  return (await db('credentials').select('*').orderBy('name', 'asc').orderBy('id', 'asc')).map(fromRow);
}

export async function getCredential(db: Knex, id: string): Promise<CredentialRecord | undefined> {
  const row = await db('credentials').where({ id }).first();
  return row ? fromRow(row) : undefined;
}

export async function insertCredential(db: Knex, credential: CredentialRecord): Promise<void> {
  await db('credentials').insert(toRow(credential));
}

export async function updateCredential(db: Knex, id: string, fields: Partial<CredentialRecord>): Promise<void> {
  await db('credentials').where({ id }).update(toRow(fields));
}

/** Deletes the credential; its persona links go with it (ON DELETE CASCADE). Answers the rows deleted. */
export async function deleteCredential(db: Knex, id: string): Promise<number> {
  return db('credentials').where({ id }).delete();
}

/** Links a credential to a persona; answers false when the link already existed. */
export async function linkPersonaCredential(db: Knex, personaId: string, credentialId: string, at: string): Promise<boolean> {
  const rows = await db('persona_credentials')
    .insert({ persona_id: personaId, credential_id: credentialId, created_at: at })
    .onConflict(['persona_id', 'credential_id'])
    .ignore()
    .returning('credential_id');
  return rows.length > 0;
}

/** Answers the number of links removed (0 when the credential was not linked). */
export async function unlinkPersonaCredential(db: Knex, personaId: string, credentialId: string): Promise<number> {
  return db('persona_credentials').where({ persona_id: personaId, credential_id: credentialId }).delete();
}

/** The credentials linked to a persona (ciphertext included), by name then id. */
export async function listPersonaCredentials(db: Knex, personaId: string): Promise<CredentialRecord[]> {
  const rows = await db('persona_credentials as pc')
    .join('credentials as c', 'c.id', 'pc.credential_id')
    .where('pc.persona_id', personaId)
    .orderBy('c.name', 'asc')
    .orderBy('c.id', 'asc')
    .select('c.*');
  return rows.map(fromRow);
}

/** Stamps `last_used_at` on the given credentials. */
export async function markCredentialsUsed(db: Knex, ids: string[], at: string): Promise<void> {
  if (ids.length === 0) return;
  await db('credentials').whereIn('id', ids).update({ last_used_at: at });
}
