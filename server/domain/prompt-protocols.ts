/**
 * Part 8 of the prompt: the seven communication protocols, as data (so tests and the protocol-message
 * extraction can refer to the same keys) and as the `## Communication Protocols` text. Pure.
 */
import { PROMPT_HEADINGS } from './prompt-contract';
import { fenced, part } from './prompt-text';

export interface ProtocolField {
  name: string;
  required: boolean;
  /** Type, allowed values and default, as the model should read them. */
  note: string;
}

export interface ProtocolSpec {
  /** The single top-level key of the message. */
  key: string;
  /** `### … Protocol`. */
  heading: string;
  /** One sentence: when to emit it and what the system does with it. */
  sentence: string;
  /** The exact example line shown to the model (PROMPT.md). */
  example: string;
  fields: ProtocolField[];
}

const req = (name: string, note: string): ProtocolField => ({ name, required: true, note });
const opt = (name: string, note: string): ProtocolField => ({ name, required: false, note });

/** The seven protocols in the order the prompt lists them. */
export const PROTOCOLS: readonly ProtocolSpec[] = Object.freeze([
  {
    key: 'user_message',
    heading: '### User Message Protocol',
    sentence: 'Send a message to the people who follow this persona; it is stored and listed for them.',
    example: '{"user_message": {"title": "Deploy done", "content": "v1.4 is live", "content_type": "success", "priority": "normal"}}',
    fields: [
      req('content', 'string'),
      opt('title', 'string'),
      opt('content_type', '"info" | "warning" | "error" | "success", default "info"'),
      opt('priority', '"low" | "normal" | "high" | "urgent", default "normal"'),
    ],
  },
  {
    key: 'persona_action',
    heading: '### Persona Action Protocol',
    sentence: 'Ask another persona to run; it receives an event targeted at it with `input` as the payload.',
    example: '{"persona_action": {"target": "reviewer-persona-id", "action": "run", "input": {"mr": 42}}}',
    fields: [req('target', 'the target persona id'), opt('action', 'string, default "run"'), opt('input', 'object')],
  },
  {
    key: 'emit_event',
    heading: '### Emit Event Protocol',
    sentence: 'Publish an event on the event bus, with this persona as its source and `data` as its payload.',
    example: '{"emit_event": {"type": "review_requested", "data": {"project": "org/app", "mr": 42}}}',
    fields: [req('type', 'the event type, string'), opt('data', 'any JSON')],
  },
  {
    key: 'agent_memory',
    heading: '### Agent Memory Protocol',
    sentence: 'Remember something worth knowing in later runs; it is stored and listed for this persona.',
    example: '{"agent_memory": {"title": "Flaky job", "content": "lint job retries once", "category": "fact", "importance": 6, "tags": ["ci"]}}',
    fields: [
      req('title', 'string'),
      req('content', 'string'),
      opt('category', 'string, default "general"'),
      opt('importance', 'integer 1–10, default 5'),
      opt('tags', 'array of strings'),
    ],
  },
  {
    key: 'manual_review',
    heading: '### Manual Review Protocol',
    sentence: 'Ask a person to review something before it goes further; it is stored as an open review a person can resolve.',
    example: '{"manual_review": {"title": "Force push on main", "description": "…", "severity": "high", "suggested_actions": ["revert"]}}',
    fields: [
      req('title', 'string'),
      opt('description', 'string'),
      opt('severity', '"low" | "medium" | "high" | "critical", default "medium"'),
      opt('context_data', 'any JSON'),
      opt('suggested_actions', 'array of strings'),
    ],
  },
  {
    key: 'execution_flow',
    heading: '### Execution Flow Protocol',
    sentence: 'Record the steps of this run; they are stored with the execution.',
    example: '{"execution_flow": {"flows": [{"step": 1, "action": "analyze", "status": "completed"}]}}',
    fields: [req('flows', 'any JSON, usually an array of steps')],
  },
  {
    key: 'outcome_assessment',
    heading: '### Outcome Assessment Protocol',
    sentence: 'State whether the task was accomplished; always emit it as your last message, it is stored with the execution.',
    example: '{"outcome_assessment": {"accomplished": true, "summary": "Reviewed MR 42, two comments posted"}}',
    fields: [req('accomplished', 'boolean'), req('summary', 'string'), opt('blockers', 'array of strings')],
  },
]);

/** The protocol keys in prompt order. */
export const PROTOCOL_KEYS: readonly string[] = Object.freeze(PROTOCOLS.map((p) => p.key));

const INTRO = [
  'To talk to the system, emit protocol messages in your text output.',
  'Emit each message as one JSON object on its own line (a ```json fence around it is fine); its single top-level key names the protocol.',
  'A message missing a required field is ignored, and so is malformed JSON.',
  'Always end your run with an `outcome_assessment` message.',
].join('\n');

function fieldLine(field: ProtocolField): string {
  return `- \`${field.name}\`${field.required ? ' (required)' : ''}: ${field.note}`;
}

/** One `### … Protocol` block: the sentence, the exact JSON line, its fields with required marked. */
export function protocolBlock(spec: ProtocolSpec): string {
  return [spec.heading, spec.sentence, fenced(spec.example, 'json'), 'Fields:', ...spec.fields.map(fieldLine)].join('\n');
}

/** Part 8, always present: the intro and the seven blocks, separated by blank lines. */
export function protocolsSection(): string {
  return part(PROMPT_HEADINGS.protocols, [INTRO, ...PROTOCOLS.map(protocolBlock)].join('\n\n'));
}
