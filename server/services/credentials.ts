import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { decrypt, encrypt, type EncryptedBlob } from '../../shared/crypto';
import { credentialEnv } from '../../shared/env-names';
import { AppError, ConflictError, ValidationError } from '../../shared/errors';
import { cachedConfig } from '../db/config-cache';
import * as repo from '../db/credentials';
import type { CredentialRecord } from '../db/credentials';
import { nowIso } from '../db/knex';
import { getPersona } from '../db/personas';
import { mustFind } from './must-find';
import type { UpsertResult } from './personas';

/** What the API shows of a credential: never the ciphertext, iv, tag or plaintext. */
export interface CredentialView {
  id: string;
  name: string;
  serviceType: string;
  metadata: Record<string, unknown>;
  /** `metadata.fields`: the JSON fields the secret holds (declared, or read from the secret when stored). */
  fields: string[];
  createdAt: string;
  updatedAt: string;
  lastUsedAt: string | null;
}

/** A parsed `POST /api/credentials` body: the secret as plain `data` or in the guide's client-encrypted form. */
export interface StoreCredentialInput {
  id?: string;
  name?: string;
  serviceType?: string;
  metadata?: Record<string, unknown> | null;
  data?: string | Record<string, unknown>;
  encryptedData?: string;
  iv?: string;
  tag?: string;
}

export function redactCredential(c: CredentialRecord): CredentialView {
  const metadata = c.metadata ?? {};
  const fields = Array.isArray(metadata.fields) ? metadata.fields.filter((f): f is string => typeof f === 'string') : [];
  return {
    id: c.id, name: c.name, serviceType: c.serviceType, metadata, fields,
    createdAt: c.createdAt, updatedAt: c.updatedAt, lastUsedAt: c.lastUsedAt,
  };
}

const invalid = (field: string, message: string) => new ValidationError(`invalid body: ${field}: ${message}`, [{ field, message }]);
const CLIENT_FORM = ['encryptedData', 'iv', 'tag'] as const;

/**
 * The largest decrypted value a credential may have, all its fields together (UTF-8 bytes of the
 * stored plaintext): each becomes environment variables of a run, and a secret is not a file store.
 */
export const MAX_CREDENTIAL_BYTES = 64 * 1024;

function checkSize(field: 'data' | 'encryptedData', plaintext: string): void {
  const bytes = Buffer.byteLength(plaintext, 'utf8');
  if (bytes > MAX_CREDENTIAL_BYTES) {
    throw invalid(field, `the secret is ${bytes} bytes (all fields together, decrypted); at most ${MAX_CREDENTIAL_BYTES} bytes (64 KiB) are accepted`);
  }
}

/**
 * The secret to store, sealed with `key`, and its plaintext (kept in memory only, to derive `fields`).
 * Client-encrypted input is decrypted once here so a blob sealed with another key fails now, loudly,
 * instead of at dispatch. A secret over MAX_CREDENTIAL_BYTES is refused, naming `data` or
 * `encryptedData`. Answers undefined when the input carries no secret (an update of the rest).
 */
function sealSecret(input: StoreCredentialInput, key: Buffer): { blob: EncryptedBlob; plaintext: string } | undefined {
  const given = CLIENT_FORM.filter((f) => input[f] !== undefined);
  if (input.data !== undefined && given.length > 0) {
    throw invalid('data', 'give either `data` or `encryptedData`/`iv`/`tag`, not both');
  }
  if (input.data !== undefined) {
    const plaintext = typeof input.data === 'string' ? input.data : JSON.stringify(input.data);
    checkSize('data', plaintext);
    return { blob: encrypt(plaintext, key), plaintext };
  }
  if (given.length === 0) return undefined;
  const missing = CLIENT_FORM.find((f) => input[f] === undefined);
  if (missing) throw invalid(missing, 'is required with encryptedData, iv and tag');
  const blob = { encryptedData: input.encryptedData!.toLowerCase(), iv: input.iv!.toLowerCase(), tag: input.tag!.toLowerCase() };
  let plaintext: string;
  try {
    plaintext = decrypt(blob, key);
  } catch {
    throw invalid(
      'encryptedData',
      "was not encrypted with this orchestrator's MASTER_KEY (or iv/tag do not belong to it): encrypt it with " +
        '`npm run encrypt-credential` using the same MASTER_KEY, or send the secret as `data` and let the server encrypt it',
    );
  }
  checkSize('encryptedData', plaintext);
  return { blob, plaintext };
}

/** The top-level field names of a JSON-object secret (null values produce no variable), else undefined. */
function jsonFields(plaintext: string): string[] | undefined {
  try {
    const v: unknown = JSON.parse(plaintext);
    if (!v || typeof v !== 'object' || Array.isArray(v)) return undefined;
    return Object.entries(v).filter(([, x]) => x !== null && x !== undefined).map(([k]) => k);
  } catch {
    return undefined;
  }
}

/**
 * Create-or-update a credential. An existing `id` updates (omitted fields, secret included, keep their
 * value) → `created: false`; otherwise `name`, `serviceType` and a secret are required. When the secret is
 * a JSON object and the metadata declares no `fields`, its field names are recorded as `metadata.fields`.
 * Throws ValidationError naming the field for a missing, mixed or foreign-key-encrypted secret.
 */
export async function storeCredential(db: Knex, masterKey: Buffer, input: StoreCredentialInput): Promise<UpsertResult<CredentialView>> {
  const existing = input.id ? await repo.getCredential(db, input.id) : undefined;
  if (!existing) {
    for (const field of ['name', 'serviceType'] as const) if (!input[field]) throw invalid(field, 'is required');
  }
  const secret = sealSecret(input, masterKey);
  if (!existing && !secret) throw invalid('data', 'a secret is required: `data`, or `encryptedData` + `iv` + `tag`');

  let metadata = input.metadata !== undefined ? input.metadata : existing?.metadata ?? null;
  const derived = secret ? jsonFields(secret.plaintext) : undefined;
  if (derived && metadata?.fields === undefined) metadata = { ...metadata, fields: derived };

  const now = nowIso();
  const fields: Partial<CredentialRecord> = {
    name: input.name, serviceType: input.serviceType, metadata, ...secret?.blob, updatedAt: now,
  };
  if (existing) {
    await repo.updateCredential(db, existing.id, fields);
    return { record: redactCredential((await repo.getCredential(db, existing.id))!), created: false };
  }
  const record: CredentialRecord = {
    id: input.id ?? randomUUID(), name: input.name!, serviceType: input.serviceType!, metadata,
    ...secret!.blob, lastUsedAt: null, createdAt: now, updatedAt: now,
  };
  await repo.insertCredential(db, record);
  return { record: redactCredential(record), created: true };
}

/**
 * The variables a credential becomes at dispatch (see shared/env-names). Read from its secret; one
 * that does not decrypt is named from its recorded `metadata.fields` instead.
 */
function credentialVariables(c: CredentialRecord, key: Buffer): string[] {
  try {
    return Object.keys(credentialEnv(c.name, decrypt(c, key)));
  } catch {
    const fields = redactCredential(c).fields;
    return Object.keys(credentialEnv(c.name, fields.length ? JSON.stringify(Object.fromEntries(fields.map((f) => [f, '']))) : ''));
  }
}

/**
 * Links a credential to a persona (idempotent). 404 names whichever of the two is unknown; 409 names
 * both credentials when this one would set a variable that a credential already linked sets.
 */
export async function linkCredential(db: Knex, masterKey: Buffer, personaId: string, credentialId: string): Promise<UpsertResult<CredentialView>> {
  await mustFind(getPersona(db, personaId), 'persona', personaId);
  const credential = await mustFind(repo.getCredential(db, credentialId), 'credential', credentialId);
  const mine = new Set(credentialVariables(credential, masterKey));
  for (const other of await repo.listPersonaCredentials(db, personaId)) {
    if (other.id === credentialId) continue;
    const shared = credentialVariables(other, masterKey).filter((v) => mine.has(v));
    if (shared.length > 0) {
      throw new ConflictError(
        `credential '${credential.name}' (id ${credential.id}) would set ${shared.join(', ')}, which credential '${other.name}' ` +
          `(id ${other.id}), already linked to this persona, sets too: variable names come from the credential name, so rename one of them`,
        { variables: shared, credentialId: credential.id, conflictsWith: other.id },
      );
    }
  }
  const created = await repo.linkPersonaCredential(db, personaId, credentialId, nowIso());
  return { record: redactCredential(credential), created };
}

/** Removes a link; 404 when the persona or credential is unknown, or they are not linked. */
export async function unlinkCredential(db: Knex, personaId: string, credentialId: string): Promise<void> {
  await mustFind(getPersona(db, personaId), 'persona', personaId);
  await mustFind(repo.getCredential(db, credentialId), 'credential', credentialId);
  if ((await repo.unlinkPersonaCredential(db, personaId, credentialId)) === 0) {
    throw new AppError(`credential '${credentialId}' is not linked to persona '${personaId}'`, 404, 'not_found', {
      resource: 'credential link', personaId, credentialId,
    });
  }
}

/** A linked credential cannot be decrypted with the MASTER_KEY in use. Names the credential, never its value. */
export class CredentialDecryptionError extends Error {
  constructor(readonly credentialId: string, readonly credentialName: string) {
    super(
      `credential '${credentialName}' (id ${credentialId}) could not be decrypted with this orchestrator's MASTER_KEY: ` +
        'it was encrypted with a different key or has been altered; store it again',
    );
    this.name = 'CredentialDecryptionError';
  }
}

/** Two linked credentials would set the same environment variable; neither silently wins. */
export class CredentialEnvConflictError extends Error {
  constructor(readonly variable: string, first: string, second: string) {
    super(`credentials ${first} and ${second} both map to the environment variable ${variable}; rename one of them`);
    this.name = 'CredentialEnvConflictError';
  }
}

export interface PersonaCredentialEnv {
  /** Variables to inject: `CONNECTOR_{NAME}_{FIELD}` for JSON-object secrets, `CONNECTOR_{NAME}` otherwise. */
  env: Record<string, string>;
  /** The variable names, sorted (for the prompt: names only, never values). */
  names: string[];
  /** Every distinct non-empty value, longest first (so a scrubber replaces a value before its substrings). */
  secrets: string[];
}

/**
 * Decrypts every credential linked to `personaId` and names it with shared/env-names, then stamps their
 * `last_used_at`. An unknown persona or one without credentials yields empty results.
 * Throws CredentialDecryptionError (naming the credential) when one does not decrypt with `masterKey`,
 * and CredentialEnvConflictError when two credentials would produce the same variable.
 */
export async function loadPersonaCredentialEnv(db: Knex, masterKey: Buffer, personaId: string): Promise<PersonaCredentialEnv> {
  const credentials = await cachedConfig(db, `credentials:${personaId}`, () => repo.listPersonaCredentials(db, personaId));
  const env: Record<string, string> = {};
  const source: Record<string, string> = {};
  for (const c of credentials) {
    let plaintext: string;
    try {
      plaintext = decrypt(c, masterKey);
    } catch {
      throw new CredentialDecryptionError(c.id, c.name);
    }
    const label = `'${c.name}' (id ${c.id})`;
    for (const [variable, value] of Object.entries(credentialEnv(c.name, plaintext))) {
      if (variable in source) throw new CredentialEnvConflictError(variable, source[variable], label);
      env[variable] = value;
      source[variable] = label;
    }
  }
  await repo.markCredentialsUsed(db, credentials.map((c) => c.id), nowIso());
  const secrets = [...new Set(Object.values(env).filter((v) => v !== ''))].sort((a, b) => b.length - a.length);
  return { env, names: Object.keys(env).sort(), secrets };
}
