/**
 * Pure: a persona's `allowedTools` entries, in the Claude CLI's own syntax (`Read`, `Bash(git *)`,
 * `WebFetch`, `mcp__server__tool`). The server validates them; the worker turns the list into the
 * CLI's `--tools` (what exists in the run) and `--allowedTools` (what runs without asking).
 */

export const MAX_TOOL_ENTRIES = 100;
export const MAX_TOOL_ENTRY_LENGTH = 500;

const NAME = /^[A-Za-z][A-Za-z0-9_]*/;

/**
 * Why `entry` is not a valid tool entry, or undefined when it is: a tool name (a letter, then
 * letters, digits or `_`), optionally followed by one `(pattern)` that closes at the end, with
 * balanced parentheses inside and something in it. No commas (the worker joins the list with
 * commas), no control characters (newlines included), at most MAX_TOOL_ENTRY_LENGTH characters.
 */
export function toolEntryError(entry: string): string | undefined {
  if (entry.length === 0) return 'must not be empty';
  if (entry.length > MAX_TOOL_ENTRY_LENGTH) return `must be at most ${MAX_TOOL_ENTRY_LENGTH} characters`;
  if (/[\u0000-\u001f\u007f]/.test(entry)) return 'must not contain control characters (newlines, tabs …)';
  if (entry.includes(',')) return 'must not contain a comma (give each tool as its own entry)';
  const name = NAME.exec(entry)?.[0];
  if (!name) return 'must start with a tool name (a letter, then letters, digits or _), e.g. "Read" or "Bash(git *)"';
  const rest = entry.slice(name.length);
  if (rest === '') return undefined;
  if (!rest.startsWith('(') || !rest.endsWith(')')) {
    return 'must be a tool name, optionally followed by "(pattern)", e.g. "Bash(git *)"';
  }
  const inner = rest.slice(1, -1);
  if (inner.trim() === '') return 'has an empty "()" pattern';
  let depth = 0;
  for (const ch of inner) {
    if (ch === '(') depth++;
    else if (ch === ')' && --depth < 0) return 'has unbalanced parentheses';
  }
  return depth === 0 ? undefined : 'has unbalanced parentheses';
}

/** The tool name of an entry: `Bash(git *)` → `Bash`. */
export function toolName(entry: string): string {
  const open = entry.indexOf('(');
  return (open === -1 ? entry : entry.slice(0, open)).trim();
}

/**
 * The built-in tools a list makes available, for `--tools`: each entry's tool name, once, in order.
 * MCP tools (`mcp__…`) are left out: `--tools` names built-in tools only (the CLI ignores other names).
 */
export function builtinToolNames(entries: readonly string[]): string[] {
  const names = entries.map(toolName).filter((n) => n !== '' && !n.startsWith('mcp__'));
  return [...new Set(names)];
}
