/**
 * `npm run encrypt-credential -- '<secret>'` (or the secret on stdin): prints the guide's
 * `{"encryptedData","iv","tag"}` for `POST /api/credentials`, sealed with MASTER_KEY.
 *
 * MASTER_KEY comes from the environment (or .env, or MASTER_KEY_FILE), else from the `secrets.env` that `npm start` generated next to
 * the database (DAC_DB_PATH's folder, `./data` by default). The secret may be a JSON object (one variable
 * per field at dispatch) or any string. Neither the secret nor the key is ever printed.
 *
 * Prefer `echo '{"token":"…"}' | npm run -s encrypt-credential`: an argument lands in the shell history,
 * and `-s` keeps npm's own banner off stdout so the JSON can be piped on.
 */
import path from 'node:path';
import { encrypt, parseMasterKey, type EncryptedBlob } from '../shared/crypto';
import { loadEnv } from '../shared/env-sources';
import { ConfigError } from '../shared/errors';
import { dataDirFor, readSecretsFile, SECRETS_FILE_NAME } from '../server/secrets-file';

export class UsageError extends Error {}

/** Finds the key: the environment first, then the generated secrets file. `from` says where (for stderr). */
export function resolveMasterKey(env: NodeJS.ProcessEnv): { key: Buffer; from: string } {
  let hex = env.MASTER_KEY;
  let from = 'MASTER_KEY';
  if (!hex) {
    const file = path.join(dataDirFor(env), SECRETS_FILE_NAME);
    hex = readSecretsFile(file).MASTER_KEY;
    from = file;
  }
  if (!hex) {
    throw new UsageError("MASTER_KEY is not set: export the orchestrator's MASTER_KEY (or run this next to the ./data/secrets.env that npm start generated)");
  }
  try {
    return { key: parseMasterKey(hex.trim()), from };
  } catch (err) {
    const message = (err as Error).message;
    throw new UsageError(from === 'MASTER_KEY' ? message : `${from}: ${message}`);
  }
}

/**
 * Seals `input` (surrounding whitespace trimmed, so `echo` and heredocs add no newline to the secret).
 * Input that looks like a JSON object must parse as one: otherwise it would silently become a single
 * plain-string variable instead of one variable per field.
 */
export function encryptCredential(input: string, key: Buffer): EncryptedBlob {
  const secret = input.trim();
  if (secret === '') throw new UsageError('no credential given: pass it as an argument or on stdin');
  if (secret.startsWith('{')) {
    try {
      JSON.parse(secret);
    } catch (err) {
      throw new UsageError(`the credential starts with "{" but is not valid JSON (${(err as Error).name}); fix it or quote it as a plain string`);
    }
  }
  return encrypt(secret, key);
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function main(argv: string[]): Promise<void> {
  const args = argv.filter((a) => a !== '--');
  if (args.includes('-h') || args.includes('--help')) {
    process.stdout.write("usage: npm run encrypt-credential -- '<json or string>'   (or pipe it on stdin)\n");
    return;
  }
  const { key, from } = resolveMasterKey(loadEnv(['MASTER_KEY', 'DAC_DB_PATH']).env);
  if (args.length === 0 && process.stdin.isTTY) process.stderr.write('reading the credential from stdin (end with Ctrl-D)...\n');
  const input = args.length > 0 && args[0] !== '-' ? args.join(' ') : await readStdin();
  const blob = encryptCredential(input, key);
  process.stderr.write(`encrypted with the key from ${from}\n`);
  process.stdout.write(`${JSON.stringify(blob)}\n`);
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    // Only our own messages: an unexpected error's text could in principle quote its input.
    const message = err instanceof UsageError || err instanceof ConfigError ? err.message : `unexpected ${(err as Error)?.name ?? 'error'}`;
    process.stderr.write(`encrypt-credential: ${message}\n`);
    process.exit(1);
  });
}
