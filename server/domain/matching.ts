/**
 * Subscription matching: which subscriptions an event reaches. Pure, no I/O; the candidates come
 * from an indexed query (event type, enabled, and persona when the event is targeted).
 */

export interface MatchableEvent {
  eventType: string;
  sourceId: string | null;
  targetPersonaId: string | null;
}

export interface MatchableSubscription {
  id: string;
  personaId: string;
  eventType: string;
  sourceFilter: string | null;
  enabled: boolean;
}

/**
 * A source filter matches when absent/empty, equal to the source id, or — ending in `*` — a prefix
 * of it (`org/*` matches `org/repo-a`; a lone `*` matches any source, even none).
 */
export function sourceMatches(filter: string | null, sourceId: string | null): boolean {
  if (filter === null || filter === '') return true;
  if (filter.endsWith('*')) {
    const prefix = filter.slice(0, -1);
    return prefix === '' || (sourceId !== null && sourceId.startsWith(prefix));
  }
  return sourceId === filter;
}

/**
 * The guide's four rules: event type exact; source filter exact or `prefix*`; a targeted event
 * reaches only its target persona's subscriptions; disabled subscriptions never match.
 */
export function matchSubscriptions<S extends MatchableSubscription>(event: MatchableEvent, candidates: readonly S[]): S[] {
  return candidates.filter(
    (s) =>
      s.enabled &&
      s.eventType === event.eventType &&
      (event.targetPersonaId === null || s.personaId === event.targetPersonaId) &&
      sourceMatches(s.sourceFilter, event.sourceId),
  );
}

/** The personas reached, each once, in the order of their first matching subscription. */
export function uniquePersonaIds(matches: readonly MatchableSubscription[]): string[] {
  return [...new Set(matches.map((m) => m.personaId))];
}

/** Why a source filter is unusable, or null: `*` may only end the filter. */
export function sourceFilterProblem(filter: string): string | null {
  const star = filter.indexOf('*');
  if (star >= 0 && star !== filter.length - 1) return "'*' is only allowed at the end (prefix match)";
  return null;
}
