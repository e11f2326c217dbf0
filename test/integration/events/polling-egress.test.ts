import http from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { listEvents } from '../../../server/db/events';
import { listTriggerFires } from '../../../server/db/trigger-fires';
import { getTrigger, getTriggerState } from '../../../server/db/triggers';
import { pollTrigger, type PollDeps } from '../../../server/services/polling';
import { createBusHarness, type BusHarness } from '../../helpers/event-bus';
import { waitFor } from '../../helpers/wait';

/**
 * Polling triggers cannot be aimed at the host: a non-public destination needs POLL_ALLOW_PRIVATE_HOSTS,
 * checked after DNS resolution and on every redirect hop, and json_path never runs a script. The
 * allowance lists the feed server's port only; the "internal" server on another loopback port stands
 * for Redis, the orchestrator or a metadata endpoint and must never receive a request.
 */
describe('polling triggers: destinations and json_path', () => {
  let h: BusHarness;
  let feed: http.Server;
  let internal: http.Server;
  let feedPort: number;
  let internalPort: number;
  const feedHosts: string[] = [];
  let internalHits = 0;

  const listen = async (server: http.Server): Promise<number> => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return (server.address() as AddressInfo).port;
  };
  const close = async (server: http.Server): Promise<void> => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  };

  beforeAll(async () => {
    internal = http.createServer((_req, res) => {
      internalHits++;
      res.end('internal secret');
    });
    internalPort = await listen(internal);
    feed = http.createServer((req, res) => {
      feedHosts.push(req.headers.host ?? '');
      const redirects: Record<string, string> = {
        '/to-internal': `http://127.0.0.1:${internalPort}/secret?token=abc`,
        '/to-metadata': 'http://169.254.169.254/latest/meta-data/',
        '/to-mapped': `http://[::ffff:127.0.0.1]:${internalPort}/secret`,
        '/to-feed': '/feed.json',
        '/loop': '/loop',
      };
      const location = redirects[req.url ?? ''];
      res.writeHead(location ? 302 : 200, location ? { location } : { 'content-type': 'application/json' });
      res.end(location ? '' : JSON.stringify({ items: [{ id: 1 }] }));
    });
    feedPort = await listen(feed);
    h = await createBusHarness({ env: { POLL_ALLOW_PRIVATE_HOSTS: `127.0.0.1:${feedPort}` } });
  });
  afterAll(async () => {
    await h.close();
    await close(feed);
    await close(internal);
  });

  async function createPolling(url: string, extra: Record<string, unknown> = {}): Promise<string> {
    const personaId = await h.persona('Watcher');
    const res = await request(h.t.app).post('/api/triggers').set(h.t.auth).send({ personaId, triggerType: 'polling', config: { url, interval_seconds: 3600 }, ...extra });
    expect(res.status).toBe(201);
    return res.body.id;
  }
  const pollWith = async (deps: PollDeps, id: string) => pollTrigger(deps, (await getTrigger(h.t.db, id))!);
  async function expectNothingPublished(id: string): Promise<void> {
    expect(await listTriggerFires(h.t.db, id, 10)).toEqual([]);
    const events = await listEvents(h.t.db, { limit: 1000, offset: 0 });
    expect(events.filter((e) => e.sourceId === id)).toEqual([]);
  }

  it('refuses a loopback URL that is not listed: the refusal is the last error, nothing is sent or published', async () => {
    const id = await createPolling(`http://127.0.0.1:${internalPort}/secret?token=abc`);
    await waitFor(async () => (await getTriggerState(h.t.db, id))?.lastError, 'the refused poll');
    const state = (await getTriggerState(h.t.db, id))!;
    expect(state.lastError).toBe(
      `GET http://127.0.0.1:${internalPort}/secret refused: 127.0.0.1 is not a public address (loopback); ` +
        `list "127.0.0.1:${internalPort}" in POLL_ALLOW_PRIVATE_HOSTS to allow it`,
    );
    expect(state.hash).toBeUndefined();

    const byName = await createPolling(`http://localhost:${internalPort}/secret`, { enabled: false });
    expect((await pollWith(h.deps, byName)).outcome).toBe('error');
    expect((await getTriggerState(h.t.db, byName))?.lastError).toMatch(/refused: (127\.0\.0\.1|::1) is not a public address \(loopback\)/);

    expect(internalHits).toBe(0);
    await expectNothingPublished(id);
    await expectNothingPublished(byName);
  });

  it('checks every address a name resolves to, and connects to the checked address with the Host header kept', async () => {
    const resolved: string[] = [];
    const resolver = (addresses: string[]): PollDeps['resolveHost'] => async (name) => {
      resolved.push(name);
      return addresses;
    };
    const rebound = await createPolling(`http://feed.example.com:${internalPort}/secret`, { enabled: false });
    expect((await pollWith({ ...h.deps, resolveHost: resolver(['93.184.215.14', '127.0.0.1']) }, rebound)).outcome).toBe('error');
    expect((await getTriggerState(h.t.db, rebound))?.lastError).toMatch(/^GET http:\/\/feed\.example\.com:\d+\/secret refused: 127\.0\.0\.1 is not a public address \(loopback\)/);
    expect(internalHits).toBe(0);
    await expectNothingPublished(rebound);

    // The allowance names 127.0.0.1:<feed port>: a name resolving there is reached, resolved once.
    resolved.length = 0;
    feedHosts.length = 0;
    const named = await createPolling(`http://feed.example.com:${feedPort}/feed.json`, { enabled: false });
    expect((await pollWith({ ...h.deps, resolveHost: resolver(['127.0.0.1']) }, named)).outcome).toBe('baseline');
    expect(resolved).toEqual(['feed.example.com']);
    expect(feedHosts).toEqual([`feed.example.com:${feedPort}`]);
  });

  it('checks every redirect hop: an allowed server cannot send the poll on to a private host:port', async () => {
    const cases: Array<[string, RegExp]> = [
      ['/to-internal', new RegExp(`redirect 1 to http://127\\.0\\.0\\.1:${internalPort}/secret refused: 127\\.0\\.0\\.1 is not a public address \\(loopback\\)`)],
      ['/to-mapped', new RegExp(`redirect 1 to http://\\[::ffff:7f00:1\\]:${internalPort}/secret refused: 127\\.0\\.0\\.1 is not a public address`)],
      ['/to-metadata', /redirect 1 to http:\/\/169\.254\.169\.254\/latest\/meta-data\/ refused: 169\.254\.169\.254 is not a public address \(link-local\)/],
      ['/loop', /more than 5 redirects/],
    ];
    for (const [path, message] of cases) {
      const id = await createPolling(`http://127.0.0.1:${feedPort}${path}`, { enabled: false });
      expect((await pollWith(h.deps, id)).outcome).toBe('error');
      const { lastError } = (await getTriggerState(h.t.db, id))!;
      expect(lastError).toMatch(message);
      expect(lastError).not.toMatch(/token=abc/);
      await expectNothingPublished(id);
    }
    expect(internalHits).toBe(0);

    const followed = await createPolling(`http://127.0.0.1:${feedPort}/to-feed`, { enabled: false });
    expect((await pollWith(h.deps, followed)).outcome).toBe('baseline');
  });

  it('refuses a json_path with a filter or a script, at create and at update, naming config.json_path', async () => {
    const personaId = await h.persona('Watcher');
    const url = `http://127.0.0.1:${feedPort}/feed.json`;
    const create = (json_path: string) =>
      request(h.t.app).post('/api/triggers').set(h.t.auth).send({ personaId, triggerType: 'polling', config: { url, interval_seconds: 60, json_path } });
    for (const json_path of ['$.items[?(@.id > 0)]', '$.items[(@.length-1)]', "$..[?(@.constructor.constructor('return process')())]"]) {
      const res = await create(json_path);
      expect(res.status).toBe(400);
      expect(res.body.error.details).toEqual([{ field: 'config.json_path', message: expect.stringMatching(/filter and script expressions .* are not allowed/) }]);
    }
    const ok = await create('$.items[*].id');
    expect(ok.status).toBe(201);
    const update = await request(h.t.app)
      .put(`/api/triggers/${ok.body.id}`)
      .set(h.t.auth)
      .send({ config: { url, interval_seconds: 60, json_path: '$.items[(@.length-1)]' } });
    expect(update.status).toBe(400);
    expect(update.body.error.details[0].field).toBe('config.json_path');
  });
});
