/**
 * Every route registered in server/http/app.ts, described for malformed.test.ts.
 *
 * To add a router: add its routes to ROUTES (path placeholders name a fixture), and if a placeholder needs
 * a new kind of record, create it in createFixtures. The test derives every malformed request from this
 * table: bad ids for each placeholder, broken bodies, wrong types for each declared body field (each on
 * top of `valid`, so the field alone is what is wrong), missing required fields, and `badQueries`.
 */
import request from 'supertest';
import type { Server } from 'node:http';
import { insertEvent } from '../../../server/db/events';
import { insertExecution } from '../../../server/db/executions';
import { insertMessage } from '../../../server/db/messages';
import { hubSignature, slackSignature } from '../../../server/domain/webhook-signatures';
import type { TestApp } from '../../helpers/test-app';

/**
 * What a body field accepts; the test sends values of every other shape.
 * - `key`: an id the client may choose (create-or-update), any non-empty short string
 * - `ref`: the id of an existing record (unknown → 404)
 * - `text` / `number` / `int` / `bool`: scalars (`text` has a length limit under 600 000 characters)
 * - `jsonObject`: a JSON object, or a string holding one
 * - `stringOrObject`: a non-empty string or an object (`data`, `structuredPrompt`)
 * - `hex`: hex-encoded bytes
 * - `datetime`: an ISO 8601 date-time
 * - `stringList`: an array of non-empty strings, or null (`allowedTools`, `allowedHosts`)
 * - `any`: any JSON value (nothing is wrong; listed for completeness)
 */
export type FieldKind =
  | 'key' | 'ref' | 'text' | 'number' | 'int' | 'bool' | 'jsonObject' | 'stringOrObject' | 'hex' | 'datetime' | 'stringList' | 'any';

export type Fixtures = Record<string, string>;

export interface RouteSpec {
  method: 'get' | 'post' | 'put' | 'delete';
  /** `:name` placeholders are filled from the fixtures (e.g. `:personaId`). */
  path: string;
  /** The JSON object body the route reads. Absent: the route takes no body (only transport-level cases). */
  body?: {
    fields: Record<string, FieldKind>;
    /** A body that would pass validation, built from the fixtures; each wrong value replaces one field of it. */
    valid: (f: Fixtures) => Record<string, unknown>;
    /** `{}` must be refused (some field is required). */
    required: boolean;
  };
  /** Raw query strings that must be refused (sent with fixture ids in the path). */
  badQueries?: string[];
  /** The route streams (SSE) when given a real id: only bad ids are sent to it. */
  streams?: boolean;
  /**
   * The route takes no Bearer key but its sender's signature or token: every case (except the
   * unauthenticated one) is signed over the exact bytes sent, so the malformed body itself is what is wrong.
   */
  signed?: 'github' | 'slack' | 'gitlab';
}

/** The headers that authenticate `body` on a signed route, made with the fixtures' secrets. */
export function signedHeaders(kind: NonNullable<RouteSpec['signed']>, f: Fixtures, body: Buffer): Record<string, string> {
  switch (kind) {
    case 'github':
      return { 'X-GitHub-Event': 'push', 'X-Hub-Signature-256': hubSignature(f.githubSecret, body) };
    case 'slack': {
      const timestamp = Math.floor(Date.now() / 1000);
      return { 'X-Slack-Request-Timestamp': String(timestamp), 'X-Slack-Signature': slackSignature(f.slackSecret, timestamp, body) };
    }
    case 'gitlab':
      return { 'X-Gitlab-Token': f.gitlabSecret };
  }
}

/** Records the routes' placeholders point at. Add a key here when a route names a new kind of record. */
export async function createFixtures(t: TestApp, server: Server): Promise<Fixtures> {
  const post = async (path: string, body: object) => {
    const res = await request(server).post(path).set(t.auth).send(body);
    if (res.status !== 201) throw new Error(`fixture ${path} answered ${res.status}: ${JSON.stringify(res.body)}`);
    return res.body.id as string;
  };
  const personaId = await post('/api/personas', { name: 'Fixture persona' });
  const toolId = await post('/api/tool-definitions', { name: 'fixture_tool' });
  const credentialId = await post('/api/credentials', { name: 'fixture', serviceType: 'test', data: 'fixture-secret' });
  const now = new Date().toISOString();
  const executionId = 'fixture-execution';
  await insertExecution(t.db, {
    id: executionId, personaId, eventId: null, status: 'completed', prompt: 'p', inputData: null, timeoutMs: null,
    workerId: null, startedAt: now, completedAt: now, durationMs: 1, exitCode: 0, error: null, costUsd: null,
    sessionId: null, numTurns: null, result: 'ok', chainDepth: 0, createdAt: now, updatedAt: now,
  });
  const subscriptionId = await post('/api/subscriptions', { personaId, eventType: 'fixture_event' });
  const triggerId = await post('/api/triggers', { personaId, triggerType: 'manual' });
  const eventId = 'fixture-event';
  await insertEvent(t.db, {
    id: eventId, eventType: 'fixture_event', sourceType: 'manual', sourceId: null, targetPersonaId: null, payload: null,
    status: 'skipped', error: null, chainDepth: 0, parentExecutionId: null, createdAt: now, processedAt: now,
  });
  const reviewId = 'fixture-review';
  await insertMessage(t.db, {
    id: reviewId, executionId, personaId, kind: 'manual_review', payload: { title: 'Fixture review' }, status: 'open',
    resolution: null, resolvedAt: null, createdAt: now,
  });
  const webhookSecret = async (body: object) => {
    const res = await request(server).post('/api/webhook-secrets').set(t.auth).send(body);
    if (res.status !== 201) throw new Error(`fixture webhook secret answered ${res.status}: ${JSON.stringify(res.body)}`);
    return res.body as { id: string; secret: string };
  };
  const github = await webhookSecret({ source: 'github', name: 'fixture github' });
  const slack = await webhookSecret({ source: 'slack', name: 'fixture slack', secret: 'fixture-slack-signing-secret-0123' });
  const gitlab = await webhookSecret({ source: 'gitlab', name: 'fixture gitlab' });
  const workerTokenId = await post('/api/workers/tokens', { name: 'fixture-worker' });
  const keyId = await post('/api/keys', { name: 'fixture key', role: 'reader' });
  return {
    personaId, toolId, credentialId, executionId, subscriptionId, triggerId, eventId, reviewId,
    webhookSecretId: github.id, githubSecret: github.secret, slackSecret: slack.secret, gitlabSecret: gitlab.secret, workerTokenId, keyId,
  };
}

const personaFields: Record<string, FieldKind> = {
  id: 'key', name: 'text', description: 'text', systemPrompt: 'text', structuredPrompt: 'stringOrObject',
  icon: 'text', color: 'text', enabled: 'bool', maxConcurrent: 'int', timeoutMs: 'int', modelProfile: 'text',
  maxBudgetUsd: 'number', maxTurns: 'int', designContext: 'text', groupId: 'text',
  allowedTools: 'stringList', allowedHosts: 'stringList',
};

const toolFields: Record<string, FieldKind> = {
  id: 'key', name: 'text', category: 'text', description: 'text', scriptPath: 'text', inputSchema: 'jsonObject',
  outputSchema: 'jsonObject', implementationGuide: 'text', requiresCredentialType: 'text', isBuiltin: 'bool',
};

const subscriptionFields: Record<string, FieldKind> = { personaId: 'ref', eventType: 'text', sourceFilter: 'text', enabled: 'bool' };
const triggerFields: Record<string, FieldKind> = { personaId: 'ref', triggerType: 'text', config: 'jsonObject', enabled: 'bool' };
const LIST_BAD_QUERIES = ['limit=abc', 'limit=0', 'limit=-1', 'limit=501', 'limit=1.5', 'limit=', 'limit=1&limit=2'];

const credentialFields: Record<string, FieldKind> = {
  id: 'key', name: 'text', serviceType: 'text', metadata: 'jsonObject', data: 'stringOrObject',
  encryptedData: 'hex', iv: 'hex', tag: 'hex',
};

export const ROUTES: RouteSpec[] = [
  // personas
  { method: 'get', path: '/api/personas' },
  { method: 'get', path: '/api/personas/:personaId' },
  { method: 'post', path: '/api/personas', body: { fields: personaFields, valid: () => ({ name: 'Valid' }), required: true } },
  { method: 'delete', path: '/api/personas/:personaId' },

  // tool definitions and persona links
  { method: 'get', path: '/api/tool-definitions' },
  { method: 'get', path: '/api/tool-definitions/:toolId' },
  { method: 'post', path: '/api/tool-definitions', body: { fields: toolFields, valid: () => ({ name: 'valid_tool' }), required: true } },
  { method: 'delete', path: '/api/tool-definitions/:toolId' },
  { method: 'get', path: '/api/personas/:personaId/tools' },
  { method: 'post', path: '/api/personas/:personaId/tools', body: { fields: { toolId: 'ref' }, valid: (f) => ({ toolId: f.toolId }), required: true } },
  { method: 'delete', path: '/api/personas/:personaId/tools/:toolId' },

  // credentials and persona links
  { method: 'get', path: '/api/credentials' },
  { method: 'get', path: '/api/credentials/:credentialId' },
  {
    method: 'post', path: '/api/credentials',
    body: { fields: credentialFields, valid: () => ({ name: 'valid', serviceType: 'valid', data: 'valid-secret' }), required: true },
  },
  { method: 'delete', path: '/api/credentials/:credentialId' },
  { method: 'get', path: '/api/personas/:personaId/credentials' },
  {
    method: 'post', path: '/api/personas/:personaId/credentials',
    body: { fields: { credentialId: 'ref' }, valid: (f) => ({ credentialId: f.credentialId }), required: true },
  },
  { method: 'delete', path: '/api/personas/:personaId/credentials/:credentialId' },

  // executions
  {
    method: 'get', path: '/api/executions',
    badQueries: [
      'status=bogus', 'status=', 'status=completed&status=failed', 'limit=abc', 'limit=0', 'limit=-1', 'limit=501',
      'limit=1.5', 'limit=1e3', 'limit=', 'limit=1&limit=2', 'offset=x', 'offset=-1', 'offset=2.5',
      'offset=99999999999999999999999', `personaId=${'x'.repeat(5000)}`,
    ],
  },
  { method: 'get', path: '/api/executions/:executionId' },
  { method: 'get', path: '/api/executions/summary', badQueries: ['hours=0', 'hours=721', 'hours=abc', 'hours=1.5', 'hours=', 'hours=-1', 'hours=1&hours=2'] },
  {
    method: 'post', path: '/api/execute',
    body: {
      fields: { prompt: 'text', personaId: 'ref', timeoutMs: 'int', inputData: 'any', input: 'any' },
      valid: () => ({ prompt: 'hello' }),
      required: true,
    },
  },
  { method: 'post', path: '/api/executions/:executionId/cancel' },
  { method: 'get', path: '/api/executions/:executionId/stream', streams: true },

  // events and webhooks
  {
    method: 'post', path: '/api/events',
    body: {
      fields: { eventType: 'text', sourceType: 'text', sourceId: 'text', targetPersonaId: 'ref', payload: 'any' },
      valid: () => ({ eventType: 'valid_event' }),
      required: true,
    },
  },
  {
    method: 'get', path: '/api/events',
    badQueries: ['status=bogus', 'status=', 'status=pending&status=failed', 'type=', ...LIST_BAD_QUERIES, 'offset=x', 'offset=-1', `type=${'x'.repeat(5000)}`],
  },
  { method: 'get', path: '/api/events/:eventId' },
  { method: 'post', path: '/api/webhooks/:personaId', badQueries: ['source=', `source=${'x'.repeat(5000)}`] },
  { method: 'post', path: '/api/gitlab/webhook', signed: 'gitlab', body: { fields: { object_kind: 'text' }, valid: () => ({ object_kind: 'push' }), required: true } },
  { method: 'post', path: '/api/github/webhook', signed: 'github', body: { fields: {}, valid: () => ({}), required: false } },
  {
    method: 'post', path: '/api/slack/events', signed: 'slack',
    body: { fields: { type: 'text' }, valid: () => ({ type: 'event_callback', event_id: 'Ev1', event: { type: 'message', channel: 'C1' } }), required: true },
  },

  // webhook secrets
  {
    method: 'post', path: '/api/webhook-secrets',
    body: { fields: { source: 'text', name: 'text', personaId: 'ref', secret: 'text' }, valid: () => ({ source: 'github', name: 'valid' }), required: true },
  },
  { method: 'get', path: '/api/webhook-secrets' },
  { method: 'delete', path: '/api/webhook-secrets/:webhookSecretId' },

  // enrolled worker tokens
  { method: 'post', path: '/api/workers/tokens', body: { fields: { name: 'text' }, valid: () => ({ name: 'valid-worker' }), required: true } },
  { method: 'get', path: '/api/workers/tokens' },
  { method: 'delete', path: '/api/workers/tokens/:workerTokenId' },

  // API keys and the audit log
  { method: 'post', path: '/api/keys', body: { fields: { name: 'text', role: 'text' }, valid: () => ({ name: 'valid key', role: 'reader' }), required: true } },
  { method: 'get', path: '/api/keys' },
  { method: 'delete', path: '/api/keys/:keyId' },
  {
    method: 'get', path: '/api/audit',
    badQueries: ['action=', 'actor=', `action=${'x'.repeat(5000)}`, `actor=${'x'.repeat(5000)}`, 'action=a&action=b', ...LIST_BAD_QUERIES, 'offset=x', 'offset=-1'],
  },

  // subscriptions
  { method: 'post', path: '/api/subscriptions', body: { fields: subscriptionFields, valid: (f) => ({ personaId: f.personaId, eventType: 'valid' }), required: true } },
  { method: 'put', path: '/api/subscriptions/:subscriptionId', body: { fields: subscriptionFields, valid: () => ({ enabled: true }), required: false } },
  { method: 'delete', path: '/api/subscriptions/:subscriptionId' },
  { method: 'get', path: '/api/personas/:personaId/subscriptions' },

  // triggers
  { method: 'post', path: '/api/triggers', body: { fields: triggerFields, valid: (f) => ({ personaId: f.personaId, triggerType: 'manual' }), required: true } },
  {
    method: 'get', path: '/api/triggers',
    badQueries: ['type=bogus', 'type=', 'enabled=yes', 'enabled=', `personaId=${'x'.repeat(5000)}`, ...LIST_BAD_QUERIES, 'offset=x', 'offset=-1'],
  },
  { method: 'get', path: '/api/triggers/:triggerId' },
  { method: 'put', path: '/api/triggers/:triggerId', body: { fields: triggerFields, valid: () => ({ enabled: true }), required: false } },
  { method: 'delete', path: '/api/triggers/:triggerId' },
  { method: 'post', path: '/api/triggers/:triggerId/fire', body: { fields: { payload: 'any' }, valid: () => ({}), required: false } },
  { method: 'get', path: '/api/personas/:personaId/triggers' },

  // protocol messages
  { method: 'get', path: '/api/personas/:personaId/messages', badQueries: LIST_BAD_QUERIES },
  { method: 'get', path: '/api/personas/:personaId/memories', badQueries: LIST_BAD_QUERIES },
  { method: 'get', path: '/api/personas/:personaId/reviews', badQueries: ['status=bogus', 'status=', 'status=open&status=resolved', ...LIST_BAD_QUERIES] },
  { method: 'get', path: '/api/messages', badQueries: [...LIST_BAD_QUERIES, 'offset=x', 'offset=-1', 'personaId=', `personaId=${'x'.repeat(5000)}`] },
  { method: 'get', path: '/api/memories', badQueries: [...LIST_BAD_QUERIES, 'offset=x', 'personaId='] },
  { method: 'get', path: '/api/reviews', badQueries: ['status=bogus', 'status=', 'status=open&status=resolved', ...LIST_BAD_QUERIES, 'offset=-1', 'personaId='] },
  { method: 'post', path: '/api/reviews/:reviewId/resolve', body: { fields: { resolution: 'any' }, valid: () => ({}), required: false } },

  // system
  { method: 'get', path: '/api/status' },
  { method: 'get', path: '/api/me' },

  // Claude connection
  { method: 'post', path: '/api/oauth/authorize' },
  {
    method: 'post', path: '/api/oauth/callback',
    body: { fields: { code: 'text', state: 'text' }, valid: () => ({ code: 'code', state: 'state' }), required: true },
  },
  { method: 'get', path: '/api/oauth/status' },
  { method: 'post', path: '/api/oauth/refresh' },
  { method: 'delete', path: '/api/oauth/disconnect' },
  {
    method: 'post', path: '/api/token',
    body: { fields: { token: 'text', expiresAt: 'datetime' }, valid: () => ({ token: 'tok_0123456789abcdef' }), required: true },
  },
];
