import { createHash } from 'node:crypto';
import type { Event } from '../db/events';
import { getTriggerState, setTriggerState, updateTrigger, type Trigger } from '../db/triggers';
import { selectJsonPath } from '../domain/json-path';
import type { HostAllowance } from '../domain/poll-destination';
import { nowFrom, type BusDeps } from './events';
import { DestinationRefusedError, guardedGet, type ResolveHost } from './guarded-get';
import { computeNextTriggerAt } from './trigger-schedules';
import { configPayloadObject, fireTrigger } from './trigger-fire';

export interface PollDeps extends BusDeps {
  /** Non-public hosts polls may reach (config POLL_ALLOW_PRIVATE_HOSTS); absent: public addresses only. */
  allowPrivateHosts?: readonly HostAllowance[];
  /** Injected for tests; defaults to the system resolver. */
  resolveHost?: ResolveHost;
}

const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_MAX_BYTES = 1024 * 1024;
/** How much of the changed content travels in the event payload. */
const PAYLOAD_CONTENT_LIMIT = 64 * 1024;

export type PollOutcome = 'baseline' | 'unchanged' | 'changed' | 'error';

/**
 * The part of the content that counts: the JSON path's matches (as JSON), or the whole body. A path
 * stored before filters and scripts were refused fails here (scripts never run) and shows as lastError.
 */
export function extractContent(body: string, jsonPath: string | undefined): string {
  if (!jsonPath) return body;
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new Error('json_path is set but the response is not JSON');
  }
  return JSON.stringify(selectJsonPath(json, jsonPath));
}

/**
 * One poll of a `polling` trigger. The first successful poll only records the content hash (a
 * baseline: the trigger reports changes, not the content that was there when it was created); each
 * later poll whose hash differs fires the trigger with the new content. A failed fetch changes
 * nothing but `lastError`; the hash is only advanced once the change event was published. A URL (or a
 * redirect hop) that resolves to a non-public address not in `allowPrivateHosts` is a failed fetch too:
 * nothing is sent to it and the refusal is the trigger's `lastError`.
 */
export async function pollTrigger(deps: PollDeps, trigger: Trigger): Promise<{ outcome: PollOutcome; event: Event | null }> {
  const cfg = trigger.config as { url: string; json_path?: string; timeout_ms?: number; max_bytes?: number };
  const state = (await getTriggerState(deps.db, trigger.id)) ?? {};
  const now = nowFrom(deps);
  const polledAt = now.toISOString();
  let content: string;
  try {
    const body = await guardedGet(cfg.url, {
      allow: deps.allowPrivateHosts ?? [],
      resolve: deps.resolveHost,
      timeoutMs: cfg.timeout_ms ?? DEFAULT_TIMEOUT_MS,
      maxBytes: cfg.max_bytes ?? DEFAULT_MAX_BYTES,
    });
    content = extractContent(body, cfg.json_path);
  } catch (err) {
    // Messages show URLs without their query string or credentials (see shownUrl).
    if (err instanceof DestinationRefusedError) {
      deps.logger.warn({ triggerId: trigger.id, reason: err.message }, 'polling trigger: destination refused');
    } else {
      deps.logger.warn({ err, triggerId: trigger.id }, 'polling trigger: fetch failed');
    }
    await setTriggerState(deps.db, trigger.id, { ...state, lastPolledAt: polledAt, lastError: (err as Error).message });
    return { outcome: 'error', event: null };
  }
  const hash = createHash('sha256').update(content).digest('hex');
  const previous = typeof state.hash === 'string' ? state.hash : null;
  if (previous === hash || previous === null) {
    await setTriggerState(deps.db, trigger.id, { ...state, hash, lastPolledAt: polledAt, lastError: null });
    await updateTrigger(deps.db, trigger.id, { nextTriggerAt: computeNextTriggerAt(trigger, now) });
    return { outcome: previous === null ? 'baseline' : 'unchanged', event: null };
  }
  const { fire, event } = await fireTrigger(deps, trigger, {
    payload: {
      ...configPayloadObject(trigger),
      url: cfg.url,
      previous_hash: previous,
      hash,
      content: content.length > PAYLOAD_CONTENT_LIMIT ? content.slice(0, PAYLOAD_CONTENT_LIMIT) : content,
      content_truncated: content.length > PAYLOAD_CONTENT_LIMIT,
    },
  });
  const advanced = fire.status === 'fired';
  await setTriggerState(deps.db, trigger.id, {
    ...state,
    hash: advanced ? hash : previous,
    lastPolledAt: polledAt,
    lastChangedAt: advanced ? polledAt : (state.lastChangedAt ?? null),
    lastError: advanced ? null : fire.error,
  });
  return { outcome: 'changed', event };
}
