import { PassThrough } from 'node:stream';
import { createLogger, logFormatVar, resolveLogFormat } from '../../shared/logger';

function capture(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

describe('log format', () => {
  it('auto is pretty only in a terminal outside production', () => {
    expect(resolveLogFormat('auto', { isTTY: true, production: false })).toBe('pretty');
    expect(resolveLogFormat('auto', { isTTY: false, production: false })).toBe('json');
    expect(resolveLogFormat('auto', { isTTY: true, production: true })).toBe('json');
    expect(resolveLogFormat('json', { isTTY: true, production: false })).toBe('json');
    expect(resolveLogFormat('pretty', { isTTY: false, production: true })).toBe('pretty');
  });

  it('LOG_FORMAT accepts auto, json, pretty (empty = auto) and names the variable otherwise', () => {
    expect(logFormatVar().parse(undefined)).toBe('auto');
    expect(logFormatVar().parse('')).toBe('auto');
    expect(logFormatVar().parse('pretty')).toBe('pretty');
    expect(logFormatVar().safeParse('colour').error?.issues[0].message).toBe('must be auto, json or pretty');
  });

  it('pretty: one coloured, readable line per entry, secrets still redacted', () => {
    const out = capture();
    const logger = createLogger('orchestrator', 'info', 'pretty', out.stream);
    logger.info({ executionId: 'e-1', token: 'sk-ant-oat01-secret' }, 'execution finished');
    const text = out.text();
    expect(text).toMatch(/\d\d:\d\d:\d\d\.\d{3}/);
    expect(text).toContain('INFO');
    expect(text).toContain('(orchestrator)');
    expect(text).toContain('execution finished');
    expect(text).toContain('\u001b['); // ANSI colour, even into a pipe
    expect(text).toContain('[REDACTED]');
    expect(text).not.toContain('sk-ant-oat01-secret');
    expect(() => JSON.parse(text.split('\n')[0])).toThrow();
  });

  it('json: one JSON object per line', () => {
    const out = capture();
    createLogger('worker', 'info', 'json', out.stream).warn({ password: 'hunter2' }, 'hello');
    const line = JSON.parse(out.text().trim());
    expect(line).toMatchObject({ name: 'worker', level: 40, msg: 'hello', password: '[REDACTED]' });
  });
});
