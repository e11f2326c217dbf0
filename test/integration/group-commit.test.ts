import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { openDb, type Db } from '../../server/db/knex';

/**
 * Group commit on a real SQLite file (server/db/group-commit.ts), watched from a second connection
 * the way another process would see the file: what a caller is answered must already be committed.
 */
describe('SQLite group commit', () => {
  let dir: string;
  let db: Db;
  let observer: Database.Database;

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pc-group-commit-'));
    const file = path.join(dir, 'records.sqlite');
    db = openDb(file);
    await db.raw('create table items (id integer primary key, name text not null unique, body blob)');
    await db.raw('create table parents (id integer primary key)');
    await db.raw('create table children (id integer primary key, parent_id integer references parents(id) deferrable initially deferred)');
    observer = new Database(file, { readonly: true });
  });

  afterEach(async () => {
    observer.close();
    await db.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const committedNames = (): string[] => (observer.prepare('select name from items order by id').all() as Array<{ name: string }>).map((r) => r.name);
  const insert = (name: string, body: Buffer | null = null) => db('items').insert({ name, body });
  /** Settles every promise, answering `ok` or the error's message for each. */
  const outcomes = (ps: Array<PromiseLike<unknown>>) =>
    Promise.all(ps.map((p) => Promise.resolve(p).then(() => 'ok', (err: Error) => err.message)));

  it('commits the writes of one turn together and answers none of them before it is committed', async () => {
    const seenAtTurnEnd: string[][] = [];
    // Runs in this turn's check phase before the group's commit (setImmediate callbacks run in order).
    setImmediate(() => seenAtTurnEnd.push(committedNames()));
    const seenWhenAnswered = new Map<string, string[]>();
    const writes = ['a', 'b', 'c'].map((name) => insert(name).then(() => seenWhenAnswered.set(name, committedNames())));
    const read = db('items').select('name').then((rows) => seenWhenAnswered.set('read', committedNames()) && rows);
    await Promise.all([...writes, read]);
    // The first write of the turn is autocommitted; the other two, and the read, waited in the group.
    expect(seenAtTurnEnd).toEqual([['a']]);
    expect(Object.fromEntries(seenWhenAnswered)).toEqual({ a: ['a'], b: ['a', 'b', 'c'], c: ['a', 'b', 'c'], read: ['a', 'b', 'c'] });
    // The read ran in the group after the writes: it saw them, and was answered once they were committed.
    expect(await read).toEqual([{ name: 'a' }, { name: 'b' }, { name: 'c' }]);
  });

  it('fails only the caller of a statement that fails on its own (a unique constraint)', async () => {
    await insert('taken');
    const results = await outcomes([insert('a'), insert('b'), insert('taken'), insert('c')]);
    expect(results.slice(0, 2)).toEqual(['ok', 'ok']);
    expect(results[2]).toMatch(/UNIQUE constraint failed: items.name/);
    expect(results[3]).toBe('ok');
    expect(committedNames()).toEqual(['taken', 'a', 'b', 'c']);
  });

  it('fails every query of a group whose COMMIT fails, and keeps none of its writes', async () => {
    // A deferred foreign key is checked at COMMIT: the orphan child fails the whole group.
    const results = await outcomes([insert('first'), insert('second'), db('children').insert({ parent_id: 42 }), db('items').select('name')]);
    expect(results[0]).toBe('ok');
    expect(results.slice(1)).toEqual(Array(3).fill('FOREIGN KEY constraint failed'));
    expect(committedNames()).toEqual(['first']);
    expect(observer.prepare('select count(*) as n from children').get()).toEqual({ n: 0 });
    // The connection is usable afterwards.
    await outcomes([insert('later'), insert('later still')]);
    expect(committedNames()).toEqual(['first', 'later', 'later still']);
  });

  it('commits the open group before a Knex transaction, which then commits or rolls back on its own', async () => {
    const rolledBack = db.transaction(async (trx) => {
      await trx('items').insert({ name: 'in the transaction' });
      throw new Error('changed my mind');
    });
    const results = await outcomes([insert('before 1'), insert('before 2'), rolledBack]);
    expect(results).toEqual(['ok', 'ok', 'changed my mind']);
    await db.transaction(async (trx) => {
      await trx('items').insert({ name: 'kept' });
      expect(committedNames()).not.toContain('kept');
    });
    expect(committedNames()).toEqual(['before 1', 'before 2', 'kept']);
  });

  it('commits the open group when the store is closed in the same turn (shutdown loses nothing)', async () => {
    const writes = outcomes([insert('one'), insert('two'), insert('three')]);
    // Closed while the group is open: its queries have given the connection back and wait for the commit.
    setImmediate(() => void db.destroy());
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(await writes).toEqual(['ok', 'ok', 'ok']);
    expect(committedNames()).toEqual(['one', 'two', 'three']);
    db = openDb(path.join(dir, 'records.sqlite'));
  });

  it('answers each write as it ended when the database is full: answered means committed, failed means absent', async () => {
    const pageSize = (observer.pragma('page_size', { simple: true }) as number);
    const pages = observer.pragma('page_count', { simple: true }) as number;
    await db.raw(`pragma max_page_count = ${pages + 4}`);
    const big = Buffer.alloc(pageSize * 8, 1);
    const names = ['small 1', 'small 2', 'too big', 'small 3'];
    const results = await outcomes(names.map((name) => insert(name, name === 'too big' ? big : null)));
    expect(results[2]).toMatch(/full/i);
    const committed = committedNames();
    names.forEach((name, i) => expect([name, results[i] === 'ok']).toEqual([name, committed.includes(name)]));
    expect(results[0]).toBe('ok');
  });
});
