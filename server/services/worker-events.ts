import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { createScrubber, scrubDeep } from '../../shared/scrub';
import type { CancelPayload, OutputPayload, ProtocolPayload, ResultPayload } from '../../shared/socket-events';
import * as executions from '../db/executions';
import type { Execution } from '../db/executions';
import { appendOutput } from '../db/output';
import type { WorkerEvents } from '../gateway/worker-gateway';
import type { OutputBus } from './output-bus';
import type { RunTracker } from './run-tracker';

export interface ProtocolMessage {
  kind: string;
  payload: Record<string, unknown>;
}

export interface WorkerEventsDeps {
  db: Knex;
  logger: Logger;
  tracker: RunTracker;
  bus: OutputBus;
  gateway: { cancel(workerId: string, p: CancelPayload): boolean };
  secretsFor(execution: Execution): Promise<string[]>;
  /** Validates (null = ignore) and stores one protocol message; then the event bus gets it. */
  storeProtocolMessage(execution: Execution, message: ProtocolMessage): Promise<boolean>;
  onProtocolMessage?(execution: Execution, message: ProtocolMessage): Promise<void>;
  /** Slots may have freed or appeared: the dispatcher re-checks. */
  workersChanged(): void;
  /**
   * A worker (re)registered, holding `held` (running, or finished and not yet acknowledged): runs
   * that wait for it elsewhere than in `held` may have never reached it (see run-recovery.ts).
   */
  workerBack?(workerId: string, session: string, held: string[]): void;
}

/**
 * What the orchestrator does with each worker event: output is scrubbed of the run's secrets, stored
 * in order and re-broadcast; protocol messages are scrubbed, stored and handed to the event bus;
 * results close the run. Output from a worker that is not the run's worker is dropped.
 */
export function createWorkerEvents(deps: WorkerEventsDeps): WorkerEvents {
  const { db, logger, tracker, bus } = deps;

  /** The run's scrubber, or for a run not tracked here (finished, or before adoption) one built from the DB. */
  async function scrubberFor(executionId: string, workerId: string): Promise<{ scrub: (s: string) => string; execution?: Execution } | undefined> {
    const run = tracker.get(executionId);
    if (run) return run.workerId === workerId ? { scrub: run.scrub } : undefined;
    const execution = await executions.getExecution(db, executionId);
    if (!execution || execution.workerId !== workerId) return undefined;
    return { scrub: createScrubber(await deps.secretsFor(execution).catch(() => [])), execution };
  }

  return {
    onRegistered(workerId, running, held) {
      const unknown = tracker.workerRegistered(workerId, running);
      if (held?.session) deps.workerBack?.(workerId, held.session, [...running, ...held.finished]);
      for (const executionId of unknown) {
        void executions.getExecution(db, executionId).then(async (e) => {
          if (!e || e.status !== 'running' || e.workerId !== workerId) {
            logger.warn({ workerId, executionId }, 'worker runs an execution the orchestrator does not; cancelling it');
            deps.gateway.cancel(workerId, { executionId, reason: 'cancelled' });
            return;
          }
          // Its run, tracked by no one here: the worker came from another (or a previous) orchestrator.
          await tracker.takeOver(e);
        }).catch((err: unknown) => logger.error({ err, workerId, executionId }, 'could not take over a re-attached run'));
      }
      deps.workersChanged();
    },

    async onOutput(workerId, p: OutputPayload) {
      const s = await scrubberFor(p.executionId, workerId);
      if (!s) {
        logger.warn({ workerId, executionId: p.executionId }, 'refusing output from a worker not assigned to this execution');
        return;
      }
      const createdAt = new Date().toISOString();
      const lines = p.chunks.map((c, i) => ({ seq: p.seq + i, stream: c.stream, content: s.scrub(c.text), createdAt }));
      const written = await appendOutput(db, p.executionId, lines);
      // A batch re-sent after a reconnect is published only for the lines that were new.
      for (const l of lines) if (written.has(l.seq)) bus.publishOutput({ executionId: p.executionId, seq: l.seq, stream: l.stream, text: l.content });
    },

    async onProtocol(workerId, p: ProtocolPayload) {
      const s = await scrubberFor(p.executionId, workerId);
      const execution = s?.execution ?? (s ? await executions.getExecution(db, p.executionId) : undefined);
      if (!s || !execution) {
        logger.warn({ workerId, executionId: p.executionId }, 'refusing protocol messages from a worker not assigned to this execution');
        return;
      }
      for (const m of p.messages) {
        const message = { kind: m.kind, payload: scrubDeep(m.payload, s.scrub) };
        if (!(await deps.storeProtocolMessage(execution, message))) continue;
        await deps.onProtocolMessage?.(execution, message).catch((err) =>
          logger.error({ err, executionId: execution.id, kind: m.kind }, 'protocol message hook failed'),
        );
      }
    },

    async onResult(workerId, p: ResultPayload) {
      const s = await scrubberFor(p.executionId, workerId);
      if (!s) {
        logger.warn({ workerId, executionId: p.executionId }, 'refusing a result from a worker not assigned to this execution');
        return false;
      }
      // A fast result can arrive before the dispatcher recorded the assignment: let that land first.
      await tracker.get(p.executionId)?.assigned;
      await tracker.finish(
        p.executionId,
        { status: p.status, error: p.error, exitCode: p.exitCode, result: p.result, costUsd: p.costUsd, numTurns: p.numTurns, sessionId: p.sessionId },
        s.scrub,
      );
      deps.workersChanged();
      return true;
    },

    onDisconnected(workerId, _running, how) {
      // A revoked worker cannot come back for its runs: they fail now rather than after the grace.
      if (how === 'revoked') tracker.workerRevoked(workerId);
      else tracker.workerDisconnected(workerId);
      deps.workersChanged();
    },
  };
}
