import { z } from 'zod';
import { ValidationError } from '../../shared/errors';

/**
 * A field the guide sends as a JSON string (`structuredPrompt`, `config`, `metadata`, `payload`):
 * accepted as a string holding JSON or as the value itself, and yielding the parsed value.
 */
export function jsonField<T extends z.ZodTypeAny>(inner: T) {
  return z.preprocess((v, ctx) => {
    if (typeof v !== 'string') return v;
    try {
      return JSON.parse(v);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be valid JSON (a JSON string or an object)' });
      return z.NEVER;
    }
  }, inner);
}

/** Any JSON object, given as an object or as a JSON string. */
export const jsonObject = () => jsonField(z.record(z.string(), z.unknown()));

/** Parses `input` or throws a ValidationError naming each bad field (lives in domain/: services use it too). */
export { parse } from '../domain/parse';

/** The request body as an object, or a 400 saying a JSON object was expected. */
export function bodyObject(body: unknown): Record<string, unknown> {
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body)) {
    throw new ValidationError('invalid body: expected a JSON object', [{ field: 'body', message: 'expected a JSON object' }]);
  }
  return body as Record<string, unknown>;
}

export const idParam = z.string().min(1).max(200);
