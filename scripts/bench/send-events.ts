const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

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

/** Sends `count` events (`rate`/s, or flat out with `concurrency` in flight); answers their ids. */
export async function sendEvents(url: string, apiKey: string, types: string[], count: number, rate: number, concurrency: number): Promise<string[]> {
  const ids: string[] = new Array(count);
  const start = performance.now();
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < count) {
      const i = next++;
      if (rate > 0) {
        const due = start + (i * 1000) / rate - performance.now();
        if (due > 0) await sleep(due);
      }
      const res = await postEvent(url, apiKey, JSON.stringify({ eventType: types[i % types.length], sourceType: 'bench', sourceId: 'bench/workers', payload: { i } }));
      if (res.status !== 202) throw new Error(`bench: POST /api/events answered ${res.status}: ${await res.text()}`);
      ids[i] = ((await res.json()) as { id: string }).id;
    }
  }));
  return ids;
}
