/**
 * Backup while the orchestrator works, then restore: `scripts/backup.ts` (the command behind
 * `npm run backup`) copies the SQLite file mid-load; a new orchestrator started on the copy, with
 * the same MASTER_KEY, shows every record the copy held and can still open its credentials.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { FakeWorker } from '../helpers/fake-worker';
import { onPostgres } from '../helpers/database';
import { tempDir } from '../helpers/env';
import { startTestOrchestrator, type TestOrchestrator } from '../helpers/orchestrator';
import { waitFor } from '../helpers/wait';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '../..');

async function api(o: TestOrchestrator, method: string, p: string, body?: unknown) {
  const res = await fetch(`${o.baseUrl}${p}`, {
    method, headers: { ...o.auth, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any };
}

/** Every id of a paged list endpoint. */
async function allIds(o: TestOrchestrator, p: string): Promise<Set<string>> {
  const ids = new Set<string>();
  for (let offset = 0; ; offset += 500) {
    const page = await api(o, 'GET', `${p}${p.includes('?') ? '&' : '?'}limit=500&offset=${offset}`);
    for (const row of page.body) ids.add(row.id);
    if (page.body.length < 500) return ids;
  }
}

(onPostgres ? describe.skip : describe)('backup under load and restore (SQLite)', () => {
  let source: TestOrchestrator | undefined;
  let restored: TestOrchestrator | undefined;
  let worker: FakeWorker | undefined;
  const dir = tempDir('pc-backup');
  afterAll(async () => {
    worker?.close();
    await source?.close();
    await restored?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a copy taken mid-load starts a new orchestrator with every record it held', async () => {
    source = await startTestOrchestrator();
    worker = new FakeWorker({ url: source.wsUrl, workerId: 'backup-worker', slots: 4, runMs: 20 });
    await worker.register();
    // maxConcurrent 8: the restored orchestrator drains the copied backlog quickly before the run checked below.
    const persona = await api(source, 'POST', '/api/personas', { name: 'Backed Up', systemPrompt: 'run', maxConcurrent: 8 });
    const credential = await api(source, 'POST', '/api/credentials', { name: 'vault', serviceType: 'custom', data: { token: 'backup-secret-value' } });
    await api(source, 'POST', `/api/personas/${persona.body.id}/credentials`, { credentialId: credential.body.id });
    await api(source, 'POST', '/api/subscriptions', { personaId: persona.body.id, eventType: 'load' });

    // Load: events (each one an execution) published 8 at a time, until the backup is done and a bit after.
    let loading = true;
    let published = 0;
    const load = Promise.all(Array.from({ length: 8 }, async () => {
      while (loading && published < 2000) {
        published += 1;
        const r = await api(source!, 'POST', '/api/events', { eventType: 'load', payload: { n: published } });
        expect(r.status).toBe(202);
      }
    }));
    // Runs have finished (their output is stored) before the copy starts, however slow this machine is.
    await waitFor(async () => (published >= 100 && (await api(source!, 'GET', '/api/executions?status=completed&limit=1')).body.length > 0 ? true : undefined),
      '100 events published and a run finished', 20_000);
    const copy = path.join(dir, 'backup.db');
    const { stdout } = await run(process.execPath, ['-r', 'ts-node/register/transpile-only', 'scripts/backup.ts', copy], {
      cwd: ROOT, env: { ...process.env, DAC_DB_PATH: source.database.env.DAC_DB_PATH, DATABASE_URL: '' },
    });
    const publishedAtBackupEnd = published;
    await new Promise((r) => setTimeout(r, 300));
    loading = false;
    await load;
    expect(stdout).toContain(`written to ${copy}`);
    expect(stdout).toContain('needs the MASTER_KEY it was taken with');
    expect(fs.statSync(copy).mode & 0o777).toBe(0o600);
    // Taken mid-load: later events are in the source but not in the copy.
    const held = new Database(copy, { readonly: true });
    const ids = (table: string) => new Set((held.prepare(`SELECT id FROM ${table}`).all() as Array<{ id: string }>).map((r) => r.id));
    const copied = { personas: ids('personas'), events: ids('events'), executions: ids('executions'), credentials: ids('credentials') };
    const outputLines = (held.prepare('SELECT count(*) AS n FROM execution_output').get() as { n: number }).n;
    held.close();
    expect(copied.events.size).toBeGreaterThanOrEqual(100);
    expect(copied.events.size).toBeLessThanOrEqual(publishedAtBackupEnd);
    expect(published).toBeGreaterThan(copied.events.size);
    expect(outputLines).toBeGreaterThan(0);
    await source.close();
    source = undefined;
    worker.close();

    // Restore as the README says: the copy becomes the database of a new orchestrator with the same MASTER_KEY.
    const restoreDir = tempDir('pc-restored');
    fs.copyFileSync(copy, path.join(restoreDir, 'personas.db'));
    restored = await startTestOrchestrator({ DAC_DB_PATH: path.join(restoreDir, 'personas.db'), DATABASE_URL: '' });
    const seen = {
      personas: new Set((await api(restored, 'GET', '/api/personas')).body.map((p: { id: string }) => p.id)),
      events: await allIds(restored, '/api/events'),
      executions: await allIds(restored, '/api/executions'),
      credentials: new Set((await api(restored, 'GET', '/api/credentials')).body.map((c: { id: string }) => c.id)),
    };
    for (const kind of Object.keys(copied) as Array<keyof typeof copied>) {
      expect([...copied[kind]].filter((id) => !seen[kind].has(id))).toEqual([]);
    }
    // The restored credential still opens with the key: a new run gets it as a variable.
    worker = new FakeWorker({ url: restored.wsUrl, workerId: 'restored-worker', slots: 8, runMs: 5 });
    await worker.register();
    const fresh = await api(restored, 'POST', '/api/execute', { personaId: persona.body.id, prompt: 'after restore' });
    expect(fresh.status).toBe(202);
    const assigned = await waitFor(async () => worker!.assigned.find((a) => a.executionId === fresh.body.executionId), 'the run after restore', 30_000);
    expect(assigned.env.CONNECTOR_VAULT_TOKEN).toBe('backup-secret-value');
  }, 120_000);

  it('refuses to overwrite a file, and points PostgreSQL users to pg_dump', async () => {
    const existing = path.join(dir, 'exists.db');
    fs.writeFileSync(existing, 'keep me');
    const script = ['-r', 'ts-node/register/transpile-only', 'scripts/backup.ts', existing];
    const refused = await run(process.execPath, script, { cwd: ROOT, env: { ...process.env, DAC_DB_PATH: existing, DATABASE_URL: '' } }).catch((e) => e);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('exists already');
    expect(fs.readFileSync(existing, 'utf8')).toBe('keep me');
    const pg = await run(process.execPath, [...script.slice(0, 3), path.join(dir, 'pg.dump')], {
      cwd: ROOT, env: { ...process.env, DATABASE_URL: 'postgres://someone:secret-password@127.0.0.1:5432/personas' },
    }).catch((e) => e);
    expect(pg.code).toBe(2);
    expect(pg.stderr).toContain('pg_dump --format=custom');
    expect(pg.stderr).not.toContain('secret-password');
  }, 120_000);
});
