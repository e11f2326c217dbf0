import { z } from 'zod';

/**
 * The worker gateway's contract: every socket.io event between orchestrator and worker, with its
 * payload schema. Both sides import these; receivers validate with `.safeParse` and drop what fails.
 *
 * Handshake: the worker connects with `auth: { token: WORKER_TOKEN }` to the gateway (WS_PORT).
 * Then:  worker  --register(ack)-->  orchestrator
 *        orchestrator --assign(ack)--> worker        (one execution; the env carries its secrets)
 *        worker  --output-->  orchestrator          (batched chunks, seq increasing per execution)
 *        worker  --protocol-->  orchestrator        (protocol messages extracted from model text)
 *        worker  --result(ack)-->  orchestrator     (re-sent after reconnect until acknowledged)
 *        orchestrator --cancel--> worker            (user cancel or timeout)
 *        worker  --heartbeat-->  orchestrator       (every HEARTBEAT_INTERVAL_MS)
 *        orchestrator --probe(ack)--> worker         (another connection claims this worker's identity)
 *
 * The token is the shared WORKER_TOKEN or an enrolled worker token (`POST /api/workers/tokens`),
 * whose name is then the worker's identity, whatever workerId it registers with.
 */

export const PROTOCOL_VERSION = 1;
export const HEARTBEAT_INTERVAL_MS = 5_000;

export const registerPayload = z.object({
  workerId: z.string().min(1).max(200),
  slots: z.number().int().min(1).max(1000),
  version: z.string().max(100),
  /** Executions this worker is still running (after a reconnect), so the orchestrator keeps them. */
  running: z.array(z.string()).default([]),
  /** How this worker isolates CLI runs (see worker/sandbox/); older workers do not say. */
  isolation: z.enum(['bwrap', 'uid', 'none']).optional(),
  /** Random per worker process: a run assigned to this session that it does not hold was never delivered. */
  session: z.string().max(100).optional(),
  /** Executions finished here whose result the orchestrator has not acknowledged yet (sent right after). */
  finished: z.array(z.string()).optional(),
});
/** `workerId`: the identity the orchestrator gave this connection (an enrolled token's name wins over WORKER_ID). */
export const registerAck = z.object({ ok: z.boolean(), error: z.string().optional(), workerId: z.string().optional() });

export const assignPayload = z.object({
  executionId: z.string(),
  prompt: z.string(),
  /** Variables injected into the CLI's environment: credentials and the Claude token. Never logged. */
  env: z.record(z.string(), z.string()),
  timeoutMs: z.number().int().positive(),
  /**
   * The resolved tool entries (the persona's list, else the default list): the worker passes their
   * tool names as `--tools` (no other tool exists in the run) and the entries as `--allowedTools`.
   */
  allowedTools: z.array(z.string()),
  /** The persona's egress allowlist (host patterns, see shared/host-pattern.ts); the worker adds its own. */
  allowedHosts: z.array(z.string()).default([]),
  model: z.string().optional(),
  maxTurns: z.number().int().positive().optional(),
  /** Passed as `--max-budget-usd`: the CLI ends the run once its cost reaches this many dollars. */
  maxBudgetUsd: z.number().positive().optional(),
});
export const assignAck = z.object({ accepted: z.boolean(), reason: z.string().optional() });

export const outputStream = z.enum(['assistant', 'tool', 'tool_result', 'system', 'stderr', 'result']);
export const outputChunk = z.object({ stream: outputStream, text: z.string() });
export const outputPayload = z.object({
  executionId: z.string(),
  /** Sequence number of the first chunk in this batch; chunks are numbered consecutively. */
  seq: z.number().int().nonnegative(),
  chunks: z.array(outputChunk).min(1),
});

export const protocolPayload = z.object({
  executionId: z.string(),
  messages: z.array(z.object({ kind: z.string(), payload: z.record(z.string(), z.unknown()) })).min(1),
});

export const resultPayload = z.object({
  executionId: z.string(),
  status: z.enum(['completed', 'failed', 'cancelled']),
  exitCode: z.number().int().nullable(),
  /** Why it did not complete, for a person: `timeout`, `cancelled`, `cli_error: …`, `spawn_error: …`. */
  error: z.string().nullable(),
  result: z.string().nullable(),
  costUsd: z.number().nullable(),
  durationMs: z.number().int().nullable(),
  numTurns: z.number().int().nullable(),
  sessionId: z.string().nullable(),
});
export const resultAck = z.object({ ok: z.boolean() });

export const cancelPayload = z.object({
  executionId: z.string(),
  reason: z.enum(['cancelled', 'timeout', 'shutdown']),
});

/** Why a worker stopped a run: an orchestrator's cancel reason, or the worker's own output cap. */
export type StopReason = z.infer<typeof cancelPayload>['reason'] | 'output_limit';

export const heartbeatPayload = z.object({
  workerId: z.string(),
  running: z.array(z.string()),
});

export type RegisterPayload = z.infer<typeof registerPayload>;
export type RegisterAck = z.infer<typeof registerAck>;
export type AssignPayload = z.infer<typeof assignPayload>;
export type AssignAck = z.infer<typeof assignAck>;
export type OutputStream = z.infer<typeof outputStream>;
export type OutputChunk = z.infer<typeof outputChunk>;
export type OutputPayload = z.infer<typeof outputPayload>;
export type ProtocolPayload = z.infer<typeof protocolPayload>;
export type ResultPayload = z.infer<typeof resultPayload>;
export type ResultAck = z.infer<typeof resultAck>;
export type CancelPayload = z.infer<typeof cancelPayload>;
export type HeartbeatPayload = z.infer<typeof heartbeatPayload>;

/** Events the worker sends (socket.io typed map, client → server). */
export interface WorkerToOrchestrator {
  register: (p: RegisterPayload, ack: (a: RegisterAck) => void) => void;
  output: (p: OutputPayload) => void;
  protocol: (p: ProtocolPayload) => void;
  result: (p: ResultPayload, ack: (a: ResultAck) => void) => void;
  heartbeat: (p: HeartbeatPayload) => void;
}

/** Events the orchestrator sends (server → client). */
export interface OrchestratorToWorker {
  assign: (p: AssignPayload, ack: (a: AssignAck) => void) => void;
  cancel: (p: CancelPayload) => void;
  /** "Are you still there?": sent when a second connection claims this worker's identity; refused while acknowledged. */
  probe: (p: Record<string, never>, ack: (a: { ok: boolean }) => void) => void;
}

/**
 * Followers (browsers, CLIs) on the HTTP port, authenticated with `auth: { token: TEAM_API_KEY }`:
 * they `follow` an execution and receive its output replayed from `afterSeq`, then live, then `end`.
 */
export interface FollowerToOrchestrator {
  follow: (p: { executionId: string; afterSeq?: number }, ack: (a: { ok: boolean; error?: string }) => void) => void;
  unfollow: (p: { executionId: string }) => void;
}
export interface OrchestratorToFollower {
  output: (p: { executionId: string; seq: number; stream: string; text: string }) => void;
  status: (p: { executionId: string; status: string }) => void;
  end: (p: { executionId: string; status: string; error: string | null }) => void;
}
