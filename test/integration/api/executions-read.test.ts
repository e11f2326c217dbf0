import request from 'supertest';
import { insertExecution, type Execution, type ExecutionStatus } from '../../../server/db/executions';
import { getMessage, insertMessage, listMessagesForPersona, resolveReview } from '../../../server/db/messages';
import { appendOutput } from '../../../server/db/output';
import { joinOutput } from '../../../server/services/execution-detail';
import { createTestApp, type TestApp } from '../../helpers/test-app';

function execution(n: number, personaId: string, status: ExecutionStatus): Execution {
  // Distinct, ordered creation times so "newest first" is checkable.
  const at = new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString();
  return {
    id: `exec-${String(n).padStart(2, '0')}`, personaId, eventId: null, status, prompt: `prompt ${n}`, inputData: { n },
    timeoutMs: 1000, workerId: null, startedAt: null, completedAt: null, durationMs: null, exitCode: null, error: null,
    costUsd: null, sessionId: null, numTurns: null, result: null, chainDepth: 0, createdAt: at, updatedAt: at,
  };
}

describe('executions read API', () => {
  let t: TestApp;
  const get = (path: string) => request(t.app).get(path).set(t.auth);
  const ids = (res: request.Response) => res.body.map((e: { id: string }) => e.id);

  beforeAll(async () => {
    t = await createTestApp();
    const statuses: ExecutionStatus[] = ['queued', 'running', 'completed', 'failed', 'cancelled'];
    // 12 executions: p1 gets the even ones, p2 the odd ones; statuses cycle.
    for (let n = 1; n <= 12; n++) await insertExecution(t.db, execution(n, n % 2 === 0 ? 'p1' : 'p2', statuses[n % 5]));
  });
  afterAll(async () => {
    await t.close();
  });

  it('lists newest first with the default limit', async () => {
    const res = await get('/api/executions');
    expect(res.status).toBe(200);
    expect(ids(res)).toEqual(Array.from({ length: 12 }, (_, i) => `exec-${String(12 - i).padStart(2, '0')}`));
    expect(res.body[0]).toMatchObject({ id: 'exec-12', personaId: 'p1', inputData: { n: 12 }, prompt: 'prompt 12' });
  });

  it('filters by personaId and status, and pages with limit and offset', async () => {
    expect(ids(await get('/api/executions?personaId=p1&limit=3'))).toEqual(['exec-12', 'exec-10', 'exec-08']);
    expect(ids(await get('/api/executions?personaId=p1&limit=3&offset=3'))).toEqual(['exec-06', 'exec-04', 'exec-02']);
    expect(ids(await get('/api/executions?status=completed'))).toEqual(['exec-12', 'exec-07', 'exec-02']);
    expect(ids(await get('/api/executions?personaId=p2&status=completed'))).toEqual(['exec-07']);
    expect(ids(await get('/api/executions?personaId=nobody'))).toEqual([]);
    expect(ids(await get('/api/executions?offset=100'))).toEqual([]);
    expect((await get('/api/executions?limit=500')).status).toBe(200);
  });

  it.each([
    ['status=done', 'status'],
    ['status=completed&status=failed', 'status'],
    ['limit=abc', 'limit'],
    ['limit=0', 'limit'],
    ['limit=501', 'limit'],
    ['limit=-1', 'limit'],
    ['limit=1.5', 'limit'],
    ['limit=', 'limit'],
    ['offset=x', 'offset'],
    ['offset=-5', 'offset'],
    ['offset=99999999999999999999', 'offset'],
  ])('400 for ?%s naming %s', async (query, field) => {
    const res = await get(`/api/executions?${query}`);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_error');
    expect(res.body.error.details[0].field).toBe(field);
    expect(res.body.error.message).toContain(field);
  });

  it('names the valid statuses', async () => {
    const res = await get('/api/executions?status=done');
    expect(res.body.error.message).toContain('queued, running, completed, failed, cancelled');
  });

  it('gets one execution with its ordered output, joined text and protocol messages', async () => {
    await appendOutput(t.db, 'exec-03', [
      { seq: 1, stream: 'assistant', content: 'second', createdAt: '2026-01-01T00:01:01.000Z' },
      { seq: 0, stream: 'assistant', content: 'first', createdAt: '2026-01-01T00:01:00.000Z' },
      { seq: 2, stream: 'result', content: 'done\n', createdAt: '2026-01-01T00:01:02.000Z' },
    ]);
    const at = '2026-01-01T00:02:00.000Z';
    await insertMessage(t.db, {
      id: 'm1', executionId: 'exec-03', personaId: 'p2', kind: 'user_message', payload: { title: 'Hi', content: 'hello' },
      status: 'recorded', resolution: null, resolvedAt: null, createdAt: at,
    });
    await insertMessage(t.db, {
      id: 'm0', executionId: 'exec-03', personaId: 'p2', kind: 'manual_review', payload: { title: 'Check' },
      status: 'open', resolution: null, resolvedAt: null, createdAt: at,
    });

    const res = await get('/api/executions/exec-03');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: 'exec-03', personaId: 'p2', status: 'failed', inputData: { n: 3 } });
    expect(res.body.output.map((l: { seq: number }) => l.seq)).toEqual([0, 1, 2]);
    // `text` as in the live streams; `content` stays as an alias for clients written before.
    expect(res.body.output[0]).toEqual({ seq: 0, stream: 'assistant', text: 'first', content: 'first', createdAt: '2026-01-01T00:01:00.000Z' });
    expect(res.body.outputText).toBe('first\nsecond\ndone\n');
    // Same timestamp: insertion order, not id order.
    expect(res.body.messages.map((m: { id: string }) => m.id)).toEqual(['m1', 'm0']);
    expect(res.body.messages[0]).toEqual({
      id: 'm1', executionId: 'exec-03', personaId: 'p2', kind: 'user_message', payload: { title: 'Hi', content: 'hello' },
      status: 'recorded', resolution: null, resolvedAt: null, createdAt: at,
    });

    const empty = await get('/api/executions/exec-04');
    expect(empty.body).toMatchObject({ output: [], outputText: '', messages: [] });
  });

  it('404 for an unknown execution', async () => {
    const res = await get('/api/executions/does-not-exist');
    expect(res.status).toBe(404);
    expect(res.body.error).toEqual({ code: 'not_found', message: "execution 'does-not-exist' not found", details: { resource: 'execution', id: 'does-not-exist' } });
  });

  it('messages repository: per-persona listing and review resolution', async () => {
    const mems = await listMessagesForPersona(t.db, 'p2', 'manual_review', 10);
    expect(mems.map((m) => m.id)).toEqual(['m0']);
    expect((await listMessagesForPersona(t.db, 'p2', undefined, 10)).map((m) => m.id)).toEqual(['m0', 'm1']);
    expect(await listMessagesForPersona(t.db, 'p2', undefined, 1)).toHaveLength(1);

    const resolvedAt = '2026-01-02T00:00:00.000Z';
    expect(await resolveReview(t.db, 'm0', { status: 'approved', resolution: { note: 'ok' }, resolvedAt })).toBe(true);
    expect(await resolveReview(t.db, 'm0', { status: 'rejected', resolution: null, resolvedAt })).toBe(false);
    expect(await getMessage(t.db, 'm0')).toMatchObject({ status: 'approved', resolution: { note: 'ok' }, resolvedAt });
    expect(await getMessage(t.db, 'nope')).toBeUndefined();
  });

  it('joinOutput adds a newline only between chunks that lack one', () => {
    expect(joinOutput([])).toBe('');
    expect(joinOutput([{ content: 'a' }])).toBe('a');
    expect(joinOutput([{ content: 'a' }, { content: 'b' }])).toBe('a\nb');
    expect(joinOutput([{ content: 'a\n' }, { content: 'b\n' }])).toBe('a\nb\n');
  });
});
