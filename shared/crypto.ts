import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/** AES-256-GCM ciphertext in the guide's wire form: three hex strings. */
export interface EncryptedBlob {
  encryptedData: string;
  iv: string;
  tag: string;
}

const ALGORITHM = 'aes-256-gcm';
const IV_BYTES = 12;
const KEY_BYTES = 32;
const TAG_BYTES = 16;

/** Parses a hex-encoded 32-byte key; throws naming what is wrong (never echoing the key). */
export function parseMasterKey(hex: string): Buffer {
  if (!/^[0-9a-fA-F]+$/.test(hex)) throw new Error('MASTER_KEY must be hex-encoded');
  const key = Buffer.from(hex, 'hex');
  if (key.length !== KEY_BYTES) {
    throw new Error(`MASTER_KEY must be ${KEY_BYTES} bytes (${KEY_BYTES * 2} hex characters), got ${key.length} bytes`);
  }
  return key;
}

export function encrypt(plaintext: string, key: Buffer): EncryptedBlob {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv(ALGORITHM, key, iv);
  const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return { encryptedData: data.toString('hex'), iv: iv.toString('hex'), tag: cipher.getAuthTag().toString('hex') };
}

export class DecryptionError extends Error {
  constructor() {
    super('decryption failed: the data was encrypted with a different MASTER_KEY or has been altered');
    this.name = 'DecryptionError';
  }
}

/** Decrypts and authenticates; a wrong key or tampered data throws DecryptionError, never garbage. */
export function decrypt(blob: EncryptedBlob, key: Buffer): string {
  try {
    // Pin the tag length: Node would otherwise accept a truncated (weaker) tag.
    const decipher = createDecipheriv(ALGORITHM, key, Buffer.from(blob.iv, 'hex'), { authTagLength: TAG_BYTES });
    decipher.setAuthTag(Buffer.from(blob.tag, 'hex'));
    return Buffer.concat([decipher.update(Buffer.from(blob.encryptedData, 'hex')), decipher.final()]).toString('utf8');
  } catch {
    // The cipher's own message says nothing useful ("Unsupported state or unable to authenticate data").
    throw new DecryptionError();
  }
}
