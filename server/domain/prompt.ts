/**
 * Prompt assembly: (persona, linked tools, credential names, input, task) → the prompt the Claude CLI
 * receives on stdin. The contract is ../shared/PROMPT.md; the desktop app builds the same structure,
 * so a persona behaves the same wherever it runs. Pure: no I/O, no clock, no randomness.
 */
import { PERSONA_HEADING_PREFIX, type PromptInput, type PromptPersona, type PromptTool } from './prompt-contract';
import { inputDataSection, inputSections } from './prompt-input';
import { personaSections } from './prompt-persona';
import { protocolsSection } from './prompt-protocols';
import {
  credentialsSection,
  environmentSection,
  executeNowSection,
  taskSection,
  toolsSection,
} from './prompt-sections';
import { oneLine } from './prompt-text';

export {
  BOUNDARY_TAGS,
  PERSONA_HEADING_PREFIX,
  PROMPT_HEADINGS,
  type PromptHeadingKey,
  type PromptInput,
  type PromptPersona,
  type PromptTool,
} from './prompt-contract';
export { PROTOCOLS, PROTOCOL_KEYS, type ProtocolField, type ProtocolSpec } from './prompt-protocols';
export { personaBoundary } from './prompt-text';

/** Parts are separated by exactly one blank line. */
const PART_SEPARATOR = '\n\n';

/**
 * Assembles the prompt.
 *
 * With a persona, the parts in PROMPT.md's order, each only when it has content:
 * `# Persona: {name}`, Description, the structured prompt sections (or the system prompt as
 * Identity), Available Tools, Execution Environment, Available Credentials (names only), the
 * seven Communication Protocols, Use Case Context / Time Filter / Input Data, Task, EXECUTE NOW.
 * Persona-authored text sits inside boundary tags (see `personaBoundary`).
 *
 * Without a persona (a direct execution), the raw task exactly as given, followed by
 * `## Input Data` when the input is not empty; the input is shown whole, `_use_case` and
 * `_time_filter` included, since there is no persona contract to interpret them.
 *
 * Never throws on malformed persona data: invalid structured-prompt JSON falls back to the
 * system prompt; loosely typed fields are rendered as text.
 */
export function assemblePrompt(input: PromptInput): string {
  const { persona } = input;
  if (!persona) return directPrompt(input.task, input.input);
  const parts: Array<string | null> = [
    personaPrefix(persona, input.tools, input.credentialEnvNames),
    ...inputSections(input.input),
    taskSection(input.task),
    executeNowSection(persona.name),
  ];
  return parts.filter((p): p is string => p !== null).join(PART_SEPARATOR);
}

interface Prefix {
  /** What the text was assembled from: the persona's fields, the tools array, the names joined. */
  from: PromptPersona;
  tools: PromptTool[];
  names: string;
  text: string;
}

/** Parts 1–8 as last assembled for each persona object. */
const prefixes = new WeakMap<PromptPersona, Prefix>();

const sameFrom = (a: PromptPersona, b: PromptPersona): boolean =>
  a.name === b.name && a.description === b.description && a.systemPrompt === b.systemPrompt && a.structuredPrompt === b.structuredPrompt;

/**
 * Parts 1–8 (heading, persona text, tools, environment, credential names, protocols): everything
 * that depends on the persona, not on the run. The orchestrator serves a persona and its tools from
 * its configuration cache as the same objects until they change, so these parts are assembled once
 * per persona version instead of once per run (≈ 35 µs for a persona with 8 KB of instructions). A
 * different persona object, a changed persona field, another tools array or other names assemble
 * them anew, so the answer is what assembling them each time would give (tool rows are never
 * changed in place: a change is a new array).
 */
function personaPrefix(persona: PromptPersona, tools: PromptTool[], credentialEnvNames: string[]): string {
  const names = credentialEnvNames.join('\n');
  const memo = prefixes.get(persona);
  if (memo && memo.tools === tools && memo.names === names && sameFrom(memo.from, persona)) return memo.text;
  const text = [
    `${PERSONA_HEADING_PREFIX}${oneLine(persona.name) || 'Unnamed persona'}`,
    ...personaSections(persona),
    toolsSection(tools),
    environmentSection(),
    credentialsSection(credentialEnvNames),
    protocolsSection(),
  ].filter((p): p is string => p !== null).join(PART_SEPARATOR);
  const { name, description, systemPrompt, structuredPrompt } = persona;
  prefixes.set(persona, { from: { name, description, systemPrompt, structuredPrompt }, tools, names, text });
  return text;
}

/** A direct execution: the raw task, then `## Input Data` when there is any. */
function directPrompt(task: string | null, data: unknown): string {
  const raw = task ?? '';
  const inputData = inputDataSection(data);
  if (!inputData) return raw;
  return raw.trim() ? `${raw}${PART_SEPARATOR}${inputData}` : inputData;
}
