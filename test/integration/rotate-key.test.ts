/**
 * `npm run rotate-key` on the rows a real orchestrator wrote (credential, webhook secret, Claude
 * token, audit chain): refused while the orchestrator runs; afterwards everything opens with the new
 * key and nothing with the old one; an orchestrator with the new key starts and uses them; the key is
 * written into data/secrets.env when the old one came from there, else printed once.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { verifyAuditChain } from '../../server/audit/verify';
import { openDb, type Db } from '../../server/db/knex';
import { getMeta } from '../../server/db/system-meta';
import { hubSignature } from '../../server/domain/webhook-signatures';
import { SEALED_TABLES } from '../../server/services/master-key-rotation';
import { openSealedText } from '../../server/services/sealed-text';
import { MASTER_KEY_CHECK, masterKeyCheckValue } from '../../server/startup/master-key';
import { decrypt, parseMasterKey } from '../../shared/crypto';
import { onPostgres } from '../helpers/database';
import { TEST_KEYS } from '../helpers/env';
import { FakeWorker } from '../helpers/fake-worker';
import { startTestOrchestrator, type TestOrchestrator } from '../helpers/orchestrator';
import { waitFor } from '../helpers/wait';

const ROOT = path.resolve(__dirname, '../..');
const OLD_HEX = TEST_KEYS.MASTER_KEY;
const OLD = parseMasterKey(OLD_HEX);

async function api(o: TestOrchestrator, method: string, p: string, body?: unknown) {
  const res = await fetch(`${o.baseUrl}${p}`, {
    method, headers: { ...o.auth, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any };
}

/** Every sealed value of the database, opened with `key` (throws when one does not open). */
async function openAll(db: Db, key: Buffer): Promise<string[]> {
  const out: string[] = [];
  for (const spec of SEALED_TABLES) {
    for (const row of (await db(spec.table).select('*')) as Array<Record<string, string | null>>) {
      if (spec.form === 'blob') out.push(decrypt({ encryptedData: row[spec.columns.data]!, iv: row[spec.columns.iv]!, tag: row[spec.columns.tag]! }, key));
      else for (const c of spec.columns) if (row[c] !== null) out.push(openSealedText(row[c]!, key));
    }
  }
  return out;
}

describe('npm run rotate-key', () => {
  let o: TestOrchestrator | undefined;
  let worker: FakeWorker | undefined;
  let installation: string;
  /** data/secrets.env of the installation: beside the database (DAC_DB_PATH), as npm start lays it out. */
  const secretsFile = (database: TestOrchestrator['database']) => path.join(path.dirname(database.env.DAC_DB_PATH), 'secrets.env');
  afterEach(async () => {
    worker?.close();
    worker = undefined;
    await o?.close();
    o = undefined;
  });

  /** Runs the command in the installation folder (data/secrets.env there), on the orchestrator's database. */
  const rotate = (database: TestOrchestrator['database'], env: NodeJS.ProcessEnv) =>
    spawnSync(process.execPath, ['-r', 'ts-node/register/transpile-only', path.join(ROOT, 'scripts/rotate-master-key.ts')], {
      cwd: installation, encoding: 'utf8',
      env: { PATH: process.env.PATH, TS_NODE_PROJECT: path.join(ROOT, 'tsconfig.json'), NODE_PATH: path.join(ROOT, 'node_modules'), ...database.env, ...env },
    });

  /** A running orchestrator holding one of every sealed thing, written through its API. */
  async function populated(): Promise<{ personaId: string; hookSecret: string }> {
    o = await startTestOrchestrator();
    installation = path.join(o.dir, 'install');
    fs.mkdirSync(path.join(installation, 'data'), { recursive: true });
    const persona = await api(o, 'POST', '/api/personas', { name: 'Rotated', systemPrompt: 'run' });
    const credential = await api(o, 'POST', '/api/credentials', { name: 'vault', serviceType: 'custom', data: { token: 'rotated-secret-value' } });
    expect((await api(o, 'POST', `/api/personas/${persona.body.id}/credentials`, { credentialId: credential.body.id })).status).toBe(201);
    const hook = await api(o, 'POST', '/api/webhook-secrets', { source: 'github', name: 'hooks', personaId: persona.body.id });
    expect(hook.status).toBe(201);
    expect((await api(o, 'POST', '/api/token', { token: 'sk-ant-oat01-rotation-test-token-abcdefghijklmnop' })).status).toBe(200);
    await api(o, 'POST', '/api/subscriptions', { personaId: persona.body.id, eventType: 'webhook_received' });
    return { personaId: persona.body.id, hookSecret: hook.body.secret };
  }

  it('refuses while the orchestrator runs; then re-seals every secret and re-chains the audit log under a new key kept in data/secrets.env', async () => {
    const { personaId, hookSecret } = await populated();
    const database = o!.database;
    fs.writeFileSync(secretsFile(database), `MASTER_KEY=${OLD_HEX}\nTEAM_API_KEY=${TEST_KEYS.TEAM_API_KEY}\n`, { mode: 0o600 });

    const refused = rotate(database, {});
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/an orchestrator uses .+ \(host .+, pid \d+, seen \d+ s ago\); nothing was changed\. Stop every orchestrator first/);
    await o!.close({ keepData: true });
    const reuse = { dir: o!.dir, prefix: o!.prefix, database };
    o = undefined;

    const done = rotate(database, {});
    expect(done.stderr).toBe('');
    expect(done.status).toBe(0);
    expect(done.stdout).toMatch(/re-encrypted with the new key \(credentials: 1, webhook_secrets: 1, oauth_tokens: 1, .*audit_log: [1-9]\d*/);
    expect(done.stdout).toContain('secrets.env: MASTER_KEY replaced by the new key');
    expect(done.stdout).toContain('Backups taken before this still need the old key');
    const newHex = /^MASTER_KEY=([0-9a-f]{64})$/m.exec(fs.readFileSync(secretsFile(database), 'utf8'))![1];
    expect(done.stdout).not.toContain(newHex); // written, not printed
    expect(fs.existsSync(`${secretsFile(database)}.rotating`)).toBe(false);
    expect(fs.statSync(secretsFile(database)).mode & 0o777).toBe(0o600);
    const NEW = parseMasterKey(newHex);

    const db = openDb(database.target);
    try {
      const opened = await openAll(db, NEW);
      expect(opened).toEqual(expect.arrayContaining(['{"token":"rotated-secret-value"}', hookSecret, 'sk-ant-oat01-rotation-test-token-abcdefghijklmnop']));
      expect(opened).toHaveLength(3);
      await expect(openAll(db, OLD)).rejects.toThrow(); // the old key opens nothing
      for (const table of ['credentials', 'webhook_secrets']) {
        for (const row of await db(table).select('*')) {
          const blob = { encryptedData: row.encrypted_data ?? row.encrypted_secret, iv: row.iv, tag: row.tag };
          expect(() => decrypt(blob, OLD)).toThrow();
        }
      }
      const token = await db('oauth_tokens').first();
      expect(() => openSealedText(token.access_token_enc, OLD)).toThrow();
      expect(await getMeta(db, MASTER_KEY_CHECK)).toBe(masterKeyCheckValue(NEW));
      expect(await verifyAuditChain(db, NEW)).toMatchObject({ ok: true });
      expect(await verifyAuditChain(db, OLD)).toMatchObject({ ok: false });
    } finally {
      await db.destroy();
    }

    // The old key is refused at start; the new one starts and uses every secret.
    await expect(startTestOrchestrator({}, reuse)).rejects.toThrow(/MASTER_KEY is not the key the database/);
    o = await startTestOrchestrator({ MASTER_KEY: newHex }, reuse);
    expect((await api(o, 'GET', '/api/oauth/status')).body).toMatchObject({ connected: true, inUse: 'stored' });
    worker = new FakeWorker({ url: o.wsUrl, workerId: 'rotated-worker', slots: 2, runMs: 5 });
    await worker.register();
    const body = JSON.stringify({ after: 'rotation' });
    const signed = await fetch(`${o.baseUrl}/api/webhooks/${personaId}`, {
      method: 'POST', body, headers: { 'content-type': 'application/json', 'X-Hub-Signature-256': hubSignature(hookSecret, body) },
    });
    expect(signed.status).toBe(202); // the webhook secret still verifies
    const assigned = await waitFor(async () => worker!.assigned[0], 'the webhook run', 30_000);
    expect(assigned.env.CONNECTOR_VAULT_TOKEN).toBe('rotated-secret-value');
    expect(assigned.env.ANTHROPIC_API_KEY ?? assigned.env.CLAUDE_CODE_OAUTH_TOKEN).toBe('sk-ant-oat01-rotation-test-token-abcdefghijklmnop');
  }, 120_000);

  it('with MASTER_KEY from the environment, prints the generated key once', async () => {
    await populated();
    const database = o!.database;
    await o!.close({ keepData: true });
    const reuse = { dir: o!.dir, prefix: o!.prefix, database };
    o = undefined;
    const done = rotate(database, { MASTER_KEY: OLD_HEX });
    expect(done.status).toBe(0);
    const printed = done.stdout.match(/MASTER_KEY=([0-9a-f]{64})/g) ?? [];
    expect(printed).toHaveLength(1);
    expect(done.stdout).toContain('shown once');
    const newHex = printed[0]!.slice('MASTER_KEY='.length);
    expect(newHex).not.toBe(OLD_HEX);
    expect(fs.existsSync(secretsFile(database))).toBe(false);
    o = await startTestOrchestrator({ MASTER_KEY: newHex }, reuse);
    expect((await api(o, 'GET', '/api/credentials')).body).toHaveLength(1);
  }, 120_000);

  it('every MASTER_KEY-sealed column of the schema is one the rotation re-seals', async () => {
    if (onPostgres) return; // the schema is the same; SQLite's catalogue is simpler to read
    o = await startTestOrchestrator();
    const sealedLooking = /(_enc$|^encrypted_|^iv$|^tag$)/;
    const tables = (await o.db.raw("SELECT name FROM sqlite_master WHERE type = 'table'")) as Array<{ name: string }>;
    const covered = new Set<string>([...SEALED_TABLES.map((s) => s.table), 'oauth_pending']);
    const missed: string[] = [];
    for (const { name } of tables) {
      const columns = (await o.db.raw(`PRAGMA table_info("${name}")`)) as Array<{ name: string }>;
      for (const c of columns) if (sealedLooking.test(c.name) && !covered.has(name)) missed.push(`${name}.${c.name}`);
    }
    expect(missed).toEqual([]);
  });
});
