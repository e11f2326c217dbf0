/**
 * The OpenAPI document at /api/openapi.json: valid OpenAPI 3.1 (checked by an OpenAPI parser), made
 * from the app's routes — every mounted route under /api, /health and /metrics is in it, and every
 * operation in it is answered by a route — with the zod schemas the routes validate with. And the
 * API reference page at /api/docs, served from npm.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { compileErrors, validate } from '@readme/openapi-parser';
import { listRoutes } from '../../helpers/route-walk';
import { createTestApp, type TestApp } from '../../helpers/test-app';

type Operation = {
  summary: string; security: Array<Record<string, string[]>>; parameters: Array<{ name: string; in: string; required: boolean; schema: any }>;
  requestBody?: { content: Record<string, { schema: any }> }; responses: Record<string, any>; 'x-required-role'?: string;
};
type Document = { openapi: string; paths: Record<string, Record<string, Operation>>; components: any };

describe('OpenAPI document and API reference', () => {
  let t: TestApp;
  let server: http.Server;
  let base: string;
  let doc: Document;

  beforeAll(async () => {
    t = await createTestApp();
    server = http.createServer(t.app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const res = await fetch(`${base}/api/openapi.json`); // open: no key
    expect(res.status).toBe(200);
    doc = (await res.json()) as Document;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await t.close();
  });

  it('is a valid OpenAPI 3.1 document', async () => {
    expect(doc.openapi).toBe('3.1.0');
    const result = await validate(structuredClone(doc) as never);
    expect(result.valid ? '' : compileErrors(result)).toBe('');
    expect(result.warnings).toEqual([]);
  });

  it('has every mounted route under /api, /health and /metrics, and nothing else', async () => {
    const mounted = listRoutes(t.app)
      .filter((r) => r.method !== 'ALL' && (r.path.startsWith('/api/') || r.path === '/health' || r.path === '/metrics'))
      .map((r) => `${r.method} ${r.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}')}`)
      .sort();
    const documented = Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`)).sort();
    expect(documented).toEqual(mounted);
    expect(documented).toEqual(expect.arrayContaining(['GET /health', 'GET /metrics', 'GET /api/openapi.json', 'POST /api/slack/events', 'GET /api/executions/{id}/stream']));
    expect(documented.some((d) => d.includes('/admin/queues'))).toBe(false);

    // Nothing else: each documented operation reaches a route (no "no route for" 404), asked as the admin.
    const unanswered: string[] = [];
    for (const op of documented) {
      const [method, p] = op.split(' ');
      const res = await fetch(`${base}${p.replace(/\{[^}]+\}/g, 'openapi-none')}`, {
        method, headers: { authorization: `Bearer ${t.config.teamApiKey}`, 'content-type': 'application/json' },
        body: method === 'GET' || method === 'DELETE' ? undefined : '{}', signal: AbortSignal.timeout(5000),
      });
      const text = method === 'GET' && p.endsWith('/stream') ? '' : await res.text();
      if (res.status === 404 && text.includes('no route for')) unanswered.push(op);
      if (p.endsWith('/stream')) await res.body?.cancel();
    }
    expect(unanswered).toEqual([]);
  });

  it('every route describes itself (describeRoute next to its guard)', () => {
    const undescribed = listRoutes(t.app)
      .filter((r) => r.method !== 'ALL' && (r.path.startsWith('/api/') || r.path === '/health' || r.path === '/metrics') && !r.doc)
      .map((r) => `${r.method} ${r.path}`);
    expect(undescribed).toEqual([]);
  });

  it('describes bodies and queries with the schemas the routes validate with', () => {
    const createPersona = doc.paths['/api/personas'].post;
    const body = createPersona.requestBody!.content['application/json'].schema;
    expect(body.properties.maxConcurrent).toMatchObject({ type: 'integer', minimum: 1, maximum: 1000 });
    expect(body.properties.allowedTools.anyOf).toEqual(expect.arrayContaining([expect.objectContaining({ type: 'array', maxItems: 100 })]));
    expect(createPersona['x-required-role']).toBe('operator');
    expect(createPersona.security).toEqual([{ bearerAuth: [] }]);

    const listExecutions = doc.paths['/api/executions'].get;
    const status = listExecutions.parameters.find((p) => p.name === 'status')!;
    expect(status).toMatchObject({ in: 'query', required: false });
    expect(status.schema.enum).toEqual(['queued', 'running', 'completed', 'failed', 'cancelled']);

    const event = doc.paths['/api/events'].post.requestBody!.content['application/json'].schema;
    expect(event.required).toEqual(['eventType']);
    expect(doc.paths['/api/executions/{id}'].get.parameters).toEqual([expect.objectContaining({ name: 'id', in: 'path', required: true })]);
  });

  it('the SSE stream is text/event-stream; webhooks take their signatures; /health is open', () => {
    expect(Object.keys(doc.paths['/api/executions/{id}/stream'].get.responses['200'].content)).toEqual(['text/event-stream']);
    expect(doc.paths['/api/github/webhook'].post.security).toEqual([{ 'X-Hub-Signature-256': [] }]);
    expect(doc.paths['/api/slack/events'].post.security).toEqual([{ 'X-Slack-Signature': [] }]);
    expect(doc.paths['/api/webhooks/{personaId}'].post.security).toEqual([{ bearerAuth: [] }, { 'X-Hub-Signature-256': [] }]);
    expect(doc.components.securitySchemes['X-Hub-Signature-256']).toMatchObject({ type: 'apiKey', in: 'header', name: 'X-Hub-Signature-256' });
    expect(doc.paths['/health'].get.security).toEqual([]);
    expect(doc.paths['/metrics'].get['x-required-role']).toBe('reader');
  });

  it('serves the API reference page and its assets from npm, nothing from the internet', async () => {
    const page = await fetch(`${base}/api/docs`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await page.text();
    expect(html).toContain('<div id="swagger-ui">');
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    for (const asset of ['swagger-ui.css', 'swagger-ui-bundle.js', 'init.js']) {
      const res = await fetch(`${base}/api/docs/assets/${asset}`);
      expect(res.status).toBe(200);
      expect((await res.text()).length).toBeGreaterThan(100);
    }
    const init = await (await fetch(`${base}/api/docs/assets/init.js`)).text();
    expect(init).toContain("url: '/api/openapi.json'");
    expect(init).toContain('validatorUrl: null');
    expect((await fetch(`${base}/api/docs/assets/nothing-here.js`)).status).toBe(404);
  });
});
