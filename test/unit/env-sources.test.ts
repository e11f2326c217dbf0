import fs from 'node:fs';
import path from 'node:path';
import { loadEnv } from '../../shared/env-sources';
import { tempDir } from '../helpers/env';

describe('loadEnv: the environment, then .env, then *_FILE', () => {
  let dir: string;
  let dotenvFile: string;
  const write = (name: string, text: string) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, text);
    return file;
  };

  beforeEach(() => {
    dir = tempDir('pc-env');
    dotenvFile = path.join(dir, '.env');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('fills in only the names the command reads, and the environment wins (empty counts as unset)', () => {
    write('.env', 'HTTP_PORT=4000\nLOG_LEVEL=debug\nMASTER_KEY=from-dotenv\nQUEUE_PREFIX="quoted # kept"\nWS_PORT=9000\n');
    const { env, fromDotenv } = loadEnv(['HTTP_PORT', 'LOG_LEVEL', 'QUEUE_PREFIX', 'WS_PORT'], {
      env: { LOG_LEVEL: 'warn', WS_PORT: '', PATH: '/bin' },
      dotenvFile,
    });
    expect(env).toEqual({ HTTP_PORT: '4000', LOG_LEVEL: 'warn', QUEUE_PREFIX: 'quoted # kept', WS_PORT: '9000', PATH: '/bin' });
    expect(fromDotenv.sort()).toEqual(['HTTP_PORT', 'QUEUE_PREFIX', 'WS_PORT']);
    expect(env.MASTER_KEY).toBeUndefined(); // a worker-style command never picks up what it does not read
  });

  it('never changes the environment object it was given', () => {
    write('.env', 'HTTP_PORT=4000\n');
    const given = { PATH: '/bin' };
    loadEnv(['HTTP_PORT'], { env: given, dotenvFile });
    expect(given).toEqual({ PATH: '/bin' });
  });

  it('a missing .env is an empty one', () => {
    expect(loadEnv(['HTTP_PORT'], { env: {}, dotenvFile }).env).toEqual({});
  });

  it('reads NAME_FILE into NAME (one trailing newline dropped) and removes NAME_FILE', () => {
    const keyFile = write('master_key', `${'b'.repeat(64)}\n`);
    const { env, fromFiles } = loadEnv(['MASTER_KEY', 'HTTP_PORT'], { env: { MASTER_KEY_FILE: keyFile }, dotenvFile });
    expect(env).toEqual({ MASTER_KEY: 'b'.repeat(64) });
    expect(fromFiles).toEqual(['MASTER_KEY']);
  });

  it('takes NAME_FILE from .env, relative to the working directory', () => {
    const keyFile = write('token', 'worker-token-from-a-file\n');
    write('.env', `WORKER_TOKEN_FILE=${path.relative(process.cwd(), keyFile)}\n`);
    expect(loadEnv(['WORKER_TOKEN'], { env: {}, dotenvFile }).env.WORKER_TOKEN).toBe('worker-token-from-a-file');
  });

  it.each([
    ['both in the environment', { MASTER_KEY: 'x', MASTER_KEY_FILE: '/nowhere' }, ''],
    ['both in .env', {}, 'MASTER_KEY=x\nMASTER_KEY_FILE=/nowhere\n'],
  ])('refuses NAME and NAME_FILE %s', (_, env, dotenv) => {
    write('.env', dotenv);
    expect(() => loadEnv(['MASTER_KEY'], { env, dotenvFile })).toThrow('MASTER_KEY and MASTER_KEY_FILE are both set');
  });

  it('lets the environment decide a setting: NAME there means .env\'s NAME_FILE is not read', () => {
    write('.env', 'TEAM_API_KEY_FILE=/nowhere\n');
    expect(loadEnv(['TEAM_API_KEY'], { env: { TEAM_API_KEY: 'from-env-0123456789' }, dotenvFile }).env).toEqual({ TEAM_API_KEY: 'from-env-0123456789' });
  });

  it('names the variable and the file when it cannot be read or is empty, never its content', () => {
    expect(() => loadEnv(['REDIS_URL'], { env: { REDIS_URL_FILE: path.join(dir, 'missing') }, dotenvFile })).toThrow(
      /REDIS_URL_FILE: cannot read .*missing \(ENOENT\)/,
    );
    const empty = write('empty', '\n');
    expect(() => loadEnv(['CLAUDE_TOKEN'], { env: { CLAUDE_TOKEN_FILE: empty }, dotenvFile })).toThrow(/CLAUDE_TOKEN_FILE: .*empty is empty/);
  });
});
