import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { claimUidRange, firstFreeRange, parseRangeFileName, rangeFileName } from '../../../worker/sandbox/uid-ranges';

describe('firstFreeRange', () => {
  it('keeps the base when nothing overlaps, else moves past every range in the way', () => {
    expect(firstFreeRange(100_000, 2, [])).toBe(100_000);
    expect(firstFreeRange(100_000, 2, [{ first: 100_002, last: 100_009 }])).toBe(100_000);
    expect(firstFreeRange(100_000, 4, [{ first: 100_002, last: 100_009 }])).toBe(100_010);
    expect(firstFreeRange(100_000, 2, [{ first: 100_000, last: 100_001 }, { first: 100_002, last: 100_003 }, { first: 100_006, last: 100_006 }])).toBe(100_004);
  });

  it('names a record so it reads back', () => {
    expect(parseRangeFileName(rangeFileName({ first: 5, last: 9, pid: 42 }))).toEqual({ first: 5, last: 9, pid: 42 });
    expect(parseRangeFileName('5-9')).toBeUndefined();
  });
});

describe('claimUidRange (a real folder)', () => {
  const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'pc-uids-')), 'uid-ranges');
  const live = new Set([1001, 1002, 1003]);
  const isAlive = (pid: number) => live.has(pid);
  afterAll(() => fs.rmSync(path.dirname(dir), { recursive: true, force: true }));

  it('gives two live workers with the same base ranges of their own, and a released range again', () => {
    const a = claimUidRange(100_000, 50, { dir, pid: 1001, isAlive });
    const b = claimUidRange(100_000, 50, { dir, pid: 1002, isAlive });
    expect([a.first, a.last]).toEqual([100_000, 100_049]);
    expect([b.first, b.last]).toEqual([100_050, 100_099]);
    a.release();
    const c = claimUidRange(100_000, 10, { dir, pid: 1003, isAlive });
    expect(c.first).toBe(100_000);
    expect(fs.readdirSync(dir).sort()).toEqual(['100000-100009.1003', '100050-100099.1002']);
  });

  it('sweeps the record of a worker that died without releasing it', () => {
    live.delete(1002); // killed with -9
    const d = claimUidRange(100_050, 5, { dir, pid: 1004, isAlive: (pid) => pid === 1004 || live.has(pid) });
    expect(d.first).toBe(100_050);
    expect(fs.readdirSync(dir)).not.toContain('100050-100099.1002');
  });
});
