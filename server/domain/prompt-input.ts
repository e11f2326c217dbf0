/**
 * Part 9 of the prompt: `## Use Case Context`, `## Time Filter (IMPORTANT)` and `## Input Data`,
 * from an event payload, a trigger payload or an execute input. Input is caller-controlled, so free
 * text goes inside boundary tags and JSON inside fences it cannot close. Pure.
 */
import { BOUNDARY_TAGS, PROMPT_HEADINGS } from './prompt-contract';
import { isEmptyInput } from './prompt-sections';
import { fenced, isRecord, jsonBlock, oneLine, part, personaBoundary, textOf } from './prompt-text';

const USE_CASE_KEY = '_use_case';
const TIME_FILTER_KEY = '_time_filter';
const NO_HISTORY = 'Do NOT fetch all historical data — only process recent items within this time window.';

/** `{a, b, c}` without `keys`. */
function omit(record: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([key]) => !keys.includes(key)));
}

/** Text safe inside one pair of backticks. */
function inlineCode(text: string): string {
  return `\`${oneLine(text).replace(/`/g, "'")}\``;
}

/** A string as boundary-wrapped text; any other JSON as a ```json block. */
function freeOrJson(value: unknown, tag: string): string {
  return typeof value === 'string' ? personaBoundary(tag, value.trim()) : jsonBlock(value);
}

/**
 * `_use_case`: a string as is; an object's `title` and `description` as sentences and its other
 * keys as JSON; any other JSON as JSON. Null when empty.
 */
export function useCaseSection(useCase: unknown): string | null {
  if (!textOf(useCase)) return null;
  const lines: string[] = [];
  if (isRecord(useCase) && (typeof useCase.title === 'string' || typeof useCase.description === 'string')) {
    const title = textOf(useCase.title);
    if (title) lines.push(`You are executing the use case: ${inlineCode(title)}`);
    const description = textOf(useCase.description);
    if (description) lines.push('Description:', personaBoundary(BOUNDARY_TAGS.useCase, description));
    const rest = omit(useCase, ['title', 'description']);
    if (textOf(rest)) lines.push(jsonBlock(rest));
  } else {
    lines.push(freeOrJson(useCase, BOUNDARY_TAGS.useCase));
  }
  lines.push('Focus on this specific use case.');
  return part(PROMPT_HEADINGS.useCase, lines.join('\n'));
}

/**
 * `_time_filter`: the desktop shape `{description, field, default_window}` as sentences (other keys
 * as JSON); a string or other JSON as is. Always closes with the no-history rule. Null when empty.
 */
export function timeFilterSection(timeFilter: unknown): string | null {
  if (!textOf(timeFilter)) return null;
  const lines: string[] = [];
  if (isRecord(timeFilter)) {
    const description = textOf(timeFilter.description);
    if (description) lines.push(personaBoundary(BOUNDARY_TAGS.timeFilter, description));
    const field = textOf(timeFilter.field);
    const window = textOf(timeFilter.default_window);
    if (field && window) {
      lines.push(`When querying data, use the ${inlineCode(field)} parameter to limit results to the last ${inlineCode(window)}.`);
    }
    const rest = omit(timeFilter, ['description', 'field', 'default_window']);
    if (textOf(rest)) lines.push(jsonBlock(rest));
  } else {
    lines.push(freeOrJson(timeFilter, BOUNDARY_TAGS.timeFilter));
  }
  lines.push(NO_HISTORY);
  return part(PROMPT_HEADINGS.timeFilter, lines.join('\n'));
}

/**
 * `## Input Data` for a whole input value, or null when it is empty: an object or array as a pretty
 * ```json block; a string verbatim in a plain fence; a number or boolean as JSON.
 */
export function inputDataSection(data: unknown): string | null {
  if (isEmptyInput(data)) return null;
  const body = typeof data === 'string' ? fenced(data) : jsonBlock(data);
  return part(PROMPT_HEADINGS.inputData, body);
}

/**
 * Part 9 for a persona run: an object input has `_use_case` and `_time_filter` split out into their
 * own parts and the rest under Input Data (omitted when nothing is left); any other input goes under
 * Input Data as is.
 */
export function inputSections(input: unknown): string[] {
  if (!isRecord(input)) return [inputDataSection(input)].filter((p): p is string => p !== null);
  return [
    useCaseSection(input[USE_CASE_KEY]),
    timeFilterSection(input[TIME_FILTER_KEY]),
    inputDataSection(omit(input, [USE_CASE_KEY, TIME_FILTER_KEY])),
  ].filter((p): p is string => p !== null);
}
