import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { TEST_KEYS } from '../helpers/env';
import { createE2eSystem, E2E_CLAUDE_TOKEN, type E2eSystem } from '../helpers/e2e-system';
import { slow, text, toolResults, toolUse, userText } from '../helpers/fake-anthropic';
import { waitUntil } from '../helpers/processes';

/**
 * What a prompt-injected run can reach, tried with the real CLI under the worker's default sandbox
 * (bubblewrap here): the model asks Bash for the orchestrator's secrets, the worker's environment,
 * the Claude token, Redis and the API; every attempt must fail, while the persona's allowed host works.
 */
jest.setTimeout(180_000);

const MARK = 'sandbox-marker-7d1e';

function listen(body: string): Promise<http.Server> {
  const server = http.createServer((_req, res) => res.end(body));
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/** Runs `command` through the real CLI's Bash tool in a new persona; answers the tool result and the record. */
async function bash(sys: E2eSystem, name: string, command: string, persona: Record<string, unknown> = {}) {
  const created = await sys.api('POST', '/api/personas', { name, ...persona });
  expect(created.status).toBe(201);
  sys.fake.onPrompt(`# Persona: ${name}`, [toolUse('Bash', { command }), text('done')]);
  const submitted = await sys.api('POST', '/api/execute', { prompt: 'go', personaId: created.body.id });
  const done = await sys.final(submitted.body.executionId);
  const turns = sys.fake.mainRequests().filter((r) => userText(r).includes(`# Persona: ${name}`));
  return { done, result: toolResults(turns[turns.length - 1]).join('\n'), turns };
}

describe('agent runs in the sandbox (real CLI, bwrap)', () => {
  let sys: E2eSystem;
  let allowed: http.Server;
  let other: http.Server;
  let denyDir: string;
  let workerPid: number;
  let firstWorker: { output(): string };

  beforeAll(async () => {
    sys = await createE2eSystem('sandbox');
    fs.writeFileSync(path.join(sys.dir, 'secrets.env'), `MASTER_KEY=${TEST_KEYS.MASTER_KEY}\n`, { mode: 0o600 });
    // A world-readable secret under a system directory, hidden only by WORKER_SANDBOX_DENY.
    denyDir = fs.mkdtempSync('/etc/pc-sandbox-test-');
    fs.chmodSync(denyDir, 0o755);
    fs.writeFileSync(path.join(denyDir, 'key'), MARK, { mode: 0o644 });
    allowed = await listen('hello-from-the-allowed-host');
    other = await listen('hello-from-another-host');
    await sys.startOrchestrator({ WORKER_GRACE_MS: '1500' });
    const w = await sys.startWorker('sbx-w1', {
      slots: 2,
      env: { WORKER_SANDBOX_DENY: denyDir, OUTPUT_MAX_BYTES: '200000', NODE_ENV: 'production' },
    });
    workerPid = w.child.pid!;
    firstWorker = w;
  });

  afterEach(() => sys.fake.reset());

  afterAll(async () => {
    await sys?.stop();
    allowed?.close();
    other?.close();
    if (denyDir) fs.rmSync(denyDir, { recursive: true, force: true });
  });

  it('reports bwrap isolation in /api/status', async () => {
    const status = await sys.status();
    expect(status.workers.find((w: any) => w.workerId === 'sbx-w1')).toMatchObject({ isolation: 'bwrap', networkLimited: true });
  });

  it('cannot read the data folder, the worker\'s /proc environ, /root, or a WORKER_SANDBOX_DENY path', async () => {
    const { done, result } = await bash(sys, 'Sbx Files', [
      `cat ${sys.dir}/secrets.env ${sys.dir}/personas.db 2>&1 | head -c 300`,
      `cat /proc/${workerPid}/environ 2>&1 | head -c 300`,
      `cat /proc/${process.pid}/environ 2>&1 | head -c 300`,
      `cat ${denyDir}/key 2>&1`,
      'ls /root /home 2>&1',
      'echo "uid=$(id -u)"',
      'echo "procs=$(ls /proc | grep -c "^[0-9]")"',
    ].join('; '));
    expect(done.status).toBe('completed');
    expect(result).toContain('No such file');
    expect(result).not.toContain(TEST_KEYS.MASTER_KEY);
    expect(result).not.toContain(TEST_KEYS.WORKER_TOKEN);
    expect(result).not.toContain(TEST_KEYS.TEAM_API_KEY);
    expect(result).not.toContain('SQLite format');
    expect(result).not.toContain(MARK);
    const uid = Number(/uid=(\d+)/.exec(result)?.[1]);
    expect(uid).toBeGreaterThanOrEqual(100_000); // not root: the slot's own uid
    // Only the sandbox's own tree: bwrap's init, the shell, the CLI, socat, the tool's shell and its children.
    expect(Number(/procs=(\d+)/.exec(result)?.[1])).toBeLessThan(15);
  });

  it('never holds the real Claude token: the run sees a placeholder, the API receives the real one', async () => {
    const { done, result } = await bash(sys, 'Sbx Token', 'printenv ANTHROPIC_API_KEY; printenv ANTHROPIC_BASE_URL; env | grep -c . ');
    expect(done.status).toBe('completed');
    expect(result).not.toContain(E2E_CLAUDE_TOKEN);
    expect(result).toMatch(/sk-ant-api03-personas-run-/);
    expect(result).toContain('http://127.0.0.1:3128');
    const seen = sys.fake.credentials();
    expect(seen.length).toBeGreaterThan(0);
    expect(new Set(seen)).toEqual(new Set([E2E_CLAUDE_TOKEN]));
    // What the run printed is only the placeholder (worthless once the run ended: see run-proxy.test.ts).
    expect(JSON.stringify(done)).not.toContain(E2E_CLAUDE_TOKEN);
  });

  it('cannot connect to the orchestrator, Redis or an unlisted host; reaches the host its persona allows', async () => {
    const allowedPort = (allowed.address() as AddressInfo).port;
    const otherPort = (other.address() as AddressInfo).port;
    const { done, result } = await bash(sys, 'Sbx Net', [
      `curl -sS -m 5 http://127.0.0.1:${allowedPort}/ 2>&1`,
      `curl -sS -m 5 http://127.0.0.1:${otherPort}/ 2>&1`,
      `curl -sS -m 5 http://127.0.0.1:${sys.httpPort}/health 2>&1`,
      `curl -sS -m 5 --noproxy '*' http://127.0.0.1:${sys.httpPort}/health 2>&1`,
      `bash -c 'exec 3<>/dev/tcp/127.0.0.1/6379 && echo REDIS-OPEN' 2>&1 || echo REDIS-CLOSED`,
      `bash -c 'exec 3<>/dev/tcp/127.0.0.1/${sys.wsPort} && echo GATEWAY-OPEN' 2>&1 || echo GATEWAY-CLOSED`,
    ].join('; echo; '), { allowedHosts: [`127.0.0.1:${allowedPort}`] });
    expect(done.status).toBe('completed');
    expect(result).toContain('hello-from-the-allowed-host');
    expect(result).not.toContain('hello-from-another-host');
    expect(result).toContain(`egress to 127.0.0.1:${otherPort} is not allowed`);
    expect(result).toContain(`egress to 127.0.0.1:${sys.httpPort} is not allowed`);
    expect(result).not.toContain('"ok"');
    expect(result).toContain('REDIS-CLOSED');
    expect(result).toContain('GATEWAY-CLOSED');
    expect(result).not.toContain('REDIS-OPEN');
  });

  it('stops a run that prints past OUTPUT_MAX_BYTES with output_limit, keeping what came before', async () => {
    const created = await sys.api('POST', '/api/personas', { name: 'Sbx Loud' });
    sys.fake.onPrompt('# Persona: Sbx Loud', [text(`first words ${'x'.repeat(400_000)}`)]);
    const submitted = await sys.api('POST', '/api/execute', { prompt: 'go', personaId: created.body.id });
    const done = await sys.final(submitted.body.executionId);
    expect(done.status).toBe('failed');
    expect(done.error).toBe('output_limit');
    expect(done.outputText.length).toBeLessThan(200_000);
    expect(done.outputText).toContain('session started'); // what came before the cap is kept
    expect(done.outputText).toContain('(OUTPUT_MAX_BYTES) and was stopped');
  });

  /** Processes of a worker's runs: bwrap names the run folder in its arguments; everything inside works in it. */
  function runProcesses(pid: number): string[] {
    const folder = path.join('/tmp', `pc-worker-${pid}`) + '/';
    const found: string[] = [];
    for (const name of fs.readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
      try {
        const args = fs.readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0');
        const cwd = fs.readlinkSync(`/proc/${name}/cwd`);
        if (cwd.startsWith(folder) || args.some((a) => a.startsWith(folder))) found.push(`${name} ${cwd} ${args.join(' ').slice(0, 120)}`);
      } catch {
        // exited meanwhile
      }
    }
    return found;
  }

  /**
   * SIGKILLs worker `pid` the moment its run's launch shows among its children: a tight synchronous
   * loop (nothing this test process serves is needed before the launch), so the kill lands within
   * a millisecond or so, while setpriv and bubblewrap are still setting the run up.
   */
  function killAtLaunch(pid: number): void {
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      for (const child of fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(' ').filter(Boolean)) {
        try {
          if (!fs.readFileSync(`/proc/${child}/cmdline`, 'utf8').includes(`pc-worker-${pid}/`)) continue;
        } catch {
          continue;
        }
        process.kill(pid, 'SIGKILL');
        return;
      }
    }
    throw new Error(`worker ${pid} launched no run within 30 s`);
  }

  /** Fills sbx-w1's two slots, so the next run lands on another worker. */
  async function occupyFirstWorker(): Promise<string[]> {
    const busy = await Promise.all([0, 1].map(async (i) => {
      const p = await sys.api('POST', '/api/personas', { name: `Sbx Busy ${i}` });
      sys.fake.onPrompt(`# Persona: Sbx Busy ${i}`, [slow(200, text('busy '.repeat(50)), 50)]);
      return (await sys.api('POST', '/api/execute', { prompt: 'go', personaId: p.body.id })).body.executionId as string;
    }));
    await waitUntil('the busy runs to start', async () => {
      const s = await sys.status();
      return s.workers.find((x: any) => x.workerId === 'sbx-w1')?.busy === 2;
    }, 30_000, sys.logs);
    return busy;
  }

  /** The run uids a worker logged at start (`CLI runs isolated`). */
  const runUids = (output: string) => /"runUids":"(\d+)-(\d+)"/.exec(output)?.slice(1).map(Number);

  it('gives a second worker on this host run uids of its own, though both have the same WORKER_SANDBOX_UID_BASE', async () => {
    const w = await sys.startWorker('sbx-w-uids', { slots: 3 });
    const [mine, first] = [runUids(w.output()), runUids(firstWorker.output())];
    expect(first![1] - first![0]).toBe(1); // sbx-w1: 2 slots
    expect(mine![1] - mine![0]).toBe(2);
    expect(mine![0] > first![1] || mine![1] < first![0]).toBe(true); // no uid in common
    await w.stop();
  });

  it('leaves no process of a run behind when the worker is killed with -9 mid-run', async () => {
    const w = await sys.startWorker('sbx-w-kill');
    const created = await sys.api('POST', '/api/personas', { name: 'Sbx Killed' });
    sys.fake.onPrompt('# Persona: Sbx Killed', [toolUse('Bash', { command: '(setsid tail -f /dev/null &); tail -f /dev/null' }), text('never')]);
    const busy = await occupyFirstWorker();
    const submitted = await sys.api('POST', '/api/execute', { prompt: 'go', personaId: created.body.id });
    const pid = w.child.pid!;
    // The CLI is running its tool: one tail in its process group, one that left it, both in the run folder.
    await waitUntil('the run\'s tool to be running', () => runProcesses(pid).filter((l) => l.includes('tail -f /dev/null')).length === 2, 30_000, sys.logs);
    w.child.kill('SIGKILL');
    await waitUntil('no process of the run left', () => runProcesses(pid).length === 0, 10_000, () => runProcesses(pid).join('\n'));
    const failed = await sys.final(submitted.body.executionId);
    expect(failed.status).toBe('failed');
    expect(failed.error).toContain('worker_disconnected');
    await Promise.all(busy.map((id) => sys.api('POST', `/api/executions/${id}/cancel`)));
    // The next worker on this host sweeps the dead worker's run folder.
    const again = await sys.startWorker('sbx-w-sweep');
    expect(fs.existsSync(path.join('/tmp', `pc-worker-${pid}`))).toBe(false);
    await again.stop();
  });

  it('never lets a run start orphaned when the worker is killed while bubblewrap sets it up', async () => {
    const busy = await occupyFirstWorker();
    const pids: number[] = [];
    for (let i = 0; i < 4; i++) {
      const w = await sys.startWorker(`sbx-w-early-${i}`);
      const created = await sys.api('POST', '/api/personas', { name: `Sbx Early ${i}` });
      sys.fake.onPrompt(`# Persona: Sbx Early ${i}`, [slow(500, text('slowly '.repeat(100)), 100)]);
      await sys.api('POST', '/api/execute', { prompt: 'go', personaId: created.body.id });
      const pid = w.child.pid!;
      pids.push(pid);
      killAtLaunch(pid);
    }
    // Whatever got as far as the sandbox's shell stops by itself: no CLI, nothing working in a run folder.
    const working = () => pids.flatMap(runProcesses).filter((l) => !l.includes('bwrap --unshare-all'));
    await waitUntil('nothing working in a dead worker\'s run folder', () => working().length === 0, 10_000, () => working().join('\n'));
    await Promise.all(busy.map((id) => sys.api('POST', `/api/executions/${id}/cancel`)));
    // bwrap's namespace child caught mid-setup waits for its dead parent forever; the next worker stops it.
    const again = await sys.startWorker('sbx-w-sweep-early');
    expect(pids.flatMap(runProcesses)).toEqual([]);
    for (const pid of pids) expect(fs.existsSync(path.join('/tmp', `pc-worker-${pid}`))).toBe(false);
    await again.stop();
  });
});
