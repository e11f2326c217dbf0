/**
 * The record store answers the same on SQLite and PostgreSQL: every expectation here is SQLite's
 * behaviour, and the suite's PostgreSQL pass (TEST_DB=postgres) holds PostgreSQL to it. Through the
 * repositories of server/db/, on a freshly migrated database of the suite's backend.
 */
import fs from 'node:fs';
import { listExecutionsByStatus, getExecution, insertExecution, transitionExecution, countExecutionsByStatus, type Execution } from '../../server/db/executions';
import { claimEvent, getEvent, insertEvent, listEventIdsByStatusBefore, type Event } from '../../server/db/events';
import { insertApiKey } from '../../server/db/api-keys';
import { isUniqueViolation } from '../../server/db/errors';
import type { Db } from '../../server/db/knex';
import { appendOutput, listOutput } from '../../server/db/output';
import { insertPending, takePending } from '../../server/db/oauth';
import { getPersona, insertPersona, listPersonas, type Persona } from '../../server/db/personas';
import { countPersonas } from '../../server/db/stats';
import { getMeta, putMeta } from '../../server/db/system-meta';
import { insertTrigger, listChainTriggersForSource } from '../../server/db/triggers';
import { insertDelivery } from '../../server/db/webhook-deliveries';
import { openTestDb, TEST_DB, type TestDatabase } from '../helpers/database';
import { tempDir } from '../helpers/env';

const at = '2026-11-30T12:00:00.000Z';

const persona = (id: string, name: string, extra: Partial<Persona> = {}): Persona => ({
  id, name, description: null, systemPrompt: null, structuredPrompt: null, icon: null, color: null, enabled: true,
  maxConcurrent: 1, timeoutMs: null, modelProfile: null, maxBudgetUsd: null, maxTurns: null, allowedTools: null,
  allowedHosts: [], designContext: null, groupId: null, createdAt: at, updatedAt: at, ...extra,
});

const event = (id: string, extra: Partial<Event> = {}): Event => ({
  id, eventType: 'portability', sourceType: 'test', sourceId: null, targetPersonaId: null, payload: null, status: 'pending',
  error: null, chainDepth: 0, parentExecutionId: null, createdAt: at, processedAt: null, ...extra,
});

const execution = (id: string, extra: Partial<Execution> = {}): Execution => ({
  id, personaId: 'p-1', eventId: null, status: 'queued', prompt: null, inputData: null, timeoutMs: null, workerId: null,
  startedAt: null, completedAt: null, durationMs: null, exitCode: null, error: null, costUsd: null, sessionId: null,
  numTurns: null, result: null, chainDepth: 0, createdAt: at, updatedAt: at, ...extra,
});

describe(`the record store behaves as SQLite's (${TEST_DB})`, () => {
  let dir: string;
  let db: Db;
  let database: TestDatabase;
  let close: () => Promise<void>;

  beforeAll(async () => {
    dir = tempDir('pc-portability');
    ({ db, database, close } = await openTestDb(dir));
  });
  afterAll(async () => {
    await close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('keeps every string as given: no length limit, U+0000 and U+FFFF, astral characters', async () => {
    const long = 'x'.repeat(70_000);
    const odd = 'nul\u0000 and \uFFFF and \uFFFF0 and 😀 and é';
    await insertPersona(db, persona('p-strings', long, { description: odd, systemPrompt: '\u0000' }));
    const p = (await getPersona(db, 'p-strings'))!;
    expect(p.name).toBe(long);
    expect(p.description).toBe(odd);
    expect(p.systemPrompt).toBe('\u0000');
    // Equality lookups with such strings find exactly their row, and nothing else.
    expect(await getPersona(db, 'p-strings\u0000')).toBeUndefined();
    await insertPersona(db, persona('id\u0000with nul', 'nul id'));
    expect((await getPersona(db, 'id\u0000with nul'))?.name).toBe('nul id');
    expect(await getPersona(db, 'id')).toBeUndefined();
  });

  it('keeps integers beyond 32 bits and doubles to the last digit, and answers counts as numbers', async () => {
    await insertPersona(db, persona('p-numbers', 'numbers', { timeoutMs: 2 ** 40, maxBudgetUsd: 0.1 + 0.2, maxConcurrent: 2 ** 31 }));
    const p = (await getPersona(db, 'p-numbers'))!;
    expect(p.timeoutMs).toBe(2 ** 40);
    expect(p.maxBudgetUsd).toBe(0.30000000000000004);
    expect(p.maxConcurrent).toBe(2 ** 31);
    expect(typeof (await countPersonas(db))).toBe('number');
    expect(await countExecutionsByStatus(db)).toEqual({});
  });

  it('answers booleans as booleans and JSON fields as the values stored', async () => {
    await insertPersona(db, persona('p-json', 'json', { enabled: false, allowedTools: ['Read', 'Bash(git *)'], allowedHosts: ['api.example.com:443'] }));
    const p = (await getPersona(db, 'p-json'))!;
    expect(p.enabled).toBe(false);
    expect(p.allowedTools).toEqual(['Read', 'Bash(git *)']);
    expect(p.allowedHosts).toEqual(['api.example.com:443']);
    const payload = { nested: { list: [1, 2.5, null, true], text: 'a\u0000b "quoted" é' }, big: 2 ** 53 - 1 };
    await insertEvent(db, event('e-json', { payload }));
    expect((await getEvent(db, 'e-json'))!.payload).toEqual(payload);
  });

  it('compares and orders text byte by byte, case-sensitively', async () => {
    for (const [id, name] of [['o-1', 'b'], ['o-2', 'B'], ['o-3', 'a'], ['o-4', 'é'], ['o-5', 'Z'], ['o-6', 'a ']] as const) {
      await insertPersona(db, persona(id, name, { createdAt: '2026-11-30T13:00:00.000Z' }));
    }
    const rows = await db('personas').whereIn('id', ['o-1', 'o-2', 'o-3', 'o-4', 'o-5', 'o-6']).orderBy('name', 'asc').select('name');
    expect(rows.map((r: { name: string }) => r.name)).toEqual(['B', 'Z', 'a', 'a ', 'b', 'é']);
    expect(await db('personas').where({ name: 'b' }).count({ n: '*' })).toEqual([{ n: 1 }]);
    expect((await db('personas').where('name', '<', 'a').whereIn('id', ['o-1', 'o-2', 'o-3', 'o-5'])).length).toBe(2);
  });

  it('lists rows written in the same millisecond in the order they were written', async () => {
    const ids = ['t-9', 't-1', 't-5', 't-3', 't-7'];
    for (const id of ids) await insertPersona(db, persona(id, id, { createdAt: '2026-11-30T14:00:00.000Z' }));
    const listed = (await listPersonas(db)).map((p) => p.id).filter((id) => id.startsWith('t-'));
    expect(listed).toEqual(ids);
    for (const id of ids) await insertExecution(db, execution(`x-${id}`, { status: 'running', createdAt: at }));
    expect((await listExecutionsByStatus(db, 'running')).map((e) => e.id)).toEqual(ids.map((id) => `x-${id}`));
    for (const id of ids) await insertEvent(db, event(`ev-${id}`, { createdAt: '2026-11-30T11:00:00.000Z' }));
    expect(await listEventIdsByStatusBefore(db, 'pending', '2026-11-30T11:00:00.001Z', 10)).toEqual(ids.map((id) => `ev-${id}`));
  });

  it('keeps timestamps as the ISO text they were written as', async () => {
    await insertExecution(db, execution('x-time', { createdAt: '2026-11-30T15:16:17.189Z', startedAt: '2026-11-30T15:16:17.000Z' }));
    const e = (await getExecution(db, 'x-time'))!;
    expect(e.createdAt).toBe('2026-11-30T15:16:17.189Z');
    expect(e.startedAt).toBe('2026-11-30T15:16:17.000Z');
  });

  it('makes delivery idempotent by its unique keys, with RETURNING telling who won', async () => {
    await insertEvent(db, event('e-dup'));
    expect(await insertExecution(db, execution('x-a', { eventId: 'e-dup', personaId: 'p-1' }))).toBe(true);
    expect(await insertExecution(db, execution('x-b', { eventId: 'e-dup', personaId: 'p-1' }))).toBe(false);
    expect(await getExecution(db, 'x-b')).toBeUndefined();
    expect(await insertDelivery(db, { source: 'github', deliveryId: 'd-1', eventId: 'e-dup', createdAt: at })).toBe(true);
    expect(await insertDelivery(db, { source: 'github', deliveryId: 'd-1', eventId: 'e-dup', createdAt: at })).toBe(false);
    expect(await appendOutput(db, 'x-a', [{ seq: 0, stream: 'stdout', content: 'one', createdAt: at }])).toEqual(new Set([0]));
    expect(await appendOutput(db, 'x-a', [
      { seq: 0, stream: 'stdout', content: 'again', createdAt: at },
      { seq: 1, stream: 'stdout', content: 'two\u0000', createdAt: at },
    ])).toEqual(new Set([1]));
    expect((await listOutput(db, 'x-a')).map((l) => l.content)).toEqual(['one', 'two\u0000']);

    const err = await db('api_keys').insert([{ id: 'k1', name: 'n', role: 'admin', key_hash: 'h', created_at: at }, { id: 'k2', name: 'm', role: 'admin', key_hash: 'h', created_at: at }]).catch((e: unknown) => e);
    expect(isUniqueViolation(err)).toBe(true);
    const key = { id: 'k3', name: 'live', role: 'admin' as const, keyHash: 'h3', createdAt: at, lastUsedAt: null, revokedAt: null };
    expect(await insertApiKey(db, key)).toBe(true);
    expect(await insertApiKey(db, { ...key, id: 'k4', keyHash: 'h4' })).toBe(false); // a live key has that name
  });

  it('moves a row only from the states given and answers it as it now is (UPDATE … RETURNING)', async () => {
    await insertEvent(db, event('e-claim'));
    expect((await claimEvent(db, 'e-claim'))?.status).toBe('processing');
    await insertExecution(db, execution('x-move', { status: 'running' }));
    const moved = await transitionExecution(db, 'x-move', ['running'], { status: 'completed', costUsd: 0.0123, durationMs: 2 ** 33 });
    expect(moved).toMatchObject({ id: 'x-move', status: 'completed', costUsd: 0.0123, durationMs: 2 ** 33 });
    expect(await transitionExecution(db, 'x-move', ['running'], { status: 'failed' })).toBeUndefined();
  });

  it('upserts and takes a row once (DELETE … RETURNING)', async () => {
    await putMeta(db, 'k', 'one', at);
    await putMeta(db, 'k', 'two', at);
    expect(await getMeta(db, 'k')).toBe('two');
    await insertPending(db, { state: 's-1', codeVerifierEnc: 'v', createdAt: at });
    expect(await takePending(db, 's-1')).toEqual({ state: 's-1', codeVerifierEnc: 'v', createdAt: at });
    expect(await takePending(db, 's-1')).toBeUndefined();
  });

  it('matches chain triggers on the source persona id as a string only', async () => {
    await insertPersona(db, persona('p-chain', 'chain'));
    const trigger = (id: string, config: Record<string, unknown>) =>
      insertTrigger(db, { id, personaId: 'p-chain', triggerType: 'chain', config, enabled: true, lastTriggeredAt: null, nextTriggerAt: null, createdAt: at, updatedAt: at });
    await trigger('c-1', { source_persona_id: 'src' });
    await trigger('c-2', { source_persona_id: 'SRC' });
    await trigger('c-3', { source_persona_id: ['src'] });
    await trigger('c-4', { other: 'src' });
    await db('triggers').insert({ id: 'c-5', persona_id: 'p-chain', trigger_type: 'chain', config: 'not json', enabled: true, created_at: at, updated_at: at });
    expect((await listChainTriggersForSource(db, 'src')).map((t) => t.id)).toEqual(['c-1']);
  });

  it('refuses a row whose foreign key points nowhere, and cascades deletes', async () => {
    const err = await db('persona_tools').insert({ persona_id: 'nobody', tool_id: 'nothing', created_at: at }).catch((e: unknown) => e);
    // Not toBeInstanceOf(Error): better-sqlite3's native errors come from the realm of the test file
    // that loaded the addon first in this jest worker.
    expect(String((err as Error | undefined)?.message)).toMatch(/foreign key/i);
    await insertPersona(db, persona('p-cascade', 'cascade'));
    await trigger0(db, 'tr-cascade', 'p-cascade');
    await db('personas').where({ id: 'p-cascade' }).delete();
    expect(await db('triggers').where({ id: 'tr-cascade' }).first()).toBeUndefined();
  });

  it(`is the store the suite runs on (${TEST_DB}), committing as SQLite in WAL mode with synchronous=NORMAL does`, async () => {
    expect(database.target.client).toBe(TEST_DB);
    if (TEST_DB === 'postgres') {
      // Every pooled session, not only the first.
      const settings = await Promise.all(Array.from({ length: 4 }, () => db.transaction(async (trx) => (await trx.raw("select current_setting('synchronous_commit') as v")).rows[0].v)));
      expect(settings).toEqual(['off', 'off', 'off', 'off']);
    } else {
      expect(await db.raw('pragma synchronous')).toEqual([{ synchronous: 1 }]); // NORMAL
    }
  });
});

function trigger0(db: Db, id: string, personaId: string) {
  return insertTrigger(db, { id, personaId, triggerType: 'manual', config: {}, enabled: true, lastTriggeredAt: null, nextTriggerAt: null, createdAt: at, updatedAt: at });
}
