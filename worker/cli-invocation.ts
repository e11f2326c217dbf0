import type { AssignPayload } from '../shared/socket-events';
import { builtinToolNames } from '../shared/tool-pattern';

/**
 * Pure: the command line and environment of one CLI run. Kept apart from the spawning so both are
 * unit-tested without a process.
 */

/**
 * `-p --output-format stream-json --verbose` (stream-json in print mode requires --verbose), the
 * optional model, turn and budget limits, then the tools:
 * - `--tools=<names>`: the built-in tools that exist in the run at all, the tool names of
 *   `allowedTools` (`Bash(git *)` → `Bash`); an empty list gives `--tools=` and the run has no tools;
 * - `--allowedTools=<entries>`: which of them run without asking (the CLI denies the rest in print
 *   mode, so a `Bash(git *)` persona gets `git` but not `rm`, though the CLI's own read-only commands
 *   still run).
 * Both take variadic lists: the `--flag=value` form keeps a list to its one argument (entries are
 * comma-joined; the server refuses commas inside one). The prompt is not an argument (it goes to
 * stdin, where `ps` cannot see it).
 */
export function buildCliArgs(a: Pick<AssignPayload, 'allowedTools' | 'model' | 'maxTurns' | 'maxBudgetUsd'>): string[] {
  const args = ['-p', '--output-format', 'stream-json', '--verbose'];
  if (a.model) args.push('--model', a.model);
  if (a.maxTurns !== undefined) args.push('--max-turns', String(a.maxTurns));
  if (a.maxBudgetUsd !== undefined) args.push('--max-budget-usd', String(a.maxBudgetUsd));
  const entries = a.allowedTools.map((t) => t.trim()).filter(Boolean);
  args.push(`--tools=${builtinToolNames(entries).join(',')}`);
  if (entries.length > 0) args.push(`--allowedTools=${entries.join(',')}`);
  return args;
}

/** Set by the worker for every run; an assignment cannot override them. */
const WORKER_OWNED = new Set(['PATH', 'HOME', 'TMPDIR', 'CLAUDE_CODE_TMPDIR', 'WORKER_TOKEN']);

/**
 * The complete environment of a run, built from nothing: the worker's allow-listed pass-through
 * variables, then the assignment's injected variables (credentials, Claude token), then HOME and
 * the temp dirs set inside the run's own directory: the CLI's config, session files and /tmp
 * droppings (Bash tool output, which can hold secrets; sockets; probes) are per run and removed
 * with it. WORKER_TOKEN never appears, even if someone injected or passed it.
 */
export function buildChildEnv(opts: {
  passThrough: Readonly<Record<string, string>>;
  injected: Readonly<Record<string, string>>;
  home: string;
  tmp: string;
}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(opts.passThrough)) {
    if (name === 'PATH' || !WORKER_OWNED.has(name)) env[name] = value;
  }
  for (const [name, value] of Object.entries(opts.injected)) {
    if (!WORKER_OWNED.has(name)) env[name] = value;
  }
  env.HOME = opts.home;
  // Without these the CLI writes to /tmp/claude-<uid>/… and /tmp/bash_tool_* and leaves them there.
  env.TMPDIR = opts.tmp;
  env.CLAUDE_CODE_TMPDIR = opts.tmp;
  return env;
}
