import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { HttpsProxyAgent } from 'https-proxy-agent';
import { createEgressCheck } from '../../worker/proxy/egress-check';
import { startRunProxy, type RunProxy } from '../../worker/proxy/run-proxy';
import { proxyFor, upstreamFromEnv } from '../../worker/proxy/upstream-proxy';
import { startFakeAnthropic, text, type FakeAnthropic } from '../helpers/fake-anthropic';

/**
 * A worker on a network that allows no direct connection out: its HTTPS_PROXY carries the run
 * proxy's Claude API traffic and the runs' allowed egress (a real CONNECT proxy on loopback).
 */

const PLACEHOLDER = 'sk-ant-api03-personas-run-upstream-test';
let fake: FakeAnthropic;
let target: http.Server;
let corporate: http.Server;
const tunnels: string[] = [];
const absolute: string[] = [];
const auths: string[] = [];
let proxy: RunProxy | undefined;
let tunnel: HttpsProxyAgent<string> | undefined;

const port = (s: http.Server) => (s.address() as AddressInfo).port;

beforeAll(async () => {
  fake = await startFakeAnthropic();
  target = http.createServer((req, res) => res.end(`target saw ${req.url}`));
  await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
  // The corporate proxy: CONNECT tunnels and absolute-form plain HTTP, recording what it was asked.
  corporate = http.createServer((req, res) => {
    absolute.push(req.url ?? '');
    auths.push(String(req.headers['proxy-authorization'] ?? ''));
    const url = new URL(req.url!);
    const out = http.request({ host: url.hostname, port: url.port, path: `${url.pathname}${url.search}`, method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode!, answer.headers);
      answer.pipe(res);
    });
    req.pipe(out);
  });
  corporate.on('connect', (req, socket: net.Socket, head) => {
    tunnels.push(req.url ?? '');
    auths.push(String(req.headers['proxy-authorization'] ?? ''));
    const [host, p] = (req.url ?? '').split(':');
    const out = net.connect(Number(p), host, () => {
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) out.write(head);
      out.pipe(socket);
      socket.pipe(out);
    });
    out.on('error', () => socket.end('HTTP/1.1 502 Bad Gateway\r\n\r\n'));
  });
  await new Promise<void>((r) => corporate.listen(0, '127.0.0.1', r));
});

afterEach(async () => {
  await proxy?.close();
  proxy = undefined;
  tunnel?.destroy();
  tunnels.length = 0;
  absolute.length = 0;
  auths.length = 0;
  fake.reset();
});

afterAll(async () => {
  await fake.close();
  target.close();
  corporate.close();
});

async function start(env: Record<string, string>, allowed: string[]) {
  const settings = upstreamFromEnv(env);
  const base = new URL(fake.url);
  const apiProxy = proxyFor(settings, 'http', base.hostname, Number(base.port));
  tunnel = apiProxy ? new HttpsProxyAgent(apiProxy.href, { keepAlive: true }) : undefined;
  proxy = await startRunProxy({
    listen: { tcp: true },
    selfAddresses: (p) => [`127.0.0.1:${p}`],
    claude: {
      baseUrl: base, token: 'sk-ant-api03-real', kind: 'api_key', placeholder: PLACEHOLDER,
      agents: { http: (tunnel as unknown as http.Agent) ?? new http.Agent(), https: (tunnel as unknown as https.Agent) ?? new https.Agent() },
    },
    egress: createEgressCheck({
      patterns: allowed, claudeApi: { host: '127.0.0.1', port: fake.port },
      upstream: (host, p, protocol) => proxyFor(settings, protocol, host, p),
    }),
    logger: pino({ level: 'silent' }),
  });
  return proxy;
}

function viaRunProxy(p: RunProxy, path: string, headers: Record<string, string> = {}, method = 'GET', body?: string) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: p.port, method, path, headers }, (res) => {
      let data = '';
      res.on('data', (c) => (data += c));
      res.on('end', () => resolve({ status: res.statusCode!, body: data }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

it('sends the Claude API traffic and CONNECT egress through the worker\'s HTTPS_PROXY, with its credentials', async () => {
  const corp = `http://user:p%40ss@127.0.0.1:${port(corporate)}`;
  const p = await start({ HTTPS_PROXY: corp, http_proxy: corp }, [`127.0.0.1:${port(target)}`]);
  fake.enqueue(text('through the corporate proxy'));
  const api = await viaRunProxy(p, '/v1/messages', { 'x-api-key': PLACEHOLDER, 'content-type': 'application/json' }, 'POST',
    JSON.stringify({ model: 'm', max_tokens: 5, stream: true, tools: [{ name: 'Bash' }], messages: [{ role: 'user', content: 'x' }] }));
  expect(api.status).toBe(200);
  expect(api.body).toContain('through the corporate proxy');
  expect(fake.credentials()).toEqual(['sk-ant-api03-real']);
  expect(tunnels).toContain(`127.0.0.1:${fake.port}`);

  // A run's plain-HTTP request to an allowed host goes absolute-form through HTTP_PROXY.
  const plain = await viaRunProxy(p, `http://127.0.0.1:${port(target)}/allowed`);
  expect(plain).toEqual({ status: 200, body: 'target saw /allowed' });
  expect(absolute).toEqual([`http://127.0.0.1:${port(target)}/allowed`]);
  expect(auths.every((a) => a === `Basic ${Buffer.from('user:p@ss').toString('base64')}`)).toBe(true);

  // Refused destinations never reach the corporate proxy.
  const refused = await viaRunProxy(p, 'http://127.0.0.1:6379/');
  expect(refused.status).toBe(403);
  expect(absolute).toHaveLength(1);
});

it('goes direct for NO_PROXY hosts', async () => {
  const corp = `http://127.0.0.1:${port(corporate)}`;
  const p = await start({ HTTPS_PROXY: corp, HTTP_PROXY: corp, NO_PROXY: 'localhost,127.0.0.1' }, [`127.0.0.1:${port(target)}`]);
  expect(await viaRunProxy(p, `http://127.0.0.1:${port(target)}/direct`)).toEqual({ status: 200, body: 'target saw /direct' });
  fake.enqueue(text('direct'));
  await viaRunProxy(p, '/v1/messages', { 'x-api-key': PLACEHOLDER }, 'POST', '{}');
  expect(tunnels).toEqual([]);
  expect(absolute).toEqual([]);
});

describe('proxyFor', () => {
  const settings = upstreamFromEnv({ HTTPS_PROXY: 'http://proxy:3128', http_proxy: 'proxy:8080', NO_PROXY: '.internal, exact.example.com, svc:8443' });
  it('picks HTTPS_PROXY for tunnels, HTTP_PROXY for plain HTTP, and honours NO_PROXY', () => {
    expect(proxyFor(settings, 'https', 'api.anthropic.com', 443)?.href).toBe('http://proxy:3128/');
    expect(proxyFor(settings, 'http', 'example.org', 80)?.href).toBe('http://proxy:8080/');
    expect(proxyFor(settings, 'https', 'git.internal', 443)).toBeUndefined();
    expect(proxyFor(settings, 'https', 'internal', 443)).toBeUndefined();
    expect(proxyFor(settings, 'https', 'exact.example.com', 443)).toBeUndefined();
    expect(proxyFor(settings, 'https', 'other.example.com', 443)).toBeDefined();
    expect(proxyFor(settings, 'https', 'svc', 8443)).toBeUndefined();
    expect(proxyFor(settings, 'https', 'svc', 443)).toBeDefined();
    expect(proxyFor(upstreamFromEnv({}), 'https', 'x.com', 443)).toBeUndefined();
  });
});
