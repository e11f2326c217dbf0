import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { z } from 'zod';
import { ConflictError, NotFoundError } from '../../shared/errors';
import * as repo from '../db/worker-tokens';

/** Enrolled worker tokens start with this, so a leaked one is recognisable as ours. */
export const WORKER_TOKEN_PREFIX = 'pcw_';

/** How often a connected worker's `lastSeenAt` is written at most (heartbeats come every few seconds). */
export const LAST_SEEN_WRITE_INTERVAL_MS = 60_000;

export const createWorkerTokenSchema = z.object({
  name: z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .max(200)
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.:@-]*$/, 'may only contain letters, digits and _ . : @ - (it names the worker in /api/status)'),
});

export interface WorkerTokenView {
  id: string;
  name: string;
  createdAt: string;
  lastSeenAt: string | null;
  /** Connected to this orchestrator now. */
  connected: boolean;
}

/** Who a connecting worker is: an enrolled token (identity = its name) or the shared WORKER_TOKEN. */
export type WorkerIdentity = { kind: 'enrolled'; tokenId: string; name: string } | { kind: 'shared' };

export const hashWorkerToken = (token: string): string => createHash('sha256').update(token).digest('hex');

export interface WorkerTokenDeps {
  db: Knex;
  logger: Logger;
  /** Names of the enrolled workers connected to this orchestrator now (for `connected`). */
  connectedTokenIds?: () => ReadonlySet<string>;
  /** Called after a revoke so this orchestrator disconnects the worker at once (the others notice within seconds). */
  onRevoked?: (tokenId: string) => void;
  clock?: () => Date;
}

/**
 * Enrolled workers' tokens: create (the token is answered once and stored as its SHA-256), list,
 * revoke, and resolve a presented token to the worker's identity at the gateway's handshake.
 */
export class WorkerTokenService {
  private readonly lastWritten = new Map<string, number>();

  constructor(private readonly deps: WorkerTokenDeps) {}

  private now(): Date {
    return this.deps.clock?.() ?? new Date();
  }

  /** A new token named `name` (409 when a live token has that name). */
  async create(input: z.infer<typeof createWorkerTokenSchema>): Promise<{ id: string; name: string; token: string; createdAt: string }> {
    const token = `${WORKER_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
    const record: repo.WorkerTokenRecord = {
      id: randomUUID(), name: input.name, tokenHash: hashWorkerToken(token), createdAt: this.now().toISOString(), lastSeenAt: null, revokedAt: null,
    };
    if (!(await repo.insertWorkerToken(this.deps.db, record))) {
      throw new ConflictError(`a worker token named '${input.name}' already exists`, { field: 'name' });
    }
    return { id: record.id, name: record.name, token, createdAt: record.createdAt };
  }

  async list(): Promise<WorkerTokenView[]> {
    const connected = this.deps.connectedTokenIds?.() ?? new Set<string>();
    return (await repo.listLiveWorkerTokens(this.deps.db)).map((t) => ({
      id: t.id, name: t.name, createdAt: t.createdAt, lastSeenAt: t.lastSeenAt, connected: connected.has(t.id),
    }));
  }

  /** Revokes a live token (404 when there is none); its worker is disconnected and refused from now on. */
  async revoke(id: string): Promise<void> {
    const revoked = await repo.revokeWorkerToken(this.deps.db, id, this.now().toISOString());
    if (!revoked) throw new NotFoundError('worker token', id);
    this.lastWritten.delete(id);
    this.deps.logger.info({ tokenId: id, name: revoked.name }, 'worker token revoked');
    this.deps.onRevoked?.(id);
  }

  /** The enrolled identity a presented token stands for, or undefined when it is unknown or revoked. */
  async resolve(token: string): Promise<Extract<WorkerIdentity, { kind: 'enrolled' }> | undefined> {
    if (!token.startsWith(WORKER_TOKEN_PREFIX)) return undefined;
    const found = await repo.findLiveWorkerTokenByHash(this.deps.db, hashWorkerToken(token));
    return found ? { kind: 'enrolled', tokenId: found.id, name: found.name } : undefined;
  }

  /** True when `name` belongs to a live enrolled token: a worker on the shared token may not claim it. */
  async isEnrolledName(name: string): Promise<boolean> {
    return (await repo.findLiveWorkerTokenByName(this.deps.db, name)) !== undefined;
  }

  /** Of the given token ids, those still live. */
  liveTokenIds(ids: readonly string[]): Promise<Set<string>> {
    return repo.liveWorkerTokenIds(this.deps.db, ids);
  }

  /** Records that the worker was seen (at most once a minute per token unless `force`); never throws. */
  async seen(tokenId: string, force = false): Promise<void> {
    const now = this.now();
    const last = this.lastWritten.get(tokenId) ?? 0;
    if (!force && now.getTime() - last < LAST_SEEN_WRITE_INTERVAL_MS) return;
    this.lastWritten.set(tokenId, now.getTime());
    await repo.touchWorkerToken(this.deps.db, tokenId, now.toISOString()).catch((err) =>
      this.deps.logger.warn({ err, tokenId }, 'could not record worker last-seen time'),
    );
  }
}
