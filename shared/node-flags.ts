/**
 * The Node flags the orchestrator and every worker process start with: `npm start`'s children, `npm run
 * orchestrator` / `npm run worker`, the images and compose (their commands), and the bench. A test
 * (test/unit/node-flags.test.ts) keeps those places in step.
 *
 * `--max-semi-space-size=8` (MiB; V8's default on 64-bit is 16): both processes allocate mostly
 * short-lived objects per run (messages, rows, output lines), and V8 grows the young generation to its
 * maximum under that load. Measured with real workers (docs/BENCHMARKS.md, 2026-11-30, two runs each):
 * - a worker with 50 busy slots: RSS 110–115 → 86–103 MB, peak 121–129 → 112–119 MB (target 120);
 * - the orchestrator: RSS after the bench 201–206 → 197–199 MB, peak 235–237 → 221–223 MB (target 200);
 * CPU per run and per streamed line within the noise for both. (4 MiB cost the orchestrator ~8 % more CPU.)
 */
const YOUNG_GENERATION = '--max-semi-space-size=8';

export const WORKER_NODE_FLAGS: readonly string[] = [YOUNG_GENERATION];
export const ORCHESTRATOR_NODE_FLAGS: readonly string[] = [YOUNG_GENERATION];
