/**
 * The orchestrator and `npm run migrate` on PostgreSQL, as real processes (dist/): an unreachable
 * server is waited for with one line per attempt; a refused connection or a malformed DATABASE_URL
 * stops the start with one message naming DATABASE_URL and never the password; two orchestrators
 * starting together on an empty database both come up, the migrations applied once.
 * Runs in the suite's PostgreSQL pass (TEST_DB=postgres), which has a server to talk to.
 */
import fs from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { freePort } from '../../scripts/ensure-redis';
import { openDb } from '../../server/db/knex';
import { createPostgresDatabase, onPostgres, postgresUrlFor } from '../helpers/database';
import { REDIS_URL, TEST_KEYS, tempDir, uniquePrefix } from '../helpers/env';
import { runDist, waitUntil, type Proc } from '../helpers/processes';
import { deletePrefix } from '../helpers/redis';

jest.setTimeout(90_000);

const PASSWORD = 'pg-secret-never-printed';

/** The URL with a password added (trust auth here ignores it; the point is that no output shows it). */
const withPassword = (url: string) => {
  const u = new URL(url);
  u.username = u.username || 'postgres';
  u.password = PASSWORD;
  return u.toString();
};

const messages = (p: Proc) =>
  p.output().split('\n').filter(Boolean).map((l) => {
    try {
      return (JSON.parse(l) as { msg: string }).msg;
    } catch {
      return l;
    }
  });

(onPostgres ? describe : describe.skip)('the orchestrator on PostgreSQL: start-up', () => {
  const procs: Proc[] = [];
  const drops: Array<() => Promise<void>> = [];
  const prefixes: string[] = [];
  let dir: string;

  beforeAll(() => {
    dir = tempDir('pc-pg-startup');
  });
  afterEach(async () => {
    await Promise.all(procs.splice(0).map((p) => p.stop(5_000)));
  });
  afterAll(async () => {
    for (const drop of drops) await drop();
    for (const p of prefixes) await deletePrefix(p);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const orchestrator = async (databaseUrl: string, extra: NodeJS.ProcessEnv = {}) => {
    const prefix = uniquePrefix('pg-startup');
    prefixes.push(prefix);
    const httpPort = String(await freePort());
    const p = runDist('server/main.js', {
      ...TEST_KEYS, HOST: '127.0.0.1', HTTP_PORT: httpPort, WS_PORT: String(await freePort()),
      DAC_DB_PATH: path.join(dir, 'unused.db'), DATABASE_URL: databaseUrl, REDIS_URL, QUEUE_PREFIX: prefix, LOG_LEVEL: 'info', ...extra,
    });
    procs.push(p);
    return { p, httpPort };
  };
  const said = (p: Proc, what: RegExp, ms = 15_000) =>
    waitUntil(`a line matching ${what}`, () => messages(p).find((m) => what.test(m)), ms, p.output);

  it('waits for a server that does not answer, one line per attempt with backoff, and exits 0 on SIGTERM', async () => {
    const port = await freePort();
    const url = withPassword(`postgres://postgres@127.0.0.1:${port}/personas`);
    const { p } = await orchestrator(url);
    const line = await said(p, /does not answer/);
    expect(line).toBe(`database postgres://postgres:***@127.0.0.1:${port}/personas does not answer (ECONNREFUSED); retrying in 1 s`);
    await said(p, /retrying in 2 s$/);
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
    expect(p.output()).not.toContain(PASSWORD);
  });

  it('stops with one message naming DATABASE_URL when the server refuses (no such database), never printing the password', async () => {
    const url = withPassword(postgresUrlFor('pc_test_no_such_database'));
    const { p } = await orchestrator(url);
    expect(await p.exited).toBe(1);
    const redacted = url.replace(PASSWORD, '***');
    expect(p.output()).toContain(`cannot use the database ${redacted} (DATABASE_URL): database "pc_test_no_such_database" does not exist`);
    expect(p.output()).not.toContain(PASSWORD);
  });

  it('refuses a DATABASE_URL that is not a postgres:// URL, naming it and not repeating it', async () => {
    const { p } = await orchestrator(`mysql://root:${PASSWORD}@127.0.0.1/personas`);
    expect(await p.exited).toBe(1);
    expect(p.output()).toContain('invalid configuration: DATABASE_URL: must start with postgres:// or postgresql://');
    expect(p.output()).not.toContain(PASSWORD);
  });

  it('two orchestrators starting together on an empty database both come up; each migration is applied once', async () => {
    const pg = await createPostgresDatabase({ empty: true });
    drops.push(pg.drop);
    const [a, b] = await Promise.all([orchestrator(withPassword(pg.url)), orchestrator(withPassword(pg.url))]);
    for (const o of [a, b]) {
      await waitUntil('/health 200', async () => (await fetch(`http://127.0.0.1:${o.httpPort}/health`).catch(() => undefined))?.status === 200, 30_000, o.p.output);
    }
    // One of them migrated, the other found nothing to do.
    expect([a, b].filter((o) => messages(o.p).includes('migrations applied'))).toHaveLength(1);
    const db = openDb({ client: 'postgres', url: pg.url, poolMax: 2 });
    try {
      const rows = (await db('knex_migrations').select('name')) as Array<{ name: string }>;
      expect(rows.length).toBeGreaterThan(5);
      expect(new Set(rows.map((r) => r.name)).size).toBe(rows.length);
    } finally {
      await db.destroy();
    }
    for (const o of [a, b]) expect(o.p.output()).not.toContain(PASSWORD);
  });

  it('npm run migrate applies the migrations once and names the database without its password', async () => {
    const pg = await createPostgresDatabase({ empty: true });
    drops.push(pg.drop);
    const url = withPassword(pg.url);
    const migrate = () =>
      spawnSync(process.execPath, [path.resolve(__dirname, '../../dist/scripts/migrate.js')], {
        cwd: dir, env: { PATH: process.env.PATH, DATABASE_URL: url }, encoding: 'utf8',
      });
    const first = migrate();
    expect(first.stderr).toBe('');
    expect(first.status).toBe(0);
    const redacted = url.replace(PASSWORD, '***');
    expect(first.stdout).toMatch(new RegExp(`^${redacted.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: applied \\d+ migration\\(s\\)\\n  20261125000001_initial_schema\\n`));
    const second = migrate();
    expect(second.stdout).toBe(`${redacted}: already up to date\n`);
    expect(first.stdout + second.stdout).not.toContain(PASSWORD);

    const refused = spawnSync(process.execPath, [path.resolve(__dirname, '../../dist/scripts/migrate.js')], {
      cwd: dir, env: { PATH: process.env.PATH, DATABASE_URL: withPassword(postgresUrlFor('pc_test_no_such_database')) }, encoding: 'utf8',
    });
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('migrate failed: database "pc_test_no_such_database" does not exist');
    expect(refused.stderr).not.toContain(PASSWORD);
  });
});
