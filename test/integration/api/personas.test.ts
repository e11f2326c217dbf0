import request from 'supertest';
import { createTestApp, type TestApp } from '../../helpers/test-app';

describe('personas API', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('requires the team key', async () => {
    const res = await request(t.app).get('/api/personas');
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('unauthorized');
    const wrong = await request(t.app).get('/api/personas').set('Authorization', 'Bearer nope');
    expect(wrong.status).toBe(401);
  });

  it('creates with 201 and a generated id, updates with 200, lists, gets and deletes', async () => {
    const created = await request(t.app)
      .post('/api/personas')
      .set(t.auth)
      .send({
        name: 'Code Reviewer',
        description: 'Reviews pull requests',
        systemPrompt: 'You are an expert code reviewer...',
        structuredPrompt: '{"identity":"Expert code reviewer","instructions":"Review code."}',
        enabled: true,
        maxConcurrent: 2,
        timeoutMs: 600000,
      });
    expect(created.status).toBe(201);
    expect(created.body.id).toEqual(expect.any(String));
    expect(created.body).toMatchObject({ name: 'Code Reviewer', maxConcurrent: 2, enabled: true, timeoutMs: 600000 });

    const updated = await request(t.app).post('/api/personas').set(t.auth).send({ id: created.body.id, maxConcurrent: 3 });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ id: created.body.id, name: 'Code Reviewer', maxConcurrent: 3 });

    const list = await request(t.app).get('/api/personas').set(t.auth);
    expect(list.body.map((p: { id: string }) => p.id)).toContain(created.body.id);

    const got = await request(t.app).get(`/api/personas/${created.body.id}`).set(t.auth);
    expect(got.body.structuredPrompt).toContain('Expert code reviewer');

    const del = await request(t.app).delete(`/api/personas/${created.body.id}`).set(t.auth);
    expect(del.status).toBe(200);
    expect((await request(t.app).get(`/api/personas/${created.body.id}`).set(t.auth)).status).toBe(404);
  });

  it('accepts structuredPrompt as an object', async () => {
    const res = await request(t.app).post('/api/personas').set(t.auth).send({ name: 'X', structuredPrompt: { identity: 'I' } });
    expect(res.status).toBe(201);
    expect(JSON.parse(res.body.structuredPrompt)).toEqual({ identity: 'I' });
  });

  it('names the bad field', async () => {
    const missing = await request(t.app).post('/api/personas').set(t.auth).send({ description: 'no name' });
    expect(missing.status).toBe(400);
    expect(missing.body.error.message).toContain('name');
    const wrongType = await request(t.app).post('/api/personas').set(t.auth).send({ name: 'A', maxConcurrent: 'two' });
    expect(wrongType.status).toBe(400);
    expect(wrongType.body.error.details[0].field).toBe('maxConcurrent');
    const badJson = await request(t.app).post('/api/personas').set(t.auth).set('Content-Type', 'application/json').send('{"name":');
    expect(badJson.status).toBe(400);
    expect(badJson.body.error.code).toBe('invalid_json');
    const tooBig = await request(t.app).post('/api/personas').set(t.auth).send({ name: 'big', description: 'x'.repeat(1024 * 1024 + 10) });
    expect(tooBig.status).toBe(413);
  });
});
