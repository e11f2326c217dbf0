/**
 * A Server-Sent Events parser for a streamed `fetch` body (the browser's EventSource cannot send an
 * Authorization header, and an API key must never go into a URL). Pure: feed it text as it arrives,
 * get back the complete events. Follows the WHATWG rules the console needs: `event`, `data` (several
 * lines joined by "\n"), `id`, `retry`, comments (`:`), and CRLF / LF / CR line endings.
 */
export interface SseEvent {
  /** `message` when the event named none. */
  event: string;
  data: string;
  /** The last `id` seen so far (sent back as Last-Event-ID on reconnect); undefined until one came. */
  id: string | undefined;
}

export class SseParser {
  private buffer = '';
  private data: string[] = [];
  private event = '';
  private lastId: string | undefined;
  /** The server's `retry:` in ms, if it sent one. */
  retryMs: number | undefined;

  /** The last event id received (for Last-Event-ID). */
  get lastEventId(): string | undefined {
    return this.lastId;
  }

  /** Adds a piece of the stream; answers the events it completed, in order. */
  push(chunk: string): SseEvent[] {
    this.buffer += chunk;
    const out: SseEvent[] = [];
    for (;;) {
      const match = /\r\n|\n|\r/.exec(this.buffer);
      // A lone CR at the very end may be the first half of CRLF: wait for more.
      if (!match || (match[0] === '\r' && match.index === this.buffer.length - 1)) break;
      const line = this.buffer.slice(0, match.index);
      this.buffer = this.buffer.slice(match.index + match[0].length);
      const event = this.line(line);
      if (event) out.push(event);
    }
    return out;
  }

  private line(line: string): SseEvent | undefined {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.data.push(value);
    else if (field === 'event') this.event = value;
    else if (field === 'id' && !value.includes('\0')) this.lastId = value;
    else if (field === 'retry' && /^\d+$/.test(value)) this.retryMs = Number(value);
    return undefined;
  }

  private dispatch(): SseEvent | undefined {
    if (this.data.length === 0) {
      this.event = '';
      return undefined;
    }
    const event: SseEvent = { event: this.event || 'message', data: this.data.join('\n'), id: this.lastId };
    this.data = [];
    this.event = '';
    return event;
  }
}
