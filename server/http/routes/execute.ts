import { Router, type Request, type Response } from 'express';
import { createSession } from 'better-sse';
import { z } from 'zod';
import { ValidationError } from '../../../shared/errors';
import * as executions from '../../db/executions';
import { listOutput } from '../../db/output';
import { cancelExecution, submitExecution } from '../../services/execution-control';
import { mustFind } from '../../services/must-find';
import type { OutputEvent } from '../../services/output-bus';
import type { AppContext } from '../context';
import { bodyObject, jsonField, parse } from '../validate';
import { requireRole } from '../../auth/express';
import { watchKey } from '../../auth/key-watch';
import { presentedKey } from '../../auth/secrets';
import { describeRoute } from '../openapi/describe';

const executeBody = z.object({
  prompt: z.string().max(500_000).optional(),
  personaId: z.string().min(1).max(200).optional(),
  timeoutMs: z.number().int().min(1000).max(24 * 3600 * 1000).optional(),
  /** The guide's input data; `input` is accepted as an alias. Object, JSON string or any JSON value. */
  inputData: jsonField(z.unknown()).optional(),
  input: jsonField(z.unknown()).optional(),
});

/** Execution control: submit, cancel, and follow live (SSE). Reads live in routes/executions.ts. */
export function executeRouter(ctx: AppContext): Router {
  const r = Router();

  r.post('/execute', requireRole('runner'), describeRoute({ summary: "Run a persona (its assembled prompt) or a raw prompt", tag: 'executions', body: executeBody, responses: { 202: { description: 'Queued: {executionId, status, personaId, createdAt}' } } }), async (req, res) => {
    const body = parse(executeBody, bodyObject(req.body));
    if (!body.personaId && !body.prompt?.trim()) {
      throw new ValidationError('invalid body: prompt: is required (or name a personaId)', [{ field: 'prompt', message: 'is required' }]);
    }
    const execution = await submitExecution(ctx.control, {
      prompt: body.prompt ?? '',
      personaId: body.personaId,
      timeoutMs: body.timeoutMs,
      inputData: body.inputData ?? body.input,
    });
    res.status(202).json({ executionId: execution.id, status: execution.status, personaId: execution.personaId, createdAt: execution.createdAt });
  });

  r.post('/executions/:id/cancel', requireRole('runner'), describeRoute({ summary: 'Cancel a queued or running execution (409 when already finished)', tag: 'executions' }), async (req, res) => {
    res.json(await cancelExecution(ctx.control, req.params.id));
  });

  r.get('/executions/:id/stream', requireRole('reader'), describeRoute({ summary: "Follow an execution's output live (Server-Sent Events: output, status, end)", description: 'Replays stored output after `afterSeq` (or Last-Event-ID), then follows live; one `end` event when it finishes.', tag: 'executions', query: afterSeqQuery, responses: { 200: { description: 'An event stream', kind: 'sse' } } }), (req, res) => followOverSse(ctx, req, res));

  return r;
}

const afterSeqQuery = z.object({ afterSeq: z.coerce.number().int().min(-1).optional() });

/**
 * Server-Sent Events: `output` events (id = seq) replayed from SQLite, then live, then one `end`
 * event when the execution is finished. Resumable with `Last-Event-ID` or `?afterSeq=`.
 */
async function followOverSse(ctx: AppContext, req: Request, res: Response): Promise<void> {
  const id = String(req.params.id);
  await mustFind(executions.getExecution(ctx.db, id), 'execution', id);
  const { afterSeq } = parse(afterSeqQuery, req.query, 'query');
  const lastEventId = Number(req.header('last-event-id'));
  let lastSeq = Number.isInteger(lastEventId) ? lastEventId : (afterSeq ?? -1);

  // Subscribe before replaying, buffering live events, so nothing falls between the two.
  const buffered: OutputEvent[] = [];
  let live = false;
  let session: Awaited<ReturnType<typeof createSession>> | undefined;
  const send = (e: OutputEvent) => {
    if (e.seq <= lastSeq || !session?.isConnected) return;
    lastSeq = e.seq;
    session.push({ seq: e.seq, stream: e.stream, text: e.text }, 'output', String(e.seq));
  };
  let ended = false;
  let stopWatching = (): void => undefined;
  const close = (last?: { data: unknown; event: string }) => {
    if (ended) return;
    ended = true;
    stopWatching();
    if (last && session?.isConnected) session.push(last.data, last.event, String(lastSeq));
    unsubscribe();
    res.end();
  };
  const finish = (status: string, error: string | null) => close({ data: { executionId: id, status, error }, event: 'end' });
  const unsubscribe = ctx.bus.follow(id, {
    output: (e) => (live ? send(e) : buffered.push(e)),
    status: (e) => session?.isConnected && session.push(e, 'status', String(lastSeq)),
    end: (e) => finish(e.status, e.error),
    lastSeq: () => lastSeq,
  });
  req.on('close', () => {
    stopWatching();
    unsubscribe();
  });
  // A key revoked while it follows (or the bootstrap key, never revoked) stops the stream within a second.
  const key = presentedKey(req.headers.authorization, false);
  if (key && ctx.apiKeys) {
    stopWatching = watchKey(ctx.apiKeys, key, 'reader', () => close({ data: { executionId: id, error: 'the API key of this stream was revoked' }, event: 'revoked' }), ctx.logger);
  }

  session = await createSession(req, res, { keepAlive: 15_000 });
  // Other orchestrator instances' output reaches us once Redis confirmed the subscription.
  await unsubscribe.ready;
  for (const line of await listOutput(ctx.db, id, lastSeq)) send({ executionId: id, seq: line.seq, stream: line.stream, text: line.content });
  for (const e of buffered) send(e);
  live = true;
  const current = (await executions.getExecution(ctx.db, id))!;
  if (executions.TERMINAL_STATUSES.includes(current.status)) finish(current.status, current.error);
  else session.push({ executionId: id, status: current.status }, 'status', String(lastSeq));
}
