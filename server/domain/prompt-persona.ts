/**
 * Parts 2–4 of the prompt: the persona-authored text (description, structured prompt sections,
 * system prompt fallback), each inside its boundary tag. Pure.
 */
import { BOUNDARY_TAGS, PROMPT_HEADINGS, type PromptPersona } from './prompt-contract';
import { isRecord, oneLine, part, personaBoundary, textOf } from './prompt-text';

/** The fixed structured sections in prompt order; each key also accepted in its snake_case spelling. */
const FIXED_SECTIONS = [
  { keys: ['identity'], heading: PROMPT_HEADINGS.identity, tag: BOUNDARY_TAGS.identity },
  { keys: ['instructions'], heading: PROMPT_HEADINGS.instructions, tag: BOUNDARY_TAGS.instructions },
  { keys: ['toolGuidance', 'tool_guidance'], heading: PROMPT_HEADINGS.toolGuidance, tag: BOUNDARY_TAGS.toolGuidance },
  { keys: ['examples'], heading: PROMPT_HEADINGS.examples, tag: BOUNDARY_TAGS.examples },
  { keys: ['errorHandling', 'error_handling'], heading: PROMPT_HEADINGS.errorHandling, tag: BOUNDARY_TAGS.errorHandling },
] as const;

const CUSTOM_SECTIONS_KEYS = ['customSections', 'custom_sections'];
const WEB_SEARCH_KEYS = ['webSearch', 'web_search'];
/** A custom section's heading is the first non-blank of these fields. */
const CUSTOM_TITLE_KEYS = ['title', 'label', 'name', 'key'];

const WEB_SEARCH_LEAD = 'When performing web searches during this execution, use the following research guidance:';

/** The first of `keys` present (not null/undefined) in `record`. */
function pick(record: Record<string, unknown>, keys: readonly string[]): unknown {
  for (const key of keys) if (record[key] !== undefined && record[key] !== null) return record[key];
  return undefined;
}

/**
 * Parses `structuredPrompt`; undefined when it is absent, blank, not valid JSON, or not a JSON
 * object — the cases where the system prompt stands in for it.
 */
export function parseStructuredPrompt(structuredPrompt: string | null): Record<string, unknown> | undefined {
  if (!structuredPrompt || !structuredPrompt.trim()) return undefined;
  try {
    const parsed: unknown = JSON.parse(structuredPrompt);
    return isRecord(parsed) ? parsed : undefined;
  } catch {
    // Stored text that is not JSON is a legitimate state (PROMPT.md): fall back to systemPrompt.
    return undefined;
  }
}

/** `[{title|label|name|key, content}]`, or an object map `{title: content}`, as (title, content) pairs. */
function customSectionEntries(value: unknown): Array<[string, string]> {
  if (Array.isArray(value)) {
    return value.filter(isRecord).map((section) => {
      const title = CUSTOM_TITLE_KEYS.map((key) => section[key]).find((t) => typeof t === 'string' && t.trim());
      return [oneLine(typeof title === 'string' ? title : ''), textOf(section.content)];
    });
  }
  if (isRecord(value)) return Object.entries(value).map(([title, content]) => [oneLine(title), textOf(content)]);
  return [];
}

/**
 * The structured prompt's parts in order: Identity, Instructions, Tool Guidance, Examples, Error
 * Handling, one `## {title}` per custom section, Web Search Research Prompt. A section whose text
 * is empty (or a custom section without a title) is left out.
 */
export function structuredSections(sp: Record<string, unknown>): string[] {
  const parts: string[] = [];
  for (const section of FIXED_SECTIONS) {
    const text = textOf(pick(sp, section.keys));
    if (text) parts.push(part(section.heading, personaBoundary(section.tag, text)));
  }
  for (const [title, content] of customSectionEntries(pick(sp, CUSTOM_SECTIONS_KEYS))) {
    if (title && content) parts.push(part(`## ${title}`, personaBoundary(BOUNDARY_TAGS.customSection, content)));
  }
  const webSearch = textOf(pick(sp, WEB_SEARCH_KEYS));
  if (webSearch) {
    parts.push(part(PROMPT_HEADINGS.webSearch, `${WEB_SEARCH_LEAD}\n\n${personaBoundary(BOUNDARY_TAGS.webSearch, webSearch)}`));
  }
  return parts;
}

/**
 * Parts 2–4 for one persona. The system prompt becomes `## Identity` only when the structured
 * prompt is absent, invalid JSON, not an object, or an object yielding no section at all — the last
 * so that a persona saved with `structuredPrompt: "{}"` does not silently lose its identity.
 */
export function personaSections(persona: PromptPersona): string[] {
  const parts: string[] = [];
  const description = textOf(persona.description);
  if (description) parts.push(part(PROMPT_HEADINGS.description, personaBoundary(BOUNDARY_TAGS.description, description)));

  const sp = parseStructuredPrompt(persona.structuredPrompt);
  const structured = sp ? structuredSections(sp) : [];
  if (structured.length > 0) return parts.concat(structured);

  const systemPrompt = textOf(persona.systemPrompt);
  if (systemPrompt) parts.push(part(PROMPT_HEADINGS.identity, personaBoundary(BOUNDARY_TAGS.systemPrompt, systemPrompt)));
  return parts;
}
