import fs from 'node:fs';
import path from 'node:path';
import { decrypt, parseMasterKey } from '../../shared/crypto';
import { encryptCredential, resolveMasterKey, UsageError } from '../../scripts/encrypt-credential';
import { tempDir } from '../helpers/env';

const HEX = 'c'.repeat(64);
const KEY = parseMasterKey(HEX);

describe('encrypt-credential', () => {
  it.each([
    ['a JSON object', '{"token":"glpat-1"}', '{"token":"glpat-1"}'],
    ['a plain token with a trailing newline (echo)', 'glpat-2\n', 'glpat-2'],
    ['surrounding whitespace', '  spaced \r\n', 'spaced'],
  ])('seals %s in the guide form', (_label, input, plaintext) => {
    const blob = encryptCredential(input, KEY);
    expect(Object.keys(blob).sort()).toEqual(['encryptedData', 'iv', 'tag']);
    expect(JSON.stringify(blob)).not.toContain(plaintext);
    expect(decrypt(blob, KEY)).toBe(plaintext);
  });

  it.each([
    ['empty input', '', /no credential given/],
    ['whitespace only', ' \n', /no credential given/],
    ['broken JSON object', '{"token": "abc"', /not valid JSON/],
  ])('refuses %s without echoing it', (_label, input, message) => {
    expect(() => encryptCredential(input, KEY)).toThrow(UsageError);
    expect(() => encryptCredential(input, KEY)).toThrow(message);
    if (input.trim()) expect(() => encryptCredential(input, KEY)).toThrow(expect.objectContaining({ message: expect.not.stringContaining('abc') }));
  });

  it('takes MASTER_KEY from the environment first', () => {
    const { key, from } = resolveMasterKey({ MASTER_KEY: HEX, DAC_DB_PATH: '/nonexistent/x.db' });
    expect(key.equals(KEY)).toBe(true);
    expect(from).toBe('MASTER_KEY');
  });

  it('falls back to the secrets.env that npm start generated next to the database', () => {
    const dir = tempDir('pc-enc');
    try {
      fs.writeFileSync(path.join(dir, 'secrets.env'), `# generated\nMASTER_KEY=${HEX}\nTEAM_API_KEY=x\n`, { mode: 0o600 });
      const { key, from } = resolveMasterKey({ DAC_DB_PATH: path.join(dir, 'personas.db') });
      expect(key.equals(KEY)).toBe(true);
      expect(from).toBe(path.join(dir, 'secrets.env'));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each<[string, NodeJS.ProcessEnv, RegExp]>([
    ['missing everywhere', { DAC_DB_PATH: '/nonexistent/x.db' }, /MASTER_KEY is not set/],
    ['of the wrong length', { MASTER_KEY: 'ab'.repeat(16) }, /32 bytes/],
    ['not hex', { MASTER_KEY: 'zz'.repeat(32) }, /hex-encoded/],
  ])('explains a key %s without printing it', (_label, env, message) => {
    expect(() => resolveMasterKey(env)).toThrow(message);
    if (env.MASTER_KEY) expect(() => resolveMasterKey(env)).toThrow(expect.objectContaining({ message: expect.not.stringContaining(env.MASTER_KEY) }));
  });
});
