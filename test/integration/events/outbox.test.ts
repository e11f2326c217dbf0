import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { createApp } from '../../../server/http/app';
import { getEvent, insertEvent, type Event } from '../../../server/db/events';
import { listExecutions } from '../../../server/db/executions';
import { createQueues, type Queues } from '../../../server/queues/queues';
import { addEventJob, publishEvent } from '../../../server/services/events';
import { enqueueExecution } from '../../../server/services/executions';
import { createBusHarness, type BusHarness } from '../../helpers/event-bus';
import { uniquePrefix } from '../../helpers/env';
import { waitFor } from '../../helpers/wait';

describe('outbox: no accepted event is lost, none is processed twice', () => {
  let h: BusHarness;
  beforeAll(async () => {
    h = await createBusHarness({ start: false });
  });
  afterAll(async () => {
    await h.close();
  });

  const allFinal = (ids: string[]) =>
    waitFor(async () => {
      const events = await Promise.all(ids.map((id) => getEvent(h.t.db, id)));
      return events.every((e) => e && !['pending', 'processing'].includes(e.status)) ? (events as Event[]) : undefined;
    }, `${ids.length} events to be processed`, 20_000);

  it('events accepted while Redis is unreachable are dispatched once it is back', async () => {
    const personaId = await h.persona('Patient');
    await h.subscribe(personaId, 'while_down');

    // 1. Redis refuses (a queue whose add throws).
    const refusing = { ...h.t.ctx.queues, events: { add: async () => { throw new Error('connect ECONNREFUSED 127.0.0.1:6379'); } } } as unknown as Queues;
    const refused = await publishEvent({ ...h.deps, queues: refusing }, { eventType: 'while_down', sourceType: 'manual', payload: { n: 1 } });
    // 2. Redis does not answer at all (a real queue on a closed port), through the HTTP API.
    const deadPrefix = uniquePrefix('dead');
    const dead = createQueues('redis://127.0.0.1:1', deadPrefix);
    for (const q of [dead.events, dead.executions, dead.triggers]) q.on('error', () => undefined);
    const deadApp = createApp({ ...h.t.ctx, queues: dead });
    const res = await request(deadApp).post('/api/events').set(h.t.auth).send({ eventType: 'while_down', payload: { n: 2 } });
    expect(res.status).toBe(202);
    expect(res.body.status).toBe('pending');
    await dead.close().catch(() => undefined); // Redis is still unreachable: must not crash on close

    for (const id of [refused.id, res.body.id]) {
      expect((await getEvent(h.t.db, id))?.status).toBe('pending');
      expect(await h.t.ctx.queues.events.getJob(id)).toBeUndefined();
    }

    // 3. A queued execution whose job never reached Redis either.
    const orphan = await enqueueExecution({ ...h.deps, queues: { ...h.t.ctx.queues, executions: refusing.events } as unknown as Queues }, { personaId, prompt: 'hello' });
    expect(await h.t.ctx.queues.executions.getJob(orphan.execution.id)).toBeUndefined();

    // Redis is back: the processing starts, and its outbox finds all three.
    await h.start();
    const events = await allFinal([refused.id, res.body.id]);
    expect(events.map((e) => e.status)).toEqual(['delivered', 'delivered']);
    for (const e of events) expect(await listExecutions(h.t.db, { eventId: e.id, limit: 10, offset: 0 })).toHaveLength(1);
    await waitFor(() => h.t.ctx.queues.executions.getJob(orphan.execution.id), 'the orphan execution job');
    await h.processing!.stop();
  });

  it('a restart of the processors loses no pending event and creates no duplicate execution', async () => {
    const p1 = await h.persona('Restart one');
    const p2 = await h.persona('Restart two');
    await h.subscribe(p1, 'restart_test');
    await h.subscribe(p2, 'restart_test');

    const ids: string[] = [];
    for (let i = 0; i < 40; i++) ids.push((await publishEvent(h.deps, { eventType: 'restart_test', sourceType: 'manual', payload: { i } })).id);
    // Five rows whose process died between the row and the job.
    for (let i = 0; i < 5; i++) {
      const id = randomUUID();
      await insertEvent(h.t.db, {
        id, eventType: 'restart_test', sourceType: 'manual', sourceId: null, targetPersonaId: null, payload: { orphan: i },
        status: 'pending', error: null, chainDepth: 0, parentExecutionId: null, createdAt: new Date(Date.now() - 5000).toISOString(), processedAt: null,
      });
      ids.push(id);
    }

    // First orchestrator: stopped mid-way.
    const first = await h.start({ outboxIntervalMs: 200, outboxMinAgeMs: 100, eventConcurrency: 2 });
    await waitFor(async () => Number((await h.t.db('events').whereIn('id', ids).whereNot('status', 'pending').count({ n: '*' }))[0]?.n) > 5, 'some progress');
    await first.stop();

    // A job re-added for events already done (as a reconciler racing a worker might): harmless.
    for (const id of ids.slice(0, 3)) {
      await (await h.t.ctx.queues.events.getJob(id))?.remove();
      await addEventJob(h.deps, id);
    }

    // Second orchestrator on the same database and prefix.
    await h.start();
    const events = await allFinal(ids);
    expect(new Set(events.map((e) => e.status))).toEqual(new Set(['delivered']));
    const executions = await h.t.db('executions').whereIn('event_id', ids).select('event_id', 'persona_id');
    expect(executions).toHaveLength(ids.length * 2);
    expect(new Set(executions.map((e: { event_id: string; persona_id: string }) => `${e.event_id}/${e.persona_id}`)).size).toBe(ids.length * 2);
    const jobs = await Promise.all(
      (await h.t.db('executions').whereIn('event_id', ids).select('id')).map((e: { id: string }) => h.t.ctx.queues.executions.getJob(e.id)),
    );
    expect(jobs.every((j) => j !== undefined)).toBe(true);
  });
});
