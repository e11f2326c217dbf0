import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A fake Anthropic Messages API on loopback for tests that run the real Claude CLI
 * (`ANTHROPIC_BASE_URL=fake.url`). It records every request and answers `POST /v1/messages`
 * with Anthropic's SSE stream format, scripted per test.
 *
 * Which reply a main request gets, first match wins:
 *   1. a conversation registered with `onPrompt(match, replies)` whose prompt matches;
 *      replies[i] answers the turn that already has i assistant messages (stateless, so two
 *      conversations running at once each get their own sequence);
 *   2. the `script` function, when it returns a reply;
 *   3. the FIFO queue filled by `enqueue(...)`;
 *   4. the fallback (default `text('ok')`).
 * Side requests (no tools, or not streamed: titles, quota probes) always get a short text.
 */

export type FakeReply =
  | { type: 'text'; text: string; msPerChunk: number; chunks: number }
  | { type: 'tool_use'; name: string; input: Record<string, unknown>; text?: string; msPerChunk: number; chunks: number }
  | { type: 'error'; status: number; message: string }
  /** Accepts the request and never answers (until the client goes away or the fake closes). */
  | { type: 'hang' };

export interface RecordedRequest {
  method: string;
  /** Path with query, e.g. `/v1/messages?beta=true`. */
  path: string;
  /** Lower-case header names; `x-api-key` and `authorization` values replaced by `[redacted]`. */
  headers: Record<string, string>;
  /** Parsed JSON body, or undefined when there was none / it was not JSON. */
  body: any;
  /** `main`: a streamed conversation turn carrying tools; `side`: other /v1/messages; `other`: any other path. */
  kind: 'main' | 'side' | 'other';
  at: number;
}

export type ScriptFn = (req: RecordedRequest) => FakeReply | undefined;

export interface FakeAnthropic {
  /** `http://127.0.0.1:<port>`, for ANTHROPIC_BASE_URL. */
  readonly url: string;
  readonly port: number;
  /** Every request received, in order. */
  readonly requests: RecordedRequest[];
  /** Only the main conversation turns. */
  mainRequests(): RecordedRequest[];
  /**
   * The credentials requests presented (`x-api-key` value or the Bearer of `authorization`), in
   * order, kept apart from `requests` so that serialising those never shows a secret.
   */
  credentials(): string[];
  enqueue(...replies: FakeReply[]): void;
  setScript(fn: ScriptFn | undefined): void;
  onPrompt(match: string | RegExp, replies: FakeReply[]): void;
  setFallback(reply: FakeReply): void;
  /** Forget requests, queue, script, conversations; fallback back to `text('ok')`. */
  reset(): void;
  /** Closes the server and every open connection (slow or hanging streams included). */
  close(): Promise<void>;
}

export interface FakeOptions {
  replies?: FakeReply[];
  script?: ScriptFn;
  fallback?: FakeReply;
}

/** A text answer, streamed in one chunk. */
export function text(value: string): FakeReply {
  return { type: 'text', text: value, msPerChunk: 0, chunks: 1 };
}

/** A tool call (stop_reason `tool_use`), optionally preceded by some text. The CLI runs it and sends the tool_result next turn. */
export function toolUse(name: string, input: Record<string, unknown>, opts: { text?: string } = {}): FakeReply {
  return { type: 'tool_use', name, input, text: opts.text, msPerChunk: 0, chunks: 1 };
}

/**
 * Streams `reply` (default: 40 chunks of text) in `chunks` pieces, waiting `msPerChunk` before each:
 * `slow(250)` keeps the CLI busy for ~10 s, enough for cancel and timeout tests.
 */
export function slow(msPerChunk: number, reply: FakeReply = text('slowly '.repeat(40)), chunks = 40): FakeReply {
  if (reply.type !== 'text' && reply.type !== 'tool_use') return reply;
  return { ...reply, msPerChunk, chunks: Math.max(1, chunks) };
}

/**
 * An HTTP error with Anthropic's error body. Note the CLI retries: after a 400 it tries again about
 * five times with fewer beta headers, after 429/5xx with backoff. To fail a run, make it the fallback.
 */
export function apiError(status: number, message = 'fake error'): FakeReply {
  return { type: 'error', status, message };
}

export function hang(): FakeReply {
  return { type: 'hang' };
}

/** All text of a request's user messages (string contents and text blocks), joined by newlines. */
export function userText(req: RecordedRequest): string {
  const messages: any[] = Array.isArray(req.body?.messages) ? req.body.messages : [];
  return messages
    .filter((m) => m?.role === 'user')
    .flatMap((m) => (typeof m.content === 'string' ? [m.content] : Array.isArray(m.content) ? m.content : []))
    .map((b: any) => (typeof b === 'string' ? b : b?.type === 'text' ? String(b.text) : ''))
    .filter(Boolean)
    .join('\n');
}

/** The tool_result contents of a request, as text, in order. */
export function toolResults(req: RecordedRequest): string[] {
  const messages: any[] = Array.isArray(req.body?.messages) ? req.body.messages : [];
  return messages
    .flatMap((m) => (Array.isArray(m?.content) ? m.content : []))
    .filter((b: any) => b?.type === 'tool_result')
    .map((b: any) =>
      typeof b.content === 'string' ? b.content : Array.isArray(b.content) ? b.content.map((c: any) => c?.text ?? '').join('') : '',
    );
}

function assistantTurns(req: RecordedRequest): number {
  const messages: any[] = Array.isArray(req.body?.messages) ? req.body.messages : [];
  return messages.filter((m) => m?.role === 'assistant').length;
}

function redactHeaders(headers: http.IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    out[name] = name === 'x-api-key' || name === 'authorization' ? '[redacted]' : String(value);
  }
  return out;
}

function classify(method: string, path: string, body: any): RecordedRequest['kind'] {
  if (method !== 'POST' || !/^\/v1\/messages(\?|$)/.test(path)) return 'other';
  return body?.stream === true && Array.isArray(body.tools) && body.tools.length > 0 ? 'main' : 'side';
}

function split(value: string, parts: number): string[] {
  if (parts <= 1 || value.length <= 1) return [value];
  const size = Math.ceil(value.length / parts);
  const out: string[] = [];
  for (let i = 0; i < value.length; i += size) out.push(value.slice(i, i + size));
  return out;
}

/** A sleep whose pending timers `clear()` cancels, so no pacing timer outlives a closed fake. */
function timerSet() {
  const timers = new Set<NodeJS.Timeout>();
  return {
    sleep: (ms: number) =>
      new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          timers.delete(t);
          resolve();
        }, ms);
        timers.add(t);
      }),
    clear: () => {
      for (const t of timers) clearTimeout(t);
      timers.clear();
    },
  };
}

/** Writes one reply as an Anthropic SSE stream; stops quietly if the client goes away. */
async function streamReply(
  res: http.ServerResponse,
  reply: Extract<FakeReply, { type: 'text' | 'tool_use' }>,
  meta: { model: string; n: number; sleep: (ms: number) => Promise<void> },
): Promise<void> {
  const { model, n, sleep } = meta;
  let gone = false;
  res.on('close', () => (gone = true));
  const send = (type: string, data: Record<string, unknown>) => {
    if (!gone) res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
  };
  const pace = async () => {
    if (reply.msPerChunk > 0) await sleep(reply.msPerChunk);
  };
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'request-id': `req_fake_${n}` });
  send('message_start', {
    message: {
      id: `msg_fake_${n}`, type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null,
      usage: { input_tokens: 12, output_tokens: 1, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
    },
  });
  let index = 0;
  const textPart = reply.text;
  if (textPart) {
    send('content_block_start', { index, content_block: { type: 'text', text: '' } });
    for (const piece of split(textPart, reply.chunks)) {
      await pace();
      if (gone) return; // the client went away (cancel, kill): stop pacing so no timer outlives it
      send('content_block_delta', { index, delta: { type: 'text_delta', text: piece } });
    }
    send('content_block_stop', { index });
    index++;
  }
  if (reply.type === 'tool_use') {
    send('content_block_start', { index, content_block: { type: 'tool_use', id: `toolu_fake_${n}`, name: reply.name, input: {} } });
    for (const piece of split(JSON.stringify(reply.input), reply.chunks)) {
      await pace();
      if (gone) return;
      send('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: piece } });
    }
    send('content_block_stop', { index });
  }
  send('message_delta', { delta: { stop_reason: reply.type === 'tool_use' ? 'tool_use' : 'end_turn', stop_sequence: null }, usage: { output_tokens: 8 } });
  send('message_stop', {});
  if (!gone) res.end();
}

function jsonMessage(res: http.ServerResponse, value: string, model: string, n: number): void {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({
    id: `msg_fake_${n}`, type: 'message', role: 'assistant', model, content: [{ type: 'text', text: value }],
    stop_reason: 'end_turn', stop_sequence: null, usage: { input_tokens: 12, output_tokens: 4 },
  }));
}

/** Starts the fake on 127.0.0.1 with a random port. */
export async function startFakeAnthropic(options: FakeOptions = {}): Promise<FakeAnthropic> {
  const requests: RecordedRequest[] = [];
  let credentials: string[] = [];
  let queue: FakeReply[] = [...(options.replies ?? [])];
  let script: ScriptFn | undefined = options.script;
  let fallback: FakeReply = options.fallback ?? text('ok');
  let conversations: Array<{ match: string | RegExp; replies: FakeReply[] }> = [];
  let counter = 0;
  const pacing = timerSet();

  const pick = (req: RecordedRequest): FakeReply => {
    const prompt = userText(req);
    const conv = conversations.find((c) => (typeof c.match === 'string' ? prompt.includes(c.match) : c.match.test(prompt)));
    if (conv) return conv.replies[assistantTurns(req)] ?? fallback;
    return script?.(req) ?? queue.shift() ?? fallback;
  };

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse, raw: string) => {
    const method = req.method ?? 'GET';
    const path = req.url ?? '/';
    let body: any;
    try {
      body = raw ? JSON.parse(raw) : undefined;
    } catch {
      body = undefined; // not JSON: recorded as undefined, answered like any other request
    }
    const record: RecordedRequest = { method, path, headers: redactHeaders(req.headers), body, kind: classify(method, path, body), at: Date.now() };
    requests.push(record);
    const presented = req.headers['x-api-key'] ?? /^Bearer\s+(.+)$/i.exec(String(req.headers.authorization ?? ''))?.[1];
    if (presented) credentials.push(String(presented));
    const n = ++counter;
    const model = typeof body?.model === 'string' ? body.model : 'claude-fake';

    if (record.kind === 'other') {
      if (method === 'POST' && path.startsWith('/v1/messages/count_tokens')) {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ input_tokens: 12 }));
      } else if (method === 'HEAD' || method === 'GET') {
        // Health-ish probes (the CLI sends `HEAD /api/hello` before its first turn).
        res.writeHead(200, { 'content-type': 'application/json' }).end(method === 'HEAD' ? undefined : '{}');
      } else {
        res.writeHead(404, { 'content-type': 'application/json' })
          .end(JSON.stringify({ type: 'error', error: { type: 'not_found_error', message: 'not faked' } }));
      }
      return;
    }
    if (record.kind === 'side') {
      if (body?.stream === true) await streamReply(res, { type: 'text', text: 'Fake title', msPerChunk: 0, chunks: 1 }, { model, n, sleep: pacing.sleep });
      else jsonMessage(res, 'Fake title', model, n);
      return;
    }
    const reply = pick(record);
    if (reply.type === 'hang') return; // the connection stays open; close() destroys it
    if (reply.type === 'error') {
      res.writeHead(reply.status, { 'content-type': 'application/json' })
        .end(JSON.stringify({ type: 'error', error: { type: reply.status === 400 ? 'invalid_request_error' : 'api_error', message: reply.message } }));
      return;
    }
    await streamReply(res, reply, { model, n, sleep: pacing.sleep });
  };

  const server = http.createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (d: Buffer) => parts.push(d));
    req.on('end', () => {
      handle(req, res, Buffer.concat(parts).toString('utf8')).catch((err: Error) => {
        if (!res.headersSent) res.writeHead(500).end(String(err.message));
        else res.destroy();
      });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    mainRequests: () => requests.filter((r) => r.kind === 'main'),
    credentials: () => [...credentials],
    enqueue: (...replies) => void queue.push(...replies),
    setScript: (fn) => void (script = fn),
    onPrompt: (match, replies) => void conversations.push({ match, replies }),
    setFallback: (reply) => void (fallback = reply),
    reset: () => {
      requests.length = 0;
      credentials = [];
      queue = [];
      script = undefined;
      conversations = [];
      fallback = text('ok');
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        pacing.clear();
        server.close(() => resolve());
      }),
  };
}
