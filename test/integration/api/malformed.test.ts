/**
 * Sends a batch of malformed requests to every route in malformed-routes.ts and proves that each one is
 * refused with a 4xx and the `{ error: { code, message } }` body (never a 500, never a hang), and that the
 * process still answers normally afterwards. Extend the route table, not this file.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { createTestApp, type TestApp } from '../../helpers/test-app';
import { ROUTES, createFixtures, signedHeaders, type FieldKind, type Fixtures, type RouteSpec } from './malformed-routes';

const HUGE = 'x'.repeat(600_000);
const OVERSIZE = `{"x":"${'a'.repeat(1024 * 1024 + 100)}"}`;

/** Path segments (already percent-encoded as a client would send them) that name nothing. */
const BAD_IDS: Array<[string, string]> = [
  ['unknown id', 'does-not-exist-7f3c'],
  ['dot-dot', '..'],
  ['encoded traversal', '..%2F..%2Fetc%2Fpasswd'],
  ['double-encoded traversal', '%252e%252e%252fetc%252fpasswd'],
  ['NUL byte', 'a%00b'],
  ['invalid UTF-8', '%FF%FE'],
  ['encoded lone surrogate', '%ED%A0%80'],
  ['truncated escape', 'abc%E2%8'],
  ['RTL override and emoji', '%E2%80%AEevil%F0%9F%92%A5'],
  ['zero-width and combining marks', '%E2%80%8Ba%CC%81%CC%81%CC%81'],
  ['SQL-looking', encodeURIComponent("x' OR '1'='1")],
  ['very long', 'i'.repeat(4000)],
];

const WEIRD_UNICODE = '\u202e\u0000\ud800💥\u200b';

/** Values of shapes the field does not accept. */
const WRONG: Record<FieldKind, unknown[]> = {
  key: [123, true, [], { a: 1 }, '', HUGE],
  ref: [123, true, [], { a: 1 }, '', HUGE, 'does-not-exist', '../../etc/passwd', WEIRD_UNICODE],
  text: [123, true, [], { a: 1 }, HUGE],
  number: ['7', true, [], { a: 1 }, HUGE],
  int: ['7', 1.5, true, [], { a: 1 }, HUGE],
  bool: ['true', 1, [], { a: 1 }, HUGE],
  jsonObject: [123, true, [], '{not json', '[1,2]', '"a string"', HUGE],
  stringOrObject: [123, true, [], HUGE],
  hex: [123, true, [], 'zz', 'abc', HUGE],
  datetime: [123, true, 'yesterday', '2026-13-45T99:99:99Z', HUGE],
  stringList: [123, true, 'Read', { a: 1 }, [123], [''], [null], [HUGE], HUGE],
  any: [],
};

interface Case {
  label: string;
  path: string;
  body?: string | Buffer | object;
  contentType?: string;
  noAuth?: boolean;
  /** The field this case breaks: a 400 must name it. */
  field?: string;
}

const fill = (path: string, f: Fixtures, override: Record<string, string> = {}) =>
  path.replace(/:([A-Za-z]+)/g, (_m, name: string) => {
    if (name in override) return override[name];
    if (!(name in f)) throw new Error(`no fixture for :${name} (add it to createFixtures)`);
    return encodeURIComponent(f[name]);
  });

const show = (v: unknown) => {
  const text = typeof v === 'string' ? JSON.stringify(v) : JSON.stringify(v) ?? String(v);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
};

/** Every malformed request for one route. */
function casesFor(route: RouteSpec, f: Fixtures): Case[] {
  const placeholders = [...route.path.matchAll(/:([A-Za-z]+)/g)].map((m) => m[1]);
  const cases: Case[] = [];
  for (const name of placeholders) {
    for (const [label, bad] of BAD_IDS) cases.push({ label: `:${name} = ${label}`, path: fill(route.path, f, { [name]: bad }) });
  }
  // Transport-level cases: sent with a bad id when the route takes one, so no request can succeed by accident.
  const safePath = placeholders.length ? fill(route.path, f, { [placeholders[0]]: 'does-not-exist' }) : route.path;
  cases.push(
    { label: 'no Authorization header', path: route.streams ? safePath : fill(route.path, f), noAuth: true },
    { label: 'truncated JSON', path: safePath, body: '{"name":' },
    { label: 'single-quoted JSON', path: safePath, body: "{'name':'x'}" },
    { label: 'trailing garbage', path: safePath, body: '{"a":1}}' },
    { label: 'plain text', path: safePath, body: 'hello', contentType: 'text/plain' },
    { label: 'invalid UTF-8 bytes', path: safePath, body: Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]) },
    { label: 'unknown charset', path: safePath, body: '{}', contentType: 'application/json; charset=klingon' },
    { label: 'body over 1 MiB', path: safePath, body: OVERSIZE },
  );
  if (route.body) {
    const path = fill(route.path, f);
    const valid = route.body.valid(f);
    for (const raw of ['[]', '[{"name":"x"}]', '"a string"', '42', 'true']) cases.push({ label: `body is ${raw}`, path, body: raw });
    if (route.body.required) cases.push({ label: 'empty object', path, body: {} });
    for (const [field, kind] of Object.entries(route.body.fields)) {
      for (const wrong of WRONG[kind]) {
        cases.push({ label: `${field} = ${show(wrong)}`, path, body: { ...valid, [field]: wrong }, field });
      }
    }
  }
  if (!route.streams) {
    for (const q of route.badQueries ?? []) cases.push({ label: `?${q.slice(0, 40)}`, path: `${fill(route.path, f)}?${q}` });
  }
  return cases;
}

describe('malformed requests to every route', () => {
  let t: TestApp;
  let server: http.Server;
  let fixtures: Fixtures;
  let baseUrl: string;

  beforeAll(async () => {
    t = await createTestApp();
    server = http.createServer(t.app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    fixtures = await createFixtures(t, server);
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await t.close();
  });

  async function send(route: RouteSpec, c: Case): Promise<request.Response> {
    let req = request(baseUrl)[route.method](c.path).timeout({ response: 10_000, deadline: 20_000 });
    if (!c.noAuth && route.signed) {
      const bytes = c.body === undefined ? Buffer.alloc(0)
        : Buffer.isBuffer(c.body) ? c.body : Buffer.from(typeof c.body === 'object' ? JSON.stringify(c.body) : c.body);
      req = req.set(signedHeaders(route.signed, fixtures, bytes));
    } else if (!c.noAuth) {
      req = req.set(t.auth);
    }
    if (c.body !== undefined) {
      req = req.set('Content-Type', c.contentType ?? 'application/json');
      // Raw bytes must go out as they are: superagent would otherwise JSON-encode a Buffer.
      if (Buffer.isBuffer(c.body)) req = req.serialize((bytes: unknown) => bytes as string);
      req = req.send(typeof c.body === 'object' && !Buffer.isBuffer(c.body) ? JSON.stringify(c.body) : c.body);
    }
    return req;
  }

  it.each(ROUTES.map((r) => [`${r.method.toUpperCase()} ${r.path}`, r] as const))('%s refuses every malformed request', async (_name, route) => {
    const failures: string[] = [];
    for (const c of casesFor(route, fixtures)) {
      let res: request.Response;
      try {
        res = await send(route, c);
      } catch (err) {
        failures.push(`${c.label}: no answer (${(err as Error).message})`);
        continue;
      }
      const error = res.body?.error;
      if (res.status < 400 || res.status >= 500) {
        failures.push(`${c.label}: status ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
      } else if (!error || typeof error.code !== 'string' || typeof error.message !== 'string') {
        failures.push(`${c.label}: ${res.status} without an { error: { code, message } } body: ${res.text.slice(0, 200)}`);
      } else if (route.signed && !c.noAuth && res.status === 401) {
        failures.push(`${c.label}: signed, yet refused as unauthenticated: ${error.message.slice(0, 200)}`);
      } else if (c.field && res.status === 400 && !JSON.stringify(error).includes(c.field)) {
        failures.push(`${c.label}: 400 does not name ${c.field}: ${error.message.slice(0, 200)}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('is still healthy afterwards and the fixtures are intact', async () => {
    const health = await request(server).get('/health');
    expect(health.status).toBe(200);
    expect(health.body.status).toBe('ok');
    expect((await request(server).get(`/api/personas/${fixtures.personaId}`).set(t.auth)).status).toBe(200);
    expect((await request(server).get(`/api/tool-definitions/${fixtures.toolId}`).set(t.auth)).status).toBe(200);
    expect((await request(server).get(`/api/credentials/${fixtures.credentialId}`).set(t.auth)).status).toBe(200);
    const status = await request(server).get('/api/status').set(t.auth);
    expect(status.status).toBe(200);
    // Nothing malformed was stored: the only persona, tool and credential are the fixtures.
    expect((await request(server).get('/api/personas').set(t.auth)).body).toHaveLength(1);
    expect((await request(server).get('/api/tool-definitions').set(t.auth)).body).toHaveLength(1);
    expect((await request(server).get('/api/credentials').set(t.auth)).body).toHaveLength(1);
  });
});
