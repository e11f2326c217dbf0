import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { insertMessage } from '../../../server/db/messages';
import { createBusHarness, type BusHarness } from '../../helpers/event-bus';

describe('protocol messages: messages, memories, reviews', () => {
  let h: BusHarness;
  let personaId: string;
  beforeAll(async () => {
    h = await createBusHarness({ start: false });
    personaId = await h.persona('Talker');
    let t = Date.parse('2026-01-01T00:00:00Z');
    const store = (kind: string, payload: Record<string, unknown>, status = 'recorded') =>
      insertMessage(h.t.db, {
        id: randomUUID(), executionId: null, personaId, kind, payload, status,
        resolution: null, resolvedAt: null, createdAt: new Date((t += 1000)).toISOString(),
      });
    await store('user_message', { title: 'Deploy done', content: 'v1.4 is live', content_type: 'success', priority: 'normal' });
    await store('user_message', { content: 'second' });
    await store('agent_memory', { title: 'Flaky job', content: 'lint job retries once', category: 'fact', importance: 6, tags: ['ci'] });
    await store('manual_review', { title: 'Force push on main', severity: 'high', suggested_actions: ['revert'] }, 'open');
    await store('manual_review', { title: 'Second review', severity: 'low' }, 'open');
    await store('emit_event', { type: 'x' });
  });
  afterAll(async () => {
    await h.close();
  });

  it('lists user messages and memories per persona, newest first', async () => {
    const messages = await request(h.t.app).get(`/api/personas/${personaId}/messages`).set(h.t.auth);
    expect(messages.status).toBe(200);
    expect(messages.body.map((m: { payload: { content: string } }) => m.payload.content)).toEqual(['second', 'v1.4 is live']);
    expect((await request(h.t.app).get(`/api/personas/${personaId}/messages?limit=1`).set(h.t.auth)).body).toHaveLength(1);
    const memories = await request(h.t.app).get(`/api/personas/${personaId}/memories`).set(h.t.auth);
    expect(memories.body).toEqual([expect.objectContaining({ kind: 'agent_memory', payload: expect.objectContaining({ title: 'Flaky job', tags: ['ci'] }) })]);
  });

  it('lists reviews by status and resolves one once', async () => {
    const open = await request(h.t.app).get(`/api/personas/${personaId}/reviews?status=open`).set(h.t.auth);
    expect(open.body.map((r: { payload: { title: string } }) => r.payload.title)).toEqual(['Second review', 'Force push on main']);
    const target = open.body[1];

    const resolved = await request(h.t.app).post(`/api/reviews/${target.id}/resolve`).set(h.t.auth).send({ resolution: { decision: 'reverted', by: 'ops' } });
    expect(resolved.status).toBe(200);
    expect(resolved.body).toMatchObject({ id: target.id, status: 'resolved', resolution: { decision: 'reverted', by: 'ops' }, resolvedAt: expect.any(String) });
    const again = await request(h.t.app).post(`/api/reviews/${target.id}/resolve`).set(h.t.auth).send({});
    expect(again.status).toBe(409);

    expect((await request(h.t.app).get(`/api/personas/${personaId}/reviews?status=open`).set(h.t.auth)).body).toHaveLength(1);
    expect((await request(h.t.app).get(`/api/personas/${personaId}/reviews?status=resolved`).set(h.t.auth)).body.map((r: { id: string }) => r.id)).toEqual([target.id]);
    expect((await request(h.t.app).get(`/api/personas/${personaId}/reviews`).set(h.t.auth)).body).toHaveLength(2);
  });

  it('answers 404 and 400 naming the field', async () => {
    expect((await request(h.t.app).get('/api/personas/ghost/messages').set(h.t.auth)).status).toBe(404);
    expect((await request(h.t.app).get('/api/personas/ghost/reviews').set(h.t.auth)).status).toBe(404);
    const badStatus = await request(h.t.app).get(`/api/personas/${personaId}/reviews?status=closed`).set(h.t.auth);
    expect([badStatus.status, badStatus.body.error.details[0].field]).toEqual([400, 'status']);
    const badLimit = await request(h.t.app).get(`/api/personas/${personaId}/memories?limit=x`).set(h.t.auth);
    expect([badLimit.status, badLimit.body.error.details[0].field]).toEqual([400, 'limit']);
    expect((await request(h.t.app).post('/api/reviews/ghost/resolve').set(h.t.auth).send({})).status).toBe(404);
    const memory = (await request(h.t.app).get(`/api/personas/${personaId}/memories`).set(h.t.auth)).body[0];
    expect((await request(h.t.app).post(`/api/reviews/${memory.id}/resolve`).set(h.t.auth).send({})).status).toBe(404);
    expect((await request(h.t.app).post('/api/reviews/x/resolve').set(h.t.auth).send('"str"').set('Content-Type', 'application/json')).status).toBe(400);
  });
});
