import { z } from 'zod';

/**
 * The seven protocol messages a persona emits in its text output (see docs PROMPT.md): one JSON
 * object on its own line, whose single top-level key names the protocol. The worker extracts them
 * from assistant text; the orchestrator validates again on receipt with the same schemas.
 *
 * Required fields are strict (a message without them is ignored). An optional field with a bad
 * value falls back to its default (`.catch`) rather than costing the whole message: losing a
 * user_message because the model wrote `"priority": "asap"` would help nobody.
 */

export const PROTOCOL_KINDS = [
  'user_message',
  'persona_action',
  'emit_event',
  'agent_memory',
  'manual_review',
  'execution_flow',
  'outcome_assessment',
] as const;
export type ProtocolKind = (typeof PROTOCOL_KINDS)[number];

const required = z.string().refine((s) => s.trim().length > 0, 'must not be empty');
const optionalString = z.string().optional().catch(undefined);
const stringList = z.array(z.string()).optional().catch(undefined);
/** Any JSON value but absent/null: `flows` must be there, whatever its shape. */
const requiredJson = z.unknown().refine((v) => v !== undefined && v !== null, 'is required');

export const protocolSchemas = {
  user_message: z.object({
    content: required,
    title: optionalString,
    content_type: z.enum(['info', 'warning', 'error', 'success']).catch('info'),
    priority: z.enum(['low', 'normal', 'high', 'urgent']).catch('normal'),
  }),
  persona_action: z.object({
    target: required,
    action: z.string().min(1).catch('run'),
    input: z.record(z.string(), z.unknown()).optional().catch(undefined),
  }),
  emit_event: z.object({
    type: required,
    data: z.unknown().optional(),
  }),
  agent_memory: z.object({
    title: required,
    content: required,
    category: z.string().min(1).catch('general'),
    importance: z.number().int().min(1).max(10).catch(5),
    tags: stringList,
  }),
  manual_review: z.object({
    title: required,
    description: optionalString,
    severity: z.enum(['low', 'medium', 'high', 'critical']).catch('medium'),
    context_data: z.unknown().optional(),
    suggested_actions: stringList,
  }),
  execution_flow: z.object({
    flows: requiredJson,
  }),
  outcome_assessment: z.object({
    accomplished: z.boolean(),
    summary: required,
    blockers: stringList,
  }),
} satisfies Record<ProtocolKind, z.ZodTypeAny>;

export type ProtocolMessageOf<K extends ProtocolKind> = z.infer<(typeof protocolSchemas)[K]>;

export interface ProtocolMessage {
  kind: ProtocolKind;
  payload: Record<string, unknown>;
}

/** Why a candidate line was not a message; for debug logs (never carries the line itself). */
export type IgnoredReason = 'malformed_json' | 'not_a_protocol' | 'ambiguous' | 'invalid';

export function isProtocolKind(value: string): value is ProtocolKind {
  return (PROTOCOL_KINDS as readonly string[]).includes(value);
}

/**
 * Validates one protocol message (`kind` plus its inner object) and applies defaults.
 * Returns null when it is not valid; the orchestrator uses this on receipt.
 */
export function parseProtocolMessage(kind: string, payload: unknown): ProtocolMessage | null {
  if (!isProtocolKind(kind)) return null;
  const parsed = protocolSchemas[kind].safeParse(payload);
  return parsed.success ? { kind, payload: parsed.data as Record<string, unknown> } : null;
}

const FENCE_OPEN = /^(```|~~~)\s*(json|jsonc|json5)?\s*$/i;

/** Candidate JSON texts: single lines that look like objects, and whole fenced blocks. */
function candidates(text: string): string[] {
  const lines = text.split(/\r?\n/);
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    const fence = FENCE_OPEN.exec(line);
    if (fence) {
      const close = lines.findIndex((l, j) => j > i && l.trim().startsWith(fence[1]));
      const end = close === -1 ? lines.length : close;
      const body = lines.slice(i + 1, end).map((l) => l.trim());
      const joined = body.join('\n').trim();
      // A pretty-printed object spanning the whole fence is one message; otherwise one per line.
      if (joined.startsWith('{') && joined.endsWith('}') && isJsonObject(joined)) out.push(joined);
      else out.push(...body.filter(looksLikeObject));
      i = end;
      continue;
    }
    if (looksLikeObject(line)) out.push(line);
  }
  return out;
}

function looksLikeObject(line: string): boolean {
  return line.startsWith('{') && line.endsWith('}');
}

function isJsonObject(text: string): boolean {
  try {
    const v = JSON.parse(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v);
  } catch {
    return false; // not JSON: the caller then tries the fence line by line
  }
}

function classifyCandidate(candidate: string): ProtocolMessage | IgnoredReason {
  let value: unknown;
  try {
    value = JSON.parse(candidate);
  } catch {
    return 'malformed_json';
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not_a_protocol';
  // Other keys beside the protocol key are ignored; two protocol keys in one object are ambiguous.
  const kinds = Object.keys(value).filter(isProtocolKind);
  if (kinds.length === 0) return 'not_a_protocol';
  if (kinds.length > 1) return 'ambiguous';
  const kind = kinds[0];
  return parseProtocolMessage(kind, (value as Record<string, unknown>)[kind]) ?? 'invalid';
}

/**
 * Finds the protocol messages in model text: each JSON object on its own line (also inside a
 * ```json fence, where a pretty-printed object may span the fence), validated, defaults applied.
 * Malformed JSON, objects that name no protocol and messages missing required fields are skipped;
 * `onIgnored` hears why (for a debug log). Never throws.
 */
export function extractProtocolMessages(
  text: string,
  onIgnored?: (reason: IgnoredReason) => void,
): ProtocolMessage[] {
  const found: ProtocolMessage[] = [];
  for (const candidate of candidates(text)) {
    const outcome = classifyCandidate(candidate);
    if (typeof outcome === 'string') onIgnored?.(outcome);
    else found.push(outcome);
  }
  return found;
}
