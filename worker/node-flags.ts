/**
 * The Node flags every worker process starts with: `npm run worker`, `npm start`'s local workers, the
 * worker image and compose (their commands), and the bench. A test keeps those places in step.
 *
 * `--max-semi-space-size=8` (MiB; V8's default on 64-bit is 16): a worker with 50 busy slots allocates
 * mostly short-lived objects (messages, output lines), and V8 grows its young generation to the maximum
 * under that load. Measured with real workers (docs/BENCHMARKS.md, 2026-11-30): RSS with 50 busy slots
 * 110–115 → 86–103 MB, peak over a bench 121–129 → 112–119 MB (the target is 120), worker CPU per run and
 * per streamed line within the noise.
 */
export const WORKER_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=8'];
