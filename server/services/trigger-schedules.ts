import { getTrigger, listEnabledTriggersByType, type Trigger } from '../db/triggers';
import { nextFireTime, repeatOptions } from '../domain/schedule';
import { SCHEDULED_TYPES, triggerSchedule } from '../domain/trigger-config';
import { nowFrom, type BusDeps } from './events';

/**
 * Schedule and polling triggers are BullMQ job schedulers on the `triggers` queue, one per trigger.
 * The database is the source of truth: these functions make Redis agree with it.
 */

const PREFIX = 'trigger-';
export const schedulerId = (triggerId: string): string => `${PREFIX}${triggerId}`;

interface Desired {
  every?: number;
  pattern?: string;
  tz?: string;
  startDate?: number;
}

/** The scheduler a trigger should have, or null (disabled, not a scheduled type, or a config that no longer parses). */
function desiredScheduler(trigger: Trigger, now: Date): Desired | null {
  if (!trigger.enabled || !SCHEDULED_TYPES.includes(trigger.triggerType as never)) return null;
  const schedule = triggerSchedule(trigger.triggerType, trigger.config);
  if (!schedule) return null;
  const repeat: Desired = { ...repeatOptions(schedule) };
  // A schedule's first fire comes one interval after it is set; a poll runs at once to take its baseline.
  if (repeat.every !== undefined && trigger.triggerType === 'schedule') repeat.startDate = now.getTime() + repeat.every;
  return repeat;
}

/** `nextTriggerAt` for a trigger as it stands after `now` (null when it has no schedule). */
export function computeNextTriggerAt(trigger: Trigger, now: Date): string | null {
  if (!trigger.enabled) return null;
  const schedule = triggerSchedule(trigger.triggerType, trigger.config);
  return schedule ? nextFireTime(schedule, now).toISOString() : null;
}

/**
 * Upserts or removes one trigger's scheduler to match the database. An unchanged schedule is left
 * alone, so re-saving a trigger or restarting does not reset its rhythm.
 */
export async function syncTriggerScheduler(deps: BusDeps, triggerId: string): Promise<'upserted' | 'unchanged' | 'removed'> {
  const trigger = await getTrigger(deps.db, triggerId);
  const id = schedulerId(triggerId);
  const want = trigger ? desiredScheduler(trigger, nowFrom(deps)) : null;
  if (!trigger || !want) {
    await deps.queues.triggers.removeJobScheduler(id);
    return 'removed';
  }
  const existing = await deps.queues.triggers.getJobScheduler(id);
  if (existing && existing.every === want.every && existing.pattern === want.pattern && (existing.tz ?? undefined) === want.tz) {
    return 'unchanged';
  }
  await deps.queues.triggers.upsertJobScheduler(id, want, { name: trigger.triggerType, data: { triggerId } });
  return 'upserted';
}

export async function removeTriggerScheduler(deps: BusDeps, triggerId: string): Promise<void> {
  await deps.queues.triggers.removeJobScheduler(schedulerId(triggerId));
}

/**
 * Restarts the schedulers whose chain broke: BullMQ adds a scheduler's next job when a worker takes
 * the current one, so an orchestrator killed between the two leaves no next job until the taken one
 * comes back as stalled (half a minute later). A scheduler whose next run is overdue by more than
 * two intervals (and at least `graceMs`) and whose job for that run does not exist is upserted
 * again from now: it fires at once and keeps its rhythm; the tick key of trigger_fires keeps a tick
 * from firing twice. Answers the triggers healed.
 */
export async function healStalledSchedulers(deps: BusDeps, graceMs = 3_000): Promise<string[]> {
  const now = nowFrom(deps).getTime();
  const healed: string[] = [];
  for (const s of await deps.queues.triggers.getJobSchedulers(0, -1)) {
    const id = s.id ?? s.key;
    const every = Number(s.every ?? 0);
    if (!id.startsWith(PREFIX) || !every || s.next === undefined || Number(s.next) > now - Math.max(2 * every, graceMs)) continue;
    // Overdue but its job is there (workers lagging behind): the chain is whole, leave it.
    const pending = await deps.queues.triggers.getJob(`repeat:${id}:${Number(s.next)}`);
    if (pending && !['completed', 'failed'].includes(await pending.getState())) continue;
    const trigger = await getTrigger(deps.db, id.slice(PREFIX.length));
    const want = trigger ? desiredScheduler(trigger, nowFrom(deps)) : null;
    if (!trigger || !want) continue;
    await deps.queues.triggers.upsertJobScheduler(id, { ...want, startDate: now }, { name: trigger.triggerType, data: { triggerId: trigger.id } });
    healed.push(trigger.id);
  }
  return healed;
}

/**
 * Startup (and periodic) reconciliation, the database wins: schedulers of triggers that are gone or
 * disabled are removed, missing or changed ones are upserted. One trigger's failure is logged and skipped.
 */
export async function reconcileSchedulers(deps: BusDeps): Promise<{ upserted: number; removed: number }> {
  const triggers = await listEnabledTriggersByType(deps.db, SCHEDULED_TYPES);
  const wanted = new Set(triggers.map((t) => schedulerId(t.id)));
  let upserted = 0;
  let removed = 0;
  for (const s of await deps.queues.triggers.getJobSchedulers(0, -1)) {
    const id = s.id ?? s.key;
    if (!id.startsWith(PREFIX) || wanted.has(id)) continue;
    await deps.queues.triggers.removeJobScheduler(id);
    removed += 1;
  }
  for (const t of triggers) {
    try {
      const outcome = await syncTriggerScheduler(deps, t.id);
      if (outcome === 'upserted') upserted += 1;
      if (outcome === 'removed') removed += 1;
    } catch (err) {
      deps.logger.error({ err, triggerId: t.id, queue: 'triggers' }, 'could not reconcile trigger scheduler');
    }
  }
  return { upserted, removed };
}
