import request from 'supertest';
import { getEvent } from '../../../server/db/events';
import { listExecutions } from '../../../server/db/executions';
import { createBusHarness, type BusHarness } from '../../helpers/event-bus';
import { waitFor } from '../../helpers/wait';

describe('events API and the event processor', () => {
  let h: BusHarness;
  beforeAll(async () => {
    h = await createBusHarness();
  });
  afterAll(async () => {
    await h.close();
  });

  const finalEvent = (id: string) =>
    waitFor(async () => {
      const e = await getEvent(h.t.db, id);
      return e && !['pending', 'processing'].includes(e.status) ? e : undefined;
    }, `event ${id} to be processed`);

  it('publishes the guide example (payload as a JSON string): 202, an execution row and its job', async () => {
    const personaId = await h.persona('Deployer', { timeoutMs: 120_000 });
    await h.subscribe(personaId, 'deploy_requested', 'slack-*');
    const res = await request(h.t.app).post('/api/events').set(h.t.auth).send({
      eventType: 'deploy_requested',
      sourceType: 'manual',
      sourceId: 'slack-bot',
      payload: '{"environment": "production"}',
    });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ id: expect.any(String), status: 'pending', eventType: 'deploy_requested', payload: { environment: 'production' } });

    const event = await finalEvent(res.body.id);
    expect(event.status).toBe('delivered');
    const [execution] = await listExecutions(h.t.db, { eventId: event.id, limit: 10, offset: 0 });
    expect(execution).toMatchObject({ personaId, status: 'queued', inputData: { environment: 'production' }, timeoutMs: 120_000, chainDepth: 0 });
    const job = await h.t.ctx.queues.executions.getJob(execution.id);
    expect(job?.id).toBe(execution.id);
    expect(job?.data).toEqual({ executionId: execution.id });

    const detail = await request(h.t.app).get(`/api/events/${event.id}`).set(h.t.auth);
    expect(detail.status).toBe(200);
    expect(detail.body).toMatchObject({ id: event.id, status: 'delivered', executions: [{ id: execution.id, personaId, status: 'queued' }] });
  });

  it('accepts the payload as an object, and an event nobody subscribes to is skipped', async () => {
    const res = await request(h.t.app).post('/api/events').set(h.t.auth).send({ eventType: 'nobody_listens', payload: { a: 1 } });
    expect(res.status).toBe(202);
    expect(res.body.sourceType).toBe('manual');
    const event = await finalEvent(res.body.id);
    expect(event).toMatchObject({ status: 'skipped', error: 'no subscription matched' });
  });

  it('reaches every matching persona once, skips disabled personas, honours the target', async () => {
    const a = await h.persona('A');
    const b = await h.persona('B');
    const off = await h.persona('Off', { enabled: false });
    await h.subscribe(a, 'build_done');
    await h.subscribe(a, 'build_done', 'ci/*');
    await h.subscribe(b, 'build_done', 'ci/main');
    await h.subscribe(off, 'build_done');
    const broadcast = await request(h.t.app).post('/api/events').set(h.t.auth).send({ eventType: 'build_done', sourceId: 'ci/main' });
    await finalEvent(broadcast.body.id);
    const reached = await listExecutions(h.t.db, { eventId: broadcast.body.id, limit: 10, offset: 0 });
    expect(reached.map((e) => e.personaId).sort()).toEqual([a, b].sort());

    const targeted = await request(h.t.app).post('/api/events').set(h.t.auth).send({ eventType: 'build_done', sourceId: 'ci/main', targetPersonaId: b });
    expect((await finalEvent(targeted.body.id)).status).toBe('delivered');
    expect((await listExecutions(h.t.db, { eventId: targeted.body.id, limit: 10, offset: 0 })).map((e) => e.personaId)).toEqual([b]);

    const onlyDisabled = await request(h.t.app).post('/api/events').set(h.t.auth).send({ eventType: 'build_done', targetPersonaId: off });
    expect(await finalEvent(onlyDisabled.body.id)).toMatchObject({ status: 'skipped', error: 'every matching persona is disabled' });
  });

  it('lists events with type, status, limit and offset filters', async () => {
    for (let i = 0; i < 3; i++) await request(h.t.app).post('/api/events').set(h.t.auth).send({ eventType: 'listing_test', payload: { i } });
    const all = await request(h.t.app).get('/api/events?type=listing_test').set(h.t.auth);
    expect(all.status).toBe(200);
    expect(all.body).toHaveLength(3);
    const page = await request(h.t.app).get('/api/events?type=listing_test&limit=2&offset=2').set(h.t.auth);
    expect(page.body).toHaveLength(1);
    await waitFor(async () => (await request(h.t.app).get('/api/events?type=listing_test&status=skipped').set(h.t.auth)).body.length === 3, 'all skipped');
  });

  it('names bad fields and unknown ids', async () => {
    const missing = await request(h.t.app).post('/api/events').set(h.t.auth).send({ payload: {} });
    expect(missing.status).toBe(400);
    expect(missing.body.error.details[0].field).toBe('eventType');
    const badPayload = await request(h.t.app).post('/api/events').set(h.t.auth).send({ eventType: 'x', payload: '{not json' });
    expect(badPayload.status).toBe(400);
    expect(badPayload.body.error.details[0].field).toBe('payload');
    const unknownTarget = await request(h.t.app).post('/api/events').set(h.t.auth).send({ eventType: 'x', targetPersonaId: 'nope' });
    expect(unknownTarget.status).toBe(404);
    const badStatus = await request(h.t.app).get('/api/events?status=done').set(h.t.auth);
    expect(badStatus.status).toBe(400);
    expect(badStatus.body.error.details[0].field).toBe('status');
    const badLimit = await request(h.t.app).get('/api/events?limit=0').set(h.t.auth);
    expect(badLimit.body.error.details[0].field).toBe('limit');
    expect((await request(h.t.app).get('/api/events/nope').set(h.t.auth)).status).toBe(404);
    expect((await request(h.t.app).post('/api/events').send({ eventType: 'x' })).status).toBe(401);
  });
});
