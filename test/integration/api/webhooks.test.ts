import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { getEvent } from '../../../server/db/events';
import { listExecutions } from '../../../server/db/executions';
import { createBusHarness, type BusHarness } from '../../helpers/event-bus';
import { TEST_KEYS } from '../../helpers/env';
import { waitFor } from '../../helpers/wait';

const fixture = (name: string): Record<string, unknown> =>
  JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'fixtures', 'gitlab', `${name}.json`), 'utf8'));

describe('webhook ingress', () => {
  let h: BusHarness;
  beforeAll(async () => {
    h = await createBusHarness();
  });
  afterAll(async () => {
    await h.close();
  });

  const executionsOf = (eventId: string) =>
    waitFor(async () => {
      const e = await getEvent(h.t.db, eventId);
      if (!e || ['pending', 'processing'].includes(e.status)) return undefined;
      return { event: e, executions: await listExecutions(h.t.db, { eventId, limit: 10, offset: 0 }) };
    }, `event ${eventId}`);

  describe('POST /api/webhooks/:personaId', () => {
    it('turns any JSON body into a webhook_received event for that persona, and runs it', async () => {
      const personaId = await h.persona('Hooked');
      await h.subscribe(personaId, 'webhook_received');
      const res = await request(h.t.app).post(`/api/webhooks/${personaId}`).set(h.t.auth).send({ alert: 'disk full', host: 'db-1' });
      expect(res.status).toBe(202);
      expect(res.body).toMatchObject({ eventType: 'webhook_received', sourceType: 'webhook', targetPersonaId: personaId, status: 'pending', triggers: [] });
      const { event, executions } = await executionsOf(res.body.id);
      expect(event.status).toBe('delivered');
      expect(executions).toHaveLength(1);
      expect(executions[0]).toMatchObject({ personaId, inputData: { alert: 'disk full', host: 'db-1' } });
      expect((await h.t.ctx.queues.executions.getJob(executions[0].id))?.id).toBe(executions[0].id);
    });

    it('takes non-object JSON and a ?source= id; 404 for an unknown persona', async () => {
      const personaId = await h.persona('Arrays');
      const res = await request(h.t.app).post(`/api/webhooks/${personaId}?source=grafana`).set(h.t.auth).send([1, 2, 3]);
      expect(res.status).toBe(202);
      expect(res.body).toMatchObject({ payload: [1, 2, 3], sourceId: 'grafana' });
      const missing = await request(h.t.app).post('/api/webhooks/no-such-persona').set(h.t.auth).send({});
      expect(missing.status).toBe(404);
      expect(missing.body.error.code).toBe('not_found');
    });

    it("fires the persona's enabled webhook triggers", async () => {
      const personaId = await h.persona('With triggers');
      await h.subscribe(personaId, 'alert_received');
      const own = await request(h.t.app).post('/api/triggers').set(h.t.auth)
        .send({ personaId, triggerType: 'webhook', config: { event_type: 'alert_received', payload: { team: 'ops' } } });
      const plain = await request(h.t.app).post('/api/triggers').set(h.t.auth).send({ personaId, triggerType: 'webhook' });
      await request(h.t.app).post('/api/triggers').set(h.t.auth).send({ personaId, triggerType: 'webhook', enabled: false });
      const res = await request(h.t.app).post(`/api/webhooks/${personaId}`).set(h.t.auth).send({ alert: 'cpu' });
      expect(res.status).toBe(202);
      expect(res.body.triggers).toHaveLength(2);
      const ownFire = res.body.triggers.find((t: { triggerId: string }) => t.triggerId === own.body.id);
      const plainFire = res.body.triggers.find((t: { triggerId: string }) => t.triggerId === plain.body.id);
      expect(plainFire.eventId).toBe(res.body.id);
      expect(ownFire.eventId).not.toBe(res.body.id);
      const { event, executions } = await executionsOf(ownFire.eventId);
      expect(event).toMatchObject({ eventType: 'alert_received', targetPersonaId: personaId, sourceId: own.body.id });
      expect(executions[0].inputData).toEqual({ team: 'ops', alert: 'cpu' });
      const got = await request(h.t.app).get(`/api/triggers/${own.body.id}`).set(h.t.auth);
      expect(got.body.lastTriggeredAt).toEqual(expect.any(String));
      expect(got.body.recentFires[0]).toMatchObject({ status: 'fired', eventId: ownFire.eventId });
    });
  });

  describe('POST /api/gitlab/webhook', () => {
    it.each([
      ['push', 'gitlab_push', 'mike/diaspora', 'mike/*'],
      ['merge_request', 'gitlab_merge_request', 'gitlabhq/gitlab-test', 'gitlabhq/gitlab-test'],
      ['pipeline', 'gitlab_pipeline', 'gitlab-org/gitlab-test', 'gitlab-org/*'],
      ['note', 'gitlab_note', 'gitlabhq/gitlab-test', 'gitlabhq/*'],
    ])('%s with X-Gitlab-Token -> %s from %s, matched by filter %s', async (name, eventType, sourceId, filter) => {
      const personaId = await h.persona(`GitLab ${name}`);
      await h.subscribe(personaId, eventType, filter);
      await h.subscribe(personaId, eventType, 'someone-else/*');
      const body = fixture(name);
      const res = await request(h.t.app)
        .post('/api/gitlab/webhook')
        .set('X-Gitlab-Token', TEST_KEYS.TEAM_API_KEY)
        .set('X-Gitlab-Event', 'Push Hook')
        .send(body);
      expect(res.status).toBe(202);
      expect(res.body).toMatchObject({ eventType, sourceType: 'gitlab', sourceId, status: 'pending', targetPersonaId: null });
      const { event, executions } = await executionsOf(res.body.id);
      expect(event.payload).toEqual(body);
      expect(executions.map((e) => e.personaId)).toEqual([personaId]);
      expect(executions[0].inputData).toEqual(body);
    });

    it('takes no Bearer key: its token is its authentication (the team key only as X-Gitlab-Token)', async () => {
      const res = await request(h.t.app).post('/api/gitlab/webhook').set(h.t.auth).send(fixture('tag_push'));
      expect(res.status).toBe(401);
      expect(res.body.error.message).toContain('X-Gitlab-Token');
    });

    it('refuses a wrong or missing token before reading the body', async () => {
      const wrong = await request(h.t.app).post('/api/gitlab/webhook').set('X-Gitlab-Token', 'not-the-key').send(fixture('push'));
      expect(wrong.status).toBe(401);
      expect(wrong.body.error.code).toBe('unauthorized');
      const none = await request(h.t.app).post('/api/gitlab/webhook').send(fixture('push'));
      expect(none.status).toBe(401);
      const wrongBearer = await request(h.t.app).post('/api/gitlab/webhook').set('Authorization', 'Bearer nope').send(fixture('push'));
      expect(wrongBearer.status).toBe(401);
    });

    it('names object_kind when the body is not a GitLab payload; malformed JSON is a 400', async () => {
      const res = await request(h.t.app).post('/api/gitlab/webhook').set('X-Gitlab-Token', TEST_KEYS.TEAM_API_KEY).send({ hello: 'world' });
      expect(res.status).toBe(400);
      expect(res.body.error.details[0].field).toBe('object_kind');
      const bad = await request(h.t.app).post('/api/gitlab/webhook').set('X-Gitlab-Token', TEST_KEYS.TEAM_API_KEY)
        .set('Content-Type', 'application/json').send('{"object_kind":');
      expect(bad.status).toBe(400);
      expect(bad.body.error.code).toBe('invalid_json');
    });

    it('does not open other /api routes to X-Gitlab-Token', async () => {
      const res = await request(h.t.app).get('/api/personas').set('X-Gitlab-Token', TEST_KEYS.TEAM_API_KEY);
      expect(res.status).toBe(401);
    });
  });
});
