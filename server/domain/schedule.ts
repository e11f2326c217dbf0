import { CronExpressionParser } from 'cron-parser';

/**
 * Schedule parsing for `schedule` triggers. Pure: turns a trigger config into BullMQ repeat options
 * and computes the next fire time. Problems name the config field they come from.
 */

export type Schedule =
  | { kind: 'every'; everyMs: number }
  | { kind: 'cron'; pattern: string; timezone: string | null };

/** What BullMQ's `upsertJobScheduler` takes: `{ every }` or `{ pattern, tz }`. */
export type RepeatOptions = { every: number } | { pattern: string; tz?: string };

export interface ScheduleProblem {
  field: string;
  message: string;
}

export type ScheduleResult = { ok: true; schedule: Schedule } | { ok: false; problem: ScheduleProblem };

export const MIN_INTERVAL_MS = 1000;

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
/** At most a year: larger values are almost certainly a typo and overflow nothing useful. */
const MAX_INTERVAL_MS = 366 * UNIT_MS.d;

const fail = (field: string, message: string): ScheduleResult => ({ ok: false, problem: { field, message } });

/** True when `tz` is an IANA time zone this runtime knows. */
export function isValidTimezone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

function parseEvery(text: string): ScheduleResult {
  const m = /^every\s+(\d+(?:\.\d+)?)\s*([a-z]+)$/i.exec(text.trim());
  if (!m) return fail('config.cron', `'${text}' is neither 'every <N><s|m|h|d>' nor a 5-field cron expression`);
  const unit = m[2].toLowerCase();
  if (!(unit in UNIT_MS)) return fail('config.cron', `unknown unit '${m[2]}' (use s, m, h or d)`);
  return intervalResult('config.cron', Number(m[1]) * UNIT_MS[unit]);
}

function intervalResult(field: string, everyMs: number): ScheduleResult {
  if (!Number.isFinite(everyMs) || everyMs < MIN_INTERVAL_MS) return fail(field, 'the interval must be at least 1 second');
  if (everyMs > MAX_INTERVAL_MS) return fail(field, 'the interval must be at most 366 days');
  return { ok: true, schedule: { kind: 'every', everyMs: Math.round(everyMs) } };
}

function parseCron(text: string, timezone: string | null): ScheduleResult {
  const fields = text.trim().split(/\s+/);
  if (fields.length !== 5) return fail('config.cron', `a cron expression has 5 fields (minute hour day month weekday), got ${fields.length}`);
  if (timezone !== null && !isValidTimezone(timezone)) return fail('config.timezone', `unknown time zone '${timezone}'`);
  const pattern = fields.join(' ');
  try {
    CronExpressionParser.parse(pattern, { tz: timezone ?? undefined, strict: false }).next();
  } catch (err) {
    return fail('config.cron', `invalid cron expression: ${(err as Error).message}`);
  }
  return { ok: true, schedule: { kind: 'cron', pattern, timezone } };
}

/**
 * Reads `cron` (`every 30m` or a 5-field expression, with optional `timezone`) or `interval_seconds`.
 * Exactly one of the two must be present.
 */
export function parseSchedule(config: { cron?: unknown; interval_seconds?: unknown; timezone?: unknown }): ScheduleResult {
  const hasCron = config.cron !== undefined && config.cron !== null;
  const hasInterval = config.interval_seconds !== undefined && config.interval_seconds !== null;
  if (hasCron && hasInterval) return fail('config', "give either 'cron' or 'interval_seconds', not both");
  if (config.timezone !== undefined && config.timezone !== null && typeof config.timezone !== 'string') {
    return fail('config.timezone', 'must be a string such as "Europe/Prague"');
  }
  const timezone = typeof config.timezone === 'string' && config.timezone !== '' ? config.timezone : null;
  if (hasInterval) {
    if (typeof config.interval_seconds !== 'number') return fail('config.interval_seconds', 'must be a number of seconds');
    return intervalResult('config.interval_seconds', config.interval_seconds * 1000);
  }
  if (!hasCron) return fail('config.cron', "a schedule needs 'cron' (e.g. \"every 30m\" or \"0 9 * * 1-5\") or 'interval_seconds'");
  if (typeof config.cron !== 'string' || config.cron.trim() === '') return fail('config.cron', 'must be a non-empty string');
  return /^\s*every\b/i.test(config.cron) ? parseEvery(config.cron) : parseCron(config.cron, timezone);
}

export function repeatOptions(schedule: Schedule): RepeatOptions {
  if (schedule.kind === 'every') return { every: schedule.everyMs };
  return schedule.timezone ? { pattern: schedule.pattern, tz: schedule.timezone } : { pattern: schedule.pattern };
}

/** The first fire strictly after `from`. For intervals that is `from + every` (fires are counted from the last one). */
export function nextFireTime(schedule: Schedule, from: Date): Date {
  if (schedule.kind === 'every') return new Date(from.getTime() + schedule.everyMs);
  const it = CronExpressionParser.parse(schedule.pattern, { currentDate: from, tz: schedule.timezone ?? undefined });
  return it.next().toDate();
}
