import request from 'supertest';
import { encrypt, parseMasterKey } from '../../../shared/crypto';
import { listCredentials } from '../../../server/db/credentials';
import { MAX_CREDENTIAL_BYTES } from '../../../server/services/credentials';
import { TEST_KEYS } from '../../helpers/env';
import { createTestApp, type TestApp } from '../../helpers/test-app';

const KEY = parseMasterKey(TEST_KEYS.MASTER_KEY);

/** A credential's decrypted value, all fields together, is at most 64 KiB, in either form. */
describe('credential size limit', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  const post = (body: object) => request(t.app).post('/api/credentials').set(t.auth).send(body);
  const sealed = (plaintext: string) => encrypt(plaintext, KEY);

  async function expectRefused(res: request.Response, field: string) {
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_error');
    expect(res.body.error.details).toEqual([{ field, message: expect.stringMatching(/at most 65536 bytes \(64 KiB\)/) }]);
    expect(res.body.error.message).toContain(`${field}:`);
  }

  it('is 64 KiB', () => {
    expect(MAX_CREDENTIAL_BYTES).toBe(65_536);
  });

  it('accepts exactly 64 KiB as plain data and client-encrypted', async () => {
    expect((await post({ name: 'max plain', serviceType: 'custom', data: 'x'.repeat(65_536) })).status).toBe(201);
    expect((await post({ name: 'max sealed', serviceType: 'custom', ...sealed('y'.repeat(65_536)) })).status).toBe(201);
  });

  it('refuses a plain string one byte over, naming data', async () => {
    await expectRefused(await post({ name: 'big', serviceType: 'custom', data: 'x'.repeat(65_537) }), 'data');
  });

  it('counts UTF-8 bytes, not characters', async () => {
    // 22 000 three-byte characters: 22 000 characters, 66 000 bytes.
    await expectRefused(await post({ name: 'wide', serviceType: 'custom', data: '€'.repeat(22_000) }), 'data');
  });

  it('counts all fields of an object together', async () => {
    const data = { a: 'x'.repeat(30_000), b: 'y'.repeat(30_000), c: 'z'.repeat(6_000) };
    await expectRefused(await post({ name: 'fields', serviceType: 'custom', data }), 'data');
  });

  it('refuses a client-encrypted secret over the limit, naming encryptedData', async () => {
    await expectRefused(await post({ name: 'big sealed', serviceType: 'custom', ...sealed(JSON.stringify({ token: 'k'.repeat(70_000) })) }), 'encryptedData');
  });

  it('refuses an oversized secret on update and keeps the stored one', async () => {
    const created = await post({ name: 'kept', serviceType: 'custom', data: 'small' });
    await expectRefused(await post({ id: created.body.id, data: 'x'.repeat(70_000) }), 'data');
    const before = (await listCredentials(t.db)).find((c) => c.id === created.body.id)!;
    expect(before.updatedAt).toBe(created.body.updatedAt);
  });

  it('stores nothing that was refused', async () => {
    const names = (await listCredentials(t.db)).map((c) => c.name);
    expect(names.filter((n) => ['big', 'wide', 'fields', 'big sealed'].includes(n))).toEqual([]);
  });
});
