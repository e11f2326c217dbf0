import type { OutputChunk } from '../shared/socket-events';

/**
 * Pure parsing of `claude -p --output-format stream-json --verbose` stdout, one line at a time,
 * and rendering of the parsed events into the output chunks the worker sends.
 * Only the fields we use are read; everything else the CLI adds is ignored.
 */

export type AssistantBlock =
  | { kind: 'text'; text: string }
  | { kind: 'tool_use'; id: string; name: string; input: Record<string, unknown> };

export interface ToolResult {
  toolUseId: string;
  content: string;
  isError: boolean;
}

export type StreamEvent =
  | { type: 'system'; subtype: string; sessionId: string | null; model: string | null }
  | { type: 'assistant'; blocks: AssistantBlock[]; sessionId: string | null }
  | { type: 'user'; toolResults: ToolResult[]; sessionId: string | null }
  | {
      type: 'result';
      subtype: string;
      isError: boolean;
      result: string | null;
      costUsd: number | null;
      durationMs: number | null;
      numTurns: number | null;
      sessionId: string | null;
    }
  /** Valid JSON of a type we do not render (stream_event, rate-limit notices, …). */
  | { type: 'other'; eventType: string }
  /** A line that is not a JSON object: kept as text. */
  | { type: 'raw'; text: string };

export type ResultEvent = Extract<StreamEvent, { type: 'result' }>;

type Json = Record<string, unknown>;

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const int = (v: unknown): number | null => (num(v) === null ? null : Math.round(v as number));
const obj = (v: unknown): Json | null => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : null);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

function messageContent(line: Json): unknown[] {
  const content = obj(line.message)?.content;
  return typeof content === 'string' ? [{ type: 'text', text: content }] : arr(content);
}

/** A tool_result's content is a string or a list of blocks; images become a placeholder. */
function toolResultText(content: unknown): string {
  if (typeof content === 'string') return content;
  return arr(content)
    .map((b) => {
      const block = obj(b);
      if (block?.type === 'text') return str(block.text) ?? '';
      return block?.type ? `[${String(block.type)}]` : '';
    })
    .join('\n');
}

function parseAssistant(line: Json): AssistantBlock[] {
  const blocks: AssistantBlock[] = [];
  for (const b of messageContent(line)) {
    const block = obj(b);
    if (block?.type === 'text' && typeof block.text === 'string') blocks.push({ kind: 'text', text: block.text });
    if (block?.type === 'tool_use') {
      blocks.push({ kind: 'tool_use', id: str(block.id) ?? '', name: str(block.name) ?? 'tool', input: obj(block.input) ?? {} });
    }
    // thinking and other block types are not shown
  }
  return blocks;
}

function parseToolResults(line: Json): ToolResult[] {
  return messageContent(line)
    .map(obj)
    .filter((b): b is Json => b?.type === 'tool_result')
    .map((b) => ({ toolUseId: str(b.tool_use_id) ?? '', content: toolResultText(b.content), isError: b.is_error === true }));
}

/**
 * Parses one stdout line. Never throws: a line that is not a JSON object is `raw`, a JSON object
 * of an unknown type is `other`. Returns null for a blank line.
 */
export function parseStreamLine(line: string): StreamEvent | null {
  const trimmed = line.trim();
  if (!trimmed) return null;
  let value: unknown;
  try {
    value = JSON.parse(trimmed);
  } catch {
    return { type: 'raw', text: line };
  }
  const ev = obj(value);
  if (!ev) return { type: 'raw', text: line };
  const sessionId = str(ev.session_id);
  switch (ev.type) {
    case 'system':
      return { type: 'system', subtype: str(ev.subtype) ?? 'unknown', sessionId, model: str(ev.model) };
    case 'assistant':
      return { type: 'assistant', blocks: parseAssistant(ev), sessionId };
    case 'user':
      return { type: 'user', toolResults: parseToolResults(ev), sessionId };
    case 'result':
      return {
        type: 'result',
        subtype: str(ev.subtype) ?? 'unknown',
        isError: ev.is_error === true,
        result: str(ev.result),
        costUsd: num(ev.total_cost_usd),
        durationMs: int(ev.duration_ms),
        numTurns: int(ev.num_turns),
        sessionId,
      };
    default:
      return { type: 'other', eventType: str(ev.type) ?? 'unknown' };
  }
}

export const MAX_TOOL_RESULT_BYTES = 64 * 1024;
const MAX_TOOL_LINE_CHARS = 2_000;

/** Cuts `text` to at most `maxBytes` of UTF-8, on a character boundary, saying how much was cut. */
export function truncateBytes(text: string, maxBytes: number): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return text;
  // Decoding a cut buffer may end in a partial character (U+FFFD); drop it.
  const head = bytes.subarray(0, maxBytes).toString('utf8').replace(/\uFFFD+$/, '');
  return `${head}\n… [truncated ${bytes.length - Buffer.byteLength(head)} bytes]`;
}

/** `Bash: <command>` for Bash; `<Tool>: <the most telling input>` for the others. */
export function describeToolUse(name: string, input: Record<string, unknown>): string {
  const key = ['command', 'file_path', 'path', 'pattern', 'url', 'query', 'description'].find((k) => typeof input[k] === 'string');
  const detail = key ? String(input[key]) : JSON.stringify(input);
  const line = `${name}: ${detail}`;
  return line.length > MAX_TOOL_LINE_CHARS ? `${line.slice(0, MAX_TOOL_LINE_CHARS)}…` : line;
}

/**
 * The output chunks an event shows as (possibly none). Tool results are cut to `maxToolResultBytes`
 * so one `cat` of a huge file cannot flood the record.
 */
export function renderEvent(event: StreamEvent, maxToolResultBytes = MAX_TOOL_RESULT_BYTES): OutputChunk[] {
  switch (event.type) {
    case 'system':
      return [{ stream: 'system', text: event.subtype === 'init' ? `session started (model ${event.model ?? 'unknown'})` : `system: ${event.subtype}` }];
    case 'assistant':
      return event.blocks
        .filter((b) => b.kind === 'tool_use' || b.text.length > 0)
        .map((b) => (b.kind === 'text' ? { stream: 'assistant', text: b.text } : { stream: 'tool', text: describeToolUse(b.name, b.input) }));
    case 'user':
      return event.toolResults.map((r) => ({
        stream: 'tool_result',
        text: truncateBytes(r.isError ? `error: ${r.content}` : r.content, maxToolResultBytes),
      }));
    case 'result':
      return [{ stream: 'result', text: event.result ?? `[${event.subtype}]` }];
    case 'raw':
      return [{ stream: 'system', text: event.text }];
    case 'other':
      return [];
  }
}
