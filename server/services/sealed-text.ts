import { decrypt, DecryptionError, encrypt, type EncryptedBlob } from '../../shared/crypto';

/**
 * A secret as stored in a text column: the JSON of its AES-256-GCM blob. Opening text that is not
 * such JSON, or was sealed under another key, throws DecryptionError.
 */
export function sealText(secret: string, key: Buffer): string {
  return JSON.stringify(encrypt(secret, key));
}

export function openSealedText(sealed: string, key: Buffer): string {
  let blob: EncryptedBlob;
  try {
    blob = JSON.parse(sealed) as EncryptedBlob;
  } catch {
    throw new DecryptionError();
  }
  return decrypt(blob, key);
}
