/**
 * A webhook's raw bytes → its JSON value (pure). Signed webhooks are parsed here rather than by
 * express.json because the signature covers the bytes as received, so the route reads them raw,
 * verifies, and only then parses.
 */

export type BodyParse = { ok: true; body: unknown } | { ok: false; field: string; message: string };

/**
 * JSON, or the form encoding GitHub uses for hooks whose content type is
 * `application/x-www-form-urlencoded` (the JSON in a `payload` field). An empty body is `undefined`.
 * The bytes must be UTF-8.
 */
export function parseWebhookBody(raw: Buffer, contentType: string | undefined): BodyParse {
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
