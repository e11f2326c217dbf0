import fs from 'node:fs';
import path from 'node:path';
import { mapGitlabPayload } from '../../server/domain/gitlab';

const fixture = (name: string): Record<string, unknown> =>
  JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'gitlab', `${name}.json`), 'utf8'));

describe('mapGitlabPayload', () => {
  it.each([
    ['push', 'gitlab_push', 'mike/diaspora'],
    ['merge_request', 'gitlab_merge_request', 'gitlabhq/gitlab-test'],
    ['pipeline', 'gitlab_pipeline', 'gitlab-org/gitlab-test'],
    ['note', 'gitlab_note', 'gitlabhq/gitlab-test'],
    ['tag_push', 'gitlab_tag_push', 'jsmith/example'],
  ])('%s -> %s from %s, keeping the whole payload', (name, eventType, sourceId) => {
    const body = fixture(name);
    const r = mapGitlabPayload(body);
    expect(r).toEqual({ ok: true, event: { eventType, sourceType: 'gitlab', sourceId, payload: body } });
  });

  it('takes a system hook event_name and normalizes odd kinds', () => {
    const r = mapGitlabPayload({ event_name: 'project_create', path_with_namespace: 'org/new' });
    expect(r.ok && r.event).toMatchObject({ eventType: 'gitlab_project_create', sourceId: 'org/new' });
    const odd = mapGitlabPayload({ object_kind: 'Merge Request Hook' });
    expect(odd.ok && odd.event).toMatchObject({ eventType: 'gitlab_merge_request_hook', sourceId: null });
  });

  it.each([
    [{ hello: 'world' }, 'object_kind'],
    [{ object_kind: '  ' }, 'object_kind'],
    [[1, 2], 'body'],
    ['push', 'body'],
    [null, 'body'],
  ])('refuses %j naming %s', (body, field) => {
    const r = mapGitlabPayload(body);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.field).toBe(field);
  });
});
