/**
 * Edges that never hang: with Redis not answering, `POST /api/execute` is accepted through the outbox
 * (202, the row `queued`, its job added once Redis is back) and cancel answers 503 `unavailable`,
 * each well within 2 s.
 */
import request from 'supertest';
import { getExecution } from '../../../server/db/executions';
import { createApp } from '../../../server/http/app';
import { reconcileOutbox } from '../../../server/queues/event-outbox';
import { createQueues, type Queues } from '../../../server/queues/queues';
import { uniquePrefix } from '../../helpers/env';
import { createTestApp, type TestApp } from '../../helpers/test-app';
import { sleep } from '../../helpers/wait';

describe('while Redis does not answer', () => {
  let t: TestApp;
  let dead: Queues;
  beforeAll(async () => {
    t = await createTestApp();
    // A port nothing listens on: every command waits for a connection that never comes.
    dead = createQueues('redis://127.0.0.1:1', uniquePrefix('dead'));
    for (const q of [dead.events, dead.executions, dead.triggers]) q.on('error', () => undefined);
  });
  afterAll(async () => {
    await dead.close().catch(() => undefined);
    await t.close();
    // A BullMQ queue closed before it ever connected keeps a ~2 s timer per queue; let them run out
    // so this file leaves nothing behind.
    await sleep(2100);
  });

  const deadApp = () => createApp({ ...t.ctx, queues: dead, control: { ...t.ctx.control, queues: dead } });

  it('POST /api/execute answers 202 within 2 s and the outbox queues the job once Redis is back', async () => {
    const app = deadApp();
    const started = Date.now();
    const res = await request(app).post('/api/execute').set(t.auth).send({ prompt: 'hello while down' });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(res.status).toBe(202);
    expect(res.body.status).toBe('queued');
    const id = res.body.executionId as string;
    expect((await getExecution(t.db, id))?.status).toBe('queued');
    expect(await t.ctx.queues.executions.getJob(id)).toBeUndefined();

    // Redis answers again (the app's real queues): one outbox pass adds the job.
    await reconcileOutbox({ db: t.db, queues: t.ctx.queues, logger: t.ctx.logger }, { minAgeMs: 0 });
    expect((await t.ctx.queues.executions.getJob(id))?.data).toEqual({ executionId: id });
  });

  it('cancel answers 503 unavailable within 2 s and changes nothing', async () => {
    const submitted = await request(t.app).post('/api/execute').set(t.auth).send({ prompt: 'to cancel' });
    const id = submitted.body.executionId as string;
    const started = Date.now();
    const res = await request(deadApp()).post(`/api/executions/${id}/cancel`).set(t.auth);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe('unavailable');
    expect(res.body.error.message).toMatch(/Redis/);
    expect((await getExecution(t.db, id))?.status).toBe('queued');

    // With Redis answering, the same cancel goes through.
    const ok = await request(t.app).post(`/api/executions/${id}/cancel`).set(t.auth);
    expect(ok.status).toBe(200);
    expect(ok.body.status).toBe('cancelled');
  });
});
