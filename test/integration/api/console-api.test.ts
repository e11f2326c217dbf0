/**
 * The reads the web console needs beyond the resource APIs: who a key is (`/api/me`), executions of
 * the last hours by status, every trigger, the inbox of messages / memories / reviews across personas,
 * and each listed event with the executions it caused. Plus the console's static files at `/`.
 */
import fs from 'node:fs';
import path from 'node:path';
import express from 'express';
import request from 'supertest';
import { insertEvent } from '../../../server/db/events';
import { insertExecution, type Execution, type ExecutionStatus } from '../../../server/db/executions';
import { insertMessage } from '../../../server/db/messages';
import { consoleRouter } from '../../../server/http/console';
import { tempDir } from '../../helpers/env';
import { createTestApp, type TestApp } from '../../helpers/test-app';

const HOUR = 3600_000;

function execution(id: string, o: { personaId: string; status: ExecutionStatus; ageMs: number; eventId?: string; costUsd?: number }): Execution {
  const at = new Date(Date.now() - o.ageMs).toISOString();
  return {
    id, personaId: o.personaId, eventId: o.eventId ?? null, status: o.status, prompt: null, inputData: null, timeoutMs: null,
    workerId: null, startedAt: at, completedAt: at, durationMs: 10, exitCode: 0, error: o.status === 'failed' ? 'cli_error: boom' : null,
    costUsd: o.costUsd ?? null, sessionId: null, numTurns: 1, result: null, chainDepth: 0, createdAt: at, updatedAt: at,
  };
}

describe('console API reads', () => {
  let t: TestApp;
  let p1: string;
  let p2: string;
  const get = (p: string, key?: string) => request(t.app).get(p).set(key ? { Authorization: `Bearer ${key}` } : t.auth);
  let keys = 0;
  const keyOf = async (role: string) => {
    const res = await request(t.app).post('/api/keys').set(t.auth).send({ name: `console ${role} ${++keys}`, role });
    expect(res.status).toBe(201);
    return res.body.key as string;
  };

  beforeAll(async () => {
    t = await createTestApp();
    p1 = (await request(t.app).post('/api/personas').set(t.auth).send({ name: 'One' })).body.id;
    p2 = (await request(t.app).post('/api/personas').set(t.auth).send({ name: 'Two' })).body.id;
  });
  afterAll(async () => {
    await t.close();
  });

  it('GET /api/me names the key, its role and every requirement it satisfies', async () => {
    expect((await get('/api/me')).body).toEqual({
      keyId: 'bootstrap', name: 'TEAM_API_KEY', role: 'admin', grants: ['admin', 'operator', 'runner', 'reader', 'webhook'],
    });
    const runner = await get('/api/me', await keyOf('runner'));
    expect(runner.body).toMatchObject({ name: expect.stringMatching(/^console runner/), role: 'runner', grants: ['runner', 'reader', 'webhook'] });
    expect((await get('/api/me', await keyOf('reader'))).body.grants).toEqual(['reader']);
    const webhook = await get('/api/me', await keyOf('webhook'));
    expect(webhook.status).toBe(403);
    expect(webhook.body.error.message).toContain("'webhook' role");
    expect((await get('/api/me', 'pck_not_a_key_0123456789')).status).toBe(401);
  });

  it('GET /api/executions/summary counts the last hours by status, every status present, with the cost', async () => {
    await insertExecution(t.db, execution('sum-1', { personaId: p1, status: 'completed', ageMs: HOUR, costUsd: 0.25 }));
    await insertExecution(t.db, execution('sum-2', { personaId: p1, status: 'completed', ageMs: 2 * HOUR, costUsd: 0.5 }));
    await insertExecution(t.db, execution('sum-3', { personaId: p2, status: 'failed', ageMs: 3 * HOUR }));
    await insertExecution(t.db, execution('sum-old', { personaId: p2, status: 'failed', ageMs: 30 * HOUR, costUsd: 9 }));
    const day = await get('/api/executions/summary');
    expect(day.status).toBe(200);
    expect(day.body).toMatchObject({
      hours: 24, total: 3, costUsd: 0.75,
      byStatus: { queued: 0, running: 0, completed: 2, failed: 1, cancelled: 0 },
    });
    expect(Date.parse(day.body.since)).toBeGreaterThan(Date.now() - 24 * HOUR - 60_000);
    expect((await get('/api/executions/summary?hours=48')).body).toMatchObject({ total: 4, byStatus: { failed: 2 } });
    expect((await get('/api/executions/summary?hours=1')).body.total).toBe(0);
    const bad = await get('/api/executions/summary?hours=0');
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('hours');
  });

  it('GET /api/events lists each event with the executions it caused', async () => {
    const now = new Date().toISOString();
    const event = (id: string) => insertEvent(t.db, {
      id, eventType: 'console_probe', sourceType: 'manual', sourceId: 'probe', targetPersonaId: null, payload: { n: 1 },
      status: 'delivered', error: null, chainDepth: 0, parentExecutionId: null, createdAt: now, processedAt: now,
    });
    await event('ev-two');
    await event('ev-none');
    await insertExecution(t.db, execution('ev-two-a', { personaId: p1, status: 'completed', ageMs: 10, eventId: 'ev-two' }));
    await insertExecution(t.db, execution('ev-two-b', { personaId: p2, status: 'running', ageMs: 5, eventId: 'ev-two' }));
    const res = await get('/api/events?type=console_probe');
    expect(res.status).toBe(200);
    const byId = Object.fromEntries(res.body.map((e: { id: string }) => [e.id, e]));
    expect(byId['ev-two'].executions).toEqual([
      { id: 'ev-two-a', personaId: p1, status: 'completed', createdAt: expect.any(String) },
      { id: 'ev-two-b', personaId: p2, status: 'running', createdAt: expect.any(String) },
    ]);
    expect(byId['ev-none']).toMatchObject({ eventType: 'console_probe', sourceId: 'probe', executions: [] });
  });

  it('GET /api/triggers lists every trigger, filtered by persona, type and enabled', async () => {
    const make = async (personaId: string, triggerType: string, config: object, enabled = true) =>
      (await request(t.app).post('/api/triggers').set(t.auth).send({ personaId, triggerType, config, enabled })).body.id as string;
    const schedule = await make(p1, 'schedule', { cron: 'every 30m', event_type: 'tick' });
    const manual = await make(p2, 'manual', {}, false);
    const all = await get('/api/triggers');
    expect(all.body.map((x: { id: string }) => x.id)).toEqual([schedule, manual]);
    expect(all.body[0]).toMatchObject({ personaId: p1, triggerType: 'schedule', enabled: true, nextTriggerAt: expect.any(String) });
    expect((await get(`/api/triggers?personaId=${p2}`)).body.map((x: { id: string }) => x.id)).toEqual([manual]);
    expect((await get('/api/triggers?type=schedule')).body.map((x: { id: string }) => x.id)).toEqual([schedule]);
    expect((await get('/api/triggers?enabled=false')).body.map((x: { id: string }) => x.id)).toEqual([manual]);
    expect((await get('/api/triggers?limit=1&offset=1')).body.map((x: { id: string }) => x.id)).toEqual([manual]);
    const bad = await get('/api/triggers?type=sometimes');
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('type');
  });

  it('GET /api/reviews, /api/messages and /api/memories list across personas, newest first, operator and up', async () => {
    let at = Date.now() - 60_000;
    const store = (id: string, personaId: string, kind: string, status = 'recorded') =>
      insertMessage(t.db, {
        id, executionId: null, personaId, kind, payload: { title: id, content: id }, status,
        resolution: null, resolvedAt: null, createdAt: new Date((at += 1000)).toISOString(),
      });
    await store('rev-1', p1, 'manual_review', 'open');
    await store('rev-2', p2, 'manual_review', 'open');
    await store('rev-3', p2, 'manual_review', 'resolved');
    await store('msg-1', p1, 'user_message');
    await store('msg-2', p2, 'user_message');
    await store('mem-1', p2, 'agent_memory');
    const ids = (res: request.Response) => res.body.map((m: { id: string }) => m.id);
    expect(ids(await get('/api/reviews'))).toEqual(['rev-3', 'rev-2', 'rev-1']);
    expect(ids(await get('/api/reviews?status=open'))).toEqual(['rev-2', 'rev-1']);
    expect(ids(await get(`/api/reviews?status=open&personaId=${p1}`))).toEqual(['rev-1']);
    expect(ids(await get('/api/messages'))).toEqual(['msg-2', 'msg-1']);
    expect(ids(await get('/api/messages?limit=1&offset=1'))).toEqual(['msg-1']);
    expect(ids(await get('/api/memories'))).toEqual(['mem-1']);
    expect((await get('/api/reviews', await keyOf('runner'))).status).toBe(403);
    const resolved = await request(t.app).post('/api/reviews/rev-1/resolve').set(t.auth).send({ resolution: { decision: 'approved' } });
    expect(resolved.body).toMatchObject({ status: 'resolved', resolution: { decision: 'approved' } });
    expect(ids(await get('/api/reviews?status=open'))).toEqual(['rev-2']);
  });

  it('serves the built console at / with a strict CSP, and says how to build it when it is missing', async () => {
    const dir = tempDir('pc-console');
    try {
      const app = express().use(consoleRouter(dir));
      const missing = await request(app).get('/');
      expect(missing.status).toBe(503);
      expect(missing.text).toContain('npm run build');

      fs.mkdirSync(path.join(dir, 'assets'));
      fs.writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>console</title>');
      fs.writeFileSync(path.join(dir, 'assets', 'app-1a2b.js'), 'console.log(1)');
      const index = await request(app).get('/');
      expect(index.status).toBe(200);
      expect(index.headers['content-type']).toContain('text/html');
      expect(index.headers['content-security-policy']).toContain("script-src 'self'");
      expect(index.headers['content-security-policy']).toContain("frame-ancestors 'none'");
      expect(index.headers['cache-control']).toBe('no-cache');
      const asset = await request(app).get('/assets/app-1a2b.js');
      expect(asset.headers['cache-control']).toContain('immutable');
      expect((await request(app).get('/nothing-here.js')).status).toBe(404);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('leaves /api, /health and Bull Board to their own handlers', async () => {
    expect((await request(t.app).get('/health')).body.status).toBe('ok');
    expect((await request(t.app).get('/api/personas')).status).toBe(401);
    expect((await request(t.app).get('/admin/queues')).status).toBe(401);
    const board = await request(t.app).get('/admin/queues').set(t.auth);
    expect(board.status).toBe(200);
    expect(board.headers['content-type']).toContain('text/html');
  });
});
