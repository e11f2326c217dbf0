/**
 * `npm run bench`: event accepted → assignment received by a worker, through the whole orchestrator
 * (HTTP API, events queue, matcher, executions queue, dispatcher, socket.io gateway) with fast fake
 * workers standing in for the Claude CLI. Prints p50/p95/p99 latency, sustained events/s and the
 * orchestrator's peak RSS for each combination of event count and subscription count.
 *
 *   npm run bench -- --events 1000,10000 --subscriptions 10,10000 --rate 500 --workers 4 --slots 50
 *
 * `--database sqlite` (default) or `--database postgres://user@host:5432/postgres` (a server the
 * bench may create databases on: each scenario gets a fresh pc_bench_* database, dropped after it).
 * `--orchestrators 1,2` runs each combination with one and with two orchestrator processes sharing
 * the database and Redis (two need PostgreSQL), the workers and the events spread over them.
 *
 * Then the audit chain on its own (`--audit N` appends, 0 to skip): appends one at a time and 32 in
 * flight, and one audit:verify pass.
 *
 * Each combination runs twice: at the offered `--rate` (the latency a user sees under that load) and
 * flat out with `--concurrency` requests in flight (the sustained dispatch rate).
 *
 * Then retention (`--retention N` old executions with 20 output lines each, 0 to skip): the daily
 * prune with its defaults while a read every 2 ms measures what the API waits behind it.
 *
 * Then the sandbox (`--sandbox N` runs per isolation mode, 0 to skip): assign → CLI started with a
 * stand-in CLI in each mode, and the token proxy's added latency.
 *
 * Then per-run cost with real workers (scripts/bench/real-workers.ts; `--real-runs N`, 0 to skip): the spawn
 * floor, 2 real worker processes × 50 slots running a stand-in CLI flat out and paced (`--paced N` at
 * `--paced-rate`/s, with each of `--real-subscriptions`), busy-slot RSS, the sandbox floor and the
 * workers under bwrap (`--sandbox-floor false` to skip), and the streaming load (`--stream-runs N`
 * runs × `--stream-seconds` s on 4 workers, `--followers` SSE followers; 0 runs to skip).
 * Then the design's floor (scripts/bench/design-floor.ts; `--design-floor N` runs flat out and
 * `--design-floor-paced N` at `--paced-rate`/s, 0 to skip): Express, two BullMQ hops, socket.io and the
 * run's SQLite statements measured bare, each in a process of its own, beside the orchestrator's figure.
 *
 * A benchmark, not a test: it never fails on its figures. Needs a built dist/ and a Redis (REDIS_URL).
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import IORedis from 'ioredis';
import { loadEnv } from '../shared/env-sources';
import { runAuditBench } from './bench/audit';
import { describeStore, parseBenchStore } from './bench/database';
import { describeDesignFloor, describeDesignFloorLatency, runDesignFloor } from './bench/design-floor';
import { runRealWorkerBench, type RealWorkerOptions } from './bench/real-workers';
import { describeRealWorkers } from './bench/real-workers-report';
import { runRetentionBench } from './bench/retention';
import { runSandboxBench } from './bench/sandbox';
import { runScenario, type ScenarioResult } from './bench/scenario';

const list = (v: string) => v.split(',').map((s) => Number(s.trim())).filter((n) => Number.isInteger(n) && n > 0);

async function machine(redisUrl: string, database: string): Promise<string> {
  const redis = new IORedis(redisUrl, { maxRetriesPerRequest: 1, lazyConnect: true });
  let redisVersion = 'unknown';
  try {
    await redis.connect();
    redisVersion = /redis_version:(\S+)/.exec(await redis.info('server'))?.[1] ?? redisVersion;
  } finally {
    redis.disconnect();
  }
  const cpus = os.cpus();
  return `${cpus.length} × ${cpus[0]?.model.trim() ?? 'unknown CPU'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB RAM, ` +
    `${os.type()} ${os.release()}, Node ${process.version}, Redis ${redisVersion} (local), ${database}`;
}

function table(results: ScenarioResult[]): string {
  const head = '| orchestrators | events | subscriptions | offered/s | p50 ms | p95 ms | p99 ms | max ms | dispatched/s | flat-out dispatched/s | flat-out p50 / p99 ms | peak RSS MB | orchestrator CPU ms/event |';
  const rule = '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|';
  const rows = results.map((r) => {
    const a = r.atRate;
    const f = r.flatOut;
    return `| ${r.orchestrators} | ${r.events} | ${r.subscriptions} | ${r.rate} | ${a.p50Ms} | ${a.p95Ms} | ${a.p99Ms} | ${a.maxMs} | ${a.dispatchedPerSec} | ${f.dispatchedPerSec} | ${f.p50Ms} / ${f.p99Ms} | ${r.peakRssMb} | ${r.cpuMsPerEvent} |`;
  });
  return [head, rule, ...rows].join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      events: { type: 'string', default: '1000,10000' },
      subscriptions: { type: 'string', default: '10,10000' },
      workers: { type: 'string', default: '4' },
      slots: { type: 'string', default: '50' },
      personas: { type: 'string', default: '10' },
      concurrency: { type: 'string', default: '32' },
      rate: { type: 'string', default: '500' },
      json: { type: 'boolean', default: false },
      audit: { type: 'string', default: '10000' },
      sandbox: { type: 'string', default: '50' },
      database: { type: 'string', default: 'sqlite' },
      orchestrators: { type: 'string', default: '1' },
      'real-runs': { type: 'string', default: '2000' },
      'real-workers': { type: 'string', default: '2' },
      'real-slots': { type: 'string', default: '50' },
      'real-subscriptions': { type: 'string', default: '10,10000' },
      paced: { type: 'string', default: '500' },
      'paced-rate': { type: 'string', default: '50' },
      floor: { type: 'string', default: '2000' },
      'sandbox-floor': { type: 'string', default: 'true' },
      'stream-runs': { type: 'string', default: '200' },
      'stream-seconds': { type: 'string', default: '30' },
      followers: { type: 'string', default: '20' },
      retention: { type: 'string', default: '5000' },
      'design-floor': { type: 'string', default: '4000' },
      'design-floor-paced': { type: 'string', default: '300' },
    },
  });
  const store = parseBenchStore(values.database!);
  const orchestratorCounts = list(values.orchestrators!);
  if (store.client === 'sqlite' && orchestratorCounts.some((n) => n > 1)) {
    throw new Error('--orchestrators: more than one orchestrator needs --database postgres://… (SQLite is one orchestrator\'s store)');
  }
  const redisUrl = loadEnv(['REDIS_URL']).env.REDIS_URL || 'redis://127.0.0.1:6379';
  const common = {
    workers: Number(values.workers), slotsPerWorker: Number(values.slots), personas: Number(values.personas),
    concurrency: Number(values.concurrency), rate: Number(values.rate), redisUrl, store,
  };
  process.stdout.write(`machine: ${await machine(redisUrl, await describeStore(store))}\n`);
  const results: ScenarioResult[] = [];
  for (const orchestrators of orchestratorCounts) for (const subscriptions of list(values.subscriptions!)) {
    for (const events of list(values.events!)) {
      process.stdout.write(`running: ${orchestrators} orchestrator(s), ${events} events, ${subscriptions} subscriptions …\n`);
      const r = await runScenario({ ...common, events, subscriptions, orchestrators });
      results.push(r);
      process.stdout.write(
        `  at ${r.rate}/s: p50 ${r.atRate.p50Ms} ms, p95 ${r.atRate.p95Ms} ms, p99 ${r.atRate.p99Ms} ms, ${r.atRate.dispatchedPerSec}/s dispatched; ` +
        `flat out: ${r.flatOut.dispatchedPerSec}/s dispatched; peak RSS ${r.peakRssMb} MB; orchestrator CPU ${r.cpuMsPerEvent} ms/event\n` +
        `  at ${r.rate}/s, accepted → execution created: p50 ${r.atRate.matchP50Ms} / p99 ${r.atRate.matchP99Ms} ms; ` +
        `execution created → assigned: p50 ${r.atRate.dispatchP50Ms} / p99 ${r.atRate.dispatchP99Ms} ms\n`,
      );
    }
  }
  process.stdout.write(`\n${table(results)}\n`);
  const audit = Number(values.audit) > 0 ? await runAuditBench({ appends: Number(values.audit), inFlight: 32, store }) : undefined;
  if (audit) {
    process.stdout.write(
      `\naudit chain, ${audit.appends} appends: one at a time ${audit.sequential.perSec}/s (p50 ${audit.sequential.p50Ms} ms, p99 ${audit.sequential.p99Ms} ms); ` +
      `${audit.concurrent.inFlight} in flight ${audit.concurrent.perSec}/s (p50 ${audit.concurrent.p50Ms} ms, p99 ${audit.concurrent.p99Ms} ms); ` +
      `audit:verify ${audit.verify.perSec} rows/s\n`,
    );
  }
  const retention = Number(values.retention) > 0 ? await runRetentionBench({ executions: Number(values.retention), linesPerExecution: 20, store }) : undefined;
  if (retention) {
    const r = retention;
    process.stdout.write(
      `\nretention prune of ${r.executions} executions (${r.outputLines} output lines) and ${r.events} events: ${r.pruneMs} ms, ` +
      `longest statement ${r.longestStatementMs} ms, ${r.pagesFreed} pages given back; a read every 2 ms meanwhile (${r.probes} reads) ` +
      `waited p50 ${r.probeP50Ms} ms, p99 ${r.probeP99Ms} ms, max ${r.probeMaxMs} ms; event loop blocked at most ${r.loopBlockedMaxMs} ms (bound: 50 ms)\n`,
    );
  }
  const sandbox = Number(values.sandbox) > 0 ? await runSandboxBench({ runs: Number(values.sandbox), requests: 2_000 }) : undefined;
  if (sandbox) {
    process.stdout.write('\nassign → CLI started (stand-in CLI, 8 KiB prompt), by isolation mode:\n');
    for (const s of sandbox.spawn) {
      process.stdout.write(`  ${s.mode.padEnd(5)} ${s.runs} runs: p50 ${s.p50Ms} ms, p95 ${s.p95Ms} ms (+${s.addedP50Ms} ms p50 over none)\n`);
    }
    const p = sandbox.proxy;
    process.stdout.write(
      `token proxy, ${p.requests} requests one at a time: direct p50 ${p.directP50Ms} ms, through the proxy p50 ${p.proxiedP50Ms} ms ` +
      `(added p50 ${p.addedP50Ms} ms, p99 of the per-pair difference ${p.addedP99Ms} ms)\n`,
    );
  }
  const real: RealWorkerOptions = {
    store, redisUrl, workers: Number(values['real-workers']), slots: Number(values['real-slots']), runs: Number(values['real-runs']),
    pacedRuns: Number(values.paced), pacedRate: Number(values['paced-rate']), subscriptions: list(values['real-subscriptions']!),
    floorRuns: Number(values.floor), floorInFlight: 16, sandboxFloor: values['sandbox-floor'] !== 'false',
    streamWorkers: 4, streamRuns: Number(values['stream-runs']), streamSeconds: Number(values['stream-seconds']), linesPerSec: 20,
    followers: Number(values.followers),
  };
  const workers = real.runs > 0 ? await runRealWorkerBench(real, (line) => process.stdout.write(`\n${line}\n`)) : undefined;
  if (workers) process.stdout.write(`\nper-run cost, real workers (stand-in CLI):\n${describeRealWorkers(workers, real)}\n`);
  const floorRuns = Number(values['design-floor']);
  const designFloor = floorRuns > 0 ? await runDesignFloor({ runs: floorRuns, redisUrl }) : undefined;
  const pacedFloorRuns = Number(values['design-floor-paced']);
  const pacedDesignFloor = pacedFloorRuns > 0 ? await runDesignFloor({ runs: pacedFloorRuns, redisUrl, gapMs: 1000 / real.pacedRate }) : undefined;
  if (designFloor || pacedDesignFloor) {
    process.stdout.write('\nthe design\'s floor (its parts bare, nothing of ours around them; orchestrator CPU per run):\n');
    if (designFloor) process.stdout.write(`${describeDesignFloor('  16 in flight', designFloor, workers?.flatOut.orchestratorCpuMsPerRun)}\n`);
    const paced = workers?.paced[0]?.orchestratorCpuMsPerRun;
    if (pacedDesignFloor) {
      process.stdout.write(`${describeDesignFloor(`  paced ${real.pacedRate}/s`, pacedDesignFloor, paced)}\n`);
      process.stdout.write(`${describeDesignFloorLatency(pacedDesignFloor, workers?.paced[0]?.startP50Ms)}\n`);
    }
  }
  if (values.json) process.stdout.write(`${JSON.stringify({ results, audit, retention, sandbox, workers, designFloor, pacedDesignFloor }, null, 2)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
