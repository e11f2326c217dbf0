import request from 'supertest';
import { getEvent, listEvents } from '../../../server/db/events';
import { getExecution, listExecutions, transitionExecution, type Execution } from '../../../server/db/executions';
import { onExecutionFinished, onProtocolMessage } from '../../../server/services/event-bus';
import { createBusHarness, type BusHarness } from '../../helpers/event-bus';
import { waitFor } from '../../helpers/wait';

describe('chains: execution results and protocol messages back into the bus', () => {
  let h: BusHarness;
  beforeAll(async () => {
    h = await createBusHarness({ env: { CHAIN_DEPTH_LIMIT: '3' } });
  });
  afterAll(async () => {
    await h.close();
  });

  const executionsOf = (personaId: string, n = 1) =>
    waitFor(async () => {
      const list = await listExecutions(h.t.db, { personaId, limit: 50, offset: 0 });
      return list.length >= n ? list : undefined;
    }, `${n} execution(s) of ${personaId}`);

  /** Runs persona `personaId` once through an event and answers its (queued) execution. */
  async function runOnce(personaId: string, eventType: string): Promise<Execution> {
    await h.subscribe(personaId, eventType);
    await request(h.t.app).post('/api/events').set(h.t.auth).send({ eventType, targetPersonaId: personaId, payload: { start: true } });
    return (await executionsOf(personaId))[0];
  }

  async function finish(execution: Execution, status: 'completed' | 'failed', result: string): Promise<Execution> {
    await transitionExecution(h.t.db, execution.id, ['queued', 'running'], { status, result, completedAt: new Date().toISOString() });
    return (await getExecution(h.t.db, execution.id))!;
  }

  it("A's execution finishing fires B's chain trigger: B runs with A's id, status and result, one level deeper", async () => {
    const a = await h.persona('Chain A');
    const b = await h.persona('Chain B');
    const trigger = await request(h.t.app).post('/api/triggers').set(h.t.auth)
      .send({ personaId: b, triggerType: 'chain', config: { source_persona_id: a, status: 'completed' } });
    await h.subscribe(b, 'chain_triggered');
    const execA = await runOnce(a, 'start_a');

    expect(await onExecutionFinished(h.deps, await finish(execA, 'failed', 'nope'))).toEqual([]); // status filter
    await h.t.db('executions').where({ id: execA.id }).update({ status: 'running' });
    const done = await finish(execA, 'completed', 'All 12 checks passed');
    const [event] = await onExecutionFinished(h.deps, done);
    expect(event).toMatchObject({ eventType: 'chain_triggered', sourceType: 'chain', sourceId: trigger.body.id, targetPersonaId: b, chainDepth: 1, parentExecutionId: execA.id });

    const [execB] = await executionsOf(b);
    expect(execB.chainDepth).toBe(1);
    expect(execB.inputData).toMatchObject({ source_execution_id: execA.id, source_persona_id: a, source_status: 'completed', source_result: 'All 12 checks passed' });
    // A repeated notification (e.g. a re-sent result) fires nothing twice.
    expect(await onExecutionFinished(h.deps, done)).toEqual([]);
  });

  it("A's emit_event fires B's chain trigger with A's emitted data, once per A run", async () => {
    const a = await h.persona('Emitter A');
    const b = await h.persona('Reviewer B');
    const trigger = await request(h.t.app).post('/api/triggers').set(h.t.auth)
      .send({ personaId: b, triggerType: 'chain', config: { source_persona_id: a, event_type: 'review_requested' } });
    // Route to B only through its chain trigger (the broadcast of the same type comes from A, not the trigger).
    await h.subscribe(b, 'review_requested', trigger.body.id);
    const execA = await runOnce(a, 'start_emitter');

    const published = await onProtocolMessage(h.deps, execA, { kind: 'emit_event', payload: { type: 'review_requested', data: { project: 'org/app', mr: 42 } } });
    expect(published.map((e) => [e.sourceType, e.targetPersonaId])).toEqual([['persona', null], ['chain', b]]);
    expect(published[0]).toMatchObject({ eventType: 'review_requested', sourceId: a, payload: { project: 'org/app', mr: 42 }, chainDepth: 1 });

    const [execB] = await executionsOf(b);
    expect(execB.inputData).toMatchObject({ project: 'org/app', mr: 42, source_execution_id: execA.id, source_event_type: 'review_requested' });
    expect(await onExecutionFinished(h.deps, await finish(execA, 'completed', 'done'))).toEqual([]);
    await waitFor(async () => (await getEvent(h.t.db, published[0].id))?.status === 'skipped', 'broadcast processed');
    expect(await listExecutions(h.t.db, { personaId: b, limit: 10, offset: 0 })).toHaveLength(1);
  });

  it('emit_event reaches subscribers filtering on the emitting persona; persona_action targets its persona', async () => {
    const a = await h.persona('Builder');
    const c = await h.persona('Deployer');
    const d = await h.persona('Notifier');
    await h.subscribe(c, 'build_ready', a);
    await h.subscribe(d, 'persona_action');
    const execA = await runOnce(a, 'start_builder');

    await onProtocolMessage(h.deps, execA, { kind: 'emit_event', payload: { type: 'build_ready', data: { version: '1.4.0' } } });
    const [execC] = await executionsOf(c);
    expect(execC).toMatchObject({ inputData: { version: '1.4.0' }, chainDepth: 1 });

    const [action] = await onProtocolMessage(h.deps, execA, { kind: 'persona_action', payload: { target: d, action: 'run', input: { channel: '#ops' } } });
    expect(action).toMatchObject({ eventType: 'persona_action', sourceType: 'persona', sourceId: a, targetPersonaId: d, parentExecutionId: execA.id });
    const [execD] = await executionsOf(d);
    expect(execD.inputData).toEqual({ channel: '#ops' });

    expect(await onProtocolMessage(h.deps, execA, { kind: 'persona_action', payload: { target: 'ghost' } })).toEqual([]);
    expect(await onProtocolMessage(h.deps, execA, { kind: 'user_message', payload: { content: 'hi' } })).toEqual([]);
  });

  it('a persona that triggers itself stops at the chain depth limit, with the reason on the event', async () => {
    const s = await h.persona('Self-chainer');
    await h.subscribe(s, 'loop', s);
    let exec = await runOnce(s, 'loop_start');
    for (let depth = 1; depth <= 4; depth++) {
      await onProtocolMessage(h.deps, exec, { kind: 'emit_event', payload: { type: 'loop', data: { depth } } });
      if (depth <= 3) {
        const list = await executionsOf(s, depth + 1);
        exec = list.find((e) => e.chainDepth === depth)!;
        expect(exec).toBeDefined();
      }
    }
    const last = await waitFor(async () => {
      const [e] = await listEvents(h.t.db, { eventType: 'loop', status: 'skipped', limit: 1, offset: 0 });
      return e;
    }, 'the too-deep event to be skipped');
    expect(last).toMatchObject({ chainDepth: 4, error: expect.stringMatching(/chain depth 4 exceeds the limit of 3/) });
    expect((await listExecutions(h.t.db, { personaId: s, limit: 50, offset: 0 })).map((e) => e.chainDepth).sort()).toEqual([0, 1, 2, 3]);
  });
});
