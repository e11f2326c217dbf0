/**
 * GitHub webhook delivery → event fields (pure). `X-GitHub-Event` names the event (`push` →
 * `github_push`); the repository's `full_name` is the source (else the organization's login, else
 * the sender's), so a subscription's `org/*` filter selects an organization. The whole payload is
 * kept as the event's payload. `ping` (sent when a hook is created) is answered and not published.
 */

export interface GithubEventFields {
  eventType: string;
  sourceType: 'github';
  sourceId: string | null;
  payload: Record<string, unknown>;
}

export type GithubMapping =
  | { ok: true; ping: true }
  | { ok: true; ping: false; event: GithubEventFields }
  | { ok: false; field: string; message: string };

const EVENT_NAME = /^[a-z][a-z0-9_]{0,99}$/;

const asRecord = (v: unknown): Record<string, unknown> | null =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;

const nonEmpty = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

/** `repository.full_name`, else `organization.login`, else `sender.login`, else null. */
export function githubSourceId(body: Record<string, unknown>): string | null {
  return (
    nonEmpty(asRecord(body.repository)?.full_name) ??
    nonEmpty(asRecord(body.organization)?.login) ??
    nonEmpty(asRecord(body.sender)?.login)
  );
}

/** Maps a delivery given its `X-GitHub-Event` header and parsed body. */
export function mapGithubDelivery(eventHeader: unknown, body: unknown): GithubMapping {
  const name = typeof eventHeader === 'string' ? eventHeader.trim().toLowerCase() : '';
  if (name === '') return { ok: false, field: 'X-GitHub-Event', message: 'header is required' };
  if (!EVENT_NAME.test(name)) return { ok: false, field: 'X-GitHub-Event', message: 'is not a GitHub event name' };
  const record = asRecord(body);
  if (!record) return { ok: false, field: 'body', message: 'expected a GitHub webhook JSON object' };
  if (name === 'ping') return { ok: true, ping: true };
  return { ok: true, ping: false, event: { eventType: `github_${name}`, sourceType: 'github', sourceId: githubSourceId(record), payload: record } };
}
