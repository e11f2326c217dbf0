import type { Logger } from 'pino';
import { extractProtocolMessages } from '../shared/protocol';
import { createScrubber } from '../shared/scrub';
import {
  assignPayload, cancelPayload,
  type AssignAck, type AssignPayload, type OutputPayload, type ProtocolPayload, type ResultPayload,
} from '../shared/socket-events';
import { OutputBatcher } from './output-batcher';
import { ProtocolCap } from './protocol-cap';
import type { RunCallbacks, RunHandle } from './runner';
import type { StreamEvent } from './stream-json';

/** Where the agent sends things; `OrchestratorConnection` in production, a fake in tests. */
export interface Outbound {
  sendOutput(p: OutputPayload): void;
  sendProtocol(p: ProtocolPayload): void;
  sendResult(p: ResultPayload): void;
  hasResult(executionId: string): boolean;
}

export interface AgentDeps {
  slots: number;
  /** emit_event + persona_action messages one run may send (RUN_MAX_EVENTS); the rest are dropped. */
  runMaxEvents: number;
  outbound: Outbound;
  startRun: (a: AssignPayload, cb: RunCallbacks) => RunHandle;
  logger: Logger;
}

/**
 * Runs assignments in up to `slots` CLI processes: accepts or refuses an assign, streams each run's
 * output (batched) and protocol messages, reports its result, stops a run on cancel, and drains
 * on shutdown. Knows nothing of sockets.
 */
export class WorkerAgent {
  private readonly running = new Map<string, RunHandle>();
  private draining = false;

  constructor(private readonly deps: AgentDeps) {}

  runningIds(): string[] {
    return [...this.running.keys()];
  }

  /** Validates and maybe starts an assignment; the answer is the assign ack. Never logs the payload. */
  handleAssign(raw: unknown): AssignAck {
    const log = this.deps.logger;
    const parsed = assignPayload.safeParse(raw);
    if (!parsed.success) {
      log.warn({ fields: parsed.error.issues.map((i) => i.path.join('.')) }, 'invalid assign payload');
      return { accepted: false, reason: 'invalid_payload' };
    }
    const a = parsed.data;
    // A re-sent assign (its ack got lost) must not start the run twice.
    if (this.running.has(a.executionId) || this.deps.outbound.hasResult(a.executionId)) return { accepted: true };
    // Shutting down counts as full: the orchestrator then tries another worker.
    if (this.draining || this.running.size >= this.deps.slots) return { accepted: false, reason: 'no_free_slot' };
    this.launch(a);
    return { accepted: true };
  }

  handleCancel(raw: unknown): void {
    const parsed = cancelPayload.safeParse(raw);
    if (!parsed.success) return;
    const run = this.running.get(parsed.data.executionId);
    if (!run) {
      this.deps.logger.debug({ executionId: parsed.data.executionId }, 'cancel for an execution not running here');
      return;
    }
    run.stop(parsed.data.reason);
  }

  /**
   * Stops taking work, lets running executions finish for up to `graceMs`, then stops the rest
   * (reason `shutdown`) and waits for them to end. Their results are handed to `outbound`.
   */
  async drain(graceMs: number): Promise<void> {
    this.draining = true;
    const all = () => Promise.all([...this.running.values()].map((r) => r.done));
    if (this.running.size === 0) return;
    this.deps.logger.info({ running: this.running.size, graceMs }, 'waiting for running executions');
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      all().then(() => false),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), graceMs))),
    ]);
    clearTimeout(timer);
    if (timedOut) {
      this.deps.logger.warn({ running: this.running.size }, 'grace period over; cancelling running executions');
      for (const run of this.running.values()) run.stop('shutdown');
      await all();
    }
    // Each run's own completion handler (attached first, so it ran first) has reported its result.
  }

  /** Forced exit: SIGKILL every CLI process group now (synchronous, for a second signal or process exit). */
  killAllNow(): void {
    for (const run of this.running.values()) {
      try {
        run.killNow();
      } catch (err) {
        this.deps.logger.error({ err, executionId: run.executionId }, 'could not kill a run');
      }
    }
  }

  private launch(a: AssignPayload): void {
    const { outbound, logger } = this.deps;
    const log = logger.child({ executionId: a.executionId });
    const batcher = new OutputBatcher({ executionId: a.executionId, send: (p) => outbound.sendOutput(p) });
    const cap = new ProtocolCap(this.deps.runMaxEvents);
    const onEvent = (event: StreamEvent) => {
      if (event.type !== 'assistant') return;
      const text = event.blocks.map((b) => (b.kind === 'text' ? b.text : '')).join('\n');
      const found = extractProtocolMessages(text, (reason) => log.debug({ reason }, 'ignored a protocol-like line'));
      const messages = cap.admit(found);
      if (messages.length > 0) outbound.sendProtocol({ executionId: a.executionId, messages });
    };
    const run = this.deps.startRun(a, { onChunk: (c) => batcher.push(c), onEvent });
    this.running.set(a.executionId, run);
    log.info({ running: this.running.size, slots: this.deps.slots }, 'execution accepted');
    run.done
      .then((result) => {
        if (cap.dropped > 0) {
          log.warn({ dropped: cap.dropped, max: this.deps.runMaxEvents }, 'protocol messages over the per-run cap dropped');
          batcher.push({ stream: 'system', text: cap.notice() });
        }
        batcher.close(); // the last output goes before the result
        this.running.delete(a.executionId);
        // The error may quote CLI output; the orchestrator scrubs what it stores, the worker what it logs.
        const error = result.error === null ? null : createScrubber(Object.values(a.env))(result.error);
        log.info({ status: result.status, error, exitCode: result.exitCode }, 'execution finished');
        outbound.sendResult(result);
      })
      .catch((err: unknown) => log.error({ err }, 'reporting the result failed'));
  }
}
