/**
 * Prompt assembly: (persona, linked tools, credential names, input, task) → the prompt the Claude CLI
 * receives on stdin. The contract is ../shared/PROMPT.md; the desktop app builds the same structure,
 * so a persona behaves the same wherever it runs. Pure: no I/O, no clock, no randomness.
 */
import { PERSONA_HEADING_PREFIX, type PromptInput } from './prompt-contract';
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
    `${PERSONA_HEADING_PREFIX}${oneLine(persona.name) || 'Unnamed persona'}`,
    ...personaSections(persona),
    toolsSection(input.tools),
    environmentSection(),
    credentialsSection(input.credentialEnvNames),
    protocolsSection(),
    ...inputSections(input.input),
    taskSection(input.task),
    executeNowSection(persona.name),
  ];
  return parts.filter((p): p is string => p !== null).join(PART_SEPARATOR);
}

/** A direct execution: the raw task, then `## Input Data` when there is any. */
function directPrompt(task: string | null, data: unknown): string {
  const raw = task ?? '';
  const inputData = inputDataSection(data);
  if (!inputData) return raw;
  return raw.trim() ? `${raw}${PART_SEPARATOR}${inputData}` : inputData;
}
