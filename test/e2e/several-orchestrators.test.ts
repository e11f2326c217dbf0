import fs from 'node:fs';
import path from 'node:path';
import { freePort } from '../../scripts/ensure-redis';
import { openDb, type Db } from '../../server/db/knex';
import { createPostgresDatabase } from '../helpers/database';
import { REDIS_URL, TEST_KEYS, tempDir, uniquePrefix } from '../helpers/env';
import { runDist, waitUntil, type Proc } from '../helpers/processes';
import { deletePrefix } from '../helpers/redis';

/**
 * The simulation of issue 11, with real processes on loopback: three orchestrators on one
 * PostgreSQL database and one Redis, six workers spread over them (each lists all three in
 * ORCHESTRATOR_URL, starting with a different one), the real worker running a stand-in CLI (a
 * shell script that prints valid stream-json and counts what it runs). Events are posted
 * round-robin to the three while one orchestrator is killed with -9 and restarted, twice; a
 * schedule fires every second meanwhile. Then: every accepted event became exactly one execution,
 * all completed, the stand-in ran each once, every run's output is whole (seq 0..7, no gap); the
 * schedule fired 30 ± 3 times, once per tick; and a run is followed (SSE) and cancelled through
 * instances that do not hold it.
 */
jest.setTimeout(300_000);

const EVENTS = 1000;
const LINES_PER_RUN = 8; // the worker's "not isolated" line (WORKER_SANDBOX=none), init, five assistant lines, result
const KILLS = [
  { at: 6_000, victim: 1, downMs: 3_000 },
  { at: 16_000, victim: 2, downMs: 3_000 },
];
const SCHEDULE_MS = 30_000;

/** The stand-in CLI: reads the prompt, notes its marker in the count file, prints stream-json slowly. */
function standInCli(file: string, counts: string): void {
  fs.writeFileSync(
    file,
    `#!/bin/sh
prompt=$(cat)
marker=$(printf '%s' "$prompt" | grep -o 'sim-[a-z0-9]*' | head -n 1)
echo "$marker $$" >> '${counts}'
echo '{"type":"system","subtype":"init","session_id":"s-'$$'","model":"stand-in"}'
if [ "$marker" = "sim-long" ]; then
  i=0
  while [ $i -lt 600 ]; do
    echo '{"type":"assistant","session_id":"s-'$$'","message":{"content":[{"type":"text","text":"long line '$i'"}]}}'
    i=$((i+1)); sleep 0.1
  done
fi
for i in 1 2 3 4 5; do
  echo '{"type":"assistant","session_id":"s-'$$'","message":{"content":[{"type":"text","text":"'$marker' line '$i'"}]}}'
  sleep 0.08
done
echo '{"type":"result","subtype":"success","is_error":false,"result":"done '$marker'","total_cost_usd":0,"duration_ms":400,"num_turns":1,"session_id":"s-'$$'"}'
`,
    { mode: 0o755 },
  );
}

interface Orch {
  id: string;
  httpPort: number;
  wsPort: number;
  base: string;
  proc?: Proc;
}

describe('three orchestrators, six workers, one PostgreSQL, one Redis, two kill -9', () => {
  const dir = tempDir('pc-sim');
  const prefix = uniquePrefix('sim');
  const cliDir = path.join(dir, 'cli');
  const counts = path.join(cliDir, 'counts.txt');
  let pg: Awaited<ReturnType<typeof createPostgresDatabase>>;
  let db: Db;
  const orchs: Orch[] = [];
  const workers: Proc[] = [];
  const logs = () => [...orchs.map((o) => o.proc?.output() ?? ''), ...workers.map((w) => w.output())].join('\n').slice(-8000);

  const api = async (o: Orch, method: string, p: string, body?: unknown) => {
    const res = await fetch(`${o.base}${p}`, {
      method, headers: { Authorization: `Bearer ${TEST_KEYS.TEAM_API_KEY}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(10_000),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };

  async function startOrch(o: Orch): Promise<void> {
    o.proc = runDist('server/main.js', {
      ...TEST_KEYS,
      HTTP_PORT: String(o.httpPort), WS_PORT: String(o.wsPort), HOST: '127.0.0.1',
      DAC_DB_PATH: path.join(dir, 'unused.db'), DATABASE_URL: pg.url,
      REDIS_URL, QUEUE_PREFIX: prefix, INSTANCE_ID: o.id,
      CLAUDE_TOKEN: 'sk-ant-api03-simulation-token-0123456789', LOG_LEVEL: 'warn', LOG_FORMAT: 'json', NODE_ENV: 'test',
    });
    await waitUntil(`${o.id} health`, async () => {
      try {
        return (await fetch(`${o.base}/health`)).ok;
      } catch {
        return false;
      }
    }, 30_000, logs);
  }

  beforeAll(async () => {
    fs.mkdirSync(cliDir, { mode: 0o755 });
    fs.chmodSync(dir, 0o755);
    fs.writeFileSync(counts, '', { mode: 0o666 });
    standInCli(path.join(cliDir, 'claude'), counts);
    pg = await createPostgresDatabase();
    db = openDb({ client: 'postgres', url: pg.url, poolMax: 2 });
    for (let i = 0; i < 3; i++) {
      const httpPort = await freePort();
      const wsPort = await freePort();
      orchs.push({ id: `orch-${i}`, httpPort, wsPort, base: `http://127.0.0.1:${httpPort}` });
    }
    // Concurrently: they migrate one at a time under PostgreSQL's advisory lock.
    await Promise.all(orchs.map(startOrch));
    const urls = orchs.map((o) => `ws://127.0.0.1:${o.wsPort}`);
    for (let i = 0; i < 6; i++) {
      const rotated = [...urls.slice(i % 3), ...urls.slice(0, i % 3)];
      workers.push(runDist('worker/main.js', {
        ORCHESTRATOR_URL: rotated.join(','), WORKER_TOKEN: TEST_KEYS.WORKER_TOKEN, WORKER_ID: `sim-worker-${i}`, WORKER_SLOTS: '3',
        CLAUDE_BIN: path.join(cliDir, 'claude'), WORKER_SANDBOX: 'none', WORK_DIR_ROOT: dir,
        KILL_GRACE_MS: '1000', SHUTDOWN_GRACE_MS: '1000', LOG_LEVEL: 'warn', LOG_FORMAT: 'json', NODE_ENV: 'test',
      }));
    }
    await waitUntil('six workers on three orchestrators', async () => {
      const s = (await api(orchs[0], 'GET', '/api/status')).body;
      return s.workers.length === 6 && s.instances.length === 3 && s.instances.every((i: { workers: string[] }) => i.workers.length === 2);
    }, 30_000, logs);
  });

  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop(5_000)));
    await Promise.all(orchs.map((o) => o.proc?.stop(10_000)));
    await db?.destroy();
    await pg?.drop();
    await deletePrefix(prefix);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('turns every accepted event into exactly one whole run, and fires the schedule once per tick, through two kill -9', async () => {
    const persona = await api(orchs[0], 'POST', '/api/personas', { name: 'Simulated', systemPrompt: 'Answer.', maxConcurrent: 100 });
    expect(persona.status).toBe(201);
    expect((await api(orchs[1], 'POST', '/api/subscriptions', { personaId: persona.body.id, eventType: 'sim.event', enabled: true })).status).toBe(201);
    const ticker = await api(orchs[2], 'POST', '/api/triggers', {
      personaId: persona.body.id, triggerType: 'schedule', config: { cron: 'every 1s', event_type: 'sim.tick' },
    });
    expect(ticker.status).toBe(201);
    const t0 = Date.now();
    // The schedule runs 30 s from its creation, whatever the posting below takes; disabled, not
    // deleted (its fires go with a deleted trigger).
    const schedule = (async () => {
      await new Promise((r) => setTimeout(r, SCHEDULE_MS));
      const disabled = await api(orchs[0], 'PUT', `/api/triggers/${ticker.body.id}`, { enabled: false });
      expect(disabled.status).toBe(200);
    })();

    // The chaos: kill -9 one orchestrator, restart it after a while, twice.
    const chaos = (async () => {
      for (const k of KILLS) {
        await new Promise((r) => setTimeout(r, Math.max(0, t0 + k.at - Date.now())));
        const o = orchs[k.victim];
        o.proc!.child.kill('SIGKILL');
        await o.proc!.exited;
        await new Promise((r) => setTimeout(r, k.downMs));
        await startOrch(o);
      }
    })();

    // 1,000 events round-robin, ~35 per second. A refused connection (the instance is down) reached
    // no orchestrator, so it goes to the next one, as a balancer does; a request cut off in flight
    // may or may not have been accepted and is not sent again (its event, if stored, is checked below).
    let accepted = 0;
    let lost = 0;
    const post = async (n: number, attempt = 0): Promise<void> => {
      try {
        const r = await api(orchs[(n + attempt) % 3], 'POST', '/api/events', { eventType: 'sim.event', sourceType: 'simulation', payload: { marker: `sim-${n}` } });
        if (r.status === 202) accepted++;
        else lost++;
      } catch (err) {
        if ((err as { cause?: { code?: string } }).cause?.code === 'ECONNREFUSED' && attempt < 2) return post(n, attempt + 1);
        lost++;
      }
    };
    const posting: Array<Promise<void>> = [];
    for (let n = 0; n < EVENTS; n++) {
      posting.push(post(n));
      await new Promise((r) => setTimeout(r, 28));
    }
    await Promise.all(posting);
    await chaos;
    await schedule;
    expect(accepted + lost).toBe(EVENTS);
    expect(accepted).toBeGreaterThanOrEqual(EVENTS * 0.97);
    // The kills hit: the victims' workers lost their orchestrator and went on with another.
    expect(workers.filter((w) => w.output().includes('disconnected from orchestrator')).length).toBeGreaterThanOrEqual(4);

    // Every event row (accepted, or taken just before its orchestrator died) has exactly one execution, completed.
    const events = (await db('events').where({ event_type: 'sim.event' }).select('id')).map((r: { id: string }) => r.id);
    expect(events.length).toBeGreaterThanOrEqual(accepted);
    await waitUntil('every simulated execution to finish', async () => {
      const [{ n }] = await db('executions').where({ persona_id: persona.body.id }).whereIn('status', ['queued', 'running']).count({ n: '*' });
      const [{ total }] = await db('executions').where({ persona_id: persona.body.id }).count({ total: '*' });
      return Number(n) === 0 && Number(total) >= events.length;
    }, 180_000, logs).catch(async (err: Error) => {
      // Name what never finished, with its worker, before the logs.
      const stuck = await db('executions').where({ persona_id: persona.body.id }).whereIn('status', ['queued', 'running']).select('id', 'status', 'worker_id', 'started_at');
      throw new Error(`${JSON.stringify(stuck.slice(0, 20))} (${stuck.length} unfinished)\n${err.message}`);
    });
    const perEvent = (await db('executions').where({ persona_id: persona.body.id }).groupBy('event_id', 'status').select('event_id', 'status').count({ n: '*' })) as Array<{ event_id: string; status: string; n: number | string }>;
    const notOnce = perEvent.filter((r: { n: number | string; status: string }) => Number(r.n) !== 1 || r.status !== 'completed');
    // Named with their error, should one not complete.
    expect(await db('executions').where({ persona_id: persona.body.id }).whereNot({ status: 'completed' }).select('id', 'status', 'error', 'worker_id')).toEqual([]);
    expect(notOnce).toEqual([]);
    expect(perEvent.length).toBe(events.length);

    // The stand-in ran each event's run once.
    const markers = fs.readFileSync(counts, 'utf8').trim().split('\n').filter(Boolean).map((l) => l.split(' ')[0]);
    const ran = new Map<string, number>();
    for (const m of markers) ran.set(m, (ran.get(m) ?? 0) + 1);
    expect([...ran.entries()].filter(([, n]) => n !== 1)).toEqual([]);
    expect(ran.size).toBe(events.length);

    // Every run's stored output is whole: seq 0..7, eight lines.
    const output: Array<{ execution_id: string; lo: number | string; hi: number | string; n: number | string }> = await db('execution_output as o')
      .join('executions as e', 'e.id', 'o.execution_id')
      .where('e.persona_id', persona.body.id)
      .groupBy('o.execution_id')
      .select('o.execution_id')
      .min({ lo: 'o.seq' })
      .max({ hi: 'o.seq' })
      .count({ n: '*' });
    const broken = output.filter((r: { lo: number | string; hi: number | string; n: number | string }) =>
      Number(r.lo) !== 0 || Number(r.hi) !== LINES_PER_RUN - 1 || Number(r.n) !== LINES_PER_RUN);
    expect(broken).toEqual([]);
    expect(output.length).toBe(events.length);

    // The schedule: 30 ± 3 fires over 30 s, never two for one tick, each with its one event.
    const fires = await db('trigger_fires').where({ trigger_id: ticker.body.id }).select('tick', 'event_id', 'status');
    expect(fires.length).toBeGreaterThanOrEqual(27);
    expect(fires.length).toBeLessThanOrEqual(33);
    expect(new Set(fires.map((f: { tick: string }) => f.tick)).size).toBe(fires.length);
    expect(fires.every((f: { tick: string | null; status: string }) => f.tick && f.status === 'fired')).toBe(true);
    const [{ n: tickEvents }] = await db('events').where({ source_id: ticker.body.id }).count({ n: '*' });
    expect(Number(tickEvents)).toBe(fires.length);
  });

  it('follows a run over SSE and cancels it through instances that do not hold it', async () => {
    const submitted = await api(orchs[0], 'POST', '/api/execute', { prompt: 'sim-long' });
    expect(submitted.status).toBe(202);
    const id = submitted.body.executionId as string;
    const holder = await waitUntil('the long run on a worker', async () => {
      const s = (await api(orchs[0], 'GET', '/api/status')).body;
      return s.workers.find((w: { running: string[] }) => w.running.includes(id))?.instanceId as string | undefined;
    }, 30_000, logs);
    const others = orchs.filter((o) => o.id !== holder);
    const res = await fetch(`${others[0].base}/api/executions/${id}/stream`, { headers: { Authorization: `Bearer ${TEST_KEYS.TEAM_API_KEY}` } });
    const reader = res.body!.getReader();
    let text = '';
    const reading = (async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        text += Buffer.from(value).toString();
      }
    })();
    // Live lines keep coming through the instance that does not hold the run.
    await waitUntil('live lines over SSE', () => /long line 1[0-9]/.test(text), 30_000, logs);
    const cancelled = await api(others[1], 'POST', `/api/executions/${id}/cancel`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('cancelled');
    await waitUntil('the end event over SSE', () => text.includes('event:end') && text.includes('"status":"cancelled"'), 15_000, logs);
    await reading;
  });
});
