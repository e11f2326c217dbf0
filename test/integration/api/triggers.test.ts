import request from 'supertest';
import { schedulerId } from '../../../server/services/trigger-schedules';
import { createBusHarness, type BusHarness } from '../../helpers/event-bus';

describe('triggers API', () => {
  let h: BusHarness;
  let personaId: string;
  beforeAll(async () => {
    h = await createBusHarness({ start: false });
    personaId = await h.persona('Triggered');
  });
  afterAll(async () => {
    await h.close();
  });

  const scheduler = (id: string) => h.t.ctx.queues.triggers.getJobScheduler(schedulerId(id));

  it('creates the guide example (config as a JSON string) with its scheduler and nextTriggerAt', async () => {
    const before = Date.now();
    const res = await request(h.t.app).post('/api/triggers').set(h.t.auth).send({
      personaId,
      triggerType: 'schedule',
      config: '{"cron": "every 30m", "event_type": "scheduled_review", "payload": {"scope": "recent"}}',
      enabled: true,
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      id: expect.any(String), personaId, triggerType: 'schedule', enabled: true, lastTriggeredAt: null,
      config: { cron: 'every 30m', event_type: 'scheduled_review', payload: { scope: 'recent' } },
    });
    const next = Date.parse(res.body.nextTriggerAt);
    expect(next).toBeGreaterThanOrEqual(before + 30 * 60_000);
    expect(next).toBeLessThan(Date.now() + 30 * 60_000 + 1000);
    expect(await scheduler(res.body.id)).toMatchObject({ every: 1_800_000 });

    const got = await request(h.t.app).get(`/api/triggers/${res.body.id}`).set(h.t.auth);
    expect(got.body).toMatchObject({ id: res.body.id, nextTriggerAt: res.body.nextTriggerAt, recentFires: [] });
  });

  it('moves the scheduler with the config; disabling and deleting remove it', async () => {
    const res = await request(h.t.app).post('/api/triggers').set(h.t.auth)
      .send({ personaId, triggerType: 'schedule', config: { cron: '0 9 * * 1-5', timezone: 'Europe/Prague' } });
    const id = res.body.id;
    expect(await scheduler(id)).toMatchObject({ pattern: '0 9 * * 1-5', tz: 'Europe/Prague' });

    const changed = await request(h.t.app).put(`/api/triggers/${id}`).set(h.t.auth).send({ config: { interval_seconds: 90 } });
    expect(changed.status).toBe(200);
    expect(await scheduler(id)).toMatchObject({ every: 90_000 });

    const disabled = await request(h.t.app).put(`/api/triggers/${id}`).set(h.t.auth).send({ enabled: false });
    expect(disabled.body).toMatchObject({ enabled: false, nextTriggerAt: null });
    expect(await scheduler(id)).toBeUndefined();

    await request(h.t.app).put(`/api/triggers/${id}`).set(h.t.auth).send({ enabled: true });
    expect(await scheduler(id)).toBeDefined();
    const del = await request(h.t.app).delete(`/api/triggers/${id}`).set(h.t.auth);
    expect(del.body).toEqual({ id, deleted: true });
    expect(await scheduler(id)).toBeUndefined();
    expect((await request(h.t.app).get(`/api/triggers/${id}`).set(h.t.auth)).status).toBe(404);
  });

  it('removes the schedulers of a deleted persona', async () => {
    const doomed = await h.persona('Doomed');
    const res = await request(h.t.app).post('/api/triggers').set(h.t.auth).send({ personaId: doomed, triggerType: 'schedule', config: { cron: 'every 1h' } });
    expect(await scheduler(res.body.id)).toBeDefined();
    await request(h.t.app).delete(`/api/personas/${doomed}`).set(h.t.auth);
    expect(await scheduler(res.body.id)).toBeUndefined();
  });

  it('lists per persona; other types have no scheduler', async () => {
    const p = await h.persona('Lister');
    const manual = await request(h.t.app).post('/api/triggers').set(h.t.auth).send({ personaId: p, triggerType: 'manual' });
    const chain = await request(h.t.app).post('/api/triggers').set(h.t.auth).send({ personaId: p, triggerType: 'chain', config: { source_persona_id: personaId } });
    expect([manual.status, chain.status]).toEqual([201, 201]);
    expect(manual.body.nextTriggerAt).toBeNull();
    expect(await scheduler(manual.body.id)).toBeUndefined();
    const list = await request(h.t.app).get(`/api/personas/${p}/triggers`).set(h.t.auth);
    expect(list.body.map((t: { triggerType: string }) => t.triggerType)).toEqual(['manual', 'chain']);
    expect((await request(h.t.app).get('/api/personas/ghost/triggers').set(h.t.auth)).status).toBe(404);
  });

  it('fires manually: 202 with the fire and its event; a disabled trigger is a 409', async () => {
    const t = await request(h.t.app).post('/api/triggers').set(h.t.auth)
      .send({ personaId, triggerType: 'manual', config: { event_type: 'run_report', payload: { scope: 'week' } } });
    const fired = await request(h.t.app).post(`/api/triggers/${t.body.id}/fire`).set(h.t.auth).send({});
    expect(fired.status).toBe(202);
    expect(fired.body).toMatchObject({
      triggerId: t.body.id, status: 'fired',
      event: { eventType: 'run_report', sourceType: 'trigger', sourceId: t.body.id, targetPersonaId: personaId, payload: { scope: 'week' } },
    });
    const override = await request(h.t.app).post(`/api/triggers/${t.body.id}/fire`).set(h.t.auth).send({ payload: '{"scope":"day"}' });
    expect(override.body.event.payload).toEqual({ scope: 'day' });
    const got = await request(h.t.app).get(`/api/triggers/${t.body.id}`).set(h.t.auth);
    expect(got.body.recentFires).toHaveLength(2);
    expect(got.body.lastTriggeredAt).toBe(override.body.firedAt);

    await request(h.t.app).put(`/api/triggers/${t.body.id}`).set(h.t.auth).send({ enabled: false });
    const refused = await request(h.t.app).post(`/api/triggers/${t.body.id}/fire`).set(h.t.auth).send({});
    expect(refused.status).toBe(409);
    expect((await request(h.t.app).post('/api/triggers/ghost/fire').set(h.t.auth).send({})).status).toBe(404);
  });

  it('refuses bad config with a 400 naming the field', async () => {
    const cases: Array<[Record<string, unknown>, number, string]> = [
      [{ triggerType: 'schedule', config: { cron: 'every 5w' } }, 400, 'config.cron'],
      [{ triggerType: 'schedule', config: { cron: '99 * * * *' } }, 400, 'config.cron'],
      [{ triggerType: 'schedule', config: { interval_seconds: 0.5 } }, 400, 'config.interval_seconds'],
      [{ triggerType: 'schedule', config: { cron: '0 9 * * *', timezone: 'Nowhere/Land' } }, 400, 'config.timezone'],
      [{ triggerType: 'schedule', config: '{"cron": ' }, 400, 'config'],
      [{ triggerType: 'polling', config: { url: 'file:///etc/passwd', interval_seconds: 60 } }, 400, 'config.url'],
      [{ triggerType: 'chain', config: {} }, 400, 'config.source_persona_id'],
      [{ triggerType: 'chain', config: { source_persona_id: 'ghost' } }, 400, 'config.source_persona_id'],
      [{ triggerType: 'cron' }, 400, 'triggerType'],
      [{ triggerType: 'manual', enabled: 1 }, 400, 'enabled'],
    ];
    for (const [body, status, field] of cases) {
      const res = await request(h.t.app).post('/api/triggers').set(h.t.auth).send({ personaId, ...body });
      expect([JSON.stringify(body), res.status, res.body.error?.details?.[0]?.field]).toEqual([JSON.stringify(body), status, field]);
    }
    const noPersona = await request(h.t.app).post('/api/triggers').set(h.t.auth).send({ personaId: 'ghost', triggerType: 'manual' });
    expect(noPersona.status).toBe(404);
    const t = await request(h.t.app).post('/api/triggers').set(h.t.auth).send({ personaId, triggerType: 'manual' });
    const retype = await request(h.t.app).put(`/api/triggers/${t.body.id}`).set(h.t.auth).send({ triggerType: 'schedule' });
    expect(retype.status).toBe(400);
    expect(retype.body.error.details[0].field).toBe('config.cron');
  });
});
