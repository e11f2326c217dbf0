import request from 'supertest';
import { createBusHarness, type BusHarness } from '../../helpers/event-bus';
import { onPostgres } from '../../helpers/database';

describe('subscriptions API', () => {
  let h: BusHarness;
  beforeAll(async () => {
    h = await createBusHarness({ start: false });
  });
  afterAll(async () => {
    await h.close();
  });

  it('creates (201), updates, lists per persona and deletes', async () => {
    const personaId = await h.persona('Subscriber');
    const created = await request(h.t.app).post('/api/subscriptions').set(h.t.auth)
      .send({ personaId, eventType: 'gitlab_push', sourceFilter: 'org/my-repo', enabled: true });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ id: expect.any(String), personaId, eventType: 'gitlab_push', sourceFilter: 'org/my-repo', enabled: true });

    const updated = await request(h.t.app).put(`/api/subscriptions/${created.body.id}`).set(h.t.auth).send({ sourceFilter: 'org/*', enabled: false });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ id: created.body.id, eventType: 'gitlab_push', sourceFilter: 'org/*', enabled: false });

    const cleared = await request(h.t.app).put(`/api/subscriptions/${created.body.id}`).set(h.t.auth).send({ sourceFilter: null });
    expect(cleared.body.sourceFilter).toBeNull();

    const list = await request(h.t.app).get(`/api/personas/${personaId}/subscriptions`).set(h.t.auth);
    expect(list.status).toBe(200);
    expect(list.body.map((s: { id: string }) => s.id)).toEqual([created.body.id]);

    const del = await request(h.t.app).delete(`/api/subscriptions/${created.body.id}`).set(h.t.auth);
    expect(del.body).toEqual({ id: created.body.id, deleted: true });
    expect((await request(h.t.app).get(`/api/personas/${personaId}/subscriptions`).set(h.t.auth)).body).toEqual([]);
    expect((await request(h.t.app).delete(`/api/subscriptions/${created.body.id}`).set(h.t.auth)).status).toBe(404);
  });

  it('validates, naming the field', async () => {
    const personaId = await h.persona('Validated');
    const cases: Array<[Record<string, unknown>, number, string]> = [
      [{ eventType: 'x' }, 400, 'personaId'],
      [{ personaId }, 400, 'eventType'],
      [{ personaId, eventType: '  ' }, 400, 'eventType'],
      [{ personaId, eventType: 'x', sourceFilter: 'a*b' }, 400, 'sourceFilter'],
      [{ personaId, eventType: 'x', enabled: 'yes' }, 400, 'enabled'],
    ];
    for (const [body, status, field] of cases) {
      const res = await request(h.t.app).post('/api/subscriptions').set(h.t.auth).send(body);
      expect([res.status, res.body.error?.details?.[0]?.field]).toEqual([status, field]);
    }
    const unknown = await request(h.t.app).post('/api/subscriptions').set(h.t.auth).send({ personaId: 'ghost', eventType: 'x' });
    expect(unknown.status).toBe(404);
    expect((await request(h.t.app).get('/api/personas/ghost/subscriptions').set(h.t.auth)).status).toBe(404);
    expect((await request(h.t.app).put('/api/subscriptions/ghost').set(h.t.auth).send({ enabled: true })).status).toBe(404);
    const notObject = await request(h.t.app).post('/api/subscriptions').set(h.t.auth).send([1]);
    expect(notObject.status).toBe(400);
  });

  it('matches with an indexed query, never a scan', async () => {
    const query = 'select s.*, p.enabled from event_subscriptions as s inner join personas as p on p.id = s.persona_id where s.event_type = ? and s.enabled = ?';
    if (onPostgres) {
      // PostgreSQL's planner scans tables this small whatever the indexes; with scans priced out it
      // must find an index for both sides, or still answer Seq Scan.
      const plan = await h.t.db.transaction(async (trx) => {
        await trx.raw('set local enable_seqscan = off');
        return JSON.stringify((await trx.raw(`explain (format json) ${query}`, ['x', true])).rows);
      });
      expect(plan).toMatch(/event_subscriptions_event_type_enabled_index/);
      expect(plan).toMatch(/personas_pkey/);
      expect(plan).not.toMatch(/Seq Scan/);
      return;
    }
    const plan = JSON.stringify(await h.t.db.raw(`explain query plan ${query}`, ['x', 1]));
    expect(plan).toMatch(/SEARCH s USING INDEX event_subscriptions_event_type_enabled_index/);
    expect(plan).toMatch(/SEARCH p USING INDEX sqlite_autoindex_personas_1/);
    expect(plan).not.toMatch(/SCAN/);
  });
});
