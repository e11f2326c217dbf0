import fs from 'node:fs';
import path from 'node:path';
import { RunFolders, slotRunDirs } from '../../worker/sandbox/run-dirs';
import { workRoot } from '../helpers/isolation';

/** A worker's per-slot run folders on a real file system (tests run as root: uids are real). */

const RUN_UID = 100_123;
let workerDir: string;
let outside: string;

beforeEach(() => {
  workerDir = workRoot('pc-folders');
  outside = workRoot('pc-outside');
  fs.writeFileSync(path.join(outside, 'keep.txt'), 'not the run\'s');
});

afterEach(() => {
  fs.rmSync(workerDir, { recursive: true, force: true });
  fs.rmSync(outside, { recursive: true, force: true });
});

const asRoot = process.getuid?.() === 0;
const uid = asRoot ? RUN_UID : undefined;
const modeOf = (p: string) => fs.statSync(p).mode & 0o777;

it('makes a slot folder the run can reach but not rename: root 0711 of the worker, home/tmp/work 0700 of the run', async () => {
  const dirs = await new RunFolders(workerDir, () => uid).take(3);
  expect(dirs).toEqual(slotRunDirs(workerDir, 3));
  expect(dirs.root).toBe(path.join(workerDir, 'slot-3'));
  expect(modeOf(dirs.root)).toBe(0o711);
  expect(fs.statSync(dirs.root).uid).toBe(process.getuid?.());
  for (const d of [dirs.home, dirs.tmp, dirs.cwd]) {
    expect(modeOf(d)).toBe(0o700);
    if (asRoot) expect(fs.statSync(d).uid).toBe(RUN_UID);
  }
});

it('empties what a run left (files, trees, the socket, extras in the root) and closes a folder it opened up', async () => {
  const folders = new RunFolders(workerDir, () => uid);
  const dirs = await folders.take(0);
  fs.writeFileSync(path.join(dirs.home, '.bashrc'), 'planted');
  fs.mkdirSync(path.join(dirs.cwd, 'a/b/c'), { recursive: true });
  fs.writeFileSync(path.join(dirs.cwd, 'a/b/c/file'), 'x');
  fs.symlinkSync(outside, path.join(dirs.tmp, 'link-out'));
  fs.writeFileSync(path.join(dirs.root, 'extra'), 'x');
  fs.writeFileSync(dirs.socket, '');
  fs.chmodSync(dirs.home, 0o777);
  await folders.giveBack(0);
  for (const d of [dirs.home, dirs.tmp, dirs.cwd]) {
    expect(fs.readdirSync(d)).toEqual([]);
    expect(modeOf(d)).toBe(0o700);
  }
  expect(fs.readdirSync(dirs.root).sort()).toEqual(['home', 'tmp', 'work']);
  expect(fs.existsSync(dirs.socket)).toBe(false);
  // A symlink is removed, never followed.
  expect(fs.readFileSync(path.join(outside, 'keep.txt'), 'utf8')).toBe('not the run\'s');
  // The same, emptied folder serves the next run.
  expect(await folders.take(0)).toEqual(dirs);
});

it('makes the folder afresh when a run replaced one of its folders, without touching where it pointed', async () => {
  const folders = new RunFolders(workerDir, () => uid);
  const dirs = await folders.take(1);
  fs.rmSync(dirs.home, { recursive: true });
  fs.symlinkSync(outside, dirs.home);
  await expect(folders.giveBack(1)).rejects.toThrow(/not the run folder it was/);
  expect(fs.existsSync(dirs.root)).toBe(false);
  expect(fs.readdirSync(outside)).toEqual(['keep.txt']);
  const again = await folders.take(1);
  expect(fs.lstatSync(again.home).isDirectory()).toBe(true);
  expect(fs.readdirSync(again.home)).toEqual([]);
});

it('starts a slot from a fresh folder when the worker never emptied it (a previous life left it)', async () => {
  const stale = slotRunDirs(workerDir, 2);
  fs.mkdirSync(stale.home, { recursive: true });
  fs.writeFileSync(path.join(stale.home, 'old'), 'x');
  const dirs = await new RunFolders(workerDir, () => uid).take(2);
  expect(fs.readdirSync(dirs.home)).toEqual([]);
});
