import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379';

/** A queue prefix no other run or test file shares. */
export function uniquePrefix(label = 't'): string {
  return `pc-test-${label}-${process.pid}-${randomBytes(4).toString('hex')}`;
}

export function tempDir(label = 'pc'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `${label}-`));
}

export const TEST_KEYS = {
  MASTER_KEY: 'a'.repeat(64),
  TEAM_API_KEY: 'dac_test_team_key_0123456789abcdef',
  WORKER_TOKEN: 'worker_test_token_0123456789abcdef',
};
