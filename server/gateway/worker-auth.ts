import type { Logger } from 'pino';
import type { Socket } from 'socket.io';
import { safeEqual } from '../auth/secrets';

/**
 * Who a worker connection is, decided once at the socket.io handshake:
 * - `enrolled`: it presented a live enrolled token; its identity is the token's name, whatever
 *   WORKER_ID it registers with.
 * - `shared`: it presented the shared WORKER_TOKEN; its identity is the WORKER_ID it registers with
 *   (never the name of an enrolled token).
 */
export type WorkerIdentity = { kind: 'enrolled'; tokenId: string; name: string } | { kind: 'shared' };

/** The enrolled tokens, as the gateway needs them (WorkerTokenService implements it). */
export interface EnrolledTokens {
  resolve(token: string): Promise<Extract<WorkerIdentity, { kind: 'enrolled' }> | undefined>;
  /** True when `name` is a live enrolled token's name. */
  isEnrolledName(name: string): Promise<boolean>;
  /** Of `ids`, those not revoked. */
  liveTokenIds(ids: readonly string[]): Promise<Set<string>>;
  /** Records the worker as seen now (throttled unless `force`); never throws. */
  seen(tokenId: string, force?: boolean): Promise<void>;
}

export interface HandshakeOptions {
  /** The shared WORKER_TOKEN; undefined when only enrolled tokens may connect. */
  sharedToken?: string;
  tokens?: EnrolledTokens;
  logger: Logger;
}

/** What the gateway keeps on `socket.data`: the handshake's identity, then the registered worker id. */
interface WorkerSocketData {
  identity?: WorkerIdentity;
  workerId?: string;
}

export function identityOf(socket: Pick<Socket, 'data'>): WorkerIdentity | undefined {
  return (socket.data as WorkerSocketData | undefined)?.identity;
}

/** The worker id this connection registered as, if it did. */
export function registeredAs(socket: Pick<Socket, 'data'>): string | undefined {
  return (socket.data as WorkerSocketData | undefined)?.workerId;
}

export function markRegistered(socket: Pick<Socket, 'data'>, workerId: string): void {
  (socket.data as WorkerSocketData).workerId = workerId;
}

async function identify(opts: HandshakeOptions, token: unknown): Promise<WorkerIdentity | undefined> {
  if (typeof token !== 'string' || token === '' || token.length > 1000) return undefined;
  if (opts.sharedToken !== undefined && safeEqual(token, opts.sharedToken)) return { kind: 'shared' };
  return opts.tokens?.resolve(token);
}

/**
 * The gateway's handshake middleware: a connection needs the shared WORKER_TOKEN or a live enrolled
 * token in `auth.token`; anything else is refused (the worker gives up: retrying cannot help). When
 * the token could not be checked (database error), the refusal carries `data.retry`, so a worker
 * tries again later instead of giving up.
 */
export function workerHandshake(opts: HandshakeOptions): (socket: Socket, next: (err?: Error) => void) => void {
  return (socket, next) => {
    const token = (socket.handshake.auth as { token?: unknown } | undefined)?.token;
    identify(opts, token).then(
      (identity) => {
        if (identity) {
          (socket.data as WorkerSocketData).identity = identity;
          return next();
        }
        opts.logger.warn({ address: socket.handshake.address }, 'worker connection refused: unknown or revoked worker token');
        next(new Error('unauthorized'));
      },
      (err: unknown) => {
        opts.logger.error({ err, address: socket.handshake.address }, 'worker token check failed');
        next(Object.assign(new Error('unavailable'), { data: { retry: true } }));
      },
    );
  };
}
