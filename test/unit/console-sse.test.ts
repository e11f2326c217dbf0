import { SseParser } from '../../server/console/src/sse';
import { cost, duration, inputValue, lines, relative } from '../../server/console/src/format';

/** The console's pure parts: the SSE parser its live output reads a streamed fetch with, and its formatting. */
describe('console SseParser', () => {
  it('parses the orchestrator stream: retry, named events with ids, comments, and events split across chunks', () => {
    const p = new SseParser();
    const stream = 'retry:2000\n\nevent:output\nid:0\ndata:{"seq":0,"stream":"system","text":"hi"}\n\n:\n\nevent:status\nid:0\ndata:{"status":"running"}\n\nevent:end\nid:1\ndata:{"status":"completed","error":null}\n\n';
    const events = [];
    for (let i = 0; i < stream.length; i += 7) events.push(...p.push(stream.slice(i, i + 7)));
    expect(events).toEqual([
      { event: 'output', data: '{"seq":0,"stream":"system","text":"hi"}', id: '0' },
      { event: 'status', data: '{"status":"running"}', id: '0' },
      { event: 'end', data: '{"status":"completed","error":null}', id: '1' },
    ]);
    expect(p.retryMs).toBe(2000);
    expect(p.lastEventId).toBe('1');
  });

  it('joins multi-line data, takes CRLF and CR endings, strips one leading space, defaults the event name', () => {
    const p = new SseParser();
    expect(p.push('data: one\r\ndata:  two\r\n\r')).toEqual([]);
    expect(p.push('\ndata:x\r\rdata')).toEqual([{ event: 'message', data: 'one\n two', id: undefined }, { event: 'message', data: 'x', id: undefined }]);
    expect(p.push('\n\n')).toEqual([{ event: 'message', data: '', id: undefined }]);
  });

  it('ignores an event without data and a bad retry', () => {
    const p = new SseParser();
    expect(p.push('event:status\n\nretry:soon\ndata:ok\n\n')).toEqual([{ event: 'message', data: 'ok', id: undefined }]);
    expect(p.retryMs).toBeUndefined();
  });
});

describe('console formatting', () => {
  it.each([[null, '—'], [250, '250 ms'], [4_400, '4 s'], [125_000, '2 min 05 s'], [600_000, '10 min'], [7_500_000, '2 h 05 min'], [3 * 86_400_000, '3 d 0 h']])(
    'duration(%p) = %p', (ms, text) => expect(duration(ms)).toBe(text));

  it('cost, relative time, list and input parsing', () => {
    expect([cost(null), cost(0.01234), cost(12.4)]).toEqual(['—', '$0.0123', '$12.40']);
    const now = Date.parse('2026-01-01T12:00:00Z');
    expect(relative('2026-01-01T11:59:50Z', now)).toBe('just now');
    expect(relative('2026-01-01T11:55:00Z', now)).toBe('5 min ago');
    expect(relative('2026-01-01T15:00:00Z', now)).toBe('in 3 h');
    expect(relative(null, now)).toBe('—');
    expect(lines('Read\n Bash(git *) ,\n\nGrep')).toEqual(['Read', 'Bash(git *)', 'Grep']);
    expect([inputValue('  '), inputValue('{"a": 1}'), inputValue('plain text')]).toEqual([undefined, { a: 1 }, 'plain text']);
  });
});
