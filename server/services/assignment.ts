import type { Knex } from 'knex';
import type { AssignPayload } from '../../shared/socket-events';
import type { Execution } from '../db/executions';
import { getPersona, type Persona } from '../db/personas';
import { cachedConfig } from '../db/config-cache';
import { listPersonaTools } from '../db/tools';
import { claudeTokenEnv } from '../domain/claude-token';
import { assemblePrompt } from '../domain/prompt';
import { AssignmentError } from './assignment-error';
import { CredentialDecryptionError, CredentialEnvConflictError, loadPersonaCredentialEnv } from './credentials';

/**
 * The Claude Code tools of a persona whose `allowedTools` is null (and of a raw execution). Linked
 * tool definitions are APIs the persona calls through Bash (curl) or WebFetch, so they need no entry
 * of their own, but a persona with tool definitions needs one of those two.
 */
export const DEFAULT_ALLOWED_TOOLS = ['Bash', 'Read', 'Write', 'Edit', 'Glob', 'Grep', 'WebFetch', 'WebSearch', 'TodoWrite'];

export interface AssignmentDeps {
  db: Knex;
  masterKey: Buffer;
  defaultTimeoutMs: number;
  /** The Claude token to run with (stored OAuth/injected token, else CLAUDE_TOKEN), if any. */
  claudeToken(): Promise<string | undefined>;
}

/**
 * A stored budget of 0 or less (the API accepted 0 before it had to be positive) sets no limit: the
 * CLI would otherwise end every run before its first turn.
 */
function budgetOf(persona: Persona | undefined): number | undefined {
  const budget = persona?.maxBudgetUsd;
  return budget !== null && budget !== undefined && budget > 0 ? budget : undefined;
}

/** `modelProfile` is free text from the desktop app: a model id, or JSON with a `model` field. */
export function modelFromProfile(profile: string | null): string | undefined {
  if (!profile) return undefined;
  try {
    const parsed = JSON.parse(profile) as { model?: unknown };
    return typeof parsed?.model === 'string' && parsed.model ? parsed.model : undefined;
  } catch {
    return /^[\w.:-]+$/.test(profile) ? profile : undefined;
  }
}

async function personaOf(db: Knex, execution: Execution, loaded?: Persona): Promise<Persona | undefined> {
  if (!execution.personaId) return undefined;
  const persona = loaded?.id === execution.personaId ? loaded : await getPersona(db, execution.personaId);
  if (!persona) throw new AssignmentError(`persona_not_found: persona '${execution.personaId}' no longer exists`);
  if (!persona.enabled) throw new AssignmentError(`persona_disabled: persona '${persona.name}' was disabled before the run started`);
  return persona;
}

async function credentialsOf(deps: AssignmentDeps, persona: Persona | undefined) {
  if (!persona) return { env: {}, names: [], secrets: [] as string[] };
  try {
    return await loadPersonaCredentialEnv(deps.db, deps.masterKey, persona.id);
  } catch (err) {
    if (err instanceof CredentialDecryptionError || err instanceof CredentialEnvConflictError) {
      throw new AssignmentError(`credential_error: ${err.message}`);
    }
    throw err;
  }
}

async function tokenOf(deps: AssignmentDeps): Promise<string> {
  const token = await deps.claudeToken();
  if (!token) {
    throw new AssignmentError('no_claude_token: connect a Claude subscription (POST /api/oauth/authorize) or set CLAUDE_TOKEN / POST /api/token');
  }
  return token;
}

/** A run's time limit: the execution's own, else its persona's, else the default (DEFAULT_TIMEOUT_MS). */
export function timeoutOf(execution: Pick<Execution, 'timeoutMs'>, persona: Pick<Persona, 'timeoutMs'> | undefined, defaultTimeoutMs: number): number {
  return execution.timeoutMs ?? persona?.timeoutMs ?? defaultTimeoutMs;
}

/**
 * Everything a worker needs for one execution: the assembled prompt (raw prompt without a persona),
 * the env (decrypted credentials + Claude token), timeout (request, else persona, else default),
 * the persona's tools (else DEFAULT_ALLOWED_TOOLS), hosts, model, turn and budget limits; plus the
 * secret values the output must be scrubbed of.
 * `loadedPersona` saves a read when the caller has the persona already. Throws AssignmentError with
 * a reason a person can act on.
 */
export async function buildAssignment(
  deps: AssignmentDeps,
  execution: Execution,
  loadedPersona?: Persona,
): Promise<{ payload: AssignPayload; secrets: string[] }> {
  const persona = await personaOf(deps.db, execution, loadedPersona);
  const tools = persona ? await cachedConfig(deps.db, `tools:${persona.id}`, () => listPersonaTools(deps.db, persona.id)) : [];
  const credentials = await credentialsOf(deps, persona);
  const token = await tokenOf(deps);
  const prompt = assemblePrompt({
    persona: persona ?? null,
    tools,
    credentialEnvNames: credentials.names,
    input: execution.inputData ?? null,
    task: execution.prompt,
  });
  const payload: AssignPayload = {
    executionId: execution.id,
    prompt,
    env: { ...credentials.env, ...claudeTokenEnv(token) },
    timeoutMs: timeoutOf(execution, persona, deps.defaultTimeoutMs),
    allowedTools: persona?.allowedTools ?? DEFAULT_ALLOWED_TOOLS,
    allowedHosts: persona?.allowedHosts ?? [],
    model: modelFromProfile(persona?.modelProfile ?? null),
    maxTurns: persona?.maxTurns ?? undefined,
    maxBudgetUsd: budgetOf(persona),
  };
  return { payload, secrets: [...credentials.secrets, token] };
}

/** The secret values of an execution (to scrub output of a run adopted after a restart). */
export async function executionSecrets(deps: AssignmentDeps, execution: Execution): Promise<string[]> {
  const persona = execution.personaId ? await getPersona(deps.db, execution.personaId) : undefined;
  const credentials = await credentialsOf(deps, persona);
  const token = await deps.claudeToken();
  return token ? [...credentials.secrets, token] : credentials.secrets;
}
