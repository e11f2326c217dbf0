import request from 'supertest';
import { listPersonaTools } from '../../../server/db/tools';
import { createTestApp, type TestApp } from '../../helpers/test-app';

describe('tool definitions API', () => {
  let t: TestApp;
  let personaId: string;
  beforeAll(async () => {
    t = await createTestApp();
    personaId = (await request(t.app).post('/api/personas').set(t.auth).send({ name: 'Reviewer' })).body.id;
  });
  afterAll(async () => {
    await t.close();
  });

  const post = (body: unknown) => request(t.app).post('/api/tool-definitions').set(t.auth).send(body as object);

  it("creates the guide's tool with 201, updates by id with 200, gets, lists and deletes", async () => {
    const created = await post({
      name: 'gitlab_api',
      category: 'api',
      description: 'Call the GitLab API',
      scriptPath: '',
      implementationGuide: 'Use curl with $GITLAB_TOKEN to call GitLab API v4 endpoints.',
      requiresCredentialType: 'gitlab',
    });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      id: expect.any(String),
      name: 'gitlab_api',
      category: 'api',
      description: 'Call the GitLab API',
      scriptPath: '',
      inputSchema: null,
      outputSchema: null,
      implementationGuide: 'Use curl with $GITLAB_TOKEN to call GitLab API v4 endpoints.',
      requiresCredentialType: 'gitlab',
      isBuiltin: false,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    const id = created.body.id;

    const updated = await post({ id, description: 'GitLab v4', isBuiltin: true });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ id, name: 'gitlab_api', description: 'GitLab v4', category: 'api', isBuiltin: true });

    expect((await request(t.app).get(`/api/tool-definitions/${id}`).set(t.auth)).body).toEqual(updated.body);
    const list = await request(t.app).get('/api/tool-definitions').set(t.auth);
    expect(list.status).toBe(200);
    expect(list.body.map((x: { id: string }) => x.id)).toContain(id);

    const del = await request(t.app).delete(`/api/tool-definitions/${id}`).set(t.auth);
    expect(del.status).toBe(200);
    expect(del.body).toEqual({ id, deleted: true });
    const gone = await request(t.app).get(`/api/tool-definitions/${id}`).set(t.auth);
    expect(gone.status).toBe(404);
    expect(gone.body.error.code).toBe('not_found');
    expect((await request(t.app).delete(`/api/tool-definitions/${id}`).set(t.auth)).status).toBe(404);
  });

  it('accepts schemas as JSON strings or objects and answers them as objects', async () => {
    const schema = { type: 'object', properties: { q: { type: 'string' } } };
    const asString = await post({ name: 'search_a', inputSchema: JSON.stringify(schema), outputSchema: { type: 'string' } });
    expect(asString.status).toBe(201);
    expect(asString.body.inputSchema).toEqual(schema);
    expect(asString.body.outputSchema).toEqual({ type: 'string' });
    const cleared = await post({ id: asString.body.id, inputSchema: null });
    expect(cleared.status).toBe(200);
    expect(cleared.body.inputSchema).toBeNull();

    const bad = await post({ name: 'search_b', inputSchema: '{not json' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details[0].field).toBe('inputSchema');
    const notObject = await post({ name: 'search_c', outputSchema: '[1,2]' });
    expect(notObject.status).toBe(400);
    expect(notObject.body.error.details[0].field).toBe('outputSchema');
  });

  it('creates with a client-chosen id, requires a name on create and keeps names unique (409)', async () => {
    const withId = await post({ id: 'tool-fixed-id', name: 'fixed' });
    expect(withId.status).toBe(201);
    expect(withId.body.id).toBe('tool-fixed-id');

    const noName = await post({ category: 'api' });
    expect(noName.status).toBe(400);
    expect(noName.body.error.details).toEqual([{ field: 'name', message: 'is required' }]);

    const dup = await post({ name: 'fixed' });
    expect(dup.status).toBe(409);
    expect(dup.body.error.code).toBe('conflict');
    expect(dup.body.error.message).toContain('fixed');

    const other = await post({ name: 'other' });
    const rename = await post({ id: other.body.id, name: 'fixed' });
    expect(rename.status).toBe(409);
    // Renaming a tool to its own name is not a conflict.
    expect((await post({ id: 'tool-fixed-id', name: 'fixed' })).status).toBe(200);

    const wrongType = await post({ name: 'typed', isBuiltin: 'yes' });
    expect(wrongType.status).toBe(400);
    expect(wrongType.body.error.details[0].field).toBe('isBuiltin');
  });

  it('links tools to personas idempotently, lists and unlinks them', async () => {
    const a = (await post({ name: 'link_a', implementationGuide: 'guide a' })).body;
    const b = (await post({ name: 'link_b' })).body;

    const first = await request(t.app).post(`/api/personas/${personaId}/tools`).set(t.auth).send({ toolId: a.id });
    expect(first.status).toBe(201);
    expect(first.body).toEqual(a);
    const again = await request(t.app).post(`/api/personas/${personaId}/tools`).set(t.auth).send({ toolId: a.id });
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(a.id);
    expect((await request(t.app).post(`/api/personas/${personaId}/tools`).set(t.auth).send({ toolId: b.id })).status).toBe(201);

    const list = await request(t.app).get(`/api/personas/${personaId}/tools`).set(t.auth);
    expect(list.status).toBe(200);
    expect(list.body.map((x: { id: string }) => x.id)).toEqual([a.id, b.id]);

    const typed = await listPersonaTools(t.db, personaId);
    expect(typed.map((x) => x.name)).toEqual(['link_a', 'link_b']);
    expect(typed[0]).toMatchObject({ implementationGuide: 'guide a', isBuiltin: false, inputSchema: null });
    expect(await listPersonaTools(t.db, 'no-such-persona')).toEqual([]);

    const unlink = await request(t.app).delete(`/api/personas/${personaId}/tools/${a.id}`).set(t.auth);
    expect(unlink.status).toBe(200);
    expect(unlink.body).toEqual({ personaId, toolId: a.id, deleted: true });
    const twice = await request(t.app).delete(`/api/personas/${personaId}/tools/${a.id}`).set(t.auth);
    expect(twice.status).toBe(404);
    expect(twice.body.error.message).toContain('not linked');

    // Deleting a definition removes its links.
    await request(t.app).delete(`/api/tool-definitions/${b.id}`).set(t.auth);
    expect((await request(t.app).get(`/api/personas/${personaId}/tools`).set(t.auth)).body).toEqual([]);
  });

  it('answers 404 naming the unknown persona or tool, 400 naming toolId', async () => {
    const tool = (await post({ name: 'for_404' })).body;
    const noPersona = await request(t.app).post('/api/personas/nope/tools').set(t.auth).send({ toolId: tool.id });
    expect(noPersona.status).toBe(404);
    expect(noPersona.body.error.message).toBe("persona 'nope' not found");
    const noTool = await request(t.app).post(`/api/personas/${personaId}/tools`).set(t.auth).send({ toolId: 'ghost' });
    expect(noTool.status).toBe(404);
    expect(noTool.body.error.message).toBe("tool 'ghost' not found");
    expect((await request(t.app).get('/api/personas/nope/tools').set(t.auth)).status).toBe(404);
    expect((await request(t.app).delete(`/api/personas/nope/tools/${tool.id}`).set(t.auth)).status).toBe(404);
    expect((await request(t.app).delete(`/api/personas/${personaId}/tools/ghost`).set(t.auth)).status).toBe(404);

    const missing = await request(t.app).post(`/api/personas/${personaId}/tools`).set(t.auth).send({});
    expect(missing.status).toBe(400);
    expect(missing.body.error.details[0].field).toBe('toolId');
    const wrong = await request(t.app).post(`/api/personas/${personaId}/tools`).set(t.auth).send({ toolId: 7 });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error.details[0].field).toBe('toolId');
  });
});
