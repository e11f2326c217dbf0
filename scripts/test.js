#!/usr/bin/env node
/**
 * `npm test` — runs every test, then prints ONE last line: `tests: N passed, N failed`.
 *
 * 1. Builds (tsc -p tsconfig.build.json): the e2e suites spawn the compiled dist/ files.
 *    A failed build still lets the tests run, but counts as one failure.
 * 2. Makes sure a Redis answers (REDIS_URL, default redis://127.0.0.1:6379); if none does, starts a
 *    private redis-server without persistence in a temp dir and stops it at the end.
 * 3. Runs jest with REDIS_URL and a unique TEST_RUN_ID exported; extra arguments go to jest
 *    (`npm test -- test/unit`). If jest finishes but does not exit (a test left a handle open),
 *    it is killed after a grace period and that counts as a failure.
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

async function main() {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pc-test-run-'));
  let extraFailures = 0;
  let redis;
  try {
    if (!build()) extraFailures += 1;

    const { ensureRedis, RedisUnavailableError } = require(path.join(ROOT, 'dist/scripts/ensure-redis.js'));
    try {
      redis = await ensureRedis({ url: process.env.REDIS_URL, dataDir: tmp, persist: false, log: note });
    } catch (err) {
      note(err instanceof RedisUnavailableError ? err.message : err.stack);
      note('the tests need Redis; none is reachable, so none were run');
      return { passed: 0, failed: extraFailures + 1 };
    }
    note(`Redis: ${redis.url}${redis.started ? ' (private, stopped at the end)' : ''}`);

    const result = await runJest(tmp, {
      ...process.env,
      REDIS_URL: redis.url,
      TEST_RUN_ID: `${Date.now().toString(36)}-${crypto.randomBytes(4).toString('hex')}`,
    });
    return { passed: result.passed, failed: result.failed + extraFailures };
  } finally {
    if (redis) await redis.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** Compiles to dist/; returns false (after showing the errors) when tsc reports any. */
function build() {
  const started = Date.now();
  const tsc = require.resolve('typescript/bin/tsc', { paths: [ROOT] });
  const res = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: ROOT, encoding: 'utf8' });
  if (res.status === 0) {
    note(`build: ok (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    return true;
  }
  process.stderr.write(res.stdout + res.stderr);
  note('build: FAILED (counted as one failed test); running the tests anyway');
  return false;
}

/** Runs jest with its normal output on the terminal; counts come from its --json report. */
function runJest(tmp, env) {
  const report = path.join(tmp, 'jest-report.json');
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
