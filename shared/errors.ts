/**
 * Error classes that say what went wrong in terms the HTTP layer (and queues) can act on.
 * The error middleware maps each to a status code and the `{ error: { code, message, details } }` body.
 */
export class AppError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class ValidationError extends AppError {
  constructor(message: string, details?: unknown) {
    super(message, 400, 'validation_error', details);
  }
}

export class NotFoundError extends AppError {
  constructor(what: string, id: string) {
    super(`${what} '${id}' not found`, 404, 'not_found', { resource: what, id });
  }
}

export class ConflictError extends AppError {
  constructor(message: string, details?: unknown) {
    super(message, 409, 'conflict', details);
  }
}

export class UnauthorizedError extends AppError {
  constructor(message = 'missing or invalid credentials') {
    super(message, 401, 'unauthorized');
  }
}

/** The caller is known but its role does not allow this; the message names the role needed. */
export class ForbiddenError extends AppError {
  constructor(message: string) {
    super(message, 403, 'forbidden');
  }
}

/** A dependency (Redis, the OAuth provider, …) did not answer as needed; the request may be retried. */
export class UnavailableError extends AppError {
  constructor(message: string, details?: unknown) {
    super(message, 503, 'unavailable', details);
  }
}

/** An upstream service answered with an error (e.g. the OAuth token endpoint refused a code). */
export class UpstreamError extends AppError {
  constructor(message: string, details?: unknown) {
    super(message, 502, 'upstream_error', details);
  }
}

/** Startup configuration is invalid; the message names the variable. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}
