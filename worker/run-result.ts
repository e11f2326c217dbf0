import type { ResultPayload, StopReason } from '../shared/socket-events';
import type { ResultEvent } from './stream-json';

export type { StopReason };

/** Everything known when a run has ended; `toResultPayload` turns it into the result sent home. */
export interface RunEnd {
  executionId: string;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** The process could not be started (or its work dir not created). */
  spawnError?: string;
  /** We stopped it (cancel, timeout, shutdown) … */
  stopReason?: StopReason;
  /** … and it had already printed its result event before we did. */
  resultBeforeStop?: boolean;
  resultEvent?: ResultEvent;
  /** From the init event, in case the run ends before its result event. */
  sessionId?: string | null;
  lastStderrLine?: string;
  /** Wall-clock run time, used when there is no result event. */
  elapsedMs: number;
}

const MAX_REASON_CHARS = 300;

function short(text: string): string {
  const line = text.split(/\r?\n/).find((l) => l.trim()) ?? text;
  const trimmed = line.trim();
  return trimmed.length > MAX_REASON_CHARS ? `${trimmed.slice(0, MAX_REASON_CHARS)}…` : trimmed;
}

/** A reason a person can act on, from the result event, else stderr, else the exit. */
function cliErrorReason(end: RunEnd): string {
  const r = end.resultEvent;
  if (r?.isError) return short(r.result?.trim() ? r.result : r.subtype);
  if (end.lastStderrLine?.trim()) return short(end.lastStderrLine);
  if (end.exitCode === 0) return 'exited without a result';
  return end.signal ? `killed by ${end.signal}` : `exit code ${end.exitCode}`;
}

/**
 * Maps the end of a run to the result payload:
 * - could not start → failed `spawn_error: …`;
 * - stopped by us before its result → `cancelled` (error `cancelled`/`shutdown`), or failed `timeout`;
 * - stopped for printing too much → failed `output_limit` (even after its result: the output is cut);
 * - a non-error result event and exit 0 (or our stop came after the result) → completed;
 * - anything else → failed `cli_error: …` with the exit code kept.
 */
export function toResultPayload(end: RunEnd): ResultPayload {
  const r = end.resultEvent;
  const base = {
    executionId: end.executionId,
    exitCode: end.exitCode,
    result: r?.result ?? null,
    costUsd: r?.costUsd ?? null,
    durationMs: r?.durationMs ?? Math.round(end.elapsedMs),
    numTurns: r?.numTurns ?? null,
    sessionId: r?.sessionId ?? end.sessionId ?? null,
  };
  if (end.spawnError !== undefined) {
    return { ...base, status: 'failed', error: `spawn_error: ${short(end.spawnError)}` };
  }
  if (end.stopReason === 'output_limit') return { ...base, status: 'failed', error: 'output_limit' };
  if (end.stopReason && !end.resultBeforeStop) {
    if (end.stopReason === 'timeout') return { ...base, status: 'failed', error: 'timeout' };
    return { ...base, status: 'cancelled', error: end.stopReason };
  }
  if (r && !r.isError && (end.exitCode === 0 || end.resultBeforeStop)) {
    return { ...base, status: 'completed', error: null };
  }
  return { ...base, status: 'failed', error: `cli_error: ${cliErrorReason(end)}` };
}
