import fs from 'node:fs';
import path from 'node:path';
import { migrateLatest, openDb } from '../../server/db/knex';
import { tempDir } from '../helpers/env';

/** The records are readable by their owner only, so a run under another uid cannot read them. */
it('creates the data folder 0700 and the SQLite files 0600, and tightens a file left readable', async () => {
  const root = tempDir('pc-dbmode');
  const file = path.join(root, 'data', 'personas.db');
  const db = openDb(file);
  await migrateLatest(db);
  await db.raw('select 1');
  const mode = (p: string) => fs.statSync(p).mode & 0o777;
  expect(mode(path.dirname(file))).toBe(0o700);
  for (const f of [file, `${file}-wal`, `${file}-shm`].filter((f) => fs.existsSync(f))) expect(mode(f)).toBe(0o600);
  await db.destroy();

  fs.chmodSync(file, 0o644);
  const again = openDb(file);
  await again.raw('select 1');
  expect(mode(file)).toBe(0o600);
  await again.destroy();
  fs.rmSync(root, { recursive: true, force: true });
});
