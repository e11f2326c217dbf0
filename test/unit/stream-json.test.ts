import { describeToolUse, parseStreamLine, renderEvent, truncateBytes } from '../../worker/stream-json';

// Lines as the CLI (2.1.x) prints them, trimmed of fields the parser does not read.
const INIT = '{"type":"system","subtype":"init","cwd":"/tmp/w","session_id":"8f07970e-9e8a","tools":["Bash"],"mcp_servers":[],"model":"claude-opus-5-5","permissionMode":"default","apiKeySource":"ANTHROPIC_API_KEY"}';
const ASSISTANT_TEXT = '{"type":"assistant","message":{"id":"msg_2","type":"message","role":"assistant","model":"claude-opus-5-5","content":[{"type":"text","text":"Hello from fake"}],"stop_reason":null},"parent_tool_use_id":null,"session_id":"8f07970e-9e8a"}';
const ASSISTANT_TOOL = '{"type":"assistant","message":{"id":"msg_2","role":"assistant","content":[{"type":"thinking","thinking":"hm"},{"type":"text","text":"Let me check."},{"type":"tool_use","id":"toolu_01","name":"Bash","input":{"command":"printenv FOO_TEST; echo done"}}]},"session_id":"bd0c"}';
const USER_RESULT = '{"type":"user","message":{"role":"user","content":[{"tool_use_id":"toolu_01","type":"tool_result","content":"secretval\\ndone","is_error":false}]},"parent_tool_use_id":null,"session_id":"bd0c","tool_use_result":{"stdout":"secretval\\ndone","stderr":""}}';
const USER_RESULT_BLOCKS = '{"type":"user","message":{"role":"user","content":[{"tool_use_id":"toolu_02","type":"tool_result","content":[{"type":"text","text":"line 1"},{"type":"image","source":{}}],"is_error":true}]},"session_id":"bd0c"}';
const RESULT_OK = '{"duration_api_ms":26,"stop_reason":"end_turn","session_id":"8f07970e-9e8a","total_cost_usd":0.00014000000000000001,"usage":{"input_tokens":10},"permission_denials":[],"is_error":false,"num_turns":1,"subtype":"success","result":"Hello from fake","type":"result","duration_ms":152}';
const RESULT_API_ERROR = '{"type":"result","subtype":"success","is_error":true,"duration_ms":223,"num_turns":1,"result":"API Error: 400 bad things happened","session_id":"7586","total_cost_usd":0,"api_error_status":400}';
const RESULT_MAX_TURNS = '{"type":"result","subtype":"error_max_turns","is_error":true,"duration_ms":5000,"num_turns":3,"session_id":"s","total_cost_usd":0.5}';

describe('parseStreamLine', () => {
  it('reads the system init event', () => {
    expect(parseStreamLine(INIT)).toEqual({ type: 'system', subtype: 'init', sessionId: '8f07970e-9e8a', model: 'claude-opus-5-5' });
  });

  it('reads assistant text', () => {
    expect(parseStreamLine(ASSISTANT_TEXT)).toEqual({ type: 'assistant', blocks: [{ kind: 'text', text: 'Hello from fake' }], sessionId: '8f07970e-9e8a' });
  });

  it('reads text and tool_use blocks, skipping thinking', () => {
    expect(parseStreamLine(ASSISTANT_TOOL)).toEqual({
      type: 'assistant',
      sessionId: 'bd0c',
      blocks: [
        { kind: 'text', text: 'Let me check.' },
        { kind: 'tool_use', id: 'toolu_01', name: 'Bash', input: { command: 'printenv FOO_TEST; echo done' } },
      ],
    });
  });

  it('reads tool results given as a string or as blocks', () => {
    expect(parseStreamLine(USER_RESULT)).toEqual({
      type: 'user', sessionId: 'bd0c', toolResults: [{ toolUseId: 'toolu_01', content: 'secretval\ndone', isError: false }],
    });
    expect(parseStreamLine(USER_RESULT_BLOCKS)).toEqual({
      type: 'user', sessionId: 'bd0c', toolResults: [{ toolUseId: 'toolu_02', content: 'line 1\n[image]', isError: true }],
    });
  });

  it('reads the result event wherever its type key sits', () => {
    expect(parseStreamLine(RESULT_OK)).toEqual({
      type: 'result', subtype: 'success', isError: false, result: 'Hello from fake',
      costUsd: 0.00014000000000000001, durationMs: 152, numTurns: 1, sessionId: '8f07970e-9e8a',
    });
  });

  it('reads error results, with or without result text', () => {
    expect(parseStreamLine(RESULT_API_ERROR)).toMatchObject({ type: 'result', isError: true, result: 'API Error: 400 bad things happened', costUsd: 0 });
    expect(parseStreamLine(RESULT_MAX_TURNS)).toMatchObject({ type: 'result', subtype: 'error_max_turns', isError: true, result: null, numTurns: 3 });
  });

  it.each([
    ['plain text', 'Warning: something odd', { type: 'raw', text: 'Warning: something odd' }],
    ['a JSON array', '[1,2]', { type: 'raw', text: '[1,2]' }],
    ['a JSON string', '"hi"', { type: 'raw', text: '"hi"' }],
    ['truncated JSON', '{"type":"assistant","mess', { type: 'raw', text: '{"type":"assistant","mess' }],
    ['an unknown event type', '{"type":"stream_event","event":{}}', { type: 'other', eventType: 'stream_event' }],
    ['an object without type', '{"a":1}', { type: 'other', eventType: 'unknown' }],
  ])('keeps %s without throwing', (_name, line, expected) => {
    expect(parseStreamLine(line)).toEqual(expected);
  });

  it('skips blank lines', () => {
    expect(parseStreamLine('')).toBeNull();
    expect(parseStreamLine('   \r')).toBeNull();
  });

  it('tolerates missing fields', () => {
    expect(parseStreamLine('{"type":"assistant"}')).toEqual({ type: 'assistant', blocks: [], sessionId: null });
    expect(parseStreamLine('{"type":"result"}')).toEqual({
      type: 'result', subtype: 'unknown', isError: false, result: null, costUsd: null, durationMs: null, numTurns: null, sessionId: null,
    });
  });
});

describe('renderEvent', () => {
  const render = (line: string, max?: number) => renderEvent(parseStreamLine(line)!, max);

  it('renders each event type onto its stream', () => {
    expect(render(INIT)).toEqual([{ stream: 'system', text: 'session started (model claude-opus-5-5)' }]);
    expect(render(ASSISTANT_TOOL)).toEqual([
      { stream: 'assistant', text: 'Let me check.' },
      { stream: 'tool', text: 'Bash: printenv FOO_TEST; echo done' },
    ]);
    expect(render(USER_RESULT)).toEqual([{ stream: 'tool_result', text: 'secretval\ndone' }]);
    expect(render(USER_RESULT_BLOCKS)).toEqual([{ stream: 'tool_result', text: 'error: line 1\n[image]' }]);
    expect(render(RESULT_OK)).toEqual([{ stream: 'result', text: 'Hello from fake' }]);
    expect(render(RESULT_MAX_TURNS)).toEqual([{ stream: 'result', text: '[error_max_turns]' }]);
    expect(render('not json')).toEqual([{ stream: 'system', text: 'not json' }]);
    expect(render('{"type":"stream_event"}')).toEqual([]);
    expect(render('{"type":"system","subtype":"compact_boundary"}')).toEqual([{ stream: 'system', text: 'system: compact_boundary' }]);
  });

  it('truncates huge tool results', () => {
    const big = `{"type":"user","message":{"content":[{"type":"tool_result","tool_use_id":"t","content":"${'x'.repeat(70_000)}"}]}}`;
    const [chunk] = render(big);
    expect(chunk.text.startsWith('x'.repeat(65_536))).toBe(true);
    expect(chunk.text).toMatch(/\[truncated 4464 bytes\]$/);
    expect(render(big, 10)[0].text).toBe('xxxxxxxxxx\n… [truncated 69990 bytes]');
  });
});

describe('helpers', () => {
  it('truncates on a character boundary', () => {
    expect(truncateBytes('ééé', 3)).toBe('é\n… [truncated 4 bytes]');
    expect(truncateBytes('short', 10)).toBe('short');
  });

  it('describes tool calls by their most telling input', () => {
    expect(describeToolUse('Bash', { command: 'ls -la', description: 'list' })).toBe('Bash: ls -la');
    expect(describeToolUse('Read', { file_path: '/tmp/a' })).toBe('Read: /tmp/a');
    expect(describeToolUse('Custom', { n: 1 })).toBe('Custom: {"n":1}');
    expect(describeToolUse('Bash', { command: 'y'.repeat(3000) })).toHaveLength(2_001);
  });
});
