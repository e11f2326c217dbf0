/**
 * Follows an execution's output live: a streamed `fetch` of `GET /api/executions/:id/stream` with
 * the key in the Authorization header (EventSource cannot send one, and a key never goes into a
 * URL). Replays what is stored, then streams; reconnects with Last-Event-ID if the stream drops
 * before its `end` event.
 */
import { currentKey } from './session';
import { SseParser } from './sse';
import type { OutputLine } from './types';

export interface FollowHandlers {
  output(line: OutputLine): void;
  status(status: string): void;
  end(e: { status: string; error: string | null }): void;
  /** Connection state for the page: `live` while streaming, `reconnecting` after a drop. */
  connection(state: 'connecting' | 'live' | 'reconnecting'): void;
  /** A refusal (401/403/404): following stops. */
  failed(message: string): void;
}

export function followExecution(executionId: string, h: FollowHandlers): () => void {
  const ctrl = new AbortController();
  let lastEventId: string | undefined;
  let ended = false;

  const once = async (): Promise<void> => {
    const headers: Record<string, string> = { Accept: 'text/event-stream', Authorization: `Bearer ${currentKey() ?? ''}` };
    if (lastEventId !== undefined) headers['Last-Event-ID'] = lastEventId;
    const res = await fetch(`api/executions/${encodeURIComponent(executionId)}/stream`, { headers, signal: ctrl.signal, cache: 'no-store' });
    if (!res.ok || !res.body) {
      const body = await res.json().catch(() => undefined) as { error?: { message?: string } } | undefined;
      ended = true;
      h.failed(body?.error?.message ?? `the live stream answered ${res.status}`);
      return;
    }
    h.connection('live');
    const parser = new SseParser();
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      for (const e of parser.push(value)) {
        lastEventId = e.id ?? lastEventId;
        const data = JSON.parse(e.data) as Record<string, unknown>;
        if (e.event === 'output') h.output({ seq: Number(data.seq), stream: String(data.stream), text: String(data.text) });
        else if (e.event === 'status') h.status(String(data.status));
        else if (e.event === 'end') {
          ended = true;
          h.end({ status: String(data.status), error: (data.error as string | null) ?? null });
        }
      }
    }
  };

  void (async () => {
    h.connection('connecting');
    while (!ended && !ctrl.signal.aborted) {
      try {
        await once();
      } catch (err) {
        if (ctrl.signal.aborted) return;
        void err; // a dropped connection: retried below
      }
      if (ended || ctrl.signal.aborted) return;
      h.connection('reconnecting');
      await new Promise((r) => setTimeout(r, 2000));
    }
  })();
  return () => ctrl.abort();
}
