import request from 'supertest';
import { listTriggerFires } from '../../../server/db/trigger-fires';
import { insertTrigger } from '../../../server/db/triggers';
import { schedulerId } from '../../../server/services/trigger-schedules';
import { listExecutions } from '../../../server/db/executions';
import { createBusHarness, type BusHarness } from '../../helpers/event-bus';
import { sleep, waitFor } from '../../helpers/wait';

describe('schedule triggers on BullMQ job schedulers', () => {
  let h: BusHarness;
  beforeAll(async () => {
    h = await createBusHarness();
  });
  afterAll(async () => {
    await h.close();
  });

  it('`every 1s` fires repeatedly, each fire an event that runs the persona, and stops when disabled', async () => {
    const personaId = await h.persona('Ticker');
    await h.subscribe(personaId, 'tick');
    const res = await request(h.t.app).post('/api/triggers').set(h.t.auth)
      .send({ personaId, triggerType: 'schedule', config: { cron: 'every 1s', event_type: 'tick', payload: { n: 1 } } });
    expect(res.status).toBe(201);
    const id = res.body.id;

    const fires = await waitFor(async () => {
      const f = await listTriggerFires(h.t.db, id, 10);
      return f.length >= 3 ? f : undefined;
    }, 'three fires', 8000);
    expect(fires.every((f) => f.status === 'fired' && f.eventId)).toBe(true);
    const executions = await waitFor(async () => {
      const e = await listExecutions(h.t.db, { personaId, limit: 10, offset: 0 });
      return e.length >= 3 ? e : undefined;
    }, 'three executions');
    expect(executions[0].inputData).toEqual({ n: 1 });

    const got = await request(h.t.app).get(`/api/triggers/${id}`).set(h.t.auth);
    expect(got.body.lastTriggeredAt).toEqual(expect.any(String));
    expect(Date.parse(got.body.nextTriggerAt)).toBeGreaterThan(Date.parse(got.body.lastTriggeredAt));

    await request(h.t.app).put(`/api/triggers/${id}`).set(h.t.auth).send({ enabled: false });
    await sleep(300); // a fire already in flight may still land
    const settled = (await listTriggerFires(h.t.db, id, 100)).length;
    await sleep(2500);
    expect((await listTriggerFires(h.t.db, id, 100)).length).toBe(settled);
  });

  it('a fire arriving for a deleted or disabled trigger does nothing and drops its scheduler', async () => {
    const personaId = await h.persona('Ghost ticker');
    const res = await request(h.t.app).post('/api/triggers').set(h.t.auth)
      .send({ personaId, triggerType: 'schedule', config: { cron: 'every 1h' } });
    await h.t.db('triggers').where({ id: res.body.id }).update({ enabled: false }); // behind the API's back
    await h.t.ctx.queues.triggers.add('schedule', { triggerId: res.body.id });
    await waitFor(async () => !(await h.t.ctx.queues.triggers.getJobScheduler(schedulerId(res.body.id))), 'stale scheduler removed');
    expect(await listTriggerFires(h.t.db, res.body.id, 10)).toEqual([]);
  });

  it('reconciles at start: the database wins (missing schedulers added, extra ones removed)', async () => {
    await h.processing!.stop();
    const personaId = await h.persona('Reconciled');
    const now = new Date().toISOString();
    await insertTrigger(h.t.db, {
      id: 'missing-in-redis', personaId, triggerType: 'schedule', config: { cron: '*/5 * * * *' }, enabled: true,
      lastTriggeredAt: null, nextTriggerAt: null, createdAt: now, updatedAt: now,
    });
    await h.t.ctx.queues.triggers.upsertJobScheduler(schedulerId('gone-from-db'), { every: 60_000 }, { name: 'schedule', data: { triggerId: 'gone-from-db' } });
    await h.start();
    expect(await h.t.ctx.queues.triggers.getJobScheduler(schedulerId('missing-in-redis'))).toMatchObject({ pattern: '*/5 * * * *' });
    expect(await h.t.ctx.queues.triggers.getJobScheduler(schedulerId('gone-from-db'))).toBeUndefined();
  });
});
