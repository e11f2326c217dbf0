import { Router } from 'express';
import { z } from 'zod';
import { CLAUDE_TOKEN_SHAPE } from '../../domain/claude-token';
import type { AppContext } from '../context';
import { bodyObject, parse } from '../validate';
import { requireRole } from '../../auth/express';
import { describeRoute } from '../openapi/describe';

const callbackBody = z.object({
  /** As shown by Anthropic's callback page: `code#state` is accepted, then `state` may be omitted. */
  code: z.string({ error: 'is required' }).trim().min(1, 'must not be empty').max(4096),
  state: z.string().trim().min(1, 'must not be empty').max(1024).optional(),
});

const tokenBody = z.object({
  token: z
    .string({ error: 'is required' })
    .trim()
    .max(10_000)
    .regex(CLAUDE_TOKEN_SHAPE, 'must be a Claude token: sk-ant-oat… (subscription) or sk-ant-api… (API key) followed by at least 20 letters, digits, - or _'),
  expiresAt: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time' }).nullable().optional(),
});

/**
 * The Claude connection: the OAuth flow (authorize → callback), status, refresh, disconnect, and
 * direct token injection. Every answer is the connection status (or the URL to open): never a token.
 */
export function oauthRouter(ctx: AppContext): Router {
  const r = Router();
  const tokens = ctx.claudeToken;

  r.post('/oauth/authorize', requireRole('admin'), describeRoute({ summary: 'Start the Claude OAuth flow: the URL to open' }), async (_req, res) => {
    res.json(await tokens.authorize());
  });

  r.post('/oauth/callback', requireRole('admin'), describeRoute({ summary: 'Finish the OAuth flow with the code Anthropic shows', body: callbackBody }), async (req, res) => {
    const { code, state } = parse(callbackBody, bodyObject(req.body));
    res.json(await tokens.callback(code, state));
  });

  r.get('/oauth/status', requireRole('admin'), describeRoute({ summary: 'The Claude connection (never the token)' }), async (_req, res) => {
    res.json(await tokens.status());
  });

  r.post('/oauth/refresh', requireRole('admin'), describeRoute({ summary: 'Refresh the stored OAuth token now' }), async (_req, res) => {
    res.json(await tokens.refresh());
  });

  r.delete('/oauth/disconnect', requireRole('admin'), describeRoute({ summary: 'Forget the stored Claude token' }), async (_req, res) => {
    res.json({ disconnected: true, ...(await tokens.disconnect()) });
  });

  r.post('/token', requireRole('admin'), describeRoute({ summary: 'Store a Claude token directly (subscription or API key)', tag: 'oauth', body: tokenBody }), async (req, res) => {
    const { token, expiresAt } = parse(tokenBody, bodyObject(req.body));
    res.json(await tokens.injectToken(token, { expiresAt: expiresAt ?? undefined }));
  });

  return r;
}
