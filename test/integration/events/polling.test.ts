import http from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { listEvents } from '../../../server/db/events';
import { listTriggerFires } from '../../../server/db/trigger-fires';
import { getTrigger, getTriggerState } from '../../../server/db/triggers';
import { pollTrigger } from '../../../server/services/polling';
import { createBusHarness, type BusHarness } from '../../helpers/event-bus';
import { waitFor } from '../../helpers/wait';

describe('polling triggers', () => {
  let h: BusHarness;
  let server: http.Server;
  let url: string;
  let body = '';
  let status = 200;
  let delayMs = 0;
  beforeAll(async () => {
    server = http.createServer((_req, res) => {
      setTimeout(() => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(body);
      }, delayMs);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    url = `http://127.0.0.1:${port}/feed.json`;
    // The feed server is on loopback, which polls may reach only when listed.
    h = await createBusHarness({ env: { POLL_ALLOW_PRIVATE_HOSTS: `127.0.0.1:${port}` } });
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await h.close();
  });

  const feed = (ids: number[], fetchedAt: string) => JSON.stringify({ fetchedAt, items: ids.map((id) => ({ id, title: `item ${id}` })) });

  async function createPolling(config: Record<string, unknown>): Promise<string> {
    const personaId = await h.persona('Watcher');
    const res = await request(h.t.app).post('/api/triggers').set(h.t.auth).send({ personaId, triggerType: 'polling', config: { url, interval_seconds: 3600, ...config } });
    expect(res.status).toBe(201);
    return res.body.id;
  }

  it('takes a baseline on its first (scheduled, immediate) poll, then fires only when the watched content changes', async () => {
    body = feed([1, 2], 'T1');
    const id = await createPolling({ json_path: '$.items[*].id', event_type: 'feed_changed', payload: { feed: 'news' } });
    await waitFor(async () => (await getTriggerState(h.t.db, id))?.hash, 'the baseline poll');
    expect(await listTriggerFires(h.t.db, id, 10)).toEqual([]);

    body = feed([1, 2], 'T2'); // outside the JSON path: no change
    expect((await pollTrigger(h.deps, (await getTrigger(h.t.db, id))!)).outcome).toBe('unchanged');

    body = feed([1, 2, 3], 'T3');
    const changed = await pollTrigger(h.deps, (await getTrigger(h.t.db, id))!);
    expect(changed.outcome).toBe('changed');
    expect(changed.event).toMatchObject({ eventType: 'feed_changed', sourceType: 'trigger', sourceId: id, payload: { feed: 'news', url, content: '[1,2,3]' } });
    expect((await pollTrigger(h.deps, (await getTrigger(h.t.db, id))!)).outcome).toBe('unchanged');
    expect(await listTriggerFires(h.t.db, id, 10)).toHaveLength(1);
    expect((await getTrigger(h.t.db, id))?.lastTriggeredAt).toEqual(expect.any(String));
  });

  it('a failed, oversized or slow fetch changes nothing but lastError', async () => {
    body = 'v1';
    const id = await createPolling({ max_bytes: 100, timeout_ms: 300 });
    await waitFor(async () => (await getTriggerState(h.t.db, id))?.hash, 'the baseline poll');
    const baseline = (await getTriggerState(h.t.db, id))!.hash;
    const poll = async () => pollTrigger(h.deps, (await getTrigger(h.t.db, id))!);

    status = 500;
    body = 'v2';
    expect((await poll()).outcome).toBe('error');
    expect((await getTriggerState(h.t.db, id))).toMatchObject({ hash: baseline, lastError: expect.stringMatching(/answered 500/) });
    status = 200;
    body = 'x'.repeat(500);
    expect((await poll()).outcome).toBe('error');
    expect((await getTriggerState(h.t.db, id))?.lastError).toMatch(/larger than 100 bytes/);
    body = 'v3';
    delayMs = 1000;
    expect((await poll()).outcome).toBe('error');
    delayMs = 0;
    expect((await poll()).outcome).toBe('changed');
    const [event] = await listEvents(h.t.db, { eventType: 'content_changed', limit: 1, offset: 0 });
    expect(event.payload).toMatchObject({ content: 'v3', previous_hash: baseline });
  });
});
