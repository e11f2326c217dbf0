import type http from 'node:http';
import { Server } from 'socket.io';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { FollowerToOrchestrator, OrchestratorToFollower } from '../../shared/socket-events';
import * as executions from '../db/executions';
import { listOutput } from '../db/output';
import type { ApiKeyService } from '../auth/api-keys';
import { watchKey } from '../auth/key-watch';
import { satisfies } from '../auth/roles';
import type { OutputBus } from '../services/output-bus';

export interface FollowersDeps {
  db: Knex;
  logger: Logger;
  bus: OutputBus;
  /** Resolves the handshake's key; following needs the reader role or more. */
  keys: ApiKeyService;
}

/**
 * socket.io on the HTTP port for people following executions live (`auth: { token: <API key> }`, reader or more).
 * `follow` replays stored output after `afterSeq`, then streams live output and one `end`.
 */
export function attachFollowers(server: http.Server, deps: FollowersDeps): Server<FollowerToOrchestrator, OrchestratorToFollower> {
  // Websocket only (no long-polling): behind a load balancer no request of a session can land on another instance.
  const io = new Server<FollowerToOrchestrator, OrchestratorToFollower>(server, { path: '/socket.io', transports: ['websocket'] });
  io.use((socket, next) => {
    const token = (socket.handshake.auth as { token?: unknown } | undefined)?.token;
    if (typeof token !== 'string') return next(new Error('unauthorized'));
    deps.keys.resolve(token).then(
      (caller) => next(caller && satisfies(caller.role, 'reader') ? undefined : new Error('unauthorized')),
      (err: unknown) => {
        deps.logger.error({ err }, 'could not check a follower key');
        next(new Error('unauthorized'));
      },
    );
  });
  io.on('connection', (socket) => {
    const subscriptions = new Map<string, () => void>();
    // A key revoked while its socket follows is dropped too: re-checked every KEY_RECHECK_MS (the
    // key cache lives KEY_CACHE_TTL_MS), so a revoked key stops streaming within a second.
    const token = String((socket.handshake.auth as { token?: unknown }).token);
    const stopWatching = watchKey(deps.keys, token, 'reader', () => socket.disconnect(true), deps.logger);
    socket.on('follow', (raw, ack) => {
      const reply = typeof ack === 'function' ? ack : () => undefined;
      const executionId = typeof raw?.executionId === 'string' ? raw.executionId : '';
      const afterSeq = Number.isInteger(raw?.afterSeq) ? (raw.afterSeq as number) : -1;
      void follow(executionId, afterSeq)
        .then((ok) => reply(ok ? { ok: true } : { ok: false, error: `execution '${executionId}' not found` }))
        .catch((err) => {
          deps.logger.error({ err, executionId }, 'follow failed');
          reply({ ok: false, error: 'internal error' });
        });
    });
    socket.on('unfollow', (raw) => {
      const id = typeof raw?.executionId === 'string' ? raw.executionId : '';
      subscriptions.get(id)?.();
      subscriptions.delete(id);
    });
    socket.on('disconnect', () => {
      stopWatching();
      for (const off of subscriptions.values()) off();
      subscriptions.clear();
    });

    async function follow(executionId: string, afterSeq: number): Promise<boolean> {
      if (!(await executions.getExecution(deps.db, executionId))) return false;
      subscriptions.get(executionId)?.();
      let lastSeq = afterSeq;
      let live = false;
      const buffered: Array<{ executionId: string; seq: number; stream: string; text: string }> = [];
      const send = (e: { executionId: string; seq: number; stream: string; text: string }) => {
        if (e.seq <= lastSeq) return;
        lastSeq = e.seq;
        socket.emit('output', e);
      };
      const off = deps.bus.follow(executionId, {
        output: (e) => (live ? send(e) : buffered.push(e)),
        status: (e) => socket.emit('status', e),
        end: (e) => socket.emit('end', e),
        lastSeq: () => lastSeq,
      });
      subscriptions.set(executionId, off);
      await off.ready;
      for (const l of await listOutput(deps.db, executionId, afterSeq)) send({ executionId, seq: l.seq, stream: l.stream, text: l.content });
      buffered.forEach(send);
      live = true;
      const current = (await executions.getExecution(deps.db, executionId))!;
      if (executions.TERMINAL_STATUSES.includes(current.status)) socket.emit('end', { executionId, status: current.status, error: current.error });
      return true;
    }
  });
  return io;
}
