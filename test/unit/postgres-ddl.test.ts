import { openDb, type Db } from '../../server/db/knex';
import { dialectOf } from '../../server/db/dialect';
import { decodeNul, encodeNul } from '../../server/db/postgres';

/**
 * The DDL the migrations' portable column types compile to on PostgreSQL (no server needed: Knex
 * compiles without connecting). Guards the subclass of Knex's column compiler across Knex upgrades.
 */
describe('PostgreSQL DDL from the migrations\' column types', () => {
  let db: Db;
  beforeAll(() => {
    db = openDb({ client: 'postgres', url: 'postgres://nobody@127.0.0.1:1/none', poolMax: 2 });
  });
  afterAll(() => db.destroy());

  it('creates columns that behave as SQLite\'s: text COLLATE "C", bigint, double precision, bigserial', () => {
    const sql = db.schema.createTable('t', (t) => {
      t.increments('id');
      t.string('s').notNullable().defaultTo('{}');
      t.text('x');
      t.integer('i');
      t.smallint('small');
      t.float('f');
      t.boolean('b');
      t.bigInteger('big');
    }).toString();
    expect(sql).toBe(
      'create table "t" ("id" bigserial primary key, "s" text collate "C" not null default \'{}\', "x" text collate "C", "i" bigint, ' +
        '"small" bigint, "f" double precision, "b" boolean, "big" bigint)',
    );
    expect(db.schema.alterTable('t', (t) => void t.integer('n')).toString()).toBe('alter table "t" add column "n" bigint');
  });

  it('knows its dialect', async () => {
    expect(dialectOf(db)).toBe('postgres');
    const sqlite = openDb(':memory:');
    try {
      expect(dialectOf(sqlite)).toBe('sqlite');
    } finally {
      await sqlite.destroy();
    }
  });
});

describe('U+0000 on PostgreSQL', () => {
  it.each(['plain', '', 'a\u0000b', '\uFFFF', '\uFFFF0', '\u0000\uFFFF\u0000', 'x\uFFFF\uFFFFy'])('round-trips %j', (s) => {
    const stored = encodeNul(s);
    expect(stored).not.toContain('\u0000');
    expect(decodeNul(stored)).toBe(s);
  });

  it('keeps distinct strings distinct once stored', () => {
    const inputs = ['a\u0000', 'a\uFFFF0', 'a\uFFFF', 'a0', 'a\uFFFF\uFFFF'];
    expect(new Set(inputs.map(encodeNul)).size).toBe(inputs.length);
  });
});
