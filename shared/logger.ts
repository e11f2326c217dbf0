import pino, { type Logger } from 'pino';
import type { PrettyOptions } from 'pino-pretty';
import { z } from 'zod';

/**
 * Paths that could carry a secret if someone ever logs a request, config or assignment.
 * Belt and braces: code never logs these objects on purpose.
 */
const REDACT = [
  'authorization', '*.authorization', 'req.headers.authorization', 'req.headers["x-gitlab-token"]',
  'token', '*.token', 'accessToken', '*.accessToken', 'refreshToken', '*.refreshToken',
  'env', '*.env', 'masterKey', '*.masterKey', 'teamApiKey', 'workerToken', 'claudeToken', '*.claudeToken',
  'data', '*.encryptedData', 'password', '*.password', 'secret', '*.secret',
];

export type { Logger };

/** How log lines look: one JSON object a line (for collectors), or coloured text for a person. */
export type LogFormat = 'json' | 'pretty';

/** LOG_FORMAT: `json`, `pretty`, or `auto` (the default): pretty in a terminal outside production. */
export const logFormatVar = () =>
  z.preprocess((v) => (v === undefined || v === '' ? 'auto' : v), z.enum(['auto', 'json', 'pretty'], { error: 'must be auto, json or pretty' }));

/** `auto` becomes `pretty` only when stdout is a terminal and NODE_ENV is not production. */
export function resolveLogFormat(setting: 'auto' | LogFormat, o: { isTTY: boolean; production: boolean }): LogFormat {
  if (setting !== 'auto') return setting;
  return o.isTTY && !o.production ? 'pretty' : 'json';
}

/**
 * The process's logger. `pretty` formats in-process and synchronously (no worker thread), coloured
 * even when stdout is a pipe (npm start prefixes its children's lines); redaction applies either way.
 */
export function createLogger(name: string, level = 'info', format: LogFormat = 'json', destination?: NodeJS.WritableStream): Logger {
  const options = { name, level, redact: { paths: REDACT, censor: '[REDACTED]' } };
  if (format === 'json') return destination ? pino(options, destination) : pino(options);
  // Loaded only when used: it costs ~100 ms of start-up that JSON logging never pays.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const pretty = require('pino-pretty') as typeof import('pino-pretty');
  const prettyOptions: PrettyOptions = { colorize: true, sync: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' };
  return pino(options, pretty(destination ? { ...prettyOptions, destination } : prettyOptions));
}
