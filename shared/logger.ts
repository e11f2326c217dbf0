import pino, { type Logger } from 'pino';

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

export function createLogger(name: string, level = 'info'): Logger {
  return pino({ name, level, redact: { paths: REDACT, censor: '[REDACTED]' } });
}
