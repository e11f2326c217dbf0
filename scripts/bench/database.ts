import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import type { DatabaseTarget } from '../../server/db/target';
import { createDatabase, databaseUrl, dropDatabase } from '../test-databases';

/**
 * The record store a bench runs on: `sqlite` (a fresh temp file per scenario) or a PostgreSQL
 * server (`--database postgres://…`, an administrative URL: a fresh `pc_bench_<hex>` database per
 * scenario, dropped afterwards; the bench never drops a database it did not create).
 */
export type BenchStore = { client: 'sqlite' } | { client: 'postgres'; adminUrl: string };

export interface BenchDatabase {
  target: DatabaseTarget;
  /** What the orchestrator process is given. */
  env: { DAC_DB_PATH: string; DATABASE_URL?: string };
  dispose(): Promise<void>;
}

/** `sqlite` or a postgres:// URL, as given to `--database`. */
export function parseBenchStore(value: string): BenchStore {
  if (value === 'sqlite') return { client: 'sqlite' };
  if (/^postgres(ql)?:\/\//.test(value)) return { client: 'postgres', adminUrl: value };
  throw new Error(`--database: expected sqlite or a postgres:// URL of a server the bench may create databases on, got ${JSON.stringify(value.replace(/:[^:@/]*@/, ':***@'))}`);
}

export async function createBenchDatabase(store: BenchStore, label: string): Promise<BenchDatabase> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `pc-bench-${label}-`));
  const file = path.join(dir, 'personas.db');
  if (store.client === 'sqlite') {
    return { target: { client: 'sqlite', file }, env: { DAC_DB_PATH: file }, dispose: async () => fs.rmSync(dir, { recursive: true, force: true }) };
  }
  const name = `pc_bench_${randomBytes(5).toString('hex')}`;
  await createDatabase(store.adminUrl, name);
  const url = databaseUrl(store.adminUrl, name);
  return {
    target: { client: 'postgres', url, poolMax: 10 },
    env: { DAC_DB_PATH: file, DATABASE_URL: url },
    dispose: async () => {
      await dropDatabase(store.adminUrl, name);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** For the report's machine line: `SQLite` or `PostgreSQL 15.20 (local)`. */
export async function describeStore(store: BenchStore): Promise<string> {
  if (store.client === 'sqlite') return 'SQLite (temp file)';
  const client = new Client({ connectionString: store.adminUrl });
  await client.connect();
  try {
    const version = (await client.query('show server_version')).rows[0].server_version as string;
    const host = new URL(store.adminUrl).hostname;
    return `PostgreSQL ${version.split(' ')[0]} (${['127.0.0.1', 'localhost', '::1'].includes(host) ? 'local' : host})`;
  } finally {
    await client.end();
  }
}
