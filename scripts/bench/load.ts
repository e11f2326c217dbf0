/** Load generation and figures for the benchmark. */
import { setTimeout as sleep } from 'node:timers/promises';

export interface LoadOptions {
  /** One orchestrator's API, or several (event i goes to baseUrl[i % n], as a round-robin balancer would). */
  baseUrl: string | string[];
  teamApiKey: string;
  eventTypes: string[];
  count: number;
  /** Offered events per second (open loop); 0 = as fast as `concurrency` requests in flight allow. */
  rate: number;
  concurrency: number;
}

/** Rounded to one, two or three decimals, as the figures are printed. */
export const r1 = (v: number): number => Math.round(v * 10) / 10;
export const r2 = (v: number): number => Math.round(v * 100) / 100;
export const r3 = (v: number): number => Math.round(v * 1000) / 1000;

/** Nearest-rank percentile of ascending values. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export async function waitUntil(probe: () => boolean, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`bench: timed out waiting for ${what}`);
    await sleep(10);
  }
}

/**
 * POST /api/events. A request reset before any answer is sent again (up to 3 times): that is a kept-alive
 * connection the server closed with the request unread (its keep-alive timer fires late when a slow
 * machine is overloaded, as the bwrap phase can make it), so the event was not accepted.
 */
async function postEvent(url: string, apiKey: string, body: string): Promise<Response> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fetch(`${url}/api/events`, {
        method: 'POST', body, headers: { Authorization: `Bearer ${apiKey}`, 'Content-Type': 'application/json' },
      });
    } catch (err) {
      const code = ((err as Error).cause as { code?: string } | undefined)?.code;
      if (attempt >= 3 || (code !== 'ECONNRESET' && code !== 'UND_ERR_SOCKET')) throw err;
    }
  }
}

/**
 * Posts `count` events to `/api/events`. With a rate, event i is sent at start + i/rate (never more
 * than `concurrency` in flight); answers the accepted events' ids in order.
 */
export async function sendEvents(o: LoadOptions): Promise<string[]> {
  const ids: string[] = new Array(o.count);
  const bases = typeof o.baseUrl === 'string' ? [o.baseUrl] : o.baseUrl;
  const start = performance.now();
  let next = 0;
  const sender = async (): Promise<void> => {
    while (next < o.count) {
      const i = next++;
      if (o.rate > 0) {
        const due = start + (i * 1000) / o.rate - performance.now();
        if (due > 0) await sleep(due);
      }
      const body = JSON.stringify({ eventType: o.eventTypes[i % o.eventTypes.length], sourceType: 'bench', sourceId: 'bench/load', payload: { i } });
      const res = await postEvent(bases[i % bases.length], o.teamApiKey, body);
      if (res.status !== 202) throw new Error(`bench: POST /api/events answered ${res.status}: ${await res.text()}`);
      ids[i] = ((await res.json()) as { id: string }).id;
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, sender));
  return ids;
}
