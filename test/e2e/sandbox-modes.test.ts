import fs from 'node:fs';
import path from 'node:path';
import { TEST_KEYS } from '../helpers/env';
import { createE2eSystem, type E2eSystem } from '../helpers/e2e-system';
import { text, toolResults, toolUse, userText } from '../helpers/fake-anthropic';
import { runDist } from '../helpers/processes';

/**
 * The fallbacks of WORKER_SANDBOX, with the real CLI: the uid mode (files and processes apart by uid
 * alone), the explicit none mode (every run says it is not isolated), and production refusing to
 * start without isolation.
 */
jest.setTimeout(180_000);

describe('sandbox modes (real CLI)', () => {
  let sys: E2eSystem;

  beforeAll(async () => {
    sys = await createE2eSystem('sbx-modes');
    fs.writeFileSync(path.join(sys.dir, 'secrets.env'), `MASTER_KEY=${TEST_KEYS.MASTER_KEY}\n`, { mode: 0o600 });
    await sys.startOrchestrator({ WORKER_GRACE_MS: '1500' });
  });
  afterEach(() => sys.fake.reset());
  afterAll(() => sys?.stop());

  async function runBash(name: string, command: string) {
    const persona = await sys.api('POST', '/api/personas', { name });
    sys.fake.onPrompt(`# Persona: ${name}`, [toolUse('Bash', { command }), text('done')]);
    const submitted = await sys.api('POST', '/api/execute', { prompt: 'go', personaId: persona.body.id });
    const done = await sys.final(submitted.body.executionId);
    const turns = sys.fake.mainRequests().filter((r) => userText(r).includes(`# Persona: ${name}`));
    return { done, result: toolResults(turns[turns.length - 1]).join('\n') };
  }

  it('uid mode: the run has its own unprivileged uid and cannot read root\'s files or the worker\'s environ', async () => {
    const w = await sys.startWorker('modes-uid', { env: { WORKER_SANDBOX: 'uid', WORKER_SANDBOX_UID_BASE: '120000' }, waitForRegister: false });
    const outcome = await Promise.race([
      w.exited.then((code) => ({ exited: code })),
      (async () => {
        for (;;) {
          const s = await sys.status();
          if (s.workers.some((x: any) => x.workerId === 'modes-uid')) return { registered: s.workers.find((x: any) => x.workerId === 'modes-uid') };
          await new Promise((r) => setTimeout(r, 100));
        }
      })(),
    ]);
    if ('exited' in outcome) {
      // A checkout the slot uid cannot reach (e.g. under /root): the worker must say so and refuse.
      expect(outcome.exited).toBe(1);
      expect(w.output()).toContain('uid 120000 cannot execute');
      return;
    }
    expect(outcome.registered).toMatchObject({ isolation: 'uid', networkLimited: false }); // said, not hidden
    const { done, result } = await runBash('Modes Uid', [
      'echo "uid=$(id -u)"',
      `cat ${sys.dir}/secrets.env 2>&1`,
      `cat /proc/${w.child.pid}/environ 2>&1 | head -c 200`,
    ].join('; '));
    expect(done.status).toBe('completed');
    expect(result).toContain('uid=120000');
    expect(result).toContain('Permission denied');
    expect(result).not.toContain(TEST_KEYS.MASTER_KEY);
    expect(result).not.toContain(TEST_KEYS.WORKER_TOKEN);
    await w.stop();
  });

  it('none mode: runs, and every run\'s first output line says it is not isolated', async () => {
    const w = await sys.startWorker('modes-none', { env: { WORKER_SANDBOX: 'none' } });
    const status = await sys.status();
    expect(status.workers.find((x: any) => x.workerId === 'modes-none').isolation).toBe('none');
    expect(w.output()).toContain('CLI runs are NOT isolated');
    const { done } = await runBash('Modes None', 'echo hi');
    expect(done.status).toBe('completed');
    expect(done.output[0].text ?? done.output[0].content).toContain('this run is NOT isolated');
    await w.stop();
  });

  it('production refuses to start a worker that cannot isolate, and says what to install', async () => {
    const w = runDist('worker/main.js', {
      ORCHESTRATOR_URL: `ws://127.0.0.1:${sys.wsPort}`, WORKER_TOKEN: TEST_KEYS.WORKER_TOKEN, WORKER_ID: 'modes-refused',
      NODE_ENV: 'production', PATH: '/nonexistent', // no bwrap, socat or setpriv to be found
    });
    expect(await w.exited).toBe(1);
    expect(w.output()).toContain('apt-get install -y bubblewrap socat');
    expect(w.output()).toContain('WORKER_SANDBOX=none');
  });
});
