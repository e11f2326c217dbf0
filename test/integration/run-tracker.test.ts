import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import pino from 'pino';
import { migrateLatest, openDb, type Db } from '../../server/db/knex';
import * as executions from '../../server/db/executions';
import { WorkerRegistry } from '../../server/gateway/worker-registry';
import { OutputBus, type EndEvent } from '../../server/services/output-bus';
import { RunTracker } from '../../server/services/run-tracker';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { tempDir } from '../helpers/env';
import { sleep } from '../helpers/wait';

/** The run tracker on a real record store: how a run it adopted ends when its worker does not come back. */

let dir: string;
let database: TestDatabase;
let db: Db;
let tracker: RunTracker;
const ends: EndEvent[] = [];

beforeEach(async () => {
  dir = tempDir('pc-tracker');
  database = await createTestDatabase(dir);
  db = openDb(database.target);
  await migrateLatest(db);
  const bus = new OutputBus();
  ends.length = 0;
  tracker = new RunTracker({
    db, logger: pino({ level: 'silent' }), registry: new WorkerRegistry(), gateway: { cancel: () => false }, bus, workerGraceMs: 200, stopGraceMs: 100,
  });
  const record = bus.publishEnd.bind(bus);
  bus.publishEnd = (e) => {
    ends.push(e);
    record(e);
  };
});

afterEach(async () => {
  tracker.close();
  await db.destroy();
  await database.drop();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A run left `running` on a worker that is gone, as an orchestrator that died leaves it. */
async function orphanedRun(): Promise<executions.Execution> {
  const now = new Date().toISOString();
  const e: executions.Execution = {
    id: randomUUID(), personaId: null, eventId: null, status: 'running', prompt: 'p', inputData: null, timeoutMs: 60_000,
    workerId: 'w-gone', startedAt: now, completedAt: null, durationMs: null, exitCode: null, error: null,
    costUsd: null, sessionId: null, numTurns: null, result: null, chainDepth: 0, createdAt: now, updatedAt: now,
  };
  await executions.insertExecution(db, e);
  return e;
}

it('fails an adopted run whose worker does not come back within the grace (worker_disconnected)', async () => {
  const e = await orphanedRun();
  await tracker.adopt(e, { workerHere: false });
  await sleep(500);
  expect(await executions.getExecution(db, e.id)).toMatchObject({ status: 'failed', error: 'worker_disconnected' });
  expect(ends).toEqual([{ executionId: e.id, status: 'failed', error: 'worker_disconnected' }]);
});

it('leaves an adopted run alone once another instance put it back in the queue (it never reached its worker)', async () => {
  const e = await orphanedRun();
  await tracker.adopt(e, { workerHere: false });
  // Meanwhile another orchestrator found the run never reached its worker and queued it again.
  await db('executions').where({ id: e.id }).update({ status: 'queued', worker_id: null, started_at: null });
  await sleep(500);
  expect(await executions.getExecution(db, e.id)).toMatchObject({ status: 'queued', error: null });
  expect(tracker.get(e.id)).toBeUndefined();
  expect(ends).toEqual([]); // no follower is told it ended
});
