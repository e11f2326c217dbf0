import { createHash } from 'node:crypto';
import request from 'supertest';
import pino from 'pino';
import { ApiKeyService, KEY_CACHE_TTL_MS, LAST_USED_WRITE_INTERVAL_MS } from '../../../server/auth/api-keys';
import { createApp } from '../../../server/http/app';
import { openDb } from '../../../server/db/knex';
import { createTestApp, type TestApp } from '../../helpers/test-app';
import { sleep } from '../../helpers/wait';

describe('API keys', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  const newKey = async (name: string, role: string) => {
    const res = await request(t.app).post('/api/keys').set(t.auth).send({ name, role });
    expect(res.status).toBe(201);
    return res.body as { id: string; name: string; role: string; key: string; createdAt: string };
  };
  const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });

  it('creates a key shown once, stored only as its hash, listed without it', async () => {
    const created = await newKey('ci reader', 'reader');
    expect(Object.keys(created).sort()).toEqual(['createdAt', 'id', 'key', 'name', 'role']);
    expect(created).toMatchObject({ name: 'ci reader', role: 'reader' });
    expect(created.key).toMatch(/^pck_[A-Za-z0-9_-]{43}$/);

    const row = await t.db('api_keys').where({ id: created.id }).first();
    expect(row.key_hash).toBe(createHash('sha256').update(created.key).digest('hex'));
    expect(JSON.stringify(row)).not.toContain(created.key);

    const list = await request(t.app).get('/api/keys').set(t.auth);
    expect(list.status).toBe(200);
    const listed = list.body.find((k: { id: string }) => k.id === created.id);
    expect(listed).toEqual({ id: created.id, name: 'ci reader', role: 'reader', createdAt: created.createdAt, lastUsedAt: null });
    expect(JSON.stringify(list.body)).not.toContain(created.key);
  });

  it('authenticates with the role it was given: 403 naming the role needed, 401 for an unknown key', async () => {
    const { key } = await newKey('reader two', 'reader');
    expect((await request(t.app).get('/api/personas').set(bearer(key))).status).toBe(200);
    const denied = await request(t.app).post('/api/personas').set(bearer(key)).send({ name: 'x' });
    expect(denied.status).toBe(403);
    expect(denied.body.error.code).toBe('forbidden');
    expect(denied.body.error.message).toContain("'operator'");
    expect(denied.body.error.message).toContain("'reader'");
    const keys = await request(t.app).post('/api/keys').set(bearer(key)).send({ name: 'escalate', role: 'admin' });
    expect(keys.status).toBe(403);
    expect(keys.body.error.message).toContain("'admin'");

    const unknown = await request(t.app).get('/api/personas').set(bearer(`pck_${'A'.repeat(43)}`));
    expect(unknown.status).toBe(401);
    expect(unknown.body.error.code).toBe('unauthorized');
    expect((await request(t.app).get('/api/personas')).status).toBe(401);
  });

  it('records lastUsedAt once the key is used', async () => {
    const created = await newKey('used', 'runner');
    expect((await request(t.app).get('/api/executions').set(bearer(created.key))).status).toBe(200);
    await sleep(50);
    const listed = (await request(t.app).get('/api/keys').set(t.auth)).body.find((k: { id: string }) => k.id === created.id);
    expect(Date.parse(listed.lastUsedAt)).toBeGreaterThanOrEqual(Date.parse(created.createdAt));
  });

  it('refuses a duplicate name (409) until the key with that name is revoked', async () => {
    const first = await newKey('deploy bot', 'runner');
    const dup = await request(t.app).post('/api/keys').set(t.auth).send({ name: 'deploy bot', role: 'reader' });
    expect(dup.status).toBe(409);
    expect(dup.body.error.code).toBe('conflict');
    expect(JSON.stringify(dup.body)).not.toMatch(/pck_/);
    expect((await request(t.app).delete(`/api/keys/${first.id}`).set(t.auth)).status).toBe(204);
    await newKey('deploy bot', 'reader');
  });

  it('names the bad field', async () => {
    const noName = await request(t.app).post('/api/keys').set(t.auth).send({ role: 'reader' });
    expect(noName.status).toBe(400);
    expect(noName.body.error.details).toEqual([expect.objectContaining({ field: 'name' })]);
    const badRole = await request(t.app).post('/api/keys').set(t.auth).send({ name: 'x', role: 'root' });
    expect(badRole.status).toBe(400);
    expect(badRole.body.error.details).toEqual([expect.objectContaining({ field: 'role' })]);
    expect(badRole.body.error.message).toContain('admin, operator, runner, reader, webhook');
    expect((await request(t.app).delete('/api/keys/no-such-key').set(t.auth)).status).toBe(404);
  });

  it('a revoked key is refused within 1 s by every orchestrator sharing the database', async () => {
    // A second orchestrator: its own connection to the same database, its own key cache.
    const db2 = openDb(t.config.database);
    const other = createApp({ ...t.ctx, db: db2, apiKeys: undefined, audit: undefined });
    try {
      const { id, key } = await newKey('short lived', 'operator');
      // Both have it cached as valid.
      expect((await request(other).get('/api/personas').set(bearer(key))).status).toBe(200);
      expect((await request(t.app).get('/api/personas').set(bearer(key))).status).toBe(200);

      const revokedAt = Date.now();
      expect((await request(t.app).delete(`/api/keys/${id}`).set(t.auth)).status).toBe(204);
      expect((await request(t.app).get('/api/personas').set(bearer(key))).status).toBe(401);
      let refusedAfter = -1;
      while (Date.now() - revokedAt < 2000) {
        if ((await request(other).get('/api/personas').set(bearer(key))).status === 401) {
          refusedAfter = Date.now() - revokedAt;
          break;
        }
        await sleep(20);
      }
      expect(refusedAfter).toBeGreaterThanOrEqual(0);
      expect(refusedAfter).toBeLessThan(1000);
      expect((await request(t.app).delete(`/api/keys/${id}`).set(t.auth)).status).toBe(404);
      const list = await request(t.app).get('/api/keys').set(t.auth);
      expect(list.body.map((k: { id: string }) => k.id)).not.toContain(id);
    } finally {
      await db2.destroy();
    }
  });

  it('writes lastUsedAt at most once a minute per key, not once per request', async () => {
    let now = Date.parse('2026-11-29T10:00:00Z');
    const keys = new ApiKeyService({ db: t.db, logger: pino({ level: 'silent' }), teamApiKey: t.config.teamApiKey, now: () => now });
    const { id, key } = await keys.create({ name: 'busy', role: 'reader' });
    const updates: string[] = [];
    const onQuery = (q: { sql: string }) => {
      if (/^update/i.test(q.sql) && q.sql.includes('api_keys')) updates.push(q.sql);
    };
    t.db.on('query', onQuery);
    try {
      for (let i = 0; i < 200; i++) {
        expect(await keys.resolve(key)).toEqual({ keyId: id, name: 'busy', role: 'reader' });
        now += 100; // 20 s in all
      }
      await sleep(20);
      expect(updates).toHaveLength(1);
      now += LAST_USED_WRITE_INTERVAL_MS;
      await keys.resolve(key);
      await sleep(20);
      expect(updates).toHaveLength(2);
      expect((await t.db('api_keys').where({ id }).first()).last_used_at).toBe(new Date(now).toISOString());
    } finally {
      t.db.off('query', onQuery);
    }
    expect(KEY_CACHE_TTL_MS).toBeLessThan(1000);
  });
});
