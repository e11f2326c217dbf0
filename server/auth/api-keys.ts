import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { ConflictError, NotFoundError } from '../../shared/errors';
import * as repo from '../db/api-keys';
import { BOOTSTRAP_CALLER, type Caller, type Role } from './roles';
import { API_KEY_PREFIX, generateApiKey, hashApiKey, safeEqual } from './secrets';

/**
 * How long a resolved key is trusted without asking the database again. Below one second, so a key
 * revoked on any orchestrator (they share the database) is refused everywhere within 1 s.
 */
export const KEY_CACHE_TTL_MS = 500;
/** `lastUsedAt` is written at most this often per key and process, never once per request. */
export const LAST_USED_WRITE_INTERVAL_MS = 60_000;
const MAX_CACHED_KEYS = 10_000;

export interface ApiKeyView {
  id: string;
  name: string;
  role: Role;
  createdAt: string;
  lastUsedAt: string | null;
}

export interface ApiKeyServiceDeps {
  db: Knex;
  logger: Logger;
  /** The bootstrap admin key (TEAM_API_KEY). */
  teamApiKey: string;
  /** Injected for tests; defaults to Date.now. */
  now?: () => number;
}

const view = (k: repo.ApiKeyRecord): ApiKeyView => ({ id: k.id, name: k.name, role: k.role, createdAt: k.createdAt, lastUsedAt: k.lastUsedAt });

/**
 * API keys: create (the key is returned once and stored as its hash), list, revoke, and resolve a
 * presented key to its caller on every request (a short cache in front of an indexed lookup).
 */
export class ApiKeyService {
  private readonly cache = new Map<string, { caller: Caller; until: number }>();
  private readonly lastWritten = new Map<string, number>();
  private readonly now: () => number;

  constructor(private readonly deps: ApiKeyServiceDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** A new key: 201 material. The plain key is in this answer and nowhere else, ever. */
  async create(input: { name: string; role: Role }): Promise<{ id: string; name: string; role: Role; key: string; createdAt: string }> {
    const key = generateApiKey();
    const record: repo.ApiKeyRecord = {
      id: randomUUID(), name: input.name, role: input.role, keyHash: hashApiKey(key),
      createdAt: new Date(this.now()).toISOString(), lastUsedAt: null, revokedAt: null,
    };
    if (!(await repo.insertApiKey(this.deps.db, record))) {
      throw new ConflictError(`an API key named '${input.name}' already exists`, { field: 'name' });
    }
    return { id: record.id, name: record.name, role: record.role, key, createdAt: record.createdAt };
  }

  async list(): Promise<ApiKeyView[]> {
    return (await repo.listLiveApiKeys(this.deps.db)).map(view);
  }

  /** Revokes a live key (404 when there is none); this process forgets it at once, the others within the cache TTL. */
  async revoke(id: string): Promise<void> {
    if (!(await repo.revokeApiKey(this.deps.db, id, new Date(this.now()).toISOString()))) throw new NotFoundError('API key', id);
    for (const [hash, entry] of this.cache) if (entry.caller.keyId === id) this.cache.delete(hash);
    this.lastWritten.delete(id);
  }

  /** The caller a presented key stands for, or undefined when it is unknown or revoked. */
  async resolve(presented: string): Promise<Caller | undefined> {
    if (safeEqual(presented, this.deps.teamApiKey)) return BOOTSTRAP_CALLER;
    if (!presented.startsWith(API_KEY_PREFIX)) return undefined;
    const hash = hashApiKey(presented);
    const now = this.now();
    const cached = this.cache.get(hash);
    let caller = cached && cached.until > now ? cached.caller : undefined;
    if (!caller) {
      const record = await repo.findLiveKeyByHash(this.deps.db, hash);
      if (!record) {
        this.cache.delete(hash);
        return undefined;
      }
      caller = { keyId: record.id, name: record.name, role: record.role };
      if (this.cache.size >= MAX_CACHED_KEYS) this.cache.clear();
      this.cache.set(hash, { caller, until: now + KEY_CACHE_TTL_MS });
    }
    this.noteUse(caller.keyId, now);
    return caller;
  }

  /** Records `lastUsedAt` in the background, at most once per interval: a failure is logged, never the request's. */
  private noteUse(keyId: string, now: number): void {
    const last = this.lastWritten.get(keyId);
    if (last !== undefined && now - last < LAST_USED_WRITE_INTERVAL_MS) return;
    this.lastWritten.set(keyId, now);
    repo.touchApiKey(this.deps.db, keyId, new Date(now).toISOString()).catch((err: unknown) => {
      this.deps.logger.warn({ err, keyId }, 'could not record the API key last use');
    });
  }
}
