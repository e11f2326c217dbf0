import { matchSubscriptions, sourceFilterProblem, sourceMatches, uniquePersonaIds, type MatchableEvent, type MatchableSubscription } from '../../server/domain/matching';

const sub = (id: string, over: Partial<MatchableSubscription> = {}): MatchableSubscription => ({
  id, personaId: `p-${id}`, eventType: 'gitlab_push', sourceFilter: null, enabled: true, ...over,
});

describe('sourceMatches', () => {
  it.each([
    [null, 'org/app', true],
    ['', 'org/app', true],
    [null, null, true],
    ['org/app', 'org/app', true],
    ['org/app', 'org/app2', false],
    ['org/app', null, false],
    ['org/*', 'org/repo-a', true],
    ['org/*', 'org/', true],
    ['org/*', 'org', false],
    ['org/*', 'other/repo', false],
    ['org/*', null, false],
    ['*', 'anything', true],
    ['*', null, true],
    ['Org/*', 'org/repo', false],
  ])('filter %p vs source %p -> %p', (filter, source, expected) => {
    expect(sourceMatches(filter, source)).toBe(expected);
  });
});

describe('matchSubscriptions', () => {
  const event: MatchableEvent = { eventType: 'gitlab_push', sourceId: 'org/repo-a', targetPersonaId: null };

  it.each<[string, MatchableSubscription, Partial<typeof event>, boolean]>([
    ['same type, no filter', sub('a'), {}, true],
    ['other type', sub('a', { eventType: 'gitlab_merge_request' }), {}, false],
    ['type is exact, not a prefix', sub('a', { eventType: 'gitlab' }), {}, false],
    ['type is case-sensitive', sub('a', { eventType: 'GITLAB_PUSH' }), {}, false],
    ['exact source', sub('a', { sourceFilter: 'org/repo-a' }), {}, true],
    ['other exact source', sub('a', { sourceFilter: 'org/repo-b' }), {}, false],
    ['prefix source', sub('a', { sourceFilter: 'org/*' }), {}, true],
    ['other prefix', sub('a', { sourceFilter: 'team/*' }), {}, false],
    ['disabled', sub('a', { enabled: false }), {}, false],
    ['targeted at this persona', sub('a'), { targetPersonaId: 'p-a' }, true],
    ['targeted at another persona', sub('a'), { targetPersonaId: 'p-b' }, false],
    ['targeted, filter must still match', sub('a', { sourceFilter: 'x/*' }), { targetPersonaId: 'p-a' }, false],
    ['event without source vs exact filter', sub('a', { sourceFilter: 'org/repo-a' }), { sourceId: null }, false],
  ])('%s', (_name, s, over, expected) => {
    expect(matchSubscriptions({ ...event, ...over }, [s]).length).toBe(expected ? 1 : 0);
  });

  it('keeps every match and the personas once each, in order', () => {
    const subs = [sub('a'), sub('b', { sourceFilter: 'org/*' }), sub('c', { personaId: 'p-a', sourceFilter: 'org/repo-a' }), sub('d', { enabled: false })];
    const matches = matchSubscriptions(event, subs);
    expect(matches.map((m) => m.id)).toEqual(['a', 'b', 'c']);
    expect(uniquePersonaIds(matches)).toEqual(['p-a', 'p-b']);
  });
});

describe('sourceFilterProblem', () => {
  it.each([
    ['org/app', null],
    ['org/*', null],
    ['*', null],
    ['org/*/x', "'*' is only allowed at the end (prefix match)"],
    ['*org', "'*' is only allowed at the end (prefix match)"],
  ])('%p', (filter, expected) => {
    expect(sourceFilterProblem(filter)).toBe(expected);
  });
});
