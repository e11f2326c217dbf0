import { randomBytes, randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { z } from 'zod';
import { decrypt, encrypt } from '../../shared/crypto';
import { ConflictError, NotFoundError, ValidationError } from '../../shared/errors';
import { getPersona } from '../db/personas';
import * as repo from '../db/webhook-secrets';
import { WEBHOOK_SOURCES, type WebhookSource } from '../db/webhook-secrets';
import { mustFind } from './must-find';

export interface WebhookSecretDeps {
  db: Knex;
  masterKey: Buffer;
  logger: Logger;
  clock?: () => Date;
}

/** What `GET /api/webhook-secrets` shows: never the secret. */
export interface WebhookSecretView {
  id: string;
  source: WebhookSource;
  name: string;
  personaId: string | null;
  createdAt: string;
  lastUsedAt: string | null;
}

/** A decrypted secret to verify a delivery with; lives only for the request. */
export interface SecretCandidate {
  id: string;
  source: WebhookSource;
  personaId: string | null;
  secret: string;
}

export const createWebhookSecretSchema = z.object({
  source: z.enum(WEBHOOK_SOURCES, { error: `must be one of ${WEBHOOK_SOURCES.join(', ')}` }),
  name: z.string().trim().min(1, 'must not be empty').max(200),
  personaId: z.string().min(1).max(200).nullable().optional(),
  /**
   * Slack signs with the app's own signing secret, so it is given here; for the other sources the
   * orchestrator makes one up unless one is given (e.g. to keep an existing GitHub hook's secret).
   */
  secret: z.string().min(16, 'must be at least 16 characters').max(512).regex(/^\S+$/, 'must not contain whitespace').optional(),
});

export type CreateWebhookSecretInput = z.infer<typeof createWebhookSecretSchema>;

const view = (s: repo.WebhookSecretRecord): WebhookSecretView => ({
  id: s.id, source: s.source, name: s.name, personaId: s.personaId, createdAt: s.createdAt, lastUsedAt: s.lastUsedAt,
});

/** A new secret for a sender to sign with: 32 random bytes, recognisable as ours. */
export const generateWebhookSecret = (): string => `whsec_${randomBytes(32).toString('base64url')}`;

/**
 * Creates a secret (`input` parsed with `createWebhookSecretSchema`). Answers it once (201 material); it is stored encrypted with MASTER_KEY because
 * verifying an HMAC needs the secret itself. Only `github` and `generic` secrets may be bound to a
 * persona (they verify `POST /api/webhooks/:personaId`); a `generic` one must be. Slack needs the
 * app's signing secret in `secret`. Duplicate name within a source → 409.
 */
export async function createWebhookSecret(deps: WebhookSecretDeps, input: CreateWebhookSecretInput): Promise<WebhookSecretView & { secret: string }> {
  const personaId = input.personaId ?? null;
  if (input.source === 'generic' && personaId === null) {
    throw new ValidationError('invalid body: personaId: a generic secret verifies one persona\'s webhook and needs its personaId', [
      { field: 'personaId', message: 'is required for a generic secret' },
    ]);
  }
  if ((input.source === 'gitlab' || input.source === 'slack') && personaId !== null) {
    throw new ValidationError(`invalid body: personaId: a ${input.source} secret cannot be bound to a persona`, [
      { field: 'personaId', message: `only github and generic secrets are bound to a persona` },
    ]);
  }
  if (input.source === 'slack' && input.secret === undefined) {
    throw new ValidationError("invalid body: secret: a slack secret is the Slack app's signing secret (Basic Information → Signing Secret)", [
      { field: 'secret', message: "is required for slack (the app's signing secret)" },
    ]);
  }
  if (personaId !== null) await mustFind(getPersona(deps.db, personaId), 'persona', personaId);
  const secret = input.secret ?? generateWebhookSecret();
  const blob = encrypt(secret, deps.masterKey);
  const record: repo.WebhookSecretRecord = {
    id: randomUUID(), source: input.source, name: input.name, personaId,
    encryptedSecret: blob.encryptedData, iv: blob.iv, tag: blob.tag,
    createdAt: (deps.clock?.() ?? new Date()).toISOString(), lastUsedAt: null,
  };
  if (!(await repo.insertWebhookSecret(deps.db, record))) {
    throw new ConflictError(`a ${input.source} webhook secret named '${input.name}' already exists`, { field: 'name' });
  }
  return { ...view(record), secret };
}

export async function listWebhookSecrets(deps: WebhookSecretDeps): Promise<WebhookSecretView[]> {
  return (await repo.listWebhookSecrets(deps.db)).map(view);
}

export async function deleteWebhookSecret(deps: WebhookSecretDeps, id: string): Promise<void> {
  if ((await repo.deleteWebhookSecret(deps.db, id)) === 0) throw new NotFoundError('webhook secret', id);
}

/**
 * The secrets a delivery may be signed with, decrypted. One that no longer decrypts (MASTER_KEY
 * changed) is skipped and logged by id: it can verify nothing, and must not stop the others.
 */
export async function secretCandidates(deps: WebhookSecretDeps, sources: readonly WebhookSource[], personaId?: string): Promise<SecretCandidate[]> {
  const out: SecretCandidate[] = [];
  for (const s of await repo.listSecretsFor(deps.db, sources, personaId)) {
    try {
      out.push({ id: s.id, source: s.source, personaId: s.personaId, secret: decrypt({ encryptedData: s.encryptedSecret, iv: s.iv, tag: s.tag }, deps.masterKey) });
    } catch (err) {
      deps.logger.error({ err, webhookSecretId: s.id }, 'webhook secret does not decrypt with this MASTER_KEY; skipped');
    }
  }
  return out;
}

/** Records that a secret verified a delivery (shown as `lastUsedAt`); a failure is logged, never fatal. */
export async function markSecretUsed(deps: WebhookSecretDeps, id: string): Promise<void> {
  await repo.touchWebhookSecret(deps.db, id, (deps.clock?.() ?? new Date()).toISOString()).catch((err) =>
    deps.logger.warn({ err, webhookSecretId: id }, 'could not record webhook secret use'),
  );
}
