import { builtinToolNames, toolEntryError, toolName } from '../../shared/tool-pattern';

describe('toolEntryError', () => {
  it.each(['Read', 'Grep', 'Bash(git *)', 'Bash(npm run test:*)', 'WebFetch', 'WebFetch(domain:example.com)', 'Read(/srv/data/**)',
    'mcp__gitlab__create_issue', 'Bash(echo (nested))', 'T'])('accepts %j', (entry) => {
    expect(toolEntryError(entry)).toBeUndefined();
  });

  it.each<[string, RegExp]>([
    ['', /must not be empty/],
    ['Read,Write', /must not contain a comma/],
    ['Bash(git *,rm *)', /must not contain a comma/],
    ['Bash\n', /control characters/],
    ['Bash(git\tlog)', /control characters/],
    ['1Read', /must start with a tool name/],
    ['_Read', /must start with a tool name/],
    [' Read', /must start with a tool name/],
    ['(git *)', /must start with a tool name/],
    ['Read ', /optionally followed by "\(pattern\)"/],
    ['Bash git', /optionally followed/],
    ['Bash(git *) extra', /optionally followed/],
    ['Bash(git *', /optionally followed/],
    ['Web-Fetch', /optionally followed/],
    ['Bash()', /empty "\(\)" pattern/],
    ['Bash(  )', /empty "\(\)" pattern/],
    ['Bash(a))(b)', /unbalanced/],
    ['Bash((a)', /unbalanced/],
    ['Bash(a)(b)', /unbalanced/],
    [`Bash(${'x'.repeat(500)})`, /at most 500 characters/],
  ])('refuses %j', (entry, message) => {
    expect(toolEntryError(entry)).toMatch(message);
  });
});

describe('toolName / builtinToolNames', () => {
  it('takes the name before the pattern', () => {
    expect(toolName('Bash(git *)')).toBe('Bash');
    expect(toolName('Read')).toBe('Read');
  });

  it('gives each built-in tool once, in order, without MCP tools', () => {
    expect(builtinToolNames(['Bash(git *)', 'Read', 'Bash(npm *)', 'mcp__srv__tool', 'Grep', 'Read(/x/**)'])).toEqual(['Bash', 'Read', 'Grep']);
    expect(builtinToolNames([])).toEqual([]);
    expect(builtinToolNames(['mcp__srv__tool'])).toEqual([]);
  });
});
