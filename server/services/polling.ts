import { createHash } from 'node:crypto';
import type { Event } from '../db/events';
import { getTriggerState, setTriggerState, updateTrigger, type Trigger } from '../db/triggers';
import { selectJsonPath } from '../domain/json-path';
import { nowFrom, type BusDeps } from './events';
import { computeNextTriggerAt } from './trigger-schedules';
import { configPayloadObject, fireTrigger } from './trigger-fire';

export interface PollDeps extends BusDeps {
  /** Injected for tests; defaults to the global fetch. */
  fetch?: typeof fetch;
}

const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_MAX_BYTES = 1024 * 1024;
/** How much of the changed content travels in the event payload. */
const PAYLOAD_CONTENT_LIMIT = 64 * 1024;

export type PollOutcome = 'baseline' | 'unchanged' | 'changed' | 'error';

/** Fetches `url` with a timeout, reading at most `maxBytes` (a larger body is an error, not a truncation). */
export async function fetchLimited(fetchImpl: typeof fetch, url: string, timeoutMs: number, maxBytes: number): Promise<string> {
  const res = await fetchImpl(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'follow' });
  if (!res.ok) {
    await res.body?.cancel();
    throw new Error(`GET ${url} answered ${res.status}`);
  }
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw new Error(`GET ${url}: response larger than ${maxBytes} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

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
 * nothing but `lastError`; the hash is only advanced once the change event was published.
 */
export async function pollTrigger(deps: PollDeps, trigger: Trigger): Promise<{ outcome: PollOutcome; event: Event | null }> {
  const cfg = trigger.config as { url: string; json_path?: string; timeout_ms?: number; max_bytes?: number };
  const state = (await getTriggerState(deps.db, trigger.id)) ?? {};
  const now = nowFrom(deps);
  const polledAt = now.toISOString();
  let content: string;
  try {
    const body = await fetchLimited(deps.fetch ?? fetch, cfg.url, cfg.timeout_ms ?? DEFAULT_TIMEOUT_MS, cfg.max_bytes ?? DEFAULT_MAX_BYTES);
    content = extractContent(body, cfg.json_path);
  } catch (err) {
    deps.logger.warn({ err, triggerId: trigger.id }, 'polling trigger: fetch failed');
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
