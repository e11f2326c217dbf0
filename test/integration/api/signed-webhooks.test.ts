import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { getEvent } from '../../../server/db/events';
import { listExecutions } from '../../../server/db/executions';
import { hubSignature, slackSignature } from '../../../server/domain/webhook-signatures';
import { publishOnce } from '../../../server/services/webhook-deliveries';
import { createBusHarness, type BusHarness } from '../../helpers/event-bus';
import { waitFor } from '../../helpers/wait';

/**
 * Signed webhook ingress with real payloads: GitHub (push, pull_request, ping; JSON and form-encoded),
 * Slack (url_verification, message), GitLab with its own secret, and a persona's generic webhook
 * signed with a bound secret. Wrong signatures, a stale Slack timestamp and replayed delivery ids each
 * answered as the issue pins them, with nothing stored.
 */
const raw = (dir: string, name: string) => fs.readFileSync(path.join(__dirname, '..', '..', 'fixtures', dir, `${name}.json`));

describe('signed webhooks', () => {
  let h: BusHarness;
  let github: string;
  let slack: string;
  const SLACK_SECRET = '8f742231b10e8888abcd99yyyzzz85a5';

  const eventCount = async () => Number((await h.t.db('events').count({ n: '*' }))[0].n);
  const secret = async (body: object) => {
    const res = await request(h.t.app).post('/api/webhook-secrets').set(h.t.auth).send(body);
    if (res.status !== 201) throw new Error(`webhook secret: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body as { id: string; secret: string };
  };
  const postGithub = (event: string, body: Buffer | string, opts: { secret?: string; delivery?: string; type?: string } = {}) => {
    let req = request(h.t.app).post('/api/github/webhook')
      .set('Content-Type', opts.type ?? 'application/json')
      .set('X-GitHub-Event', event)
      .set('User-Agent', 'GitHub-Hookshot/2d9cd7a');
    if (opts.secret !== undefined) req = req.set('X-Hub-Signature-256', hubSignature(opts.secret, body));
    if (opts.delivery) req = req.set('X-GitHub-Delivery', opts.delivery);
    return req.send(typeof body === 'string' ? body : body.toString('utf8'));
  };
  const postSlack = (body: Buffer, opts: { secret?: string; timestamp?: number } = {}) => {
    const timestamp = opts.timestamp ?? Math.floor(Date.now() / 1000);
    return request(h.t.app).post('/api/slack/events')
      .set('Content-Type', 'application/json')
      .set('X-Slack-Request-Timestamp', String(timestamp))
      .set('X-Slack-Signature', slackSignature(opts.secret ?? SLACK_SECRET, timestamp, body))
      .send(body.toString('utf8'));
  };

  beforeAll(async () => {
    h = await createBusHarness();
    github = (await secret({ source: 'github', name: 'octo-org hooks' })).secret;
    slack = (await secret({ source: 'slack', name: 'workspace app', secret: SLACK_SECRET })).secret;
  });
  afterAll(async () => {
    await h.close();
  });

  describe('secrets', () => {
    it('shows a secret once, lists without it, keeps it encrypted, and 409s a duplicate name', async () => {
      expect(github).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
      expect(slack).toBe(SLACK_SECRET);
      const list = await request(h.t.app).get('/api/webhook-secrets').set(h.t.auth);
      expect(list.status).toBe(200);
      expect(list.body.map((s: { source: string; name: string }) => `${s.source}/${s.name}`)).toEqual(expect.arrayContaining(['github/octo-org hooks', 'slack/workspace app']));
      expect(JSON.stringify(list.body)).not.toContain(github);
      expect(JSON.stringify(list.body)).not.toContain(SLACK_SECRET);
      const rows = JSON.stringify(await h.t.db('webhook_secrets').select('*'));
      expect(rows).not.toContain(github);
      expect(rows).not.toContain(SLACK_SECRET);
      const dup = await request(h.t.app).post('/api/webhook-secrets').set(h.t.auth).send({ source: 'github', name: 'octo-org hooks' });
      expect(dup.status).toBe(409);
    });

    it.each([
      [{ source: 'bitbucket', name: 'x' }, 'source'],
      [{ source: 'github' }, 'name'],
      [{ source: 'slack', name: 'no signing secret' }, 'secret'],
      [{ source: 'generic', name: 'unbound' }, 'personaId'],
      [{ source: 'gitlab', name: 'bound', personaId: 'p' }, 'personaId'],
      [{ source: 'github', name: 'short', secret: 'too-short' }, 'secret'],
    ])('refuses %j naming %s', async (body, field) => {
      const res = await request(h.t.app).post('/api/webhook-secrets').set(h.t.auth).send(body);
      expect(res.status).toBe(400);
      expect(res.body.error.details.map((d: { field: string }) => d.field)).toContain(field);
    });

    it('404s an unknown persona and an unknown secret; a deleted secret verifies nothing', async () => {
      const missing = await request(h.t.app).post('/api/webhook-secrets').set(h.t.auth).send({ source: 'generic', name: 'ghost', personaId: 'no-such-persona' });
      expect(missing.status).toBe(404);
      const temp = await secret({ source: 'github', name: 'temporary' });
      expect((await postGithub('push', raw('github', 'push'), { secret: temp.secret })).status).toBe(202);
      expect((await request(h.t.app).delete(`/api/webhook-secrets/${temp.id}`).set(h.t.auth)).status).toBe(204);
      expect((await request(h.t.app).delete(`/api/webhook-secrets/${temp.id}`).set(h.t.auth)).status).toBe(404);
      expect((await postGithub('push', raw('github', 'push'), { secret: temp.secret })).status).toBe(401);
    });
  });

  describe('POST /api/github/webhook', () => {
    it('turns a signed push into github_push from the repository, and runs a subscribed persona', async () => {
      const personaId = await h.persona('GitHub watcher');
      await h.subscribe(personaId, 'github_push', 'octo-org/*');
      const res = await postGithub('push', raw('github', 'push'), { secret: github, delivery: '72d3162e-cc78-11e3-81ab-4c9367dc0958' });
      expect(res.status).toBe(202);
      expect(res.body).toMatchObject({ eventType: 'github_push', sourceType: 'github', sourceId: 'octo-org/hello-world', status: 'pending' });
      expect(res.body.payload.head_commit.id).toBe('0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c');
      const executions = await waitFor(async () => {
        const list = await listExecutions(h.t.db, { eventId: res.body.id, limit: 5, offset: 0 });
        return list.length ? list : undefined;
      }, 'the push to create an execution');
      expect(executions.map((e) => e.personaId)).toEqual([personaId]);
    });

    it('takes a form-encoded pull_request (payload=)', async () => {
      const form = `payload=${encodeURIComponent(raw('github', 'pull_request').toString('utf8'))}`;
      const res = await postGithub('pull_request', form, { secret: github, type: 'application/x-www-form-urlencoded' });
      expect(res.status).toBe(202);
      expect(res.body).toMatchObject({ eventType: 'github_pull_request', sourceId: 'octo-org/hello-world' });
      expect(res.body.payload.pull_request.number).toBe(42);
    });

    it('answers ping 200 {"ok":true} and stores nothing', async () => {
      const before = await eventCount();
      const res = await postGithub('ping', raw('github', 'ping'), { secret: github });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ ok: true });
      expect(await eventCount()).toBe(before);
    });

    it('names the organization, then the sender, when there is no repository', async () => {
      const org = await postGithub('organization', JSON.stringify({ action: 'member_added', organization: { login: 'octo-org' }, sender: { login: 'octocat' } }), { secret: github });
      expect(org.body).toMatchObject({ eventType: 'github_organization', sourceId: 'octo-org' });
      const user = await postGithub('sponsorship', JSON.stringify({ action: 'created', sender: { login: 'octocat' } }), { secret: github });
      expect(user.body).toMatchObject({ eventType: 'github_sponsorship', sourceId: 'octocat' });
    });

    it('refuses a wrong, missing or Bearer-only signature with 401 and stores nothing', async () => {
      const before = await eventCount();
      const wrong = await postGithub('push', raw('github', 'push'), { secret: 'not-the-configured-secret' });
      expect(wrong.status).toBe(401);
      expect(wrong.body.error).toMatchObject({ code: 'unauthorized' });
      expect(wrong.body.error.message).toContain('X-Hub-Signature-256');
      expect((await postGithub('push', raw('github', 'push'))).status).toBe(401);
      const bearer = await request(h.t.app).post('/api/github/webhook').set(h.t.auth).set('X-GitHub-Event', 'push').send(raw('github', 'push').toString('utf8'));
      expect(bearer.status).toBe(401);
      // Signed over other bytes than those sent (a re-serialised body).
      const body = raw('github', 'push');
      const tampered = await request(h.t.app).post('/api/github/webhook').set('Content-Type', 'application/json').set('X-GitHub-Event', 'push')
        .set('X-Hub-Signature-256', hubSignature(github, body)).send(JSON.stringify(JSON.parse(body.toString('utf8'))));
      expect(tampered.status).toBe(401);
      expect(await eventCount()).toBe(before);
      const status = await request(h.t.app).get('/api/status').set(h.t.auth);
      expect(status.body.webhooks.rejected.github.total).toBeGreaterThanOrEqual(3);
    });

    it('answers a replayed X-GitHub-Delivery with the first event, even when copies race', async () => {
      const delivery = 'a3c2e1f0-cc78-11e3-81ab-4c9367dc0958';
      const first = await postGithub('push', raw('github', 'push'), { secret: github, delivery });
      expect(first.status).toBe(202);
      const before = await eventCount();
      const copies = await Promise.all(Array.from({ length: 8 }, () => postGithub('push', raw('github', 'push'), { secret: github, delivery })));
      for (const c of copies) {
        expect(c.status).toBe(202);
        expect(c.body.id).toBe(first.body.id);
      }
      expect(await eventCount()).toBe(before);
      expect(await h.t.db('webhook_deliveries').where({ source: 'github', delivery_id: delivery }).count({ n: '*' })).toEqual([{ n: 1 }]);
    });

    it('400s a signed delivery without X-GitHub-Event or with a body that is not JSON', async () => {
      const noEvent = await request(h.t.app).post('/api/github/webhook').set('Content-Type', 'application/json')
        .set('X-Hub-Signature-256', hubSignature(github, '{}')).send('{}');
      expect(noEvent.status).toBe(400);
      expect(noEvent.body.error.details[0].field).toBe('X-GitHub-Event');
      const notJson = await postGithub('push', '{"ref":', { secret: github });
      expect(notJson.status).toBe(400);
      expect(notJson.body.error.details[0].field).toBe('body');
    });
  });

  describe('POST /api/slack/events', () => {
    it('answers url_verification with its challenge', async () => {
      const res = await postSlack(raw('slack', 'url_verification'));
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ challenge: '3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P' });
    });

    it('turns a message event_callback into slack_message from its channel, once per event_id', async () => {
      const before = await eventCount();
      const res = await postSlack(raw('slack', 'message'));
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ ok: true });
      const row = await h.t.db('events').where({ event_type: 'slack_message' }).first();
      expect(row).toMatchObject({ source_type: 'slack', source_id: 'C2147483705' });
      // Slack retries a delivery it thinks was slow: the same event_id creates nothing new.
      const retry = await postSlack(raw('slack', 'message'));
      expect(retry.status).toBe(200);
      expect(await eventCount()).toBe(before + 1);
      expect((await getEvent(h.t.db, row.id))?.payload).toMatchObject({ event_id: 'Ev0PV52K21' });
    });

    it('refuses a stale timestamp and a wrong signature with 401, storing nothing', async () => {
      const before = await eventCount();
      const stale = await postSlack(raw('slack', 'message'), { timestamp: Math.floor(Date.now() / 1000) - 301 });
      expect(stale.status).toBe(401);
      expect(stale.body.error.message).toContain('5 minutes');
      const wrong = await postSlack(raw('slack', 'message'), { secret: 'not-the-signing-secret' });
      expect(wrong.status).toBe(401);
      expect(await eventCount()).toBe(before);
      const status = await request(h.t.app).get('/api/status').set(h.t.auth);
      expect(status.body.webhooks.rejected.slack).toMatchObject({ stale_timestamp: 1, mismatch: 1 });
    });
  });

  describe('POST /api/gitlab/webhook', () => {
    it('accepts a gitlab secret as X-Gitlab-Token and de-duplicates X-Gitlab-Event-UUID', async () => {
      const gitlab = await secret({ source: 'gitlab', name: 'group hook' });
      const send = () => request(h.t.app).post('/api/gitlab/webhook').set('Content-Type', 'application/json').set('X-Gitlab-Token', gitlab.secret)
        .set('X-Gitlab-Event', 'Push Hook').set('X-Gitlab-Event-UUID', '13792a34-cac6-4fda-95a8-c58e00a3954e').send(raw('gitlab', 'push').toString('utf8'));
      const first = await send();
      expect(first.status).toBe(202);
      expect(first.body).toMatchObject({ eventType: 'gitlab_push', sourceId: 'mike/diaspora' });
      const again = await send();
      expect(again.status).toBe(202);
      expect(again.body.id).toBe(first.body.id);
    });
  });

  describe('POST /api/webhooks/:personaId', () => {
    it('takes X-Hub-Signature-256 with a generic or github secret bound to that persona, and nothing else', async () => {
      const personaId = await h.persona('Signed generic');
      const other = await h.persona('Someone else');
      const generic = await secret({ source: 'generic', name: 'alerts', personaId });
      const gh = await secret({ source: 'github', name: 'persona hook', personaId });
      const foreign = await secret({ source: 'generic', name: 'other alerts', personaId: other });
      const body = JSON.stringify({ alert: 'disk full' });
      const send = (s: string, delivery?: string) => {
        const req = request(h.t.app).post(`/api/webhooks/${personaId}`).set('Content-Type', 'application/json').set('X-Hub-Signature-256', hubSignature(s, body));
        return (delivery ? req.set('X-GitHub-Delivery', delivery) : req).send(body);
      };
      const ok = await send(generic.secret);
      expect(ok.status).toBe(202);
      expect(ok.body).toMatchObject({ eventType: 'webhook_received', targetPersonaId: personaId, payload: { alert: 'disk full' } });
      expect((await send(gh.secret, 'd-1')).status).toBe(202);
      expect((await send(gh.secret, 'd-1')).body.triggers).toEqual([]);
      const before = await eventCount();
      expect((await send(foreign.secret)).status).toBe(401);
      expect((await send(github)).status).toBe(401); // a github secret not bound to this persona
      const none = await request(h.t.app).post(`/api/webhooks/${personaId}`).send(body);
      expect(none.status).toBe(401);
      expect(await eventCount()).toBe(before);
    });

    it('takes a Bearer key with the webhook role or higher; a reader gets 403', async () => {
      const personaId = await h.persona('Bearer generic');
      const key = async (role: string) => (await request(h.t.app).post('/api/keys').set(h.t.auth).send({ name: `${role}-key`, role })).body.key as string;
      const hook = await request(h.t.app).post(`/api/webhooks/${personaId}`).set('Authorization', `Bearer ${await key('webhook')}`).send({ a: 1 });
      expect(hook.status).toBe(202);
      const reader = await request(h.t.app).post(`/api/webhooks/${personaId}`).set('Authorization', `Bearer ${await key('reader')}`).send({ a: 1 });
      expect(reader.status).toBe(403);
      expect(reader.body.error.code).toBe('forbidden');
      const unknown = await request(h.t.app).post(`/api/webhooks/${personaId}`).set('Authorization', 'Bearer pck_unknown').send({ a: 1 });
      expect(unknown.status).toBe(401);
    });
  });

  it('remembers a delivery id for 24 hours, then lets it through again', async () => {
    // Days in the past, so the window's clean-up never reaches the rows the other tests wrote just now.
    const t0 = new Date(Date.now() - 3 * 24 * 3600_000);
    const at = (ms: number) => ({ db: h.t.db, queues: h.t.ctx.queues, logger: h.t.ctx.logger, clock: () => new Date(t0.getTime() + ms) });
    const input = { eventType: 'github_push', sourceType: 'github', sourceId: 'octo-org/window' };
    const delivery = { source: 'github', id: 'window-test-delivery' };
    const first = await publishOnce(at(0), input, delivery);
    const within = await publishOnce(at(24 * 3600_000 - 1000), input, delivery);
    expect(within).toMatchObject({ duplicate: true, event: { id: first.event.id } });
    const after = await publishOnce(at(24 * 3600_000 + 1000), input, delivery);
    expect(after.duplicate).toBe(false);
    expect(after.event.id).not.toBe(first.event.id);
  });
});
