import { JSONPath } from 'jsonpath-plus';

/**
 * The polling trigger's `json_path`, limited to plain selection (pure). jsonpath-plus runs filter
 * (`[?(…)]`) and script (`[(…)]`) expressions as JavaScript; the poller evaluates with `eval: false`,
 * and a path that would need evaluation is refused when the trigger is saved, not at every poll.
 */

export const JSON_PATH_SCRIPT_MESSAGE =
  'filter and script expressions ([?(…)], [(…)], @ inside brackets) are not allowed: the poller selects with plain paths only, e.g. $.items[*].id';

/** Text that only a filter or script uses, in jsonpath-plus's syntax or RFC 9535's (`[?@.a]`). */
const SCRIPT_MARKERS = ['?(', '(@', '[?'];

/**
 * Why `path` cannot be evaluated without scripts, or null when it is plain. Looks at the path as
 * jsonpath-plus splits it (a segment starting with `(` or `?(` is evaluated) and, more bluntly, at
 * the text: a property name containing `?(` is refused too, which costs little and keeps the rule
 * easy to state.
 */
export function jsonPathScriptProblem(path: string): string | null {
  if (SCRIPT_MARKERS.some((m) => path.includes(m))) return JSON_PATH_SCRIPT_MESSAGE;
  const segments = JSONPath.toPathArray(path);
  if (segments.some((s) => s.startsWith('(') || s.startsWith('?('))) return JSON_PATH_SCRIPT_MESSAGE;
  return null;
}

/** The matches of a plain `path` in `json` (always an array); scripts are never run. */
export function selectJsonPath(json: unknown, path: string): unknown[] {
  const problem = jsonPathScriptProblem(path);
  if (problem) throw new Error(`json_path: ${problem}`);
  return JSONPath({ path, json: json as object, wrap: true, eval: false }) as unknown[];
}
