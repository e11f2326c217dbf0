/**
 * Who may do what. Pure: no I/O, no Express.
 *
 * The reading roles form a ladder, `reader` < `runner` < `operator` < `admin`: each may do what the
 * ones below it may. `webhook` stands beside the ladder: it may only deliver webhooks, which
 * `runner` and up may do too (they may publish events anyway); `reader` may not (it only reads).
 */
export const ROLES = ['admin', 'operator', 'runner', 'reader', 'webhook'] as const;
export type Role = (typeof ROLES)[number];

/** For each role, the requirements it satisfies. */
const SATISFIES: Record<Role, readonly Role[]> = {
  admin: ROLES,
  operator: ['operator', 'runner', 'reader', 'webhook'],
  runner: ['runner', 'reader', 'webhook'],
  reader: ['reader'],
  webhook: ['webhook'],
};

/** What each role is for, as the README's role table and the 403 message say it. */
export const ROLE_SUMMARY: Record<Role, string> = {
  admin: 'everything, including API keys, worker tokens, the Claude connection and the audit log',
  operator: 'read and write personas, tools, credentials, subscriptions, triggers and events; execute; cancel; resolve reviews',
  runner: 'execute, cancel and publish events; read everything a reader reads',
  reader: 'GET only (credentials are always shown without their value)',
  webhook: 'only the webhook ingress routes',
};

/** The identity of an authenticated caller, resolved once per request. */
export interface Caller {
  /** The API key's id, or `bootstrap` for TEAM_API_KEY. */
  keyId: string;
  name: string;
  role: Role;
}

/** TEAM_API_KEY: the bootstrap admin key (the guide's examples use it). */
export const BOOTSTRAP_CALLER: Readonly<Caller> = Object.freeze({ keyId: 'bootstrap', name: 'TEAM_API_KEY', role: 'admin' });

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/** True when a caller with `role` may use a route that requires `needed` (admin always may). */
export function satisfies(role: Role, needed: Role): boolean {
  return SATISFIES[role].includes(needed);
}

/** The roles that may use a route requiring `needed`, strongest first. */
export function rolesAllowed(needed: Role): Role[] {
  return ROLES.filter((r) => satisfies(r, needed));
}

/** The 403 message: names the caller's role and the roles that would do. */
export function forbiddenMessage(role: Role, needed: Role): string {
  return `this route requires the '${needed}' role (allowed: ${rolesAllowed(needed).join(', ')}); this key has the '${role}' role`;
}
