import type { IncomingHttpHeaders } from 'node:http';
import type { Logger } from 'pino';
import { UnauthorizedError } from '../../shared/errors';
import type { WebhookSource } from '../db/webhook-secrets';
import {
  verifyHubSignature, verifySlackSignature, verifyToken, type SignatureFailure, type Verification,
} from '../domain/webhook-signatures';
import { markSecretUsed, secretCandidates, type SecretCandidate, type WebhookSecretDeps } from './webhook-secrets';

/** Refused webhook deliveries since start, per route and reason (logged and counted, never audited). */
export class WebhookRejections {
  private readonly counts = new Map<string, Map<SignatureFailure, number>>();

  count(route: string, reason: SignatureFailure): void {
    const byReason = this.counts.get(route) ?? new Map<SignatureFailure, number>();
    this.counts.set(route, byReason);
    byReason.set(reason, (byReason.get(reason) ?? 0) + 1);
  }

  /** `{ github: { total: 3, mismatch: 2, stale_timestamp: 1 }, … }`. */
  snapshot(): Record<string, Record<string, number>> {
    const out: Record<string, Record<string, number>> = {};
    for (const [route, byReason] of this.counts) {
      let total = 0;
      const entry: Record<string, number> = {};
      for (const [reason, n] of byReason) {
        entry[reason] = n;
        total += n;
      }
      out[route] = { total, ...entry };
    }
    return out;
  }
}

export interface VerifyDeps {
  secrets: WebhookSecretDeps;
  logger: Logger;
  rejections: WebhookRejections;
  /** TEAM_API_KEY: still accepted as `X-Gitlab-Token`, as the deployment guide configures GitLab. */
  teamApiKey: string;
  /** Unix seconds (Slack's replay window); injected for tests. */
  nowSeconds?: () => number;
}

/** What a verified delivery was signed with: a stored secret, or the team key (GitLab only). */
export type Verifier = SecretCandidate | { id: 'bootstrap'; source: 'gitlab'; personaId: null; secret: string };

export interface SignedRequest {
  raw: Buffer;
  headers: IncomingHttpHeaders;
  /** The caller's address, for the log line of a refusal. */
  address?: string;
}

const MESSAGES: Record<SignatureFailure, string> = {
  missing_signature: 'is missing',
  malformed_signature: 'is malformed',
  missing_timestamp: 'needs X-Slack-Request-Timestamp',
  stale_timestamp: 'has a timestamp more than 5 minutes away (replayed or clock skew)',
  mismatch: 'does not match any configured secret',
};

/** Answers the match, or logs, counts and throws a 401 naming the header (never the secret or body). */
function settle<T extends Verifier>(deps: VerifyDeps, route: string, header: string, v: Verification<T>, address?: string): T {
  if (v.ok) {
    if (v.match.id !== 'bootstrap') void markSecretUsed(deps.secrets, v.match.id);
    return v.match;
  }
  deps.rejections.count(route, v.reason);
  deps.logger.warn({ route, reason: v.reason, address }, 'webhook delivery refused: signature check failed');
  throw new UnauthorizedError(`${header} ${MESSAGES[v.reason]}`);
}

/** `POST /api/github/webhook`: `X-Hub-Signature-256` with any github secret. */
export async function verifyGithub(deps: VerifyDeps, req: SignedRequest): Promise<Verifier> {
  const candidates = await secretCandidates(deps.secrets, ['github']);
  return settle(deps, 'github', 'X-Hub-Signature-256', verifyHubSignature(req.raw, req.headers['x-hub-signature-256'], candidates), req.address);
}

/** `POST /api/gitlab/webhook`: `X-Gitlab-Token` equal to any gitlab secret, or to the team key. */
export async function verifyGitlab(deps: VerifyDeps, req: SignedRequest): Promise<Verifier> {
  const candidates: Verifier[] = [
    ...(await secretCandidates(deps.secrets, ['gitlab'])),
    { id: 'bootstrap', source: 'gitlab', personaId: null, secret: deps.teamApiKey },
  ];
  return settle(deps, 'gitlab', 'X-Gitlab-Token', verifyToken(req.headers['x-gitlab-token'], candidates), req.address);
}

/** `POST /api/slack/events`: Slack's v0 signature with any slack secret, within 5 minutes. */
export async function verifySlack(deps: VerifyDeps, req: SignedRequest): Promise<Verifier> {
  const candidates = await secretCandidates(deps.secrets, ['slack']);
  const v = verifySlackSignature(
    {
      body: req.raw,
      timestamp: req.headers['x-slack-request-timestamp'],
      signature: req.headers['x-slack-signature'],
      nowSeconds: deps.nowSeconds?.() ?? Math.floor(Date.now() / 1000),
    },
    candidates,
  );
  return settle(deps, 'slack', 'X-Slack-Signature', v, req.address);
}

const PERSONA_SOURCES: readonly WebhookSource[] = ['generic', 'github'];

/** `POST /api/webhooks/:personaId` without a Bearer key: `X-Hub-Signature-256` with a generic or github secret bound to that persona. */
export async function verifyPersonaWebhook(deps: VerifyDeps, personaId: string, req: SignedRequest): Promise<Verifier> {
  const candidates = await secretCandidates(deps.secrets, PERSONA_SOURCES, personaId);
  return settle(deps, 'generic', 'X-Hub-Signature-256', verifyHubSignature(req.raw, req.headers['x-hub-signature-256'], candidates), req.address);
}
