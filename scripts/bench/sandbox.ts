/**
 * What isolation costs, on its own:
 * - assign → CLI started: from `startRun` (the worker accepting an assignment) to the first line the
 *   CLI prints, for each isolation mode this host supports, with a stand-in CLI (a shell script that
 *   prints one stream-json line at once) so that only the worker's and the sandbox's part is timed:
 *   run folder, proxy, setpriv, bubblewrap's namespaces and mounts, the socat bridge;
 * - the token proxy's added latency: the same small request to a loopback API directly and through a
 *   run proxy (placeholder checked and swapped, answer streamed back), one at a time.
 */
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import type { AssignPayload } from '../../shared/socket-events';
import { createEgressCheck } from '../../worker/proxy/egress-check';
import { startRunProxy } from '../../worker/proxy/run-proxy';
import { startRun } from '../../worker/runner';
import { setUpIsolation } from '../../worker/sandbox/isolation';
import type { IsolationMode } from '../../worker/sandbox/mode';
import { percentile } from './load';

export interface SandboxBenchResult {
  spawn: Array<{ mode: IsolationMode; runs: number; p50Ms: number; p95Ms: number; addedP50Ms: number }>;
  proxy: { requests: number; directP50Ms: number; proxiedP50Ms: number; addedP50Ms: number; addedP99Ms: number };
}

const round = (n: number, digits = 2) => Number(n.toFixed(digits));
const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const silent = pino({ level: 'silent' });

const STAND_IN = `#!/bin/sh
cat >/dev/null
echo '{"type":"system","subtype":"init","session_id":"bench","model":"stand-in"}'
echo '{"type":"result","subtype":"success","is_error":false,"result":"ok","total_cost_usd":0,"duration_ms":1,"num_turns":1,"session_id":"bench"}'
`;

async function timeSpawns(mode: IsolationMode, runs: number, root: string, cli: string): Promise<number[]> {
  const isolation = setUpIsolation({
    passThroughEnv: {}, sandbox: mode, sandboxDeny: [], sandboxUidBase: 100_000, slots: 1, claudeBin: cli, workDirRoot: root,
    allowedHosts: [], anthropicBaseUrl: 'http://127.0.0.1:9', outputMaxBytes: 1 << 20, production: false,
  }, silent);
  const times: number[] = [];
  try {
    for (let i = 0; i < runs; i++) {
      const a: AssignPayload = {
        executionId: `bench-${mode}-${i}`, prompt: 'x'.repeat(8 * 1024), env: { ANTHROPIC_API_KEY: 'sk-ant-api03-bench' },
        timeoutMs: 10_000, allowedTools: ['Bash'], allowedHosts: [],
      };
      const t0 = performance.now();
      let first = 0;
      const handle = startRun(a, { isolation, killGraceMs: 1_000, passThroughEnv: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, logger: silent }, {
        onChunk: () => undefined,
        onEvent: () => {
          first ||= performance.now();
        },
      });
      const result = await handle.done;
      if (result.status !== 'completed' || !first) throw new Error(`stand-in run in ${mode} mode: ${result.status} ${result.error ?? ''}`);
      times.push(first - t0);
    }
  } finally {
    isolation.close();
  }
  return times;
}

function available(): IsolationMode[] {
  const modes: IsolationMode[] = ['none'];
  const asRoot = process.getuid?.() === 0;
  if (asRoot) modes.push('uid');
  modes.push('bwrap');
  return modes;
}

async function proxyLatency(requests: number): Promise<SandboxBenchResult['proxy']> {
  const api = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"type":"message","content":[]}'));
  });
  await new Promise<void>((r) => api.listen(0, '127.0.0.1', r));
  const apiPort = (api.address() as { port: number }).port;
  const agents = { http: new http.Agent({ keepAlive: true }), https: new https.Agent({ keepAlive: true }) };
  const proxy = await startRunProxy({
    listen: { tcp: true },
    selfAddresses: (port) => [`127.0.0.1:${port}`],
    claude: { baseUrl: new URL(`http://127.0.0.1:${apiPort}`), token: 'sk-ant-api03-real', kind: 'api_key', placeholder: 'sk-ant-api03-personas-run-bench', agents },
    egress: createEgressCheck({ patterns: [], claudeApi: { host: '127.0.0.1', port: apiPort } }),
    logger: silent,
  });
  const client = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const once = (port: number, key: string) => new Promise<number>((resolve, reject) => {
    const t0 = performance.now();
    const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/v1/messages', agent: client, headers: { 'x-api-key': key, 'content-type': 'application/json' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(performance.now() - t0));
    });
    req.on('error', reject);
    req.end('{"model":"m","max_tokens":1,"messages":[]}');
  });
  try {
    const direct: number[] = [];
    const proxied: number[] = [];
    for (let i = 0; i < 200; i++) await once(proxy.port!, 'sk-ant-api03-personas-run-bench'); // warm up
    for (let i = 0; i < requests; i++) {
      direct.push(await once(apiPort, 'sk-ant-api03-real'));
      proxied.push(await once(proxy.port!, 'sk-ant-api03-personas-run-bench'));
    }
    const d = sorted(direct);
    const p = sorted(proxied);
    const added = sorted(proxied.map((x, i) => x - direct[i]));
    return {
      requests, directP50Ms: round(percentile(d, 50), 3), proxiedP50Ms: round(percentile(p, 50), 3),
      addedP50Ms: round(percentile(p, 50) - percentile(d, 50), 3), addedP99Ms: round(percentile(added, 99), 3),
    };
  } finally {
    client.destroy();
    agents.http.destroy();
    await proxy.close();
    api.close();
  }
}

export async function runSandboxBench(opts: { runs: number; requests: number }): Promise<SandboxBenchResult> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'pc-bench-sbx-'));
  fs.chmodSync(root, 0o711);
  const cliDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pc-bench-cli-'));
  fs.chmodSync(cliDir, 0o755);
  const cli = path.join(cliDir, 'claude-stand-in');
  fs.writeFileSync(cli, STAND_IN, { mode: 0o755 });
  try {
    const spawn: SandboxBenchResult['spawn'] = [];
    let noneP50 = 0;
    for (const mode of available()) {
      await timeSpawns(mode, 5, root, cli); // warm up (page cache, first bwrap)
      const times = sorted(await timeSpawns(mode, opts.runs, root, cli));
      const p50 = percentile(times, 50);
      if (mode === 'none') noneP50 = p50;
      spawn.push({ mode, runs: opts.runs, p50Ms: round(p50), p95Ms: round(percentile(times, 95)), addedP50Ms: round(p50 - noneP50) });
    }
    return { spawn, proxy: await proxyLatency(opts.requests) };
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
    fs.rmSync(cliDir, { recursive: true, force: true });
  }
}
