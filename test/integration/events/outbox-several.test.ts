import { randomUUID } from 'node:crypto';
import { insertEvent } from '../../../server/db/events';
import { startEventProcessing, type EventProcessing } from '../../../server/queues/event-processing';
import { reconcileOutbox } from '../../../server/queues/event-outbox';
import { createQueues, type Queues } from '../../../server/queues/queues';
import { enqueueExecution } from '../../../server/services/executions';
import { createBusHarness, FAST, type BusHarness } from '../../helpers/event-bus';
import { REDIS_URL } from '../../helpers/env';
import { waitFor } from '../../helpers/wait';

/**
 * The outbox of several orchestrators: their reconcilers and event processors run at once on the
 * same rows and queues, and still no event gets a second job, no event and persona a second
 * execution (the database's unique key decides, not timing).
 */
describe('outbox with several orchestrators', () => {
  let h: BusHarness;
  let second: Queues;
  const processors: EventProcessing[] = [];
  beforeAll(async () => {
    h = await createBusHarness({ start: false });
    second = createQueues(REDIS_URL, h.t.config.queuePrefix);
  });
  afterAll(async () => {
    for (const p of processors) await p.stop();
    await second.close();
    await h.close();
  });

  it('three reconcilers and three processors at once: one job per event, one execution per event and persona', async () => {
    const p1 = await h.persona('Several one');
    const p2 = await h.persona('Several two');
    await h.subscribe(p1, 'several');
    await h.subscribe(p2, 'several');
    // Rows whose orchestrator died between the row and the job: every reconciler finds them.
    const ids: string[] = [];
    for (let i = 0; i < 60; i++) {
      const id = randomUUID();
      await insertEvent(h.t.db, {
        id, eventType: 'several', sourceType: 'manual', sourceId: null, targetPersonaId: null, payload: { i },
        status: 'pending', error: null, chainDepth: 0, parentExecutionId: null, createdAt: new Date(Date.now() - 5000).toISOString(), processedAt: null,
      });
      ids.push(id);
    }
    const depsA = h.deps;
    const depsB = { ...h.deps, queues: second };
    const passes = await Promise.all([reconcileOutbox(depsA), reconcileOutbox(depsB), reconcileOutbox(depsA)]);
    // Each pending row got its job once, whoever added it (same job id: BullMQ keeps one).
    expect(passes.reduce((n, p) => n + p.events, 0)).toBeGreaterThanOrEqual(ids.length);
    const waiting = await h.t.ctx.queues.events.getJobs(['waiting']);
    expect(waiting.filter((j) => ids.includes(j.id!))).toHaveLength(ids.length);

    // Three "orchestrators" process and reconcile concurrently (fast outbox loops).
    for (const deps of [depsA, depsB, depsA]) {
      processors.push(await startEventProcessing({ ...deps, config: h.t.config, options: { ...FAST, eventConcurrency: 8 } }));
    }
    await waitFor(async () => {
      const [{ n }] = await h.t.db('events').whereIn('id', ids).whereIn('status', ['pending', 'processing']).count({ n: '*' });
      return Number(n) === 0;
    }, 'every event processed', 30_000);
    const executions = (await h.t.db('executions').whereIn('event_id', ids).select('event_id', 'persona_id')) as Array<{ event_id: string; persona_id: string }>;
    expect(executions).toHaveLength(ids.length * 2);
    expect(new Set(executions.map((e) => `${e.event_id}/${e.persona_id}`)).size).toBe(ids.length * 2);

    // Two instances creating the same event's execution at the same moment: the unique key keeps one.
    const again = await Promise.all([depsA, depsB].map((deps) => enqueueExecution(deps, { personaId: p1, eventId: ids[0], prompt: null, inputData: null })));
    expect(again.filter((r) => r.created)).toHaveLength(0);
    const [{ n }] = await h.t.db('executions').where({ event_id: ids[0], persona_id: p1 }).count({ n: '*' });
    expect(Number(n)).toBe(1);
  });
});
