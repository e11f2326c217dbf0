/** Small text helpers shared by the prompt sections. Pure. */

const TAG_NAME = /^[a-z][a-z0-9_]*$/;

/**
 * Wraps free text in `<tag>…</tag>` on their own lines, so text written by a persona author (or sent
 * by a caller) cannot pass for a heading or an instruction of the prompt itself.
 * Any closing tag of the same name inside `text` (any case, spaces inside the brackets allowed,
 * e.g. `</ Persona_Instructions >`) is neutralized to `&lt;/tag&gt;`, so the author cannot end the
 * boundary early and write outside it. Other text is kept verbatim.
 * @throws Error when `tag` is not a lower-case identifier — a programming error, never user input.
 */
export function personaBoundary(tag: string, text: string): string {
  if (!TAG_NAME.test(tag)) throw new Error(`invalid boundary tag name: ${JSON.stringify(tag)}`);
  const closing = new RegExp(`<\\s*/\\s*${tag}\\s*>`, 'gi');
  const safe = text.replace(closing, `&lt;/${tag}&gt;`);
  return `<${tag}>\n${safe}\n</${tag}>`;
}

/**
 * A fenced code block whose fence is longer than any backtick run inside `body`, so a payload that
 * contains ``` cannot close the block and continue as prompt text.
 */
export function fenced(body: string, lang = ''): string {
  const longestRun = Math.max(0, ...(body.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(Math.max(3, longestRun + 1));
  return `${fence}${lang}\n${body}\n${fence}`;
}

/** Pretty-printed JSON; a value JSON cannot represent (undefined, a function) becomes its String form. */
export function prettyJson(value: unknown): string {
  return JSON.stringify(value, null, 2) ?? String(value);
}

/** A JSON value as a fenced ```json block. */
export function jsonBlock(value: unknown): string {
  return fenced(prettyJson(value), 'json');
}

/**
 * One line for a heading or a label: whitespace runs (newlines included) become one space and
 * leading `#`s are dropped, so a name cannot start a new heading of its own.
 */
export function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim().replace(/^#+\s*/, '');
}

/**
 * The text of a loosely typed field: a string trimmed; a number or boolean as written; an array or
 * object as pretty JSON (desktop data is not always a string); null/undefined/empty → ''.
 */
export function textOf(value: unknown): string {
  if (typeof value === 'string') return value.trim();
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value !== null && typeof value === 'object') {
    const isEmpty = Array.isArray(value) ? value.length === 0 : Object.keys(value).length === 0;
    return isEmpty ? '' : prettyJson(value);
  }
  return '';
}

/** A plain object (not an array, not null). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** One part of the prompt: its heading line, then its body. */
export function part(heading: string, body: string): string {
  return `${heading}\n${body}`;
}
