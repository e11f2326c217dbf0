import fs from 'node:fs';
import path from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import { ConfigError } from './errors';

/**
 * Where a command's settings come from, the same for every command (`npm start`, the orchestrator,
 * a worker, `npm run migrate`, the scripts): the environment, then `.env` in the working directory
 * for what the environment leaves unset, then `NAME_FILE` for the secrets that may live in a file.
 * Only `config.ts` files and scripts call this; nothing here touches `process.env`.
 */

/** Settings that may be given as `NAME_FILE=/path` (Docker secrets, systemd credentials) instead of `NAME`. */
export const FILE_VARIANTS = ['MASTER_KEY', 'TEAM_API_KEY', 'WORKER_TOKEN', 'CLAUDE_TOKEN', 'REDIS_URL', 'DATABASE_URL'] as const;

export interface LoadedEnv {
  /** The environment with `.env` and `*_FILE` values filled in; every `*_FILE` itself removed. */
  env: NodeJS.ProcessEnv;
  /** Names taken from `.env` (for a start-up line; never the values). */
  fromDotenv: string[];
  /** Names read from a `NAME_FILE`. */
  fromFiles: string[];
}

export interface LoadEnvOptions {
  /** Default: the process environment (copied, never modified). */
  env?: NodeJS.ProcessEnv;
  /** Default: `.env` in the working directory. A missing file is an empty one. */
  dotenvFile?: string;
}

const isSet = (v: string | undefined): v is string => v !== undefined && v !== '';

/**
 * The environment a command parses its configuration from.
 *
 * - `.env` fills in only the variables in `names` (the ones this command reads, plus `NAME_FILE` for
 *   each of FILE_VARIANTS among them): a worker given a shared `.env` never loads MASTER_KEY.
 * - The environment wins, per setting: when it sets `NAME` or `NAME_FILE`, `.env` has no say on either.
 *   An empty value counts as unset.
 * - `NAME` and `NAME_FILE` both set is an error (ConfigError naming both); `NAME_FILE` is read (one
 *   trailing newline dropped) and becomes `NAME`. An unreadable or empty file is an error naming it.
 */
export function loadEnv(names: readonly string[], opts: LoadEnvOptions = {}): LoadedEnv {
  const base = opts.env ?? process.env;
  const env: NodeJS.ProcessEnv = { ...base };
  const dotenv = readDotenv(opts.dotenvFile ?? path.resolve('.env'));
  const fileVariants = FILE_VARIANTS.filter((n) => names.includes(n));

  const fromDotenv: string[] = [];
  const take = (name: string) => {
    if (isSet(env[name]) || !isSet(dotenv[name])) return;
    env[name] = dotenv[name];
    fromDotenv.push(name);
  };
  for (const name of names) {
    if (!(FILE_VARIANTS as readonly string[]).includes(name)) take(name);
  }
  for (const name of fileVariants) {
    const file = `${name}_FILE`;
    if (isSet(base[name]) || isSet(base[file])) continue;
    take(name);
    take(file);
  }

  const fromFiles: string[] = [];
  for (const name of fileVariants) {
    const file = `${name}_FILE`;
    if (!isSet(env[file])) {
      delete env[file];
      continue;
    }
    if (isSet(env[name])) {
      throw new ConfigError(`invalid configuration: ${name} and ${file} are both set; set one of them`);
    }
    env[name] = readSecretFile(file, env[file]);
    delete env[file];
    fromFiles.push(name);
  }
  return { env, fromDotenv, fromFiles };
}

/** `KEY=value` pairs of a dotenv file; none when it does not exist. */
export function readDotenv(file: string): Record<string, string> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new ConfigError(`cannot read ${file}: ${(err as Error).message}`);
  }
  return parseDotenv(text);
}

function readSecretFile(variable: string, file: string): string {
  let text: string;
  try {
    text = fs.readFileSync(path.resolve(file), 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new ConfigError(`invalid configuration: ${variable}: cannot read ${file} (${code})`);
  }
  const value = text.replace(/\r?\n$/, '');
  if (value.trim() === '') throw new ConfigError(`invalid configuration: ${variable}: ${file} is empty`);
  return value;
}
