import request from 'supertest';
import pino from 'pino';
import { insertExecution, type Execution } from '../../../server/db/executions';
import { queueCounts } from '../../../server/services/status';
import { createTestApp, type TestApp } from '../../helpers/test-app';

const pkg = require('../../../package.json') as { version: string };

function execution(id: string, status: Execution['status']): Execution {
  const at = new Date().toISOString();
  return {
    id, personaId: null, eventId: null, status, prompt: null, inputData: null, timeoutMs: null, workerId: null,
    startedAt: null, completedAt: null, durationMs: null, exitCode: null, error: null, costUsd: null,
    sessionId: null, numTurns: null, result: null, chainDepth: 0, createdAt: at, updatedAt: at,
  };
}

describe('GET /api/status', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('requires the team key; /health stays open', async () => {
    expect((await request(t.app).get('/api/status')).status).toBe(401);
    const health = await request(t.app).get('/health');
    expect(health.status).toBe(200);
    expect(health.body.status).toBe('ok');
  });

  it('reports version, uptime, workers, queue counts, executions by status and personas', async () => {
    await request(t.app).post('/api/personas').set(t.auth).send({ name: 'One' });
    await request(t.app).post('/api/personas').set(t.auth).send({ name: 'Two' });
    await insertExecution(t.db, execution('e1', 'completed'));
    await insertExecution(t.db, execution('e2', 'completed'));
    await insertExecution(t.db, execution('e3', 'failed'));
    await t.ctx.queues.events.add('event', { eventId: 'ev-1' }, { jobId: 'ev-1', delay: 60_000 });

    const res = await request(t.app).get('/api/status').set(t.auth);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      status: 'ok',
      version: pkg.version,
      uptimeSeconds: expect.any(Number),
      // No cluster view in a bare app: this instance alone.
      instances: [{ id: expect.any(String), host: expect.any(String), startedAt: expect.any(String), lastSeenAt: expect.any(String), workers: [], self: true }],
      workers: [],
      queues: { events: expect.any(Object), executions: expect.any(Object), triggers: expect.any(Object) },
      executions: { queued: 0, running: 0, completed: 2, failed: 1, cancelled: 0 },
      personas: 2,
      claude: expect.objectContaining({ connected: false, source: null }),
      webhooks: { rejected: {} },
    });
    expect(res.body.uptimeSeconds).toBeGreaterThanOrEqual(0);
    expect(res.body.queues.events.delayed).toBe(1);
    expect(res.body.queues.executions).toMatchObject({ waiting: 0, active: 0, failed: 0 });
  });

  it('reports a queue whose Redis does not answer as unavailable instead of failing', async () => {
    const down = { name: 'events', getJobCounts: () => new Promise<never>(() => undefined) };
    expect(await queueCounts(down, pino({ level: 'silent' }), 50)).toEqual({ error: 'unavailable' });
    const refusing = { name: 'events', getJobCounts: () => Promise.reject(new Error('ECONNREFUSED')) };
    expect(await queueCounts(refusing, pino({ level: 'silent' }), 50)).toEqual({ error: 'unavailable' });
  });
});

describe('GET /api/status with Redis unreachable', () => {
  let t: TestApp;
  beforeAll(async () => {
    // Port 1 on loopback: nothing listens, so every queue call waits for a connection that never comes.
    t = await createTestApp({ extraEnv: { REDIS_URL: 'redis://127.0.0.1:1' } });
  });
  afterAll(async () => {
    await t.close();
    // A queue closed with a command still pending on a never-connected client keeps one ~2 s timer
    // (inside BullMQ/ioredis); waiting it out here keeps jest's open-handle check meaningful.
    await new Promise((resolve) => setTimeout(resolve, 2200));
  });

  it('still answers, with each queue marked unavailable', async () => {
    const res = await request(t.app).get('/api/status').set(t.auth);
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('degraded');
    expect(res.body.queues).toEqual({ events: { error: 'unavailable' }, executions: { error: 'unavailable' }, triggers: { error: 'unavailable' } });
    expect(res.body.personas).toBe(0);
  });
});
