/**
 * Names for audited calls, pure: `METHOD /api/pattern` → an action and the kind of thing it acts on.
 * A route not listed is still audited, under the action `METHOD /pattern` and the target type of its
 * first path segment, so a new route is never silent; naming it here makes `?action=` friendlier.
 */
const NAMED: Record<string, string> = {
  'POST /api/personas': 'persona.save',
  'DELETE /api/personas/:id': 'persona.delete',
  'POST /api/tool-definitions': 'tool.save',
  'DELETE /api/tool-definitions/:id': 'tool.delete',
  'POST /api/personas/:id/tools': 'persona.tool_link',
  'DELETE /api/personas/:id/tools/:toolId': 'persona.tool_unlink',
  'POST /api/credentials': 'credential.save',
  'DELETE /api/credentials/:id': 'credential.delete',
  'POST /api/personas/:id/credentials': 'persona.credential_link',
  'DELETE /api/personas/:id/credentials/:credentialId': 'persona.credential_unlink',
  'POST /api/execute': 'execution.submit',
  'POST /api/executions/:id/cancel': 'execution.cancel',
  'POST /api/events': 'event.publish',
  'POST /api/webhooks/:personaId': 'webhook.receive',
  'POST /api/subscriptions': 'subscription.create',
  'PUT /api/subscriptions/:id': 'subscription.update',
  'DELETE /api/subscriptions/:id': 'subscription.delete',
  'POST /api/triggers': 'trigger.create',
  'PUT /api/triggers/:id': 'trigger.update',
  'DELETE /api/triggers/:id': 'trigger.delete',
  'POST /api/triggers/:id/fire': 'trigger.fire',
  'POST /api/reviews/:id/resolve': 'review.resolve',
  'POST /api/oauth/authorize': 'oauth.authorize',
  'POST /api/oauth/callback': 'oauth.connect',
  'POST /api/oauth/refresh': 'oauth.refresh',
  'DELETE /api/oauth/disconnect': 'oauth.disconnect',
  'POST /api/token': 'oauth.token_set',
  'POST /api/keys': 'key.create',
  'DELETE /api/keys/:id': 'key.revoke',
  'POST /api/workers/tokens': 'worker_token.create',
  'DELETE /api/workers/tokens/:id': 'worker_token.revoke',
  'POST /api/webhook-secrets': 'webhook_secret.create',
  'DELETE /api/webhook-secrets/:id': 'webhook_secret.delete',
};

export interface ActionName {
  action: string;
  targetType: string;
}

/** Every named action (for the README and the tests). */
export const NAMED_ACTIONS: Readonly<Record<string, string>> = NAMED;

/** The action of a call to `pattern` (the route as declared, e.g. `/api/personas/:id`). */
export function describeAction(method: string, pattern: string): ActionName {
  const key = `${method.toUpperCase()} ${pattern}`;
  const named = NAMED[key];
  if (named) return { action: named, targetType: named.slice(0, named.indexOf('.')) };
  // Bull Board's own API (pause, retry, clean, add a job …): the path itself is the action.
  if (pattern.startsWith('/admin/queues/')) return { action: key, targetType: 'queue' };
  const first = pattern.replace(/^\/api\//, '/').split('/').find((s) => s && !s.startsWith(':'));
  return { action: key, targetType: first ?? 'api' };
}
