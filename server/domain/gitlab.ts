/**
 * GitLab webhook payload → event fields (pure). `object_kind` names the event (`push` →
 * `gitlab_push`); the project's `path_with_namespace` is the source, so a subscription's `org/*`
 * filter selects a group. The whole payload is kept as the event's payload.
 */

export interface GitlabEventFields {
  eventType: string;
  sourceType: 'gitlab';
  sourceId: string | null;
  payload: Record<string, unknown>;
}

export type GitlabMapping = { ok: true; event: GitlabEventFields } | { ok: false; field: string; message: string };

const asRecord = (v: unknown): Record<string, unknown> | null =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;

/** `Merge Request Hook` style names (and anything odd) become lower_snake_case. */
function normalizeKind(kind: string): string {
  return kind
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
}

function projectPath(body: Record<string, unknown>): string | null {
  for (const key of ['project', 'repository']) {
    const path = asRecord(body[key])?.path_with_namespace;
    if (typeof path === 'string' && path !== '') return path;
  }
  // System hooks carry the path at the top level.
  return typeof body.path_with_namespace === 'string' && body.path_with_namespace !== '' ? body.path_with_namespace : null;
}

/**
 * Maps a GitLab webhook body. `object_kind` is required (project and group hooks always send it);
 * a system hook's `event_name` is accepted in its place.
 */
export function mapGitlabPayload(body: unknown): GitlabMapping {
  const record = asRecord(body);
  if (!record) return { ok: false, field: 'body', message: 'expected a GitLab webhook JSON object' };
  const kind = typeof record.object_kind === 'string' ? record.object_kind : typeof record.event_name === 'string' ? record.event_name : null;
  if (kind === null) return { ok: false, field: 'object_kind', message: 'is required (a GitLab webhook payload names its object_kind)' };
  const normalized = normalizeKind(kind);
  if (normalized === '' || normalized.length > 100) return { ok: false, field: 'object_kind', message: 'is not a usable event kind' };
  return {
    ok: true,
    event: { eventType: `gitlab_${normalized}`, sourceType: 'gitlab', sourceId: projectPath(record), payload: record },
  };
}
