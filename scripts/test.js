#!/usr/bin/env node
/**
 * `npm test` — runs every test on both record stores, then prints ONE last line:
 * `tests: N passed, N failed` (the sum of both passes).
 *
 * 1. Builds (tsc -p tsconfig.build.json, then the web console with Vite): the e2e suites spawn the
 *    compiled dist/ files, and the browser tests load dist/console.
 *    A failed build still lets the tests run, but counts as one failure.
 * 2. Makes sure a Redis answers (REDIS_URL, default redis://127.0.0.1:6379); if none does, starts a
 *    private redis-server without persistence in a temp dir and stops it at the end.
 * 3. Pass 1, SQLite: runs jest with REDIS_URL, TEST_DB=sqlite and a unique TEST_RUN_ID exported.
 * 4. Pass 2, PostgreSQL: makes sure a PostgreSQL answers (PG_TEST_URL, default
 *    postgres://postgres@127.0.0.1:5432/postgres; if none does and Debian's postgresql is installed,
 *    starts a private throw-away cluster, see scripts/ensure-postgres.ts), migrates a template
 *    database pc_test_<run>_template, and runs jest again with TEST_DB=postgres: every test database
 *    is a copy of the template, dropped by its test; whatever a crashed test left of this run's
 *    pc_test_<run>_* databases is dropped at the end. No PostgreSQL to be had counts as one failure.
 *    TEST_BACKENDS=sqlite (or postgres) runs one pass only.
 * Extra arguments go to jest in both passes (`npm test -- test/unit`). If jest finishes but does not
 * exit (a test left a handle open), it is killed after a grace period and that counts as a failure.
 *
 * Plain JavaScript so that it runs before anything is compiled.
 */
'use strict';
const { spawn, spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const EXIT_GRACE_MS = 30_000;
const note = (line) => process.stderr.write(`[test] ${line}\n`);

const BACKENDS = ['sqlite', 'postgres'];

async function main() {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pc-test-run-'));
  let extraFailures = 0;
  let redis;
  try {
    if (!build()) extraFailures += 1;

    const backends = (process.env.TEST_BACKENDS || BACKENDS.join(',')).split(',').map((b) => b.trim()).filter(Boolean);
    const unknown = backends.filter((b) => !BACKENDS.includes(b));
    if (unknown.length || backends.length === 0) {
      note(`TEST_BACKENDS: unknown ${unknown.join(', ') || '(empty)'}; expected a comma-separated list of ${BACKENDS.join(', ')}`);
      return { passed: 0, failed: extraFailures + 1 };
    }

    const { ensureRedis, RedisUnavailableError } = require(path.join(ROOT, 'dist/scripts/ensure-redis.js'));
    try {
      redis = await ensureRedis({ url: process.env.REDIS_URL, dataDir: tmp, persist: false, log: note });
    } catch (err) {
      note(err instanceof RedisUnavailableError ? err.message : err.stack);
      note('the tests need Redis; none is reachable, so none were run');
      return { passed: 0, failed: extraFailures + 1 };
    }
    note(`Redis: ${redis.url}${redis.started ? ' (private, stopped at the end)' : ''}`);

    const runId = `${Date.now().toString(36)}-${crypto.randomBytes(4).toString('hex')}`;
    const base = { ...process.env, REDIS_URL: redis.url, TEST_RUN_ID: runId };
    const totals = { passed: 0, failed: extraFailures };
    for (const [i, backend] of backends.entries()) {
      note(`pass ${i + 1}/${backends.length}: ${backend === 'sqlite' ? 'SQLite' : 'PostgreSQL'}`);
      const started = Date.now();
      const result = backend === 'sqlite'
        ? await runJest(tmp, 'sqlite', { ...base, TEST_DB: 'sqlite' })
        : await postgresPass(tmp, base, runId);
      note(`pass ${i + 1}/${backends.length} (${backend}): ${result.passed} passed, ${result.failed} failed in ${((Date.now() - started) / 1000).toFixed(0)} s`);
      totals.passed += result.passed;
      totals.failed += result.failed;
    }
    return totals;
  } finally {
    if (redis) await redis.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** The PostgreSQL pass: a server, a migrated template for this run, jest, then this run's leftovers dropped. */
async function postgresPass(tmp, base, runId) {
  const { ensurePostgres, PostgresUnavailableError } = require(path.join(ROOT, 'dist/scripts/ensure-postgres.js'));
  const dbs = require(path.join(ROOT, 'dist/scripts/test-databases.js'));
  let pg;
  try {
    pg = await ensurePostgres({ url: process.env.PG_TEST_URL, log: note });
  } catch (err) {
    note(err instanceof PostgresUnavailableError ? err.message : err.stack);
    note('the PostgreSQL pass needs a PostgreSQL; none is reachable, so it did not run (one failure)');
    return { passed: 0, failed: 1 };
  }
  note(`PostgreSQL: ${pg.url.replace(/:[^:@/]*@/, ':***@')}${pg.started ? ' (private, stopped at the end)' : ''}`);
  const prefix = dbs.runPrefix(runId);
  try {
    const template = `${prefix}template`;
    try {
      await dbs.createMigratedTemplate(pg.url, template);
    } catch (err) {
      note(`could not make the template database ${template}: ${err.stack}`);
      return { passed: 0, failed: 1 };
    }
    return await runJest(tmp, 'postgres', { ...base, TEST_DB: 'postgres', PG_TEST_URL: pg.url, PG_TEST_TEMPLATE: template });
  } finally {
    try {
      const left = await dbs.dropDatabasesWithPrefix(pg.url, prefix);
      const strays = left.filter((n) => !n.endsWith('_template'));
      if (strays.length) note(`dropped ${strays.length} database(s) a test left behind: ${strays.join(', ')}`);
    } catch (err) {
      note(`could not drop this run's databases (${prefix}*): ${err.message}`);
    }
    await pg.stop();
  }
}

/** Compiles to dist/ (and the console to dist/console); returns false (after showing the errors) when either fails. */
function build() {
  const started = Date.now();
  const tsc = require.resolve('typescript/bin/tsc', { paths: [ROOT] });
  const server = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: ROOT, encoding: 'utf8' });
  // The web console (dist/console), which the browser tests load from the orchestrator.
  const vite = path.join(path.dirname(require.resolve('vite/package.json', { paths: [ROOT] })), 'bin', 'vite.js');
  const web = spawnSync(process.execPath, [vite, 'build', '--config', 'server/console/vite.config.mts', '--logLevel', 'warn'], { cwd: ROOT, encoding: 'utf8' });
  if (server.status === 0 && web.status === 0) {
    note(`build: ok (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    return true;
  }
  for (const res of [server, web]) if (res.status !== 0) process.stderr.write(res.stdout + res.stderr);
  note('build: FAILED (counted as one failed test); running the tests anyway');
  return false;
}

/** Runs jest with its normal output on the terminal; counts come from its --json report. */
function runJest(tmp, label, env) {
  const report = path.join(tmp, `jest-report-${label}.json`);
  const jest = require.resolve('jest/bin/jest', { paths: [ROOT] });
  const args = [jest, '--json', `--outputFile=${report}`, ...process.argv.slice(2)];
  return new Promise((resolve) => {
    // jest prints its reporter output on stderr when the JSON goes to a file; pass both through.
    const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'inherit', 'inherit'] });
    let lingered = false;
    // jest writes the report when the run is complete; if it then does not exit, a test leaked a handle.
    const watch = setInterval(() => {
      if (!fs.existsSync(report)) return;
      clearInterval(watch);
      setTimeout(() => {
        lingered = true;
        note(`jest did not exit ${EXIT_GRACE_MS / 1000} s after the run finished: a test left a handle open; killing it`);
        child.kill('SIGKILL');
      }, EXIT_GRACE_MS).unref();
    }, 500);
    child.on('exit', (code, signal) => {
      clearInterval(watch);
      resolve(countResults(report, { code, signal, lingered }));
    });
  });
}

function countResults(report, exit) {
  let json;
  try {
    json = JSON.parse(fs.readFileSync(report, 'utf8'));
  } catch (err) {
    note(`jest produced no report (${exit.signal ? `signal ${exit.signal}` : `exit code ${exit.code}`}): ${err.message}`);
    return { passed: 0, failed: 1 };
  }
  const passed = json.numPassedTests;
  // A suite that failed to run (syntax error, failing beforeAll import) has no failed tests of its own.
  let failed = json.numFailedTests + json.numRuntimeErrorTestSuites;
  if (exit.lingered) failed += 1;
  if (exit.code !== 0 && failed === 0 && !exit.lingered) {
    note(`jest exited with ${exit.signal ? `signal ${exit.signal}` : `code ${exit.code}`} although no test failed; counting one failure`);
    failed = 1;
  }
  return { passed, failed };
}

main()
  .catch((err) => {
    note(err && err.stack ? err.stack : String(err));
    return { passed: 0, failed: 1 };
  })
  .then(({ passed, failed }) => {
    process.stdout.write(`tests: ${passed} passed, ${failed} failed\n`);
    process.exit(failed > 0 ? 1 : 0);
  });
