import request from 'supertest';
import { decrypt, encrypt, parseMasterKey } from '../../../shared/crypto';
import { getCredential, linkPersonaCredential } from '../../../server/db/credentials';
import { loadPersonaCredentialEnv } from '../../../server/services/credentials';
import { TEST_KEYS } from '../../helpers/env';
import { createTestApp, type TestApp } from '../../helpers/test-app';

const KEY = parseMasterKey(TEST_KEYS.MASTER_KEY);
const OTHER_KEY = parseMasterKey('b'.repeat(64));
const SECRET = 'glpat-SUPER-SECRET-value-123';

const REDACTED_KEYS = ['createdAt', 'fields', 'id', 'lastUsedAt', 'metadata', 'name', 'serviceType', 'updatedAt'];

describe('credentials API', () => {
  let t: TestApp;
  let personaId: string;
  beforeAll(async () => {
    t = await createTestApp();
    personaId = (await request(t.app).post('/api/personas').set(t.auth).send({ name: 'Deployer' })).body.id;
  });
  afterAll(async () => {
    await t.close();
  });

  const post = (body: object) => request(t.app).post('/api/credentials').set(t.auth).send(body);
  const link = (credentialId: string, pid = personaId) =>
    request(t.app).post(`/api/personas/${pid}/credentials`).set(t.auth).send({ credentialId });

  /** No response may carry the secret or any part of the stored ciphertext. */
  async function expectNoSecretsIn(body: unknown, id: string) {
    const text = JSON.stringify(body);
    const stored = (await getCredential(t.db, id))!;
    // A 1-byte secret's ciphertext is 2 hex digits that any timestamp may contain: short needles prove nothing.
    const needles = [SECRET, stored.encryptedData, stored.iv, stored.tag].filter((n) => n.length >= 8);
    for (const needle of needles) expect(text).not.toContain(needle);
    expect(text).not.toMatch(/"(encryptedData|iv|tag|data)"/);
  }

  it("stores the guide's client-encrypted form, verifies it against MASTER_KEY and answers redacted", async () => {
    const blob = encrypt(JSON.stringify({ token: SECRET }), KEY);
    const res = await post({ name: 'gitlab', serviceType: 'gitlab', ...blob, metadata: '{"fields": ["token"]}' });
    expect(res.status).toBe(201);
    expect(Object.keys(res.body).sort()).toEqual(REDACTED_KEYS);
    expect(res.body).toMatchObject({ name: 'gitlab', serviceType: 'gitlab', metadata: { fields: ['token'] }, fields: ['token'], lastUsedAt: null });
    await expectNoSecretsIn(res.body, res.body.id);

    const stored = (await getCredential(t.db, res.body.id))!;
    expect(stored.encryptedData).toBe(blob.encryptedData);
    expect(JSON.parse(decrypt(stored, KEY))).toEqual({ token: SECRET });
  });

  it('accepts a 16-byte iv and upper-case hex', async () => {
    const { createCipheriv, randomBytes } = await import('node:crypto');
    const iv = randomBytes(16);
    const cipher = createCipheriv('aes-256-gcm', KEY, iv);
    const data = Buffer.concat([cipher.update('plain-16', 'utf8'), cipher.final()]);
    const res = await post({
      name: 'iv16', serviceType: 'x',
      encryptedData: data.toString('hex').toUpperCase(), iv: iv.toString('hex').toUpperCase(), tag: cipher.getAuthTag().toString('hex'),
    });
    expect(res.status).toBe(201);
    expect(decrypt((await getCredential(t.db, res.body.id))!, KEY)).toBe('plain-16');
  });

  it('encrypts a plain `data` string or object on the server', async () => {
    const plain = await post({ name: 'slack webhook', serviceType: 'slack', data: SECRET });
    expect(plain.status).toBe(201);
    expect(plain.body.fields).toEqual([]);
    await expectNoSecretsIn(plain.body, plain.body.id);
    expect(decrypt((await getCredential(t.db, plain.body.id))!, KEY)).toBe(SECRET);

    const obj = await post({ name: 'aws', serviceType: 'aws', data: { accessKeyId: 'AKIA1', secretAccessKey: SECRET, region: null } });
    expect(obj.status).toBe(201);
    // Field names (not values) are recorded when the metadata declares none; null fields make no variable.
    expect(obj.body.fields).toEqual(['accessKeyId', 'secretAccessKey']);
    await expectNoSecretsIn(obj.body, obj.body.id);
    expect(JSON.parse(decrypt((await getCredential(t.db, obj.body.id))!, KEY))).toEqual({ accessKeyId: 'AKIA1', secretAccessKey: SECRET, region: null });
  });

  it('rejects a blob sealed with another key with a 400 that says so', async () => {
    const res = await post({ name: 'foreign', serviceType: 'x', ...encrypt('s', OTHER_KEY) });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_error');
    expect(res.body.error.message).toContain("was not encrypted with this orchestrator's MASTER_KEY");
    expect(res.body.error.details[0].field).toBe('encryptedData');
    const tampered = encrypt('s', KEY);
    tampered.tag = (tampered.tag[0] === 'a' ? 'b' : 'a') + tampered.tag.slice(1);
    expect((await post({ name: 'tampered', serviceType: 'x', ...tampered })).status).toBe(400);
  });

  it.each([
    ['no secret', 'data', { name: 'n', serviceType: 's' }],
    ['no name', 'name', { serviceType: 's', data: 'x' }],
    ['no serviceType', 'serviceType', { name: 'n', data: 'x' }],
    ['empty name', 'name', { name: '  ', serviceType: 's', data: 'x' }],
    ['both forms', 'data', { name: 'n', serviceType: 's', data: 'x', ...encrypt('x', KEY) }],
    ['iv missing', 'iv', { name: 'n', serviceType: 's', encryptedData: 'abcd', tag: 'a'.repeat(32) }],
    ['non-hex data', 'encryptedData', { name: 'n', serviceType: 's', encryptedData: 'zz', iv: 'a'.repeat(24), tag: 'a'.repeat(32) }],
    ['odd-length hex', 'encryptedData', { name: 'n', serviceType: 's', encryptedData: 'abc', iv: 'a'.repeat(24), tag: 'a'.repeat(32) }],
    ['iv of 8 bytes', 'iv', { name: 'n', serviceType: 's', encryptedData: 'ab', iv: 'a'.repeat(16), tag: 'a'.repeat(32) }],
    ['tag of 12 bytes', 'tag', { name: 'n', serviceType: 's', encryptedData: 'ab', iv: 'a'.repeat(24), tag: 'a'.repeat(24) }],
    ['empty data', 'data', { name: 'n', serviceType: 's', data: '' }],
    ['data as number', 'data', { name: 'n', serviceType: 's', data: 42 }],
    ['metadata not JSON', 'metadata', { name: 'n', serviceType: 's', data: 'x', metadata: '{oops' }],
    ['metadata.fields not strings', 'metadata.fields', { name: 'n', serviceType: 's', data: 'x', metadata: { fields: [1] } }],
  ])('400 for %s, naming %s', async (_label, field, body) => {
    const res = await post(body);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_error');
    expect(res.body.error.details[0].field).toBe(field);
    expect(JSON.stringify(res.body)).not.toContain(SECRET);
  });

  it('updates by id with 200, keeping the secret unless a new one is given', async () => {
    const created = await post({ name: 'upd', serviceType: 'x', data: 'first' });
    const renamed = await post({ id: created.body.id, name: 'upd2', metadata: { note: 'n' } });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ id: created.body.id, name: 'upd2', serviceType: 'x', metadata: { note: 'n' } });
    expect(decrypt((await getCredential(t.db, created.body.id))!, KEY)).toBe('first');
    const rekeyed = await post({ id: created.body.id, data: 'second' });
    expect(rekeyed.status).toBe(200);
    expect(decrypt((await getCredential(t.db, created.body.id))!, KEY)).toBe('second');
    const withId = await post({ id: 'cred-fixed', name: 'fixed', serviceType: 'x', data: 'v' });
    expect(withId.status).toBe(201);
    expect(withId.body.id).toBe('cred-fixed');
  });

  it('lists, links (idempotently), unlinks and deletes — every answer redacted', async () => {
    const cred = (await post({ name: 'linkme', serviceType: 'x', data: { token: SECRET } })).body;
    const first = await link(cred.id);
    expect(first.status).toBe(201);
    expect(first.body.id).toBe(cred.id);
    expect((await link(cred.id)).status).toBe(200);

    const linked = await request(t.app).get(`/api/personas/${personaId}/credentials`).set(t.auth);
    expect(linked.status).toBe(200);
    expect(linked.body.map((c: { id: string }) => c.id)).toEqual([cred.id]);
    expect(Object.keys(linked.body[0]).sort()).toEqual(REDACTED_KEYS);

    const all = await request(t.app).get('/api/credentials').set(t.auth);
    expect(all.status).toBe(200);
    expect(all.body.length).toBeGreaterThan(3);
    for (const c of all.body) {
      expect(Object.keys(c).sort()).toEqual(REDACTED_KEYS);
      await expectNoSecretsIn(c, c.id);
    }
    const one = await request(t.app).get(`/api/credentials/${cred.id}`).set(t.auth);
    expect(Object.keys(one.body).sort()).toEqual(REDACTED_KEYS);

    const unlinked = await request(t.app).delete(`/api/personas/${personaId}/credentials/${cred.id}`).set(t.auth);
    expect(unlinked.body).toEqual({ personaId, credentialId: cred.id, deleted: true });
    expect((await request(t.app).delete(`/api/personas/${personaId}/credentials/${cred.id}`).set(t.auth)).status).toBe(404);

    await link(cred.id);
    const del = await request(t.app).delete(`/api/credentials/${cred.id}`).set(t.auth);
    expect(del.body).toEqual({ id: cred.id, deleted: true });
    expect((await request(t.app).get(`/api/personas/${personaId}/credentials`).set(t.auth)).body).toEqual([]);
    expect((await request(t.app).delete(`/api/credentials/${cred.id}`).set(t.auth)).status).toBe(404);
  });

  it('404 names whichever of persona and credential is missing', async () => {
    const cred = (await post({ name: 'n404', serviceType: 'x', data: 'v' })).body;
    const noPersona = await link(cred.id, 'nobody');
    expect(noPersona.status).toBe(404);
    expect(noPersona.body.error.message).toBe("persona 'nobody' not found");
    const noCred = await link('nothing');
    expect(noCred.status).toBe(404);
    expect(noCred.body.error.message).toBe("credential 'nothing' not found");
    expect((await request(t.app).get('/api/personas/nobody/credentials').set(t.auth)).status).toBe(404);
    const badBody = await request(t.app).post(`/api/personas/${personaId}/credentials`).set(t.auth).send({ credentialId: ['x'] });
    expect(badBody.status).toBe(400);
    expect(badBody.body.error.details[0].field).toBe('credentialId');
  });

  it('409 names both credentials when a link would make two of them set the same variable', async () => {
    const pid = (await request(t.app).post('/api/personas').set(t.auth).send({ name: 'Clash' })).body.id;
    const first = (await post({ name: 'gitlab', serviceType: 'gitlab', data: { token: 'glpat-one', url: 'https://a' } })).body;
    const second = (await post({ name: 'GitLab!', serviceType: 'gitlab', data: { token: 'glpat-two' } })).body;
    const distinct = (await post({ name: 'gitlab-ci', serviceType: 'gitlab', data: { token: 'glpat-three' } })).body;
    expect((await link(first.id, pid)).status).toBe(201);
    const clash = await link(second.id, pid);
    expect(clash.status).toBe(409);
    expect(clash.body.error.message).toBe(
      `credential 'GitLab!' (id ${second.id}) would set CONNECTOR_GITLAB_TOKEN, which credential 'gitlab' (id ${first.id}), ` +
        'already linked to this persona, sets too: variable names come from the credential name, so rename one of them',
    );
    expect(clash.body.error.details).toEqual({ variables: ['CONNECTOR_GITLAB_TOKEN'], credentialId: second.id, conflictsWith: first.id });
    expect(JSON.stringify(clash.body)).not.toContain('glpat');
    expect((await link(distinct.id, pid)).status).toBe(201); // CONNECTOR_GITLAB_CI_TOKEN
    expect((await link(first.id, pid)).status).toBe(200); // linking the same one again is no clash
    expect((await request(t.app).get(`/api/personas/${pid}/credentials`).set(t.auth)).body.map((c: { id: string }) => c.id).sort())
      .toEqual([first.id, distinct.id].sort());
  });

  describe('loadPersonaCredentialEnv', () => {
    let pid: string;
    beforeAll(async () => {
      pid = (await request(t.app).post('/api/personas').set(t.auth).send({ name: 'Env' })).body.id;
    });

    it('names JSON credentials per field and plain ones by name, and marks them used', async () => {
      const json = (await post({ name: 'GitLab Prod', serviceType: 'gitlab', ...encrypt(JSON.stringify({ token: SECRET, 'api-url': 'https://gl', port: 443 }), KEY) })).body;
      const plain = (await post({ name: 'slack.hook', serviceType: 'slack', data: 'https://hooks/xyz' })).body;
      await link(json.id, pid);
      await link(plain.id, pid);

      const result = await loadPersonaCredentialEnv(t.db, KEY, pid);
      expect(result.env).toEqual({
        CONNECTOR_GITLAB_PROD_TOKEN: SECRET,
        CONNECTOR_GITLAB_PROD_API_URL: 'https://gl',
        CONNECTOR_GITLAB_PROD_PORT: '443',
        CONNECTOR_SLACK_HOOK: 'https://hooks/xyz',
      });
      expect(result.names).toEqual([
        'CONNECTOR_GITLAB_PROD_API_URL', 'CONNECTOR_GITLAB_PROD_PORT', 'CONNECTOR_GITLAB_PROD_TOKEN', 'CONNECTOR_SLACK_HOOK',
      ]);
      expect(result.secrets).toEqual([SECRET, 'https://hooks/xyz', 'https://gl', '443']);
      const used = await request(t.app).get(`/api/credentials/${json.id}`).set(t.auth);
      expect(used.body.lastUsedAt).toEqual(expect.any(String));
    });

    it('yields nothing for a persona without credentials', async () => {
      expect(await loadPersonaCredentialEnv(t.db, KEY, 'no-such-persona')).toEqual({ env: {}, names: [], secrets: [] });
    });

    it('fails loudly, naming the credential but not its value, under a wrong MASTER_KEY', async () => {
      const err = await loadPersonaCredentialEnv(t.db, OTHER_KEY, pid).catch((e: Error) => e);
      expect(err).toBeInstanceOf(Error);
      expect((err as Error).name).toBe('CredentialDecryptionError');
      expect((err as Error).message).toMatch(/credential '(GitLab Prod|slack\.hook)' \(id [^)]+\) could not be decrypted with this orchestrator's MASTER_KEY/);
      expect((err as Error).message).not.toContain(SECRET);
    });

    it('refuses two credentials that would set the same variable (links made before linking checked it)', async () => {
      const p2 = (await request(t.app).post('/api/personas').set(t.auth).send({ name: 'Clash' })).body.id;
      await link((await post({ name: 'svc', serviceType: 'x', data: { token: 'a1' } })).body.id, p2);
      const second = (await post({ name: 'svc-token', serviceType: 'x', data: 'b2' })).body.id;
      expect((await link(second, p2)).status).toBe(409);
      await linkPersonaCredential(t.db, p2, second, new Date().toISOString());
      await expect(loadPersonaCredentialEnv(t.db, KEY, p2)).rejects.toThrow(/CONNECTOR_SVC_TOKEN/);
    });
  });
});
