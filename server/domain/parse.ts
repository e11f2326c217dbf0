import type { z } from 'zod';
import { ValidationError } from '../../shared/errors';

/**
 * Parses `input` or throws a ValidationError whose message and details name each bad field.
 * Used by the HTTP routes and by services that validate input from any caller (events published
 * by triggers, personas, webhooks), so it lives below both.
 */
export function parse<T extends z.ZodTypeAny>(schema: T, input: unknown, where = 'body'): z.infer<T> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const details = result.error.issues.map((i) => ({
    field: i.path.length ? i.path.join('.') : where,
    message: i.message,
  }));
  const summary = details.map((d) => `${d.field}: ${d.message}`).join('; ');
  throw new ValidationError(`invalid ${where}: ${summary}`, details);
}
