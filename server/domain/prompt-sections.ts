/**
 * Parts 5–7, 9b and 10 of the prompt: tools, execution environment, credential names, task and the
 * closing instruction. Pure.
 */
import { BOUNDARY_TAGS, PROMPT_HEADINGS, type PromptTool } from './prompt-contract';
import { fenced, isRecord, jsonBlock, oneLine, part, personaBoundary, textOf } from './prompt-text';

const DEFAULT_GUIDE =
  'No implementation guide is registered: call the API with `curl` from bash. The credentials it needs are ' +
  'environment variables (see Available Credentials); use them as `$NAME` and never print their values.';

/**
 * A tool's input schema as a block: a JSON value (or JSON text) as pretty ```json; text that is not
 * JSON verbatim in a plain fence; '' when there is none (null, blank, `{}`).
 */
function schemaBlock(schema: unknown): string {
  let value = schema;
  if (typeof schema === 'string') {
    if (!schema.trim()) return '';
    try {
      value = JSON.parse(schema);
    } catch {
      // Not JSON: still useful to the model as written.
      return fenced(schema.trim());
    }
  }
  return textOf(value) ? jsonBlock(value) : '';
}

/** One `### {name}` block: description, category, guide (or the curl default), input schema, credential type. */
export function toolBlock(tool: PromptTool): string {
  const lines = [`### ${oneLine(tool.name) || 'unnamed tool'}`];
  const description = textOf(tool.description);
  if (description) lines.push(`Description: ${description}`);
  const category = oneLine(textOf(tool.category));
  if (category) lines.push(`Category: ${category}`);
  const guide = textOf(tool.implementationGuide);
  lines.push('Implementation guide:', guide ? personaBoundary(BOUNDARY_TAGS.implementationGuide, guide) : DEFAULT_GUIDE);
  const schema = schemaBlock(tool.inputSchema);
  if (schema) lines.push('Input schema:', schema);
  const credentialType = oneLine(textOf(tool.requiresCredentialType));
  if (credentialType) lines.push(`Requires credential type: ${credentialType} (injected as environment variables)`);
  return lines.join('\n');
}

/** Part 5, or null without linked tools. */
export function toolsSection(tools: PromptTool[]): string | null {
  if (tools.length === 0) return null;
  return part(PROMPT_HEADINGS.tools, tools.map(toolBlock).join('\n\n'));
}

const ENVIRONMENT = [
  '- You run headless on Linux: no person is watching and no interactive prompt will be answered.',
  '- bash, curl, node and git are available; call HTTP APIs with curl.',
  '- Credentials are injected as environment variables (listed under Available Credentials when there are any); use them as `$NAME` and never print, echo or log their values.',
  '- The working directory is temporary and is removed when the run ends; nothing left there persists.',
].join('\n');

/** Part 6, always present. */
export function environmentSection(): string {
  return part(PROMPT_HEADINGS.environment, ENVIRONMENT);
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The names listed in part 7: valid env variable names only, first occurrence kept, order kept.
 * Anything else (e.g. a mistaken `NAME=value`) is dropped, so no value can reach the prompt by accident.
 */
export function listedCredentialNames(names: string[]): string[] {
  return [...new Set(names.filter((name) => ENV_NAME.test(name)))];
}

/** Part 7: one `` - `NAME` `` line per variable, or null when there is none. */
export function credentialsSection(names: string[]): string | null {
  const listed = listedCredentialNames(names);
  if (listed.length === 0) return null;
  const lead = 'These variables are set for every command you run. Use them as `$NAME`; never print, echo or log their values.';
  return part(PROMPT_HEADINGS.credentials, [lead, ...listed.map((name) => `- \`${name}\``)].join('\n'));
}

/** Part 9b: the request's own words, or null when there are none. */
export function taskSection(task: string | null): string | null {
  const text = textOf(task);
  return text ? part(PROMPT_HEADINGS.task, text) : null;
}

/** Part 10, always last. */
export function executeNowSection(personaName: string): string {
  const name = oneLine(personaName) || 'this persona';
  return part(
    PROMPT_HEADINGS.executeNow,
    `You are ${name}. Begin now: carry out your task following your instructions, use the available tools as needed, ` +
      'emit protocol messages as described in Communication Protocols, and end with an `outcome_assessment` message.',
  );
}

/** True for an input that carries nothing to show: null, undefined, '' / blank, `{}` or `[]`. */
export function isEmptyInput(input: unknown): boolean {
  if (input === null || input === undefined) return true;
  if (typeof input === 'string') return input.trim() === '';
  if (Array.isArray(input)) return input.length === 0;
  return isRecord(input) && Object.keys(input).length === 0;
}
