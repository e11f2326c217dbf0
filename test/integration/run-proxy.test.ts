import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import fs from 'node:fs';
import pino from 'pino';
import { OAUTH_BETA } from '../../worker/proxy/claude-forward';
import { createEgressCheck } from '../../worker/proxy/egress-check';
import { startRunProxy, type RunProxy } from '../../worker/proxy/run-proxy';
import { tempDir } from '../helpers/env';
import { slow, startFakeAnthropic, text, type FakeAnthropic } from '../helpers/fake-anthropic';

/** The run proxy over real sockets: a fake Messages API upstream and plain loopback servers as egress targets. */

const REAL = 'sk-ant-api03-the-real-key-0123456789';
const PLACEHOLDER = 'sk-ant-api03-personas-run-placeholder-abcdef';

let fake: FakeAnthropic;
let target: http.Server;
let proxy: RunProxy | undefined;
const agents = { http: new http.Agent({ keepAlive: true }), https: new https.Agent({ keepAlive: true }) };

beforeAll(async () => {
  fake = await startFakeAnthropic();
  target = http.createServer((req, res) => res.end(`target saw ${req.method} ${req.url}`));
  await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
});
afterEach(async () => {
  await proxy?.close();
  proxy = undefined;
  fake.reset();
});
afterAll(async () => {
  agents.http.destroy();
  await fake.close();
  target.close();
});

const targetPort = () => (target.address() as AddressInfo).port;

async function start(opts: { kind?: 'api_key' | 'oauth'; token?: string; allowed?: string[]; socketPath?: string } = {}): Promise<RunProxy> {
  proxy = await startRunProxy({
    listen: opts.socketPath ? { socketPath: opts.socketPath } : { tcp: true },
    selfAddresses: (port) => [`127.0.0.1:${port}`],
    claude: { baseUrl: new URL(fake.url), token: opts.token ?? REAL, kind: opts.kind ?? 'api_key', placeholder: PLACEHOLDER, agents },
    egress: createEgressCheck({ patterns: opts.allowed ?? [], claudeApi: { host: '127.0.0.1', port: fake.port } }),
    logger: pino({ level: 'silent' }),
  });
  return proxy;
}

const MAIN_TURN = { model: 'm', max_tokens: 10, stream: true, tools: [{ name: 'Bash', input_schema: { type: 'object' } }], messages: [{ role: 'user', content: 'hi' }] };

function messages(port: number, headers: Record<string, string>, body = MAIN_TURN) {
  return fetch(`http://127.0.0.1:${port}/v1/messages?beta=true`, {
    method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body),
  });
}

it('swaps the placeholder for the real API key and streams the answer', async () => {
  const p = await start();
  fake.enqueue(text('hello through the proxy'));
  const res = await messages(p.port!, { 'x-api-key': PLACEHOLDER, 'anthropic-version': '2023-06-01' });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/event-stream');
  expect(await res.text()).toContain('hello through the proxy');
  expect(fake.credentials()).toEqual([REAL]);
  expect(fake.requests[0].headers['anthropic-version']).toBe('2023-06-01');
  expect(p.stats.api).toBe(1);
});

it('sends an OAuth token as Bearer with the OAuth beta added to the client\'s betas', async () => {
  const p = await start({ kind: 'oauth', token: 'sk-ant-oat01-real-oauth-token-0123456789' });
  await messages(p.port!, { authorization: `Bearer ${PLACEHOLDER}`, 'anthropic-beta': 'fine-grained-tool-streaming-2025-05-14' }).then((r) => r.text());
  expect(fake.credentials()).toEqual(['sk-ant-oat01-real-oauth-token-0123456789']);
  expect(fake.requests[0].headers['anthropic-beta'].split(',')).toEqual(['fine-grained-tool-streaming-2025-05-14', OAUTH_BETA]);
});

it('refuses any other credential, and the placeholder once the run has ended', async () => {
  const p = await start();
  const wrong = await messages(p.port!, { 'x-api-key': REAL });
  expect(wrong.status).toBe(401);
  expect(((await wrong.json()) as any).error.type).toBe('authentication_error');
  expect((await messages(p.port!, {})).status).toBe(401);
  expect(fake.requests).toHaveLength(0);
  const port = p.port!;
  await p.close();
  proxy = undefined;
  await expect(messages(port, { 'x-api-key': PLACEHOLDER })).rejects.toThrow();
  expect(fake.requests).toHaveLength(0);
});

it('passes each streamed event on as it arrives (no buffering)', async () => {
  const p = await start();
  fake.enqueue(slow(150, text('a b c d e f'), 6));
  const res = await messages(p.port!, { 'x-api-key': PLACEHOLDER });
  const reader = res.body!.getReader();
  const t0 = Date.now();
  const first = await reader.read();
  const firstAt = Date.now() - t0;
  while (!(await reader.read()).done);
  const total = Date.now() - t0;
  expect(first.done).toBe(false);
  expect(total).toBeGreaterThan(600);
  expect(firstAt).toBeLessThan(total - 400);
});

it('tunnels CONNECT only to allowed host:port and says why it refuses', async () => {
  const p = await start({ allowed: [`127.0.0.1:${targetPort()}`] });
  // A raw client, as curl or a model's script would be: the refusal's text must be readable.
  const connect = (authority: string) => new Promise<{ status: number; socket: net.Socket; text: string }>((resolve, reject) => {
    const socket = net.connect(p.port!, '127.0.0.1', () => socket.write(`CONNECT ${authority} HTTP/1.1\r\nhost: ${authority}\r\n\r\n`));
    let head = '';
    const onData = (d: Buffer) => {
      head += d.toString();
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      const status = Number(head.split(' ')[1]);
      if (status === 200) {
        socket.off('data', onData);
        resolve({ status, socket, text: head });
      } else socket.on('end', () => resolve({ status, socket, text: head }));
    };
    socket.on('data', onData);
    socket.on('error', reject);
  });
  const ok = await connect(`127.0.0.1:${targetPort()}`);
  expect(ok.status).toBe(200);
  ok.socket.write('GET /through-tunnel HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n');
  const answer = await new Promise<string>((r) => {
    let d = '';
    ok.socket.on('data', (c) => (d += c));
    ok.socket.on('end', () => r(d));
  });
  expect(answer).toContain('target saw GET /through-tunnel');

  const refused = await connect('127.0.0.1:6379');
  expect(refused.status).toBe(403);
  expect(refused.text).toContain('egress to 127.0.0.1:6379 is not allowed');
  const api = await connect(`127.0.0.1:${fake.port}`);
  expect(api.status).toBe(403);
  expect(api.text).toContain("worker's proxy");
  expect(p.stats).toMatchObject({ allowed: 1, refused: 2 });
});

it('forwards absolute-form plain HTTP only where allowed, and treats its own address as the API', async () => {
  const p = await start({ allowed: [`127.0.0.1:${targetPort()}`] });
  const viaProxy = (url: string, headers: Record<string, string> = {}) => new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: p.port, method: 'GET', path: url, headers });
    req.on('response', (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject);
    req.end();
  });
  expect(await viaProxy(`http://127.0.0.1:${targetPort()}/page?x=1`)).toEqual({ status: 200, body: 'target saw GET /page?x=1' });
  const refused = await viaProxy('http://169.254.169.254/latest/meta-data/');
  expect(refused.status).toBe(403);
  expect(refused.body).toContain('egress to 169.254.169.254:80 is not allowed');
  const self = await viaProxy(`http://127.0.0.1:${p.port}/v1/models`, { 'x-api-key': PLACEHOLDER });
  expect(self.status).toBe(200); // reached the fake API with the real key
  expect(fake.requests.map((r) => r.path)).toEqual(['/v1/models']);
  expect(fake.credentials()).toEqual([REAL]);
});

it('listens on a unix socket in the bwrap mode', async () => {
  const dir = tempDir('pc-proxy-sock');
  const socketPath = path.join(dir, 'run.sock');
  await start({ socketPath });
  fake.enqueue(text('over the socket'));
  const body = await new Promise<string>((resolve, reject) => {
    const req = http.request({ socketPath, method: 'POST', path: '/v1/messages', headers: { 'x-api-key': PLACEHOLDER, 'content-type': 'application/json' } });
    req.on('response', (res) => {
      let d = '';
      res.on('data', (c) => (d += c));
      res.on('end', () => resolve(d));
    });
    req.on('error', reject);
    req.end(JSON.stringify(MAIN_TURN));
  });
  expect(body).toContain('over the socket');
  await proxy!.close();
  proxy = undefined;
  fs.rmSync(dir, { recursive: true, force: true });
});
