import fs from 'node:fs';
import path from 'node:path';
import { processAlive as alive } from '../../shared/process-alive';

/**
 * The uids a root worker gives its runs (WORKER_SANDBOX_UID_BASE + slot) must be its own on the
 * host: two workers handing out the same uid would let one's run read the other's run folder and
 * /proc/<pid>/environ (its credentials) in uid mode. Each worker records its range as
 * `<first>-<last>.<pid>` in a host-wide folder of root's (/run) and takes the first range from its
 * WORKER_SANDBOX_UID_BASE up that no live worker holds; a dead worker's record is swept. Claims are
 * serialized by a lock folder (mkdir is atomic), so two workers starting at once never share.
 */
export const UID_RANGES_DIR = '/run/personas-cloud/uid-ranges';
const LOCK_STALE_MS = 10_000;
const LOCK_WAIT_MS = 5_000;

export interface UidRange {
  first: number;
  last: number;
  pid: number;
}

/** Pure: a record's file name, and back. */
export function rangeFileName(r: UidRange): string {
  return `${r.first}-${r.last}.${r.pid}`;
}

export function parseRangeFileName(name: string): UidRange | undefined {
  const m = /^(\d+)-(\d+)\.(\d+)$/.exec(name);
  return m ? { first: Number(m[1]), last: Number(m[2]), pid: Number(m[3]) } : undefined;
}

/** Pure: the lowest `first` ≥ `base` whose `count` uids overlap none of `taken`. */
export function firstFreeRange(base: number, count: number, taken: ReadonlyArray<Pick<UidRange, 'first' | 'last'>>): number {
  let first = base;
  for (;;) {
    const clash = taken.find((t) => first <= t.last && t.first <= first + count - 1);
    if (!clash) return first;
    first = clash.last + 1;
  }
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function withLock<T>(lock: string, work: () => T): T {
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      fs.mkdirSync(lock);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const age = Date.now() - (fs.statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > LOCK_STALE_MS || Date.now() > deadline) fs.rmSync(lock, { recursive: true, force: true });
      else sleepSync(5);
    }
  }
  try {
    return work();
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}

export interface ClaimedUids {
  first: number;
  last: number;
  /** Forgets the record (at a clean stop; a killed worker's is swept by the next claim). */
  release(): void;
}

/**
 * Claims `count` uids from `base` up for this process; throws when the host-wide folder cannot be
 * written (the caller decides whether to go on unchecked).
 */
export function claimUidRange(base: number, count: number, opts: { dir?: string; pid?: number; isAlive?: (pid: number) => boolean } = {}): ClaimedUids {
  const dir = opts.dir ?? UID_RANGES_DIR;
  const pid = opts.pid ?? process.pid;
  const isAlive = opts.isAlive ?? alive;
  fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
  return withLock(`${dir}.lock`, () => {
    const taken: UidRange[] = [];
    for (const name of fs.readdirSync(dir)) {
      const r = parseRangeFileName(name);
      if (!r || r.pid === pid) continue;
      if (isAlive(r.pid)) taken.push(r);
      else fs.rmSync(path.join(dir, name), { force: true });
    }
    const first = firstFreeRange(base, count, taken);
    const file = path.join(dir, rangeFileName({ first, last: first + count - 1, pid }));
    fs.writeFileSync(file, '', { mode: 0o644 });
    return { first, last: first + count - 1, release: () => fs.rmSync(file, { force: true }) };
  });
}
