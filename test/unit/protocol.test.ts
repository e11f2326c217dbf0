import { extractProtocolMessages, parseProtocolMessage, PROTOCOL_KINDS, protocolSchemas, type IgnoredReason } from '../../shared/protocol';

describe('protocol message schemas', () => {
  it('has one schema per kind', () => {
    expect(Object.keys(protocolSchemas).sort()).toEqual([...PROTOCOL_KINDS].sort());
  });

  // [kind, payload as emitted, payload after defaults, or null when it must be ignored]
  const cases: Array<[string, unknown, Record<string, unknown> | null]> = [
    ['user_message', { content: 'v1.4 is live' }, { content: 'v1.4 is live', content_type: 'info', priority: 'normal' }],
    ['user_message', { title: 'Deploy done', content: 'ok', content_type: 'success', priority: 'urgent' },
      { title: 'Deploy done', content: 'ok', content_type: 'success', priority: 'urgent' }],
    ['user_message', { content: 'x', priority: 'asap', content_type: 7 }, { content: 'x', content_type: 'info', priority: 'normal' }],
    ['user_message', { title: 'no content' }, null],
    ['user_message', { content: '   ' }, null],
    ['persona_action', { target: 'p-1' }, { target: 'p-1', action: 'run' }],
    ['persona_action', { target: 'p-1', action: 'review', input: { mr: 42 } }, { target: 'p-1', action: 'review', input: { mr: 42 } }],
    ['persona_action', { action: 'run' }, null],
    ['emit_event', { type: 'review_requested', data: { mr: 42 } }, { type: 'review_requested', data: { mr: 42 } }],
    ['emit_event', { type: 'ping' }, { type: 'ping' }],
    ['emit_event', { data: {} }, null],
    ['agent_memory', { title: 'Flaky', content: 'retries once' }, { title: 'Flaky', content: 'retries once', category: 'general', importance: 5 }],
    ['agent_memory', { title: 'F', content: 'c', category: 'fact', importance: 6, tags: ['ci'] },
      { title: 'F', content: 'c', category: 'fact', importance: 6, tags: ['ci'] }],
    ['agent_memory', { title: 'F', content: 'c', importance: 11 }, { title: 'F', content: 'c', category: 'general', importance: 5 }],
    ['agent_memory', { title: 'F' }, null],
    ['manual_review', { title: 'Force push' }, { title: 'Force push', severity: 'medium' }],
    ['manual_review', { title: 'T', description: 'd', severity: 'high', context_data: { a: 1 }, suggested_actions: ['revert'] },
      { title: 'T', description: 'd', severity: 'high', context_data: { a: 1 }, suggested_actions: ['revert'] }],
    ['manual_review', { description: 'no title' }, null],
    ['execution_flow', { flows: [{ step: 1 }] }, { flows: [{ step: 1 }] }],
    ['execution_flow', { flows: null }, null],
    ['execution_flow', {}, null],
    ['outcome_assessment', { accomplished: true, summary: 'done' }, { accomplished: true, summary: 'done' }],
    ['outcome_assessment', { accomplished: false, summary: 's', blockers: ['token expired'] }, { accomplished: false, summary: 's', blockers: ['token expired'] }],
    ['outcome_assessment', { accomplished: 'yes', summary: 's' }, null],
    ['outcome_assessment', { accomplished: true }, null],
    ['not_a_protocol', { content: 'x' }, null],
    ['user_message', 'just a string', null],
  ];

  it.each(cases)('%s %j', (kind, payload, expected) => {
    const parsed = parseProtocolMessage(kind, payload);
    expect(parsed).toEqual(expected === null ? null : { kind, payload: expected });
  });

  it('drops unknown fields inside a message', () => {
    expect(parseProtocolMessage('emit_event', { type: 't', extra: 1 })).toEqual({ kind: 'emit_event', payload: { type: 't' } });
  });
});

describe('extractProtocolMessages', () => {
  const table: Array<[string, string, Array<[string, Record<string, unknown>]>]> = [
    ['no messages in prose', 'I looked at the repo.\nAll fine.', []],
    ['one line among prose',
      'Done.\n{"user_message": {"title": "Deploy done", "content": "v1.4 is live", "content_type": "success", "priority": "normal"}}\nBye.',
      [['user_message', { title: 'Deploy done', content: 'v1.4 is live', content_type: 'success', priority: 'normal' }]]],
    ['indented line with trailing spaces', '   {"emit_event": {"type": "t"}}   ', [['emit_event', { type: 't' }]]],
    ['several messages in order',
      '{"agent_memory": {"title": "a", "content": "b"}}\n{"outcome_assessment": {"accomplished": true, "summary": "ok"}}',
      [['agent_memory', { title: 'a', content: 'b', category: 'general', importance: 5 }], ['outcome_assessment', { accomplished: true, summary: 'ok' }]]],
    ['inside a json fence', 'Result:\n```json\n{"emit_event": {"type": "review_requested", "data": {"mr": 42}}}\n```\n',
      [['emit_event', { type: 'review_requested', data: { mr: 42 } }]]],
    ['pretty-printed across a fence',
      '```json\n{\n  "outcome_assessment": {\n    "accomplished": false,\n    "summary": "blocked"\n  }\n}\n```',
      [['outcome_assessment', { accomplished: false, summary: 'blocked' }]]],
    ['a fence with several lines', '```\n{"emit_event": {"type": "a"}}\n{"emit_event": {"type": "b"}}\n```',
      [['emit_event', { type: 'a' }], ['emit_event', { type: 'b' }]]],
    ['unclosed fence still read', '```json\n{"emit_event": {"type": "a"}}', [['emit_event', { type: 'a' }]]],
    ['CRLF line ends', 'x\r\n{"emit_event": {"type": "a"}}\r\ny', [['emit_event', { type: 'a' }]]],
    ['malformed JSON skipped', '{"user_message": {"content": "x"}\n{"emit_event": {"type": "ok"}}', [['emit_event', { type: 'ok' }]]],
    ['unknown top-level key skipped', '{"weather_report": {"content": "sunny"}}', []],
    ['extra top-level key beside the protocol ignored', '{"emit_event": {"type": "a"}, "note": 1}', [['emit_event', { type: 'a' }]]],
    ['two protocol keys are ambiguous', '{"emit_event": {"type": "a"}, "user_message": {"content": "b"}}', []],
    ['missing required field skipped', '{"manual_review": {"severity": "high"}}', []],
    ['inline JSON in a sentence is not a message', 'I will emit {"emit_event": {"type": "a"}} later', []],
    ['arrays are not messages', '[{"emit_event": {"type": "a"}}]', []],
  ];

  it.each(table)('%s', (_name, text, expected) => {
    expect(extractProtocolMessages(text).map((m) => [m.kind, m.payload])).toEqual(expected);
  });

  it('reports why candidates were ignored, without throwing', () => {
    const reasons: IgnoredReason[] = [];
    const text = ['{not json}', '{"x": 1}', '{"emit_event": {}}', '{"emit_event": {"type": "a"}, "user_message": {"content": "b"}}'].join('\n');
    expect(extractProtocolMessages(text, (r) => reasons.push(r))).toEqual([]);
    expect(reasons).toEqual(['malformed_json', 'not_a_protocol', 'invalid', 'ambiguous']);
  });

  it('handles empty text', () => {
    expect(extractProtocolMessages('')).toEqual([]);
  });
});
