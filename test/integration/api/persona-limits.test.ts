import request from 'supertest';
import { createTestApp, type TestApp } from '../../helpers/test-app';

/** A persona's run limits over the API: allowedTools, allowedHosts, maxBudgetUsd. */
describe('persona limits API', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  const post = (body: object) => request(t.app).post('/api/personas').set(t.auth).send(body);

  it('defaults to the default tool list (null), no hosts and no budget', async () => {
    const res = await post({ name: 'Defaults' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ allowedTools: null, allowedHosts: [], maxBudgetUsd: null });
    const got = await request(t.app).get(`/api/personas/${res.body.id}`).set(t.auth);
    expect(got.body).toMatchObject({ allowedTools: null, allowedHosts: [], maxBudgetUsd: null });
  });

  it('stores the lists as given, keeps them on an update that omits them, and resets them with null', async () => {
    const tools = ['Read', 'Grep', 'Bash(git *)', 'WebFetch', 'mcp__gitlab__create_issue'];
    const hosts = ['api.github.com', '*.example.com', '127.0.0.1:8080', '[::1]:9000', 'gitlab.internal:443'];
    const created = await post({ name: 'Limited', allowedTools: tools, allowedHosts: hosts, maxBudgetUsd: 0.5 });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ allowedTools: tools, allowedHosts: hosts, maxBudgetUsd: 0.5 });

    const renamed = await post({ id: created.body.id, name: 'Limited 2' });
    expect(renamed.body).toMatchObject({ allowedTools: tools, allowedHosts: hosts, maxBudgetUsd: 0.5 });

    const none = await post({ id: created.body.id, allowedTools: [] });
    expect(none.body.allowedTools).toEqual([]);

    const reset = await post({ id: created.body.id, allowedTools: null, allowedHosts: null, maxBudgetUsd: null });
    expect(reset.status).toBe(200);
    expect(reset.body).toMatchObject({ allowedTools: null, allowedHosts: [], maxBudgetUsd: null });
  });

  it.each<[string, object, string, RegExp]>([
    ['a tool entry with a comma', { allowedTools: ['Read', 'Bash(git *),Write'] }, 'allowedTools.1', /comma/],
    ['a tool entry with a newline', { allowedTools: ['Read\nWrite'] }, 'allowedTools.0', /control characters/],
    ['unbalanced parentheses', { allowedTools: ['Read', 'Grep', 'Bash((git *)'] }, 'allowedTools.2', /unbalanced/],
    ['a tool name starting with a digit', { allowedTools: ['9Read'] }, 'allowedTools.0', /tool name/],
    ['an empty tool entry', { allowedTools: [''] }, 'allowedTools.0', /empty/],
    ['a tool list that is a string', { allowedTools: 'Read,Grep' }, 'allowedTools', /array/],
    ['too many tools', { allowedTools: Array.from({ length: 101 }, (_, i) => `T${i}`) }, 'allowedTools', /100/],
    ['loopback without a port', { allowedHosts: ['api.github.com', '127.0.0.1'] }, 'allowedHosts.1',
      /loopback and private addresses are reachable only when listed with their port/],
    ['a private network address without a port', { allowedHosts: ['10.0.0.7'] }, 'allowedHosts.0', /only when listed with their port/],
    ['localhost without a port', { allowedHosts: ['localhost'] }, 'allowedHosts.0', /only when listed with their port/],
    ['a URL', { allowedHosts: ['https://api.github.com'] }, 'allowedHosts.0', /no scheme/],
    ['a bad wildcard', { allowedHosts: ['*.com'] }, 'allowedHosts.0', /two labels/],
    ['a bad port', { allowedHosts: ['api.github.com:99999'] }, 'allowedHosts.0', /port/],
    ['an unbracketed IPv6 with a port', { allowedHosts: ['::1:8080:x'] }, 'allowedHosts.0', /brackets/],
    ['a host that is a number', { allowedHosts: [42] }, 'allowedHosts.0', /string/],
    ['a zero budget', { maxBudgetUsd: 0 }, 'maxBudgetUsd', /.+/],
    ['a negative budget', { maxBudgetUsd: -1 }, 'maxBudgetUsd', /.+/],
    ['a budget given as text', { maxBudgetUsd: '5' }, 'maxBudgetUsd', /number/],
  ])('refuses %s with a 400 naming the field', async (_name, body, field, message) => {
    const res = await post({ name: 'Bad', ...body });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_error');
    const detail = res.body.error.details.find((d: { field: string }) => d.field === field);
    expect(detail).toBeDefined();
    expect(detail.message).toMatch(message);
    expect(res.body.error.message).toContain(field);
  });

  it('refuses a bad entry on update too, and leaves the stored lists alone', async () => {
    const created = await post({ name: 'Kept', allowedHosts: ['api.github.com'] });
    const bad = await post({ id: created.body.id, allowedHosts: ['api.github.com', '192.168.0.1'] });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details[0].field).toBe('allowedHosts.1');
    const got = await request(t.app).get(`/api/personas/${created.body.id}`).set(t.auth);
    expect(got.body.allowedHosts).toEqual(['api.github.com']);
  });
});
