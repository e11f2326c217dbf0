import type { Logger } from 'pino';
import type { Socket } from 'socket.io';
import type { OrchestratorToWorker, WorkerToOrchestrator } from '../../shared/socket-events';
import { identityOf, registeredAs, type EnrolledTokens } from './worker-auth';
import type { WorkerRegistry } from './worker-registry';

type WorkerSocket = Socket<WorkerToOrchestrator, OrchestratorToWorker>;

export type Claim = { ok: true; workerId: string } | { ok: false; error: string };

/** How a connection stopped being its identity's current one. */
export type Departure = 'dropped' | 'replaced' | 'revoked';

export interface WorkerIdentitiesOptions {
  registry: WorkerRegistry<WorkerSocket>;
  tokens?: EnrolledTokens;
  logger: Logger;
  /** Every connection the gateway holds now. */
  sockets(): Iterable<WorkerSocket>;
  /** A registered connection was taken away (its runs are handed on). */
  departed(workerId: string, running: string[], how: Departure): void;
  /** How long a connected worker has to answer before a second connection with its identity replaces it. */
  probeTimeoutMs?: number;
  /** How often connected enrolled workers' tokens are re-checked (a revoke made by another orchestrator). */
  revalidateMs?: number;
}

/**
 * Who may be which worker, on top of the handshake's authentication: one live connection per
 * identity, and enrolled workers dropped as soon as their token is revoked (here at once, by
 * another orchestrator within `revalidateMs`).
 */
export class WorkerIdentities {
  /** Identities with a registration in progress (probing the current connection). */
  private readonly claiming = new Set<string>();
  private timer?: NodeJS.Timeout;

  constructor(private readonly opts: WorkerIdentitiesOptions) {}

  /** Starts re-checking the enrolled connections' tokens (no-op without enrolled tokens). */
  start(): void {
    if (!this.opts.tokens || this.timer) return;
    this.timer = setInterval(() => void this.revalidate(), this.opts.revalidateMs ?? 1_000);
    this.timer.unref?.();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /**
   * Decides the identity a registering connection gets. An enrolled worker is its token's name; a
   * worker on the shared token is the id it asks for, unless an enrolled token has that name. While
   * another connection holds the identity and still answers a probe, the newcomer is refused; a
   * connection that does not answer (dropped, half-open) is replaced at once, its runs handed on
   * as `replaced` so the newcomer can reclaim them.
   */
  async claim(socket: WorkerSocket, requested: string): Promise<Claim> {
    const identity = identityOf(socket);
    if (!identity) return { ok: false, error: 'unauthenticated' };
    const workerId = identity.kind === 'enrolled' ? identity.name : requested;
    if (identity.kind === 'shared' && (await this.opts.tokens?.isEnrolledName(workerId))) {
      return { ok: false, error: `worker id '${workerId}' belongs to an enrolled worker token; connect with that token` };
    }
    const current = this.opts.registry.get(workerId);
    if (!current || current.socket === socket) return { ok: true, workerId };
    if (this.claiming.has(workerId)) return { ok: false, error: `another connection is registering as worker '${workerId}'` };
    this.claiming.add(workerId);
    try {
      if (await this.answers(current.socket)) return { ok: false, error: `a worker named '${workerId}' is already connected` };
      if (!socket.connected) return { ok: false, error: 'disconnected while registering' };
      const still = this.opts.registry.get(workerId);
      if (still && still.socket !== socket) {
        const running = this.opts.registry.unregister(workerId, still.socket);
        this.opts.logger.warn({ workerId, running: running.length }, 'replacing a worker connection that no longer answers');
        this.opts.departed(workerId, running, 'replaced');
        still.socket.disconnect(true);
      }
      return { ok: true, workerId };
    } finally {
      this.claiming.delete(workerId);
    }
  }

  /** Token ids of the enrolled workers registered here now. */
  connectedTokenIds(): Set<string> {
    const ids = new Set<string>();
    for (const socket of this.opts.sockets()) {
      const identity = identityOf(socket);
      const workerId = registeredAs(socket);
      if (identity?.kind === 'enrolled' && workerId && this.opts.registry.get(workerId)?.socket === socket) ids.add(identity.tokenId);
    }
    return ids;
  }

  /**
   * Disconnects every connection of a revoked token at once. Its running executions are cancelled
   * on the worker and handed on as `revoked` (they fail now: the worker cannot come back).
   */
  revoke(tokenId: string): number {
    let n = 0;
    for (const socket of this.opts.sockets()) {
      const identity = identityOf(socket);
      if (identity?.kind !== 'enrolled' || identity.tokenId !== tokenId) continue;
      n++;
      const workerId = registeredAs(socket);
      if (workerId && this.opts.registry.get(workerId)?.socket === socket) {
        const running = this.opts.registry.unregister(workerId, socket);
        for (const executionId of running) socket.emit('cancel', { executionId, reason: 'shutdown' });
        this.opts.logger.warn({ workerId, tokenId, running: running.length }, 'worker token revoked: disconnecting the worker');
        this.opts.departed(workerId, running, 'revoked');
      }
      socket.disconnect(true);
    }
    return n;
  }

  /** Drops connections whose enrolled token was revoked (here or by another orchestrator). */
  private async revalidate(): Promise<void> {
    const ids = new Set<string>();
    for (const socket of this.opts.sockets()) {
      const identity = identityOf(socket);
      if (identity?.kind === 'enrolled') ids.add(identity.tokenId);
    }
    if (ids.size === 0 || !this.opts.tokens) return;
    try {
      const live = await this.opts.tokens.liveTokenIds([...ids]);
      for (const id of ids) if (!live.has(id)) this.revoke(id);
    } catch (err) {
      this.opts.logger.error({ err }, 'could not re-check worker tokens');
    }
  }

  /** True when the connection acknowledges a probe within `probeTimeoutMs`. */
  private async answers(socket: WorkerSocket): Promise<boolean> {
    if (!socket.connected) return false;
    try {
      await socket.timeout(this.opts.probeTimeoutMs ?? 2_000).emitWithAck('probe', {});
      return true;
    } catch {
      return false;
    }
  }
}
