import { createCipheriv, randomBytes } from 'node:crypto';
import { decrypt, DecryptionError, encrypt, parseMasterKey } from '../../shared/crypto';

const KEY = parseMasterKey('0123456789abcdef'.repeat(4));
const OTHER = parseMasterKey('f'.repeat(64));

describe('parseMasterKey', () => {
  it.each([
    ['64 lower-case hex characters', 'a'.repeat(64)],
    ['64 upper-case hex characters', 'AB'.repeat(32)],
  ])('accepts %s', (_label, hex) => {
    expect(parseMasterKey(hex)).toHaveLength(32);
  });

  it.each([
    ['an empty string', '', /hex-encoded/],
    ['non-hex characters', 'z'.repeat(64), /hex-encoded/],
    ['a 16-byte key', 'a'.repeat(32), /32 bytes .* got 16 bytes/],
    ['a 33-byte key', 'a'.repeat(66), /got 33 bytes/],
    ['an odd number of characters', 'a'.repeat(63), /32 bytes/],
    ['base64', Buffer.alloc(32).toString('base64'), /hex-encoded/],
  ])('rejects %s, naming MASTER_KEY', (_label, hex, message) => {
    expect(() => parseMasterKey(hex)).toThrow(message);
    expect(() => parseMasterKey(hex)).toThrow(/MASTER_KEY/);
  });

  it('never echoes the key in its error', () => {
    const bad = 'abcdef0123'.repeat(3);
    expect(() => parseMasterKey(bad)).toThrow(expect.objectContaining({ message: expect.not.stringContaining(bad) }));
  });
});

describe('encrypt / decrypt', () => {
  it.each([
    ['an ASCII token', 'glpat-xyz'],
    ['an empty string', ''],
    ['JSON', JSON.stringify({ token: 't', url: 'https://x' })],
    ['unicode', 'pässwörd 🔑 日本語'],
    ['a long value', 'x'.repeat(100_000)],
  ])('round-trips %s', (_label, plaintext) => {
    const blob = encrypt(plaintext, KEY);
    expect(blob.iv).toMatch(/^[0-9a-f]{24}$/);
    expect(blob.tag).toMatch(/^[0-9a-f]{32}$/);
    expect(blob.encryptedData).toMatch(/^([0-9a-f]{2})*$/);
    expect(decrypt(blob, KEY)).toBe(plaintext);
  });

  it('uses a fresh iv each time', () => {
    const a = encrypt('same', KEY);
    const b = encrypt('same', KEY);
    expect(a.iv).not.toBe(b.iv);
    expect(a.encryptedData).not.toBe(b.encryptedData);
  });

  it('decrypts a 16-byte iv and upper-case hex (client-side encryptors)', () => {
    const iv = randomBytes(16);
    const cipher = createCipheriv('aes-256-gcm', KEY, iv);
    const data = Buffer.concat([cipher.update('sixteen', 'utf8'), cipher.final()]);
    const blob = { encryptedData: data.toString('hex').toUpperCase(), iv: iv.toString('hex').toUpperCase(), tag: cipher.getAuthTag().toString('hex') };
    expect(decrypt(blob, KEY)).toBe('sixteen');
  });

  const flip = (hex: string) => (hex[0] === '0' ? '1' : '0') + hex.slice(1);
  it.each<[string, (b: ReturnType<typeof encrypt>) => ReturnType<typeof encrypt>, Buffer]>([
    ['the wrong key', (b) => b, OTHER],
    ['altered ciphertext', (b) => ({ ...b, encryptedData: flip(b.encryptedData) }), KEY],
    ['an altered tag', (b) => ({ ...b, tag: flip(b.tag) }), KEY],
    ['an altered iv', (b) => ({ ...b, iv: flip(b.iv) }), KEY],
    ['an empty iv', (b) => ({ ...b, iv: '' }), KEY],
  ])('fails loudly with DecryptionError under %s', (_label, mutate, key) => {
    const blob = mutate(encrypt('secret-value', KEY));
    let thrown: unknown;
    try {
      decrypt(blob, key);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(DecryptionError);
    expect((thrown as Error).message).toMatch(/different MASTER_KEY or has been altered/);
    expect((thrown as Error).message).not.toContain('secret-value');
  });

  // Node's GCM decipher accepts a tag as short as 4 bytes unless `authTagLength` pins it.
  it('rejects a truncated tag of a genuine blob', () => {
    const blob = encrypt('secret-value', KEY);
    expect(() => decrypt({ ...blob, tag: blob.tag.slice(0, 8) }, KEY)).toThrow(DecryptionError);
  });
});
