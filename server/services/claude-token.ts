import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { DecryptionError } from '../../shared/crypto';
import { ConflictError, ValidationError } from '../../shared/errors';
import * as repo from '../db/oauth';
import {
  connectionStatus, expiresAtFrom, isExpired, refreshDue, tokenKind,
  type ClaudeTokenStatus, type TokenKind, type TokenResponse, type TokenSource,
} from '../domain/claude-token';
import { buildAuthorizeUrl, codeChallengeS256, createCodeVerifier, createState, splitPastedCode } from '../domain/pkce';
import { requestTokens, type FetchFn, type TokenEndpoint } from './oauth-token-endpoint';
import { CachedRow } from './cached-row';
import { openSealedText, sealText } from './sealed-text';

/** A refresh this recent is reused by a concurrent refresh request on another instance. */
const JUST_REFRESHED_MS = 5_000;

export interface OAuthSettings {
  authorizeUrl: string;
  tokenUrl: string;
  clientId: string;
  redirectUri: string;
  scopes: string;
}

export interface ClaudeTokenDeps {
  db: Knex;
  masterKey: Buffer;
  oauth: OAuthSettings;
  /** CLAUDE_TOKEN from the environment: the fallback when nothing is stored. */
  envToken?: string;
  logger: Logger;
  fetch?: FetchFn;
  /** Milliseconds since the epoch; tests move time. */
  now?: () => number;
  /** How often `start()` checks the expiry (default 60 s). */
  refreshIntervalMs?: number;
  /** Refresh when the token expires within this window (default 5 min). */
  refreshMarginMs?: number;
  /** A pending authorization (state + verifier) is valid this long (default 10 min). */
  pendingTtlMs?: number;
  /** Timeout of one token-endpoint request (default 15 s). */
  requestTimeoutMs?: number;
  /**
   * Runs a refresh while holding a lock shared by every orchestrator (a Redis lock), so one
   * instance at a time spends the refresh token. Absent: one orchestrator, no lock needed.
   */
  refreshLock?: <T>(work: () => Promise<T>) => Promise<T>;
  /** The stored row changed here: the other orchestrators must drop their copy (see forgetCached). */
  storedChanged?: () => void;
}

export type { ClaudeTokenStatus, TokenSource };

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Owns the Claude token: the OAuth authorization-code flow with PKCE, refresh (on demand and on a
 * timer), direct injection and the CLAUDE_TOKEN fallback. Tokens and verifiers are stored encrypted
 * with the master key and never logged or returned, except by `current()` for the dispatcher.
 */
export class ClaudeTokenService {
  private timer?: NodeJS.Timeout;
  private inFlight?: Promise<ClaudeTokenStatus>;
  private lastError: string | null = null;
  private lastFailureAt = 0;
  /**
   * The stored token row, kept in memory: saves a read (and a query) per dispatched execution.
   * Every write here goes through it, and other orchestrators' writes make it `forgetCached()`.
   */
  private readonly stored = new CachedRow<repo.StoredToken>(() => repo.getToken(this.deps.db));
  private readonly now: () => number;
  private readonly endpoint: TokenEndpoint;
  private readonly intervalMs: number;
  private readonly marginMs: number;
  private readonly pendingTtlMs: number;

  constructor(private readonly deps: ClaudeTokenDeps) {
    this.now = deps.now ?? Date.now;
    this.endpoint = { url: deps.oauth.tokenUrl, fetch: deps.fetch ?? fetch, timeoutMs: deps.requestTimeoutMs ?? 15_000 };
    this.intervalMs = deps.refreshIntervalMs ?? 60_000;
    this.marginMs = deps.refreshMarginMs ?? 5 * 60_000;
    this.pendingTtlMs = deps.pendingTtlMs ?? 10 * 60_000;
  }

  /** Starts the flow: stores a fresh state with its (encrypted) PKCE verifier; answers the URL to open. */
  async authorize(): Promise<{ authUrl: string; state: string }> {
    const now = this.now();
    await repo.purgePendingBefore(this.deps.db, iso(now - this.pendingTtlMs));
    const verifier = createCodeVerifier();
    const state = createState();
    await repo.insertPending(this.deps.db, { state, codeVerifierEnc: this.seal(verifier), createdAt: iso(now) });
    const { authorizeUrl, clientId, redirectUri, scopes } = this.deps.oauth;
    const authUrl = buildAuthorizeUrl({ authorizeUrl, clientId, redirectUri, scopes, codeChallenge: codeChallengeS256(verifier), state });
    return { authUrl, state };
  }

  /**
   * Exchanges the code for tokens. `rawCode` may be the pasted `code#state`; then `rawState` may be
   * omitted, and if given must agree. The state is consumed before the exchange: one use only.
   */
  async callback(rawCode: string, rawState?: string): Promise<ClaudeTokenStatus> {
    const { code, state: pastedState } = splitPastedCode(rawCode);
    if (!code) throw fieldError('code', 'must not be empty');
    const state = rawState?.trim() || pastedState;
    if (!state) throw fieldError('state', 'is required (or paste the code as code#state)');
    if (pastedState && pastedState !== state) throw fieldError('state', 'does not match the state after # in the code');
    const pending = await repo.takePending(this.deps.db, state);
    if (!pending) throw fieldError('state', 'is unknown or already used; start again with POST /api/oauth/authorize');
    if (Date.parse(pending.createdAt) < this.now() - this.pendingTtlMs) {
      throw fieldError('state', 'has expired; start again with POST /api/oauth/authorize');
    }
    const verifier = this.open(pending.codeVerifierEnc);
    const { clientId, redirectUri } = this.deps.oauth;
    const body = { grant_type: 'authorization_code', code, state, client_id: clientId, redirect_uri: redirectUri, code_verifier: verifier };
    const tokens = await requestTokens(this.endpoint, body, [code, verifier]);
    const now = this.now();
    await this.write(() => repo.upsertToken(this.deps.db, { ...this.sealTokens(tokens, null, now), source: 'oauth', refreshedAt: null, createdAt: iso(now) }));
    this.lastError = null;
    this.deps.logger.info({ expiresIn: tokens.expires_in ?? null }, 'Claude subscription connected through OAuth');
    return this.status();
  }

  /**
   * Refreshes the stored OAuth token now. 409 when nothing refreshable is stored. Concurrent calls
   * share one request; across orchestrators one refreshes at a time, and one that waited for the
   * lock finds the row already refreshed and uses it.
   */
  refresh(): Promise<ClaudeTokenStatus> {
    this.inFlight ??= this.lockedRefresh().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async lockedRefresh(): Promise<ClaudeTokenStatus> {
    const lock = this.deps.refreshLock;
    if (!lock) return this.doRefresh();
    const before = (await this.stored.read())?.updatedAt;
    return lock(async () => {
      // Read afresh: another orchestrator may have refreshed while we waited for the lock.
      this.stored.forget();
      const row = await this.stored.read();
      if (row && before !== undefined && row.updatedAt !== before) return this.status();
      // A refresh that another instance finished moments ago answers this request too: two
      // "refresh now" calls racing through two instances spend the refresh token once, however
      // late the second one read the row.
      const refreshedAt = row?.refreshedAt ? Date.parse(row.refreshedAt) : NaN;
      if (this.now() - refreshedAt < JUST_REFRESHED_MS) return this.status();
      return this.doRefresh();
    });
  }

  /** Stores a token given directly (POST /api/token). It replaces any stored token and is never refreshed. */
  async injectToken(token: string, opts: { expiresAt?: string } = {}): Promise<ClaudeTokenStatus> {
    const now = iso(this.now());
    await this.write(() => repo.upsertToken(this.deps.db, {
      source: 'manual', accessTokenEnc: this.seal(token), refreshTokenEnc: null, tokenType: null, scope: null,
      expiresAt: opts.expiresAt ? new Date(opts.expiresAt).toISOString() : null, refreshedAt: null, createdAt: now, updatedAt: now,
    }));
    this.lastError = null;
    this.deps.logger.info({ kind: tokenKind(token) }, 'Claude token injected');
    return this.status();
  }

  /**
   * The token for an execution: the stored one (refreshed first when it is due), else CLAUDE_TOKEN,
   * else undefined. A failed refresh is logged, not thrown: the still-valid stored token is used, and
   * an already expired one gives way to CLAUDE_TOKEN when that is set. Throws DecryptionError when the
   * stored token was encrypted with another MASTER_KEY.
   */
  async current(): Promise<string | undefined> {
    let row = await this.stored.read();
    if (row?.refreshTokenEnc && refreshDue(row.expiresAt, this.now(), this.marginMs) && this.mayRetryNow()) {
      await this.refresh().catch((err: Error) => this.deps.logger.warn({ reason: err.message }, 'on-demand Claude token refresh failed'));
      row = await this.stored.read();
    }
    if (!row) return this.deps.envToken;
    if (isExpired(row.expiresAt, this.now()) && this.deps.envToken) {
      this.deps.logger.warn('stored Claude token has expired; using CLAUDE_TOKEN from the environment');
      return this.deps.envToken;
    }
    return this.open(row.accessTokenEnc);
  }

  async status(): Promise<ClaudeTokenStatus> {
    const row = await this.stored.read();
    const envKind = this.deps.envToken ? tokenKind(this.deps.envToken) : null;
    if (!row) return connectionStatus(undefined, envKind, this.now(), null);
    let kind: TokenKind | null = 'oauth';
    let lastError = this.lastError;
    if (row.source !== 'oauth') {
      try {
        kind = tokenKind(this.open(row.accessTokenEnc));
      } catch (err) {
        if (!(err instanceof DecryptionError)) throw err;
        [kind, lastError] = [null, err.message];
      }
    }
    const info = { ...row, kind, hasRefreshToken: row.refreshTokenEnc !== null };
    return connectionStatus(info, envKind, this.now(), lastError);
  }

  /** Forgets the stored token; CLAUDE_TOKEN, if set, stays in use. */
  async disconnect(): Promise<ClaudeTokenStatus> {
    const removed = await this.write(() => repo.deleteToken(this.deps.db));
    this.lastError = null;
    if (removed) this.deps.logger.info('stored Claude token removed');
    return this.status();
  }

  /** Checks the expiry every `refreshIntervalMs` and refreshes within the margin. Does not keep the process alive. */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.tick(), this.intervalMs);
    this.timer.unref();
  }

  /** Stops the timer and waits for a refresh in progress, so the database can be closed after. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.inFlight?.catch(() => undefined);
  }

  /** One timer pass; a failure is logged and retried on the next pass. */
  async tick(): Promise<void> {
    try {
      const row = await this.stored.read();
      if (!row?.refreshTokenEnc || !refreshDue(row.expiresAt, this.now(), this.marginMs)) return;
      const status = await this.refresh();
      this.deps.logger.info({ expiresAt: status.expiresAt }, 'Claude token refreshed automatically');
    } catch (err) {
      this.deps.logger.warn({ reason: (err as Error).message, retryInMs: this.intervalMs }, 'automatic Claude token refresh failed');
    }
  }

  private async doRefresh(): Promise<ClaudeTokenStatus> {
    const row = await this.stored.read();
    if (!row) throw new ConflictError('no Claude token is stored: connect with POST /api/oauth/authorize first');
    if (!row.refreshTokenEnc) throw new ConflictError(`the stored Claude token (source '${row.source}') has no refresh token`);
    const refreshToken = this.open(row.refreshTokenEnc);
    let tokens: TokenResponse;
    try {
      const body = { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: this.deps.oauth.clientId };
      tokens = await requestTokens(this.endpoint, body, [refreshToken]);
    } catch (err) {
      this.lastError = (err as Error).message;
      this.lastFailureAt = this.now();
      throw err;
    }
    const fields = this.sealTokens(tokens, row.refreshTokenEnc, this.now());
    const changed = await this.write(() => repo.updateTokenIfUnchanged(this.deps.db, row.updatedAt, {
      ...fields, scope: fields.scope ?? row.scope, tokenType: fields.tokenType ?? row.tokenType, refreshedAt: fields.updatedAt,
    }));
    if (!changed) this.deps.logger.info('Claude token changed while refreshing; the refreshed token was discarded');
    this.lastError = null;
    return this.status();
  }

  /** After a failed refresh, on-demand attempts wait one timer interval (the timer keeps retrying). */
  private mayRetryNow(): boolean {
    return this.now() - this.lastFailureAt >= this.intervalMs;
  }

  private sealTokens(t: TokenResponse, previousRefreshEnc: string | null, nowMs: number) {
    return {
      accessTokenEnc: this.seal(t.access_token),
      refreshTokenEnc: t.refresh_token ? this.seal(t.refresh_token) : previousRefreshEnc,
      tokenType: t.token_type ?? null,
      scope: t.scope ?? null,
      expiresAt: expiresAtFrom(nowMs, t.expires_in),
      updatedAt: iso(nowMs),
    };
  }

  /** Writes the row through the cache and tells the other orchestrators to drop theirs. */
  private async write<R>(work: () => Promise<R>): Promise<R> {
    try {
      return await this.stored.write(work);
    } finally {
      this.deps.storedChanged?.();
    }
  }

  /** Another orchestrator changed the stored token: read it afresh next time. */
  forgetCached(): void {
    this.stored.forget();
  }

  private seal(secret: string): string {
    return sealText(secret, this.deps.masterKey);
  }

  private open(sealed: string): string {
    return openSealedText(sealed, this.deps.masterKey);
  }
}

function fieldError(field: string, message: string): ValidationError {
  return new ValidationError(`invalid body: ${field}: ${message}`, [{ field, message }]);
}
