import { z } from 'zod';
import { JSON_PATH_SCRIPT_MESSAGE, jsonPathScriptProblem } from './json-path';
import { parseSchedule, type Schedule } from './schedule';

/**
 * Per-type validation of a trigger's `config` (pure). Unknown keys are kept: configs designed in
 * the desktop app may carry fields this orchestrator does not use.
 */

export const TRIGGER_TYPES = ['schedule', 'webhook', 'chain', 'manual', 'polling'] as const;
export type TriggerType = (typeof TRIGGER_TYPES)[number];

/** Types that own a BullMQ job scheduler on the `triggers` queue. */
export const SCHEDULED_TYPES: readonly TriggerType[] = ['schedule', 'polling'];

/** Event type published when the config names none. */
export const DEFAULT_EVENT_TYPES: Record<TriggerType, string> = {
  schedule: 'trigger_fired',
  manual: 'trigger_fired',
  webhook: 'webhook_received',
  chain: 'chain_triggered',
  polling: 'content_changed',
};

export const CHAIN_STATUSES = ['completed', 'failed', 'cancelled', 'any'] as const;
export type ChainStatus = (typeof CHAIN_STATUSES)[number];

const common = {
  event_type: z.string().trim().min(1, 'must not be empty').max(200).optional(),
  payload: z.unknown().optional(),
};

const scheduleSchema = z.looseObject({
  cron: z.string().max(200).optional(),
  interval_seconds: z.number().optional(),
  timezone: z.string().max(100).optional(),
  ...common,
});

const chainSchema = z.looseObject({
  source_persona_id: z.string({ error: 'is required' }).min(1, 'is required').max(200),
  status: z.enum(CHAIN_STATUSES).optional(),
  /** The desktop app's form of the status filter. */
  condition: z.looseObject({ type: z.enum(['success', 'failure', 'any']) }).optional(),
  ...common,
});

const pollingSchema = z.looseObject({
  url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }),
  interval_seconds: z.number({ error: 'is required (seconds between polls)' }).min(1, 'must be at least 1 second').max(366 * 86400),
  json_path: z.string().min(1).max(1000).refine((p) => jsonPathScriptProblem(p) === null, JSON_PATH_SCRIPT_MESSAGE).optional(),
  timeout_ms: z.number().int().min(100).max(120_000).optional(),
  max_bytes: z.number().int().min(1).max(10 * 1024 * 1024).optional(),
  ...common,
});

const plainSchema = z.looseObject(common);

const SCHEMAS: Record<TriggerType, z.ZodTypeAny> = {
  schedule: scheduleSchema,
  webhook: plainSchema,
  manual: plainSchema,
  chain: chainSchema,
  polling: pollingSchema,
};

export interface ConfigProblem {
  field: string;
  message: string;
}

export type ConfigResult = { ok: true; config: Record<string, unknown> } | { ok: false, problems: ConfigProblem[] };

/** Validates `config` for `type`; every problem names its field as `config.<key>`. */
export function validateTriggerConfig(type: TriggerType, config: unknown): ConfigResult {
  const parsed = SCHEMAS[type].safeParse(config ?? {});
  if (!parsed.success) {
    return {
      ok: false,
      problems: parsed.error.issues.map((i) => ({ field: ['config', ...i.path].join('.'), message: i.message })),
    };
  }
  const value = parsed.data as Record<string, unknown>;
  if (type === 'schedule') {
    const s = parseSchedule(value);
    if (!s.ok) return { ok: false, problems: [s.problem] };
  }
  return { ok: true, config: value };
}

/** The schedule of a valid `schedule` or `polling` config; null for other types or a config that no longer parses. */
export function triggerSchedule(type: string, config: Record<string, unknown>): Schedule | null {
  if (type === 'schedule') {
    const s = parseSchedule(config);
    return s.ok ? s.schedule : null;
  }
  if (type === 'polling' && typeof config.interval_seconds === 'number' && config.interval_seconds >= 1) {
    return { kind: 'every', everyMs: Math.round(config.interval_seconds * 1000) };
  }
  return null;
}

/** The chain trigger's status filter: `status`, else the desktop's `condition.type`, else `any`. */
export function chainStatusFilter(config: Record<string, unknown>): ChainStatus {
  if (typeof config.status === 'string' && (CHAIN_STATUSES as readonly string[]).includes(config.status)) return config.status as ChainStatus;
  const condition = config.condition as { type?: unknown } | undefined;
  if (condition?.type === 'success') return 'completed';
  if (condition?.type === 'failure') return 'failed';
  return 'any';
}

export function eventTypeFor(type: TriggerType | string, config: Record<string, unknown>): string {
  if (typeof config.event_type === 'string' && config.event_type.trim() !== '') return config.event_type.trim();
  return DEFAULT_EVENT_TYPES[type as TriggerType] ?? 'trigger_fired';
}
