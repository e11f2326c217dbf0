/**
 * An unhandled promise rejection is logged and never kills the orchestrator: a real orchestrator
 * process (dist/server/main.js) with a preload that rejects promises on SIGUSR2 keeps answering,
 * logs each rejection, and still shuts down cleanly on SIGTERM.
 */
import fs from 'node:fs';
import path from 'node:path';
import { freePort } from '../../scripts/ensure-redis';
import { REDIS_URL, TEST_KEYS, tempDir, uniquePrefix } from '../helpers/env';
import { runDist, waitUntil, type Proc } from '../helpers/processes';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { deletePrefix } from '../helpers/redis';

describe('an unhandled promise rejection in the orchestrator', () => {
  let orchestrator: Proc | undefined;
  let dir: string;
  let prefix: string;
  let database: TestDatabase | undefined;
  afterAll(async () => {
    await orchestrator?.stop();
    await database?.drop();
    await deletePrefix(prefix);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('is logged, and the process keeps serving', async () => {
    dir = tempDir('pc-rejection');
    prefix = uniquePrefix('rejection');
    database = await createTestDatabase(dir);
    const httpPort = await freePort();
    const base = `http://127.0.0.1:${httpPort}`;
    orchestrator = runDist('server/main.js', {
      ...TEST_KEYS,
      HTTP_PORT: String(httpPort),
      WS_PORT: String(await freePort()),
      HOST: '127.0.0.1',
      ...database.env,
      REDIS_URL,
      QUEUE_PREFIX: prefix,
      LOG_LEVEL: 'info',
      NODE_OPTIONS: `--require ${path.resolve(__dirname, '../fixtures/reject-on-signal.js')}`,
    });
    const proc = orchestrator;
    const healthy = async () => {
      try {
        return (await fetch(`${base}/health`)).ok;
      } catch {
        return false;
      }
    };
    await waitUntil('orchestrator health', healthy, 20_000, proc.output);

    const logged = () => proc.output().split('unhandled promise rejection').length - 1;
    // One signal at a time: the kernel merges a signal sent while the same one is still pending.
    for (let i = 1; i <= 3; i++) {
      proc.child.kill('SIGUSR2');
      await waitUntil(`${2 * i} logged rejections`, () => logged() >= 2 * i, 10_000, proc.output);
    }

    expect(proc.child.exitCode).toBeNull();
    expect(await healthy()).toBe(true);
    const personas = await fetch(`${base}/api/personas`, { headers: { Authorization: `Bearer ${TEST_KEYS.TEAM_API_KEY}` } });
    expect(personas.status).toBe(200);
    const out = proc.output();
    expect(out).toContain('deliberate unhandled rejection from the test preload');
    expect(out).toContain('rejected with a non-Error value (string)');
    expect(out).not.toContain('a bare string that must not be logged');

    await proc.stop();
    expect(await proc.exited).toBe(0);
  });
});
