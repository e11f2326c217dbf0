import { z } from 'zod';
import { ConfigError } from './errors';

/** Integer env var with bounds; an empty string counts as unset. */
export function intVar(def: number, min = 0, max = Number.MAX_SAFE_INTEGER) {
  return z.preprocess(
    (v) => (v === undefined || v === '' ? def : Number(v)),
    z.number({ error: 'must be a number' }).int('must be an integer').min(min, `must be at least ${min}`).max(max, `must be at most ${max}`),
  );
}

export function strVar(def: string) {
  return z.preprocess((v) => (v === undefined || v === '' ? def : v), z.string());
}

/** An optional string; an empty string counts as unset. */
export function optStrVar() {
  return z.preprocess((v) => (v === '' ? undefined : v), z.string().optional());
}

/** Parses `env` with `schema`, throwing one ConfigError that names every bad variable. */
export function parseEnv<T extends z.ZodTypeAny>(schema: T, env: NodeJS.ProcessEnv): z.infer<T> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => `${i.path.join('.') || '(environment)'}: ${i.message}`);
  throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
}
