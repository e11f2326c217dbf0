import { attachConfigCache, cachedConfig, changesConfig, ConfigCache } from '../../server/db/config-cache';
import type { Db } from '../../server/db/knex';
import { getPersona } from '../../server/db/personas';
import { openTestDb } from '../helpers/database';
import { tempDir } from '../helpers/env';

describe('changesConfig (which statements drop the configuration cache)', () => {
  it.each([
    ['update `personas` set `name` = ? where `id` = ?', true],
    ['insert into "persona_tools" ("persona_id", "tool_id") values ($1, $2)', true],
    ['delete from `event_subscriptions` where `id` = ?', true],
    ['insert or replace into triggers (id) values (?)', true],
    ['update `credentials` set `encrypted_value` = ? where `id` = ?', true],
    ['alter table `personas` add column `x` text', true], // the table cannot be told: drop anyway
    ['with x as (select 1) update personas set name = ?', true],
    ['update `executions` set `status` = ? where `id` = ?', false],
    ['insert into `execution_output` (`seq`) values (?)', false],
    ['insert into "audit_log" ("seq") values ($1)', false],
    ['select * from `personas` where `id` = ?', false],
    ['update `credentials` set `last_used_at` = ? where `id` in (?)', false],
    ['update "credentials" set "last_used_at" = $1 where "id" in ($2)', false],
    ['COMMIT;', false],
  ])('%s → %s', (sql, expected) => {
    expect(changesConfig(sql)).toBe(expected);
  });
});

describe('ConfigCache on a real database', () => {
  let db: Db;
  let close: () => Promise<void>;
  let reads = 0;
  let writesHeard = 0;
  const cache = new ConfigCache({ onWrite: () => { writesHeard += 1; } });
  const read = (id: string) => cachedConfig(db, `persona:${id}`, async () => {
    reads += 1;
    return getPersona(db, id);
  });

  beforeAll(async () => {
    ({ db, close } = await openTestDb(tempDir('pc-config-cache')));
    attachConfigCache(db, cache);
    const now = new Date().toISOString();
    await db('personas').insert({ id: 'p1', name: 'First', description: '', enabled: true, created_at: now, updated_at: now });
  });
  afterAll(() => close());

  it('reads a row once while nothing changes', async () => {
    reads = 0;
    const [a, b] = await Promise.all([read('p1'), read('p1')]);
    expect((await read('p1'))?.name).toBe('First');
    expect(a).toBe(b);
    expect(reads).toBe(1);
  });

  it('reads again after a write through the same database, and says so for the other orchestrators', async () => {
    await read('p1');
    reads = 0;
    writesHeard = 0;
    await db('personas').where({ id: 'p1' }).update({ name: 'Renamed' });
    expect((await read('p1'))?.name).toBe('Renamed');
    expect(reads).toBe(1);
    expect(writesHeard).toBeGreaterThan(0);
  });

  it('reads again after a transaction that wrote commits', async () => {
    await read('p1');
    await db.transaction(async (trx) => {
      await trx('personas').where({ id: 'p1' }).update({ name: 'In a transaction' });
    });
    expect((await read('p1'))?.name).toBe('In a transaction');
  });

  it('never keeps a row read while a write was under way', async () => {
    await db('personas').where({ id: 'p1' }).update({ name: 'Before the read' });
    reads = 0;
    const slow = cachedConfig(db, 'persona:p1', async () => {
      reads += 1;
      const row = await getPersona(db, 'p1');
      await db('personas').where({ id: 'p1' }).update({ name: 'Written during the read' });
      return row;
    });
    expect((await slow)?.name).toBe('Before the read'); // what it read
    expect((await read('p1'))?.name).toBe('Written during the read'); // not kept: read again
    expect(reads).toBe(2);
  });

  it('keeps its rows when runs only record credential use, executions or output', async () => {
    await read('p1');
    reads = 0;
    await db('credentials').whereIn('id', ['none']).update({ last_used_at: new Date().toISOString() });
    await db('executions').where({ id: 'none' }).update({ status: 'failed' });
    await read('p1');
    expect(reads).toBe(0);
  });

  it('drops everything when another orchestrator says so', async () => {
    await read('p1');
    reads = 0;
    cache.invalidate();
    await read('p1');
    expect(reads).toBe(1);
  });
});
