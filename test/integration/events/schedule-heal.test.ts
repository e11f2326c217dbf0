import request from 'supertest';
import { QUEUE_NAMES } from '../../../shared/queues';
import { listTriggerFires } from '../../../server/db/trigger-fires';
import { TRIGGER_LOCK_MS } from '../../../server/queues/trigger-processor';
import { schedulerId } from '../../../server/services/trigger-schedules';
import { createBusHarness, FAST, type BusHarness } from '../../helpers/event-bus';
import { sleep, waitFor } from '../../helpers/wait';

/**
 * A scheduler whose next job vanished (its orchestrator died between taking a tick and adding the
 * next one) is restarted by the watch within seconds, and no tick fires twice.
 */
describe('schedule whose chain broke', () => {
  let h: BusHarness;
  beforeAll(async () => {
    h = await createBusHarness({ start: false });
    await h.start({ ...FAST, schedulerHealIntervalMs: 500 });
  });
  afterAll(async () => {
    await h.close();
  });

  it('fires again after its next job is lost, once per tick', async () => {
    const personaId = await h.persona('Broken ticker');
    const res = await request(h.t.app).post('/api/triggers').set(h.t.auth)
      .send({ personaId, triggerType: 'schedule', config: { cron: 'every 1s', event_type: 'tick_heal' } });
    expect(res.status).toBe(201);
    const id = res.body.id as string;
    await waitFor(async () => (await listTriggerFires(h.t.db, id, 10)).length >= 2, 'two fires', 8_000);

    // Lose the chain: stop processing, remove the scheduler's pending job, start again.
    await h.processing!.stop();
    const scheduler = await h.t.ctx.queues.triggers.getJobScheduler(schedulerId(id));
    const next = await h.t.ctx.queues.triggers.getJob(`repeat:${schedulerId(id)}:${scheduler!.next}`);
    expect(next).toBeDefined();
    // BullMQ refuses to remove a scheduler's job; a dead orchestrator simply never added it.
    const client = (await h.t.ctx.queues.triggers.client) as unknown as { zrem(key: string, member: string): Promise<number>; del(key: string): Promise<number> };
    const base = `${h.t.config.queuePrefix}:${QUEUE_NAMES.triggers}`;
    await client.zrem(`${base}:delayed`, next!.id!);
    await client.del(`${base}:${next!.id}`);
    await sleep(3_500);
    const before = (await listTriggerFires(h.t.db, id, 100)).length;
    await h.start({ ...FAST, schedulerHealIntervalMs: 500 });
    await waitFor(async () => (await listTriggerFires(h.t.db, id, 100)).length >= before + 3, 'fires after the heal', 10_000);
    const ticks = (await h.t.db('trigger_fires').where({ trigger_id: id }).select('tick')).map((r: { tick: string }) => r.tick);
    expect(new Set(ticks).size).toBe(ticks.length);
  });

  it('fires again within seconds when the orchestrator that took a tick died before adding the next one', async () => {
    const personaId = await h.persona('Taken ticker');
    const res = await request(h.t.app).post('/api/triggers').set(h.t.auth)
      .send({ personaId, triggerType: 'schedule', config: { cron: 'every 1s', event_type: 'tick_taken' } });
    const id = res.body.id as string;
    await waitFor(async () => (await listTriggerFires(h.t.db, id, 10)).length >= 2, 'two fires', 8_000);

    // The state a kill -9 leaves between taking a tick and adding the next (BullMQ does the two in
    // separate steps): the scheduler's job `active` under the dead worker's lock, nothing after it.
    await h.processing!.stop();
    const scheduler = await h.t.ctx.queues.triggers.getJobScheduler(schedulerId(id));
    const next = (await h.t.ctx.queues.triggers.getJob(`repeat:${schedulerId(id)}:${scheduler!.next}`))!;
    const client = (await h.t.ctx.queues.triggers.client) as unknown as {
      zrem(key: string, member: string): Promise<number>; lpush(key: string, v: string): Promise<number>;
      hset(key: string, f: string, v: string): Promise<number>; set(key: string, v: string, px: 'PX', ms: number): Promise<unknown>;
    };
    const base = `${h.t.config.queuePrefix}:${QUEUE_NAMES.triggers}`;
    await client.zrem(`${base}:delayed`, next.id!);
    await client.lpush(`${base}:active`, next.id!);
    await client.hset(`${base}:${next.id}`, 'processedOn', String(Date.now()));
    await client.set(`${base}:${next.id}:lock`, 'a-dead-orchestrator:1', 'PX', TRIGGER_LOCK_MS);
    expect(await next.getState()).toBe('active');
    const t0 = Date.now();
    const before = (await listTriggerFires(h.t.db, id, 100)).length;
    await h.start({ ...FAST, schedulerHealIntervalMs: 500 });
    // BullMQ's default lock (30 s) kept the schedule silent for half a minute; ours lapses in two.
    await waitFor(async () => (await listTriggerFires(h.t.db, id, 100)).length >= before + 2, 'fires after the dead lock lapsed', 8_000);
    expect(Date.now() - t0).toBeLessThan(TRIGGER_LOCK_MS + 4_000);
    const ticks = (await h.t.db('trigger_fires').where({ trigger_id: id }).select('tick')).map((r: { tick: string }) => r.tick);
    expect(new Set(ticks).size).toBe(ticks.length);
  });
});
