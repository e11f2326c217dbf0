/**
 * The input shape and the headings of the assembled persona prompt (../shared/PROMPT.md).
 * Structural types on purpose: the domain imports no db module, so any row with these fields fits.
 */

/** The persona fields prompt assembly reads. `structuredPrompt` is JSON text as stored (maybe invalid). */
export interface PromptPersona {
  name: string;
  description: string | null;
  systemPrompt: string | null;
  structuredPrompt: string | null;
}

/** A tool linked to the persona. `inputSchema` is a JSON value or JSON text; anything else is shown as text. */
export interface PromptTool {
  name: string;
  description: string | null;
  category: string | null;
  implementationGuide: string | null;
  inputSchema: unknown;
  requiresCredentialType: string | null;
}

export interface PromptInput {
  /** null = a direct execution without a registered persona: the raw task is sent. */
  persona: PromptPersona | null;
  tools: PromptTool[];
  /** Names of the injected env variables (`CONNECTOR_GITLAB_TOKEN`, …). Never values. */
  credentialEnvNames: string[];
  /** Event / trigger payload or execute input: null, any JSON, or an object with `_use_case` / `_time_filter`. */
  input: unknown;
  /** The request's prompt (`POST /api/execute`), kept as the persona's `## Task`. */
  task: string | null;
}

/** Prefix of part 1; the full line is `# Persona: {name}`. */
export const PERSONA_HEADING_PREFIX = '# Persona: ';

/** Every fixed heading of the prompt, in the order the parts appear (custom sections sit before webSearch). */
export const PROMPT_HEADINGS = Object.freeze({
  description: '## Description',
  identity: '## Identity',
  instructions: '## Instructions',
  toolGuidance: '## Tool Guidance',
  examples: '## Examples',
  errorHandling: '## Error Handling',
  webSearch: '## Web Search Research Prompt',
  tools: '## Available Tools',
  environment: '## Execution Environment',
  credentials: '## Available Credentials (as environment variables)',
  protocols: '## Communication Protocols',
  useCase: '## Use Case Context',
  timeFilter: '## Time Filter (IMPORTANT)',
  inputData: '## Input Data',
  task: '## Task',
  executeNow: '## EXECUTE NOW',
} as const);

export type PromptHeadingKey = keyof typeof PROMPT_HEADINGS;

/** Boundary tag names around persona-authored and caller-supplied free text. */
export const BOUNDARY_TAGS = Object.freeze({
  description: 'persona_description',
  identity: 'persona_identity',
  instructions: 'persona_instructions',
  toolGuidance: 'persona_tool_guidance',
  examples: 'persona_examples',
  errorHandling: 'persona_error_handling',
  customSection: 'persona_custom_section',
  webSearch: 'persona_web_search',
  systemPrompt: 'persona_system_prompt',
  implementationGuide: 'tool_implementation_guide',
  useCase: 'use_case_context',
  timeFilter: 'time_filter',
} as const);
