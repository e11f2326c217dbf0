import { createScrubber, MIN_SECRET_LENGTH, REDACTED, scrubDeep, secretVariants } from '../../shared/scrub';

describe('createScrubber', () => {
  it('replaces every occurrence of every secret', () => {
    const scrub = createScrubber(['glpat-abc123', 'xoxb-999-888']);
    expect(scrub('token glpat-abc123 then xoxb-999-888 and glpat-abc123 again')).toBe(
      `token ${REDACTED} then ${REDACTED} and ${REDACTED} again`,
    );
  });

  it('leaves text without secrets unchanged (same string)', () => {
    const scrub = createScrubber(['glpat-abc123']);
    const text = 'nothing to see here';
    expect(scrub(text)).toBe(text);
    expect(scrub('')).toBe('');
  });

  it('treats secrets as literals, not patterns', () => {
    const scrub = createScrubber(['a.b*c+(d)?[e]$^|\\']);
    expect(scrub('x a.b*c+(d)?[e]$^|\\ y aXbbbc')).toBe(`x ${REDACTED} y aXbbbc`);
  });

  it('redacts a secret containing another one whole, whatever order they come in', () => {
    for (const secrets of [['abcd', 'abcdefgh'], ['abcdefgh', 'abcd']]) {
      expect(createScrubber(secrets)('[abcdefgh] [abcd]')).toBe(`[${REDACTED}] [${REDACTED}]`);
    }
    expect(createScrubber(['efgh', 'abcdefghij'])('abcdefghij')).toBe(REDACTED);
  });

  it('redacts overlapping occurrences as one span, leaving no fragment of either', () => {
    const scrub = createScrubber(['abcdef', 'defghi']);
    expect(scrub('<abcdefghi>')).toBe(`<${REDACTED}>`);
    expect(scrub('<abcdef><defghi>')).toBe(`<${REDACTED}><${REDACTED}>`);
    expect(createScrubber(['aaaa'])('aaaaaa')).toBe(REDACTED);
  });

  it('redacts the JSON-escaped form of a secret', () => {
    const secret = 'pa"ss\\word\tx';
    const scrub = createScrubber([secret]);
    const jsonLine = JSON.stringify({ type: 'assistant', text: `the key is ${secret}` });
    expect(jsonLine).not.toContain(secret);
    expect(scrub(jsonLine)).toBe(JSON.stringify({ type: 'assistant', text: `the key is ${REDACTED}` }));
    expect(scrub(`raw ${secret}`)).toBe(`raw ${REDACTED}`);
  });

  it('redacts the URL-encoded form of a secret', () => {
    const scrub = createScrubber(['p@ss w/rd']);
    expect(scrub('https://u:p%40ss%20w%2Frd@host/')).toBe(`https://u:${REDACTED}@host/`);
  });

  it('ignores empty and short secrets, which would destroy ordinary output', () => {
    expect(MIN_SECRET_LENGTH).toBe(4);
    const scrub = createScrubber(['', 'a', 'on', '123', 'real-secret']);
    expect(scrub('a port 123 is on; real-secret')).toBe(`a port 123 is on; ${REDACTED}`);
    expect(createScrubber(['', 'ab'])('ab ab')).toBe('ab ab');
    expect(createScrubber(['abcd'])('abcd')).toBe(REDACTED);
  });

  it('ignores non-string entries instead of throwing', () => {
    const scrub = createScrubber([null, 42, 'secret-value'] as unknown as string[]);
    expect(scrub('secret-value 42')).toBe(`${REDACTED} 42`);
  });

  it('redacts each long line of a multi-line secret, but not short lines', () => {
    const pem = '-----BEGIN KEY-----\nMIIBOgIBAAJBAKj34GkxFhD9\n}\n-----END KEY-----';
    const scrub = createScrubber([pem]);
    expect(scrub(`key:\n${pem}\n`)).toBe(`key:\n${REDACTED}\n`);
    expect(scrub('printed alone: MIIBOgIBAAJBAKj34GkxFhD9')).toBe(`printed alone: ${REDACTED}`);
    expect(scrub('CRLF:\r\n-----BEGIN KEY-----\r\nMIIBOgIBAAJBAKj34GkxFhD9\r\n}')).toBe(
      `CRLF:\r\n${REDACTED}\r\n${REDACTED}\r\n}`,
    );
    expect(scrub('a } stays')).toBe('a } stays');
  });

  it('redacts the trimmed form of a secret with surrounding whitespace', () => {
    expect(createScrubber(['  token-1234\n'])('echo token-1234')).toBe(`echo ${REDACTED}`);
  });

  it('handles many secrets over long text', () => {
    const secrets = Array.from({ length: 500 }, (_, i) => `secret-${i}-${'x'.repeat(i % 17)}-end`);
    const scrub = createScrubber(secrets);
    const text = 'filler '.repeat(100_000) + secrets[499] + ' tail';
    const started = Date.now();
    const out = scrub(text);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(out.endsWith(`${REDACTED} tail`)).toBe(true);
    expect(out).not.toContain('secret-499');
  });
});

describe('secretVariants', () => {
  it('lists the raw, JSON-escaped and URL-encoded forms, without duplicates mattering', () => {
    expect(secretVariants('a"b c')).toEqual(expect.arrayContaining(['a"b c', 'a\\"b c', 'a%22b%20c']));
  });

  it('survives a lone surrogate, which encodeURIComponent rejects', () => {
    expect(() => createScrubber(['abc\uD800def'])).not.toThrow();
    expect(createScrubber(['abc\uD800def'])('x abc\uD800def')).toBe(`x ${REDACTED}`);
  });
});

describe('scrubDeep', () => {
  const scrub = createScrubber(['hunter22']);

  it('scrubs every string in a JSON value, keys included, and keeps its shape', () => {
    const value = {
      user_message: { content: 'pw is hunter22', priority: 'high' },
      list: ['hunter22', 1, true, null, { nested: ['x hunter22'] }],
      hunter22: 'key',
    };
    expect(scrubDeep(value, scrub)).toEqual({
      user_message: { content: `pw is ${REDACTED}`, priority: 'high' },
      list: [REDACTED, 1, true, null, { nested: [`x ${REDACTED}`] }],
      [REDACTED]: 'key',
    });
  });

  it('does not modify its input', () => {
    const value = { a: ['hunter22'] };
    scrubDeep(value, scrub);
    expect(value).toEqual({ a: ['hunter22'] });
  });

  it('passes scalars through and scrubs a bare string', () => {
    expect(scrubDeep('hunter22!', scrub)).toBe(`${REDACTED}!`);
    expect(scrubDeep(7, scrub)).toBe(7);
    expect(scrubDeep(null, scrub)).toBeNull();
    expect(scrubDeep(undefined, scrub)).toBeUndefined();
  });

  it('walks null-prototype objects and leaves class instances alone', () => {
    const bare = Object.assign(Object.create(null) as Record<string, unknown>, { k: 'hunter22' });
    expect(scrubDeep(bare, scrub)).toEqual({ k: REDACTED });
    const date = new Date(0);
    expect(scrubDeep({ when: date }, scrub).when).toBe(date);
  });
});
