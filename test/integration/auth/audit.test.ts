import pino from 'pino';
import request from 'supertest';
import { AuditLog } from '../../../server/audit/audit-log';
import { verifyAuditChain } from '../../../server/audit/verify';
import { isUniqueViolation } from '../../../server/db/errors';
import { openDb } from '../../../server/db/knex';
import { createTestApp, type TestApp } from '../../helpers/test-app';
import { waitFor } from '../../helpers/wait';

interface Row {
  seq: number; at: string; actorKeyId: string; actorName: string; actorRole: string; action: string;
  targetType: string | null; targetId: string | null; outcome: number; remoteAddress: string | null; prevHash: string; hash: string;
}

describe('audit log', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  const audit = async (query = '') => {
    const res = await request(t.app).get(`/api/audit${query}`).set(t.auth);
    expect(res.status).toBe(200);
    return res.body as Row[];
  };
  const settled = () => t.ctx.audit!.flush();

  it('records every mutating call of an authenticated caller, never a secret or a body', async () => {
    const persona = await request(t.app).post('/api/personas').set(t.auth).send({ name: 'Audited', systemPrompt: 'body-text-never-logged' });
    expect(persona.status).toBe(201);
    const credential = await request(t.app).post('/api/credentials').set(t.auth).send({ name: 'gh', serviceType: 'github', data: 'ghp_super_secret_value' });
    expect(credential.status).toBe(201);
    const key = await request(t.app).post('/api/keys').set(t.auth).send({ name: 'ops', role: 'operator' });
    const operator = { Authorization: `Bearer ${key.body.key}` };
    expect((await request(t.app).delete(`/api/personas/${persona.body.id}`).set(operator)).status).toBe(200);
    expect((await request(t.app).post('/api/personas').set(operator).send({ name: 7 })).status).toBe(400);
    const reader = await request(t.app).post('/api/keys').set(t.auth).send({ name: 'viewer', role: 'reader' });
    expect((await request(t.app).delete(`/api/credentials/${credential.body.id}`).set({ Authorization: `Bearer ${reader.body.key}` })).status).toBe(403);
    expect((await request(t.app).delete(`/api/credentials/${credential.body.id}`).set(operator)).status).toBe(200);
    expect((await request(t.app).delete(`/api/keys/${reader.body.id}`).set(t.auth)).status).toBe(204);
    // Not audited: reads, unauthenticated calls, unknown routes.
    await request(t.app).get('/api/personas').set(t.auth);
    await request(t.app).post('/api/personas').send({ name: 'no key' });
    await request(t.app).post('/api/nowhere').set(t.auth).send({});
    await settled();

    const rows = await audit();
    expect(rows.map((r) => [r.action, r.actorName, r.outcome])).toEqual([
      ['key.revoke', 'TEAM_API_KEY', 204],
      ['credential.delete', 'ops', 200],
      ['credential.delete', 'viewer', 403],
      ['key.create', 'TEAM_API_KEY', 201],
      ['persona.save', 'ops', 400],
      ['persona.delete', 'ops', 200],
      ['key.create', 'TEAM_API_KEY', 201],
      ['credential.save', 'TEAM_API_KEY', 201],
      ['persona.save', 'TEAM_API_KEY', 201],
    ]);
    const [revoke, , denied, , , deleted, , savedCredential, saved] = rows;
    expect(saved).toMatchObject({ actorKeyId: 'bootstrap', actorName: 'TEAM_API_KEY', actorRole: 'admin', targetType: 'persona', targetId: persona.body.id });
    expect(saved.remoteAddress).toMatch(/127\.0\.0\.1|::1/);
    expect(Date.parse(saved.at)).not.toBeNaN();
    expect(savedCredential).toMatchObject({ targetType: 'credential', targetId: credential.body.id });
    expect(deleted).toMatchObject({ actorKeyId: key.body.id, actorRole: 'operator', targetType: 'persona', targetId: persona.body.id });
    expect(denied).toMatchObject({ actorName: 'viewer', actorRole: 'reader', targetId: credential.body.id });
    expect(revoke).toMatchObject({ targetType: 'key', targetId: reader.body.id });

    const everything = JSON.stringify(await t.db('audit_log').select('*'));
    for (const secret of ['ghp_super_secret_value', 'body-text-never-logged', key.body.key, reader.body.key, t.config.teamApiKey]) {
      expect(everything).not.toContain(secret);
    }
  });

  it('filters by action and actor, pages newest first, and is for admins only', async () => {
    const byAction = await audit('?action=key.create');
    expect(byAction.length).toBe(2);
    expect(byAction.every((r) => r.action === 'key.create')).toBe(true);
    const byName = await audit('?actor=ops');
    expect(byName.length).toBe(3);
    expect(await audit(`?actor=${byName[0].actorKeyId}`)).toEqual(byName);
    const all = await audit();
    const page = await audit('?limit=2&offset=1');
    expect(page).toEqual(all.slice(1, 3));
    expect(all.map((r) => r.seq)).toEqual([...all.map((r) => r.seq)].sort((a, b) => b - a));

    for (const bad of ['limit=0', 'limit=501', 'limit=x', 'offset=-1', 'action=', 'actor=']) {
      const res = await request(t.app).get(`/api/audit?${bad}`).set(t.auth);
      expect(res.status).toBe(400);
      expect(res.body.error.details[0].field).toBe(bad.split('=')[0]);
    }
    const op = await request(t.app).post('/api/keys').set(t.auth).send({ name: 'not admin', role: 'operator' });
    const denied = await request(t.app).get('/api/audit').set({ Authorization: `Bearer ${op.body.key}` });
    expect(denied.status).toBe(403);
    expect(denied.body.error.message).toContain("'admin'");
  });

  it('keeps one intact chain under concurrent appends, and names a row changed in the database', async () => {
    const log = new AuditLog({ db: t.db, logger: pino({ level: 'silent' }), masterKey: t.config.masterKey });
    const entry = (i: number) => ({
      at: new Date().toISOString(), actorKeyId: 'k', actorName: 'bench', actorRole: 'admin', action: 'test.append',
      targetType: 'test', targetId: String(i), outcome: 200, remoteAddress: '127.0.0.1',
    });
    // Two appenders (this one and the app's) racing, as two request handlers would.
    await Promise.all([
      ...Array.from({ length: 300 }, (_, i) => log.append(entry(i))),
      ...Array.from({ length: 20 }, () => request(t.app).post('/api/events').set(t.auth).send({ eventType: 'audit_race' })),
    ]);
    await settled();
    // Two appenders that each remember the chain's head (as two orchestrators would): the stale one's
    // insert is refused by the primary key and chained again from the new head.
    const other = new AuditLog({ db: t.db, logger: pino({ level: 'silent' }), masterKey: t.config.masterKey });
    let refused = 0;
    const onError = (e: unknown) => void (isUniqueViolation(e) && refused++);
    t.db.on('query-error', onError);
    try {
      for (let i = 0; i < 5; i++) {
        await log.append(entry(1000 + i));
        await other.append(entry(2000 + i));
      }
    } finally {
      t.db.off('query-error', onError);
    }
    expect(refused).toBeGreaterThanOrEqual(5);
    const ok = await verifyAuditChain(t.db, t.config.masterKey);
    expect(ok).toMatchObject({ ok: true });
    const count = Number((await t.db('audit_log').count({ n: '*' }))[0].n);
    expect(ok.rows).toBe(count);

    const victim = (await t.db('audit_log').where({ action: 'test.append', target_id: '150' }).first()).seq as number;
    // Changed behind the orchestrator's back: another connection to the same database.
    const file = openDb(t.config.database);
    try {
      await file('audit_log').where({ seq: victim }).update({ outcome: 500 });
    } finally {
      await file.destroy();
    }
    const broken = await verifyAuditChain(t.db, t.config.masterKey);
    expect(broken).toMatchObject({ ok: false, seq: victim, rows: victim - 1 });
    expect((broken as { reason: string }).reason).toContain('changed');
  });

  it('reports a removed row at the row after it', async () => {
    const rows = await t.db('audit_log').select('seq').orderBy('seq', 'desc').limit(3);
    const file = openDb(t.config.database);
    try {
      await file('audit_log').where({ seq: rows[1].seq }).delete();
    } finally {
      await file.destroy();
    }
    // Repair the earlier tampering first, so this break is the first one.
    await t.db('audit_log').where({ outcome: 500, action: 'test.append' }).update({ outcome: 200 });
    const broken = await verifyAuditChain(t.db, t.config.masterKey);
    expect(broken).toMatchObject({ ok: false, seq: rows[0].seq });
    expect((broken as { reason: string }).reason).toContain('removed');
  });

  it('audits what an operator changes through Bull Board', async () => {
    const op = await request(t.app).post('/api/keys').set(t.auth).send({ name: 'board operator', role: 'operator' });
    const basic = { Authorization: `Basic ${Buffer.from(`x:${op.body.key}`).toString('base64')}` };
    expect((await request(t.app).put('/admin/queues/api/queues/pause').set(basic)).status).toBe(200);
    expect((await request(t.app).put('/admin/queues/api/queues/resume').set(basic)).status).toBe(200);
    await settled();
    const rows = await audit('?actor=board operator&limit=2');
    expect(rows.map((r) => [r.action, r.targetType, r.outcome, r.actorRole])).toEqual([
      ['PUT /admin/queues/api/queues/resume', 'queue', 200, 'operator'],
      ['PUT /admin/queues/api/queues/pause', 'queue', 200, 'operator'],
    ]);
  });

  it('audits a publish with the answered event id as its target', async () => {
    await waitFor(async () => (await audit()).length > 0, 'rows');
    await request(t.app).post('/api/events').set(t.auth).send({ eventType: 'after' });
    await settled();
    const [newest] = await audit('?limit=1');
    expect(newest.action).toBe('event.publish');
    expect(newest.targetType).toBe('event');
    expect(newest.targetId).toEqual(expect.any(String));
  });
});
