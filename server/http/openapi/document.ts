import { z } from 'zod';
import type { RouteAuth } from '../../auth/express';
import type { MountedRoute } from '../route-walk';
import type { ResponseDoc, RouteDoc } from './describe';

type Json = Record<string, unknown>;

/** The paths the document covers: the API, the health probe and the metrics. */
export function documentedPath(path: string): boolean {
  return path.startsWith('/api/') || path === '/health' || path === '/metrics';
}

/** A zod schema as JSON Schema 2020-12 (OpenAPI 3.1's dialect), as a client sends it (input side). */
export function jsonSchemaOf(schema: z.ZodType): Json {
  try {
    const out = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' }) as Json;
    delete out.$schema;
    return out;
  } catch {
    return {}; // a schema JSON Schema cannot express: any value, as the route's own validation still decides
  }
}

const SIGNATURE_HELP: Record<string, string> = {
  'X-Hub-Signature-256': 'sha256=<hex HMAC-SHA256 of the raw body> with a webhook secret (POST /api/webhook-secrets)',
  'X-Gitlab-Token': 'a gitlab webhook secret (POST /api/webhook-secrets) or the team key',
  'X-Slack-Signature': "v0=<hex HMAC-SHA256 of 'v0:<X-Slack-Request-Timestamp>:<raw body>'> with the Slack app's signing secret",
};

function security(auth: RouteAuth | undefined): Array<Record<string, string[]>> {
  if (!auth) return [];
  if (auth.kind === 'role') return [{ bearerAuth: [] }];
  if (auth.kind === 'signature') return [{ [auth.scheme]: [] }];
  return [{ bearerAuth: [] }, { [auth.scheme]: [] }];
}

function whoMayCall(route: MountedRoute): string {
  const auth = route.auth;
  if (!auth) return 'Open: no key needed.';
  if (auth.kind === 'signature') return `Authenticated by its ${auth.scheme} header, never by an API key.`;
  const role = `an API key whose role is \`${auth.role}\` or higher`;
  if (route.path === '/metrics') return `Bearer METRICS_TOKEN, or ${role}.`;
  if (auth.kind === 'role-or-signature') return `Bearer ${role}, or an ${auth.scheme} signature.`;
  return `Bearer ${role}.`;
}

function content(r: ResponseDoc): Json | undefined {
  switch (r.kind ?? 'json') {
    case 'none':
      return undefined;
    case 'sse':
      return { 'text/event-stream': { schema: { type: 'string', description: 'Server-Sent Events' } } };
    case 'text':
      return { 'text/plain': { schema: { type: 'string' } } };
    case 'html':
      return { 'text/html': { schema: { type: 'string' } } };
    default: {
      const s = r.schema ?? 'object';
      const schema = s === 'object' ? { type: 'object' } : s === 'array' ? { type: 'array', items: { type: 'object' } } : jsonSchemaOf(s);
      return { 'application/json': { schema } };
    }
  }
}

function responses(route: MountedRoute, doc: RouteDoc | undefined, params: string[]): Json {
  const out: Json = {};
  for (const [status, r] of Object.entries(doc?.responses ?? { 200: { description: 'OK' } })) {
    const body = content(r);
    out[status] = body ? { description: r.description, content: body } : { description: r.description };
  }
  const error = { $ref: '#/components/responses/Error' };
  if (doc?.body || doc?.query || params.length || ['POST', 'PUT', 'PATCH'].includes(route.method)) out['400'] ??= error;
  if (route.auth) out['401'] ??= error;
  if (route.auth && route.auth.kind !== 'signature') out['403'] ??= error;
  if (params.length) out['404'] ??= error;
  return out;
}

function parameters(route: MountedRoute, doc: RouteDoc | undefined, params: string[]): Json[] {
  const out: Json[] = params.map((name) => ({ name, in: 'path', required: true, schema: { type: 'string', minLength: 1 } }));
  for (const [name, schema] of Object.entries(doc?.query?.shape ?? {})) {
    const s = schema as z.ZodType;
    const json = jsonSchemaOf(s);
    out.push({ name, in: 'query', required: !s.safeParse(undefined).success, schema: json, ...(json.description ? { description: json.description } : {}) });
  }
  return out;
}

function operation(route: MountedRoute): Json {
  const doc = route.doc;
  const params = [...route.path.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1]);
  const tag = doc?.tag ?? (route.path.startsWith('/api/') ? route.path.split('/')[2] : route.path.slice(1));
  const op: Json = {
    operationId: `${route.method.toLowerCase()}${route.path.replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : ''))}`,
    summary: doc?.summary ?? `${route.method} ${route.path}`,
    description: [doc?.description, whoMayCall(route)].filter(Boolean).join('\n\n'),
    tags: [tag],
    security: security(route.auth),
    parameters: parameters(route, doc, params),
    responses: responses(route, doc, params),
  };
  if (route.auth && route.auth.kind !== 'signature') op['x-required-role'] = route.auth.role;
  if (doc?.body) {
    op.requestBody = { required: true, content: { [doc.bodyContentType ?? 'application/json']: { schema: jsonSchemaOf(doc.body) } } };
  }
  return op;
}

/**
 * The OpenAPI 3.1 document of the mounted routes: every route under /api, /health and /metrics is
 * in it because the document is made from the app's own router (a route added anywhere is covered
 * by construction); what each route says of itself (describeRoute) adds its summary and the zod
 * schemas it validates with.
 */
export function buildOpenApiDocument(routes: MountedRoute[], info: { version: string }): Json {
  const paths: Record<string, Json> = {};
  const schemes: Json = {
    bearerAuth: {
      type: 'http', scheme: 'bearer',
      description: 'An API key: TEAM_API_KEY (the bootstrap admin) or one made with POST /api/keys. Each operation names the least role it needs (reader < runner < operator < admin; webhook beside runner).',
    },
  };
  for (const route of routes) {
    if (route.method === 'ALL' || !documentedPath(route.path)) continue;
    const path = route.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    (paths[path] ??= {})[route.method.toLowerCase()] = operation(route);
    if (route.auth && route.auth.kind !== 'role') {
      schemes[route.auth.scheme] = { type: 'apiKey', in: 'header', name: route.auth.scheme, description: SIGNATURE_HELP[route.auth.scheme] ?? `the ${route.auth.scheme} header` };
    }
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'personas-cloud API',
      version: info.version,
      description: 'Runs AI personas on the Claude Code CLI across workers. JSON in and out (camelCase); every error is `{ "error": { "code", "message", "details"? } }` naming the field.',
    },
    servers: [{ url: '/' }],
    paths,
    components: {
      securitySchemes: schemes,
      schemas: {
        Error: {
          type: 'object', required: ['error'],
          properties: {
            error: {
              type: 'object', required: ['code', 'message'],
              properties: {
                code: { type: 'string' }, message: { type: 'string' },
                details: { type: 'array', items: { type: 'object', properties: { field: { type: 'string' }, message: { type: 'string' } } } },
              },
            },
          },
        },
      },
      responses: { Error: { description: 'An error naming what was wrong', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } } },
    },
  };
}
