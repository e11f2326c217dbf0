/**
 * Route × role: every route the app answers (found by walking its routers, so a new route cannot be
 * forgotten) must be listed in EXPECTED, must declare exactly that in code (requireRole …), and must
 * answer each kind of caller accordingly. Add a line here when you add a route.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { rolesAllowed, ROLES, satisfies, type Role } from '../../../server/auth/roles';
import { listRoutes, type MountedRoute } from '../../helpers/route-walk';
import { createTestApp, type TestApp } from '../../helpers/test-app';

type Expectation = Role | 'public' | { signature: string } | { role: Role; orSignature: string };
const sig = (scheme: string) => ({ signature: scheme });

const EXPECTED: Record<string, Expectation> = {
  'GET /health': 'public',
  // METRICS_TOKEN (when set) or an API key with read rights.
  'GET /metrics': 'reader',
  // The API's description and its reference page describe the API, never its data.
  'GET /api/openapi.json': 'public',
  'GET /api/docs': 'public',

  // Signed ingress: their signature or token is the authentication, never an API key.
  'POST /api/github/webhook': sig('X-Hub-Signature-256'),
  'POST /api/gitlab/webhook': sig('X-Gitlab-Token'),
  'POST /api/slack/events': sig('X-Slack-Signature'),
  'POST /api/webhooks/:personaId': { role: 'webhook', orSignature: 'X-Hub-Signature-256' },

  'GET /api/personas': 'reader',
  'GET /api/personas/:id': 'reader',
  'POST /api/personas': 'operator',
  'DELETE /api/personas/:id': 'operator',

  'GET /api/tool-definitions': 'reader',
  'GET /api/tool-definitions/:id': 'reader',
  'POST /api/tool-definitions': 'operator',
  'DELETE /api/tool-definitions/:id': 'operator',
  'GET /api/personas/:id/tools': 'reader',
  'POST /api/personas/:id/tools': 'operator',
  'DELETE /api/personas/:id/tools/:toolId': 'operator',

  'GET /api/credentials': 'reader',
  'GET /api/credentials/:id': 'reader',
  'POST /api/credentials': 'operator',
  'DELETE /api/credentials/:id': 'operator',
  'GET /api/personas/:id/credentials': 'reader',
  'POST /api/personas/:id/credentials': 'operator',
  'DELETE /api/personas/:id/credentials/:credentialId': 'operator',

  'POST /api/execute': 'runner',
  'POST /api/executions/:id/cancel': 'runner',
  'GET /api/executions/:id/stream': 'reader',
  'GET /api/executions': 'reader',
  'GET /api/executions/:id': 'reader',
  'GET /api/executions/summary': 'reader',

  'POST /api/events': 'runner',
  'GET /api/events': 'reader',
  'GET /api/events/:id': 'reader',

  'POST /api/subscriptions': 'operator',
  'PUT /api/subscriptions/:id': 'operator',
  'DELETE /api/subscriptions/:id': 'operator',
  'GET /api/personas/:id/subscriptions': 'reader',

  'POST /api/triggers': 'operator',
  'GET /api/triggers': 'reader',
  'GET /api/triggers/:id': 'reader',
  'PUT /api/triggers/:id': 'operator',
  'DELETE /api/triggers/:id': 'operator',
  'POST /api/triggers/:id/fire': 'operator',
  'GET /api/personas/:id/triggers': 'reader',

  'GET /api/personas/:id/messages': 'operator',
  'GET /api/personas/:id/memories': 'operator',
  'GET /api/personas/:id/reviews': 'operator',
  'POST /api/reviews/:id/resolve': 'operator',
  'GET /api/messages': 'operator',
  'GET /api/memories': 'operator',
  'GET /api/reviews': 'operator',

  'GET /api/status': 'reader',
  'GET /api/me': 'reader',

  'POST /api/oauth/authorize': 'admin',
  'POST /api/oauth/callback': 'admin',
  'GET /api/oauth/status': 'admin',
  'POST /api/oauth/refresh': 'admin',
  'DELETE /api/oauth/disconnect': 'admin',
  'POST /api/token': 'admin',

  'POST /api/webhook-secrets': 'operator',
  'GET /api/webhook-secrets': 'operator',
  'DELETE /api/webhook-secrets/:id': 'operator',

  'POST /api/workers/tokens': 'admin',
  'GET /api/workers/tokens': 'admin',
  'DELETE /api/workers/tokens/:id': 'admin',

  'POST /api/keys': 'admin',
  'GET /api/keys': 'admin',
  'DELETE /api/keys/:id': 'admin',
  'GET /api/audit': 'admin',

  // Bull Board, guarded as a whole at its mount.
  'ALL /admin/queues': 'operator',
};

const declared = (e: Expectation) =>
  e === 'public' ? undefined
    : typeof e === 'string' ? { kind: 'role', role: e }
      : 'signature' in e ? { kind: 'signature', scheme: e.signature }
        : { kind: 'role-or-signature', role: e.role, scheme: e.orSignature };

describe('route × role', () => {
  let t: TestApp;
  let server: http.Server;
  let routes: MountedRoute[];
  const keys = {} as Record<Role | 'revoked', string>;

  beforeAll(async () => {
    t = await createTestApp();
    server = http.createServer(t.app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    routes = listRoutes(t.app);
    for (const role of ROLES) {
      const res = await request(server).post('/api/keys').set(t.auth).send({ name: `table ${role}`, role });
      expect(res.status).toBe(201);
      keys[role] = res.body.key;
    }
    const revoked = await request(server).post('/api/keys').set(t.auth).send({ name: 'table revoked', role: 'admin' });
    keys.revoked = revoked.body.key;
    expect((await request(server).delete(`/api/keys/${revoked.body.id}`).set(t.auth)).status).toBe(204);
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await t.close();
  });

  it('every mounted route is in the table, and every table line is a mounted route', () => {
    const mounted = routes.map((r) => `${r.method} ${r.path}`);
    expect(new Set(mounted).size).toBe(mounted.length);
    expect(mounted.filter((m) => !(m in EXPECTED))).toEqual([]);
    expect(Object.keys(EXPECTED).filter((e) => !mounted.includes(e))).toEqual([]);
  });

  it('every route declares in code what the table says', () => {
    const wrong = routes
      .map((r) => ({ route: `${r.method} ${r.path}`, declared: r.auth, expected: declared(EXPECTED[`${r.method} ${r.path}`]) }))
      .filter((r) => JSON.stringify(r.declared) !== JSON.stringify(r.expected));
    expect(wrong).toEqual([]);
  });

  it('answers each caller as its role allows', async () => {
    const port = (server.address() as AddressInfo).port;
    const failures: string[] = [];
    for (const route of routes) {
      const expectation = EXPECTED[`${route.method} ${route.path}`];
      if (expectation === undefined) continue; // reported by the first test
      const method = route.method === 'ALL' ? 'GET' : route.method;
      // Ids that name nothing: an allowed caller gets a 4xx from the handler, and nothing is changed.
      const path = route.path.replace(/:[A-Za-z]+/g, 'role-table-none');
      const send = async (key?: string) => {
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (key) headers.authorization = `Bearer ${key}`;
        const res = await fetch(`http://127.0.0.1:${port}${path}`, {
          method, headers, body: method === 'GET' ? undefined : '{}', signal: AbortSignal.timeout(5000),
        });
        const text = await res.text();
        let code: string | undefined;
        try {
          code = JSON.parse(text)?.error?.code;
        } catch {
          code = undefined;
        }
        return { status: res.status, code, text };
      };
      const expect401 = async (who: string, key?: string) => {
        const r = await send(key);
        if (r.status !== 401 || r.code !== 'unauthorized') failures.push(`${method} ${path} as ${who}: ${r.status} (want 401)`);
      };

      if (expectation === 'public') {
        const r = await send();
        if (r.status !== 200) failures.push(`${method} ${path} without a key: ${r.status} (want 200)`);
        continue;
      }
      await expect401('no key');
      await expect401('a revoked key', keys.revoked);
      await expect401('an unknown key', `pck_${'x'.repeat(43)}`);
      if (typeof expectation === 'object' && 'signature' in expectation) {
        for (const role of ROLES) await expect401(`an API key (${role}) instead of a signature`, keys[role]);
        continue;
      }
      const needed = typeof expectation === 'string' ? expectation : expectation.role;
      for (const who of [...ROLES, 'bootstrap'] as const) {
        const role: Role = who === 'bootstrap' ? 'admin' : who;
        const r = await send(who === 'bootstrap' ? t.config.teamApiKey : keys[who]);
        if (r.status >= 500) failures.push(`${method} ${path} as ${who}: ${r.status} ${r.text.slice(0, 200)}`);
        else if (satisfies(role, needed)) {
          if (r.status === 401 || r.status === 403) failures.push(`${method} ${path} as ${who}: ${r.status} (allowed)`);
        } else if (r.status !== 403 || r.code !== 'forbidden' || !r.text.includes(`'${needed}'`)) {
          failures.push(`${method} ${path} as ${who}: ${r.status} ${r.text.slice(0, 120)} (want 403 naming '${needed}')`);
        }
      }
    }
    expect(failures).toEqual([]);
  });

  it('the role ladder: reader < runner < operator < admin, webhook beside it', () => {
    expect(rolesAllowed('admin')).toEqual(['admin']);
    expect(rolesAllowed('operator')).toEqual(['admin', 'operator']);
    expect(rolesAllowed('runner')).toEqual(['admin', 'operator', 'runner']);
    expect(rolesAllowed('reader')).toEqual(['admin', 'operator', 'runner', 'reader']);
    expect(rolesAllowed('webhook')).toEqual(['admin', 'operator', 'runner', 'webhook']);
  });

  it('Bull Board takes HTTP Basic with an operator key as password, and asks a browser for it', async () => {
    const basic = (key: string) => ({ Authorization: `Basic ${Buffer.from(`any:${key}`).toString('base64')}` });
    expect((await request(server).get('/admin/queues').set(basic(keys.operator))).status).toBe(200);
    expect((await request(server).get('/admin/queues').set(basic(keys.runner))).status).toBe(403);
    const none = await request(server).get('/admin/queues');
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toMatch(/^Basic /);
  });
});
