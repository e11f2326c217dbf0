import { cachePreparedStatements } from '../../server/db/statement-cache';

describe('cachePreparedStatements', () => {
  it('prepares each SQL text once and hands back the same statement', () => {
    const prepared: string[] = [];
    const conn = { prepare: (sql: string) => { prepared.push(sql); return { sql, n: prepared.length }; } };
    cachePreparedStatements(conn);
    const a = conn.prepare('select 1');
    expect(conn.prepare('select 1')).toBe(a);
    conn.prepare('select 2');
    expect(prepared).toEqual(['select 1', 'select 2']);
  });

  it('starts over past its bound instead of growing forever', () => {
    let count = 0;
    const conn = { prepare: (sql: string) => ({ sql, n: ++count }) };
    cachePreparedStatements(conn);
    for (let i = 0; i < 1001; i++) conn.prepare(`select ${i}`);
    conn.prepare('select 0');
    expect(count).toBe(1002);
  });
});
