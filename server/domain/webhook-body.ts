/**
 * A webhook's raw bytes → its JSON value (pure). Signed webhooks are parsed here rather than by
 * express.json because the signature covers the bytes as received, so the route reads them raw,
 * verifies, and only then parses.
 */

export type BodyParse = { ok: true; body: unknown } | { ok: false; field: string; message: string; unsupportedMedia?: true };

/** The charsets a webhook body may declare: the bytes are read as UTF-8 (ASCII is a subset). */
const CHARSETS = new Set(['utf-8', 'utf8', 'us-ascii']);

/**
 * JSON, or the form encoding GitHub uses for hooks whose content type is
 * `application/x-www-form-urlencoded` (the JSON in a `payload` field). An empty body is `undefined`.
 * The bytes must be UTF-8 (a declared charset other than UTF-8 or ASCII is refused).
 */
export function parseWebhookBody(raw: Buffer, contentType: string | undefined): BodyParse {
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(contentType ?? '')?.[1]?.toLowerCase();
  if (charset !== undefined && !CHARSETS.has(charset)) {
    return { ok: false, field: 'Content-Type', message: `charset ${charset} is not supported (UTF-8 only)`, unsupportedMedia: true };
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(raw);
  } catch {
    return { ok: false, field: 'body', message: 'is not valid UTF-8' };
  }
  const form = (contentType ?? '').split(';')[0].trim().toLowerCase() === 'application/x-www-form-urlencoded';
  let json = text;
  if (form) {
    const payload = new URLSearchParams(text).get('payload');
    if (payload === null) return { ok: false, field: 'payload', message: 'is required in a form-encoded delivery' };
    json = payload;
  }
  if (json.trim() === '') return { ok: true, body: undefined };
  try {
    return { ok: true, body: JSON.parse(json) };
  } catch {
    return { ok: false, field: form ? 'payload' : 'body', message: 'is not valid JSON' };
  }
}
