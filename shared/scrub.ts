/**
 * Redaction of known secret values (decrypted credentials, the Claude token) from text before it is
 * stored or broadcast. Pure: no I/O, the scrubber is a closure over one precompiled RegExp.
 */

/** What a secret is replaced with. */
export const REDACTED = '[REDACTED]';

/**
 * Secrets shorter than this are not redacted. A 1–3 character value (a port digit, `on`, `1`) would
 * replace every occurrence of those characters in ordinary output, destroying it, and a value that
 * short protects nothing anyway: it can be guessed.
 */
export const MIN_SECRET_LENGTH = 4;

/**
 * For a multi-line secret (a PEM key, a JSON credential), each line at least this long is also
 * redacted on its own: tools print such secrets line by line, or with different line endings, so the
 * whole value never appears in one piece. Shorter lines (`}`, `-----`) are common text and too short
 * to identify the secret; 8 characters keeps every base64 body line of a key.
 */
export const MIN_SECRET_LINE_LENGTH = 8;

const REGEX_SPECIALS = /[.*+?^${}()|[\]\\]/g;

function escapeRegExp(text: string): string {
  return text.replace(REGEX_SPECIALS, '\\$&');
}

/** encodeURIComponent, or '' for a string it cannot encode (a lone surrogate). */
function urlEncoded(text: string): string {
  try {
    return encodeURIComponent(text);
  } catch {
    // URIError: such a string cannot appear URL-encoded in output, so there is no form to redact.
    return '';
  }
}

/**
 * The forms in which one secret can show up in output: as is, trimmed, JSON-escaped (inside
 * stream-json lines and protocol messages), URL-encoded (in URLs a tool prints), and, for a
 * multi-line secret, each long enough line.
 */
export function secretVariants(secret: string): string[] {
  const forms = [secret, secret.trim(), JSON.stringify(secret).slice(1, -1), urlEncoded(secret)];
  if (/[\r\n]/.test(secret)) {
    for (const line of secret.split(/\r?\n|\r/)) if (line.trim().length >= MIN_SECRET_LINE_LENGTH) forms.push(line.trim());
  }
  return forms.filter((form) => form.length >= MIN_SECRET_LENGTH);
}

/**
 * Builds a scrubber replacing every occurrence of every secret with `[REDACTED]`.
 *
 * - Secrets that are not strings, empty, or shorter than MIN_SECRET_LENGTH are ignored.
 * - Each secret's variants are redacted too (see `secretVariants`).
 * - Overlapping or nested matches are redacted as one span: a secret containing another is
 *   redacted whole, and two secrets overlapping in the text leave no fragment of either.
 * - One RegExp is compiled here, so build the scrubber once per execution and reuse it; with no
 *   usable secret the scrubber returns its input unchanged.
 * - It sees one string at a time: a secret split across two strings is not found. Scrub whole
 *   records (a line, a result, an error), not arbitrary slices of a stream.
 */
export function createScrubber(secrets: readonly string[]): (text: string) => string {
  const variants = new Set<string>();
  for (const secret of secrets) {
    if (typeof secret !== 'string' || secret.length < MIN_SECRET_LENGTH) continue;
    for (const form of secretVariants(secret)) variants.add(form);
  }
  if (variants.size === 0) return (text) => text;

  // Longest first: at a given position the alternation takes the first alternative that matches.
  const alternatives = [...variants].sort((a, b) => b.length - a.length).map(escapeRegExp);
  // A lookahead matches zero-width at every start position, so overlapping occurrences are all seen.
  const pattern = new RegExp(`(?=(${alternatives.join('|')}))`, 'g');

  return (text: string): string => {
    if (typeof text !== 'string' || text.length < MIN_SECRET_LENGTH) return text;
    let out = '';
    let copiedUpTo = 0; // end of the text already copied or redacted
    let spanStart = -1;
    let spanEnd = -1;
    for (const match of text.matchAll(pattern)) {
      const start = match.index;
      const end = start + match[1].length;
      if (spanStart >= 0 && start < spanEnd) {
        spanEnd = Math.max(spanEnd, end);
        continue;
      }
      if (spanStart >= 0) {
        out += text.slice(copiedUpTo, spanStart) + REDACTED;
        copiedUpTo = spanEnd;
      }
      spanStart = start;
      spanEnd = end;
    }
    if (spanStart < 0) return text;
    return out + text.slice(copiedUpTo, spanStart) + REDACTED + text.slice(spanEnd);
  };
}

/**
 * Applies `scrub` to every string inside a JSON value — object keys included — and returns a new
 * value of the same shape; the input is not modified. Numbers, booleans and null pass through.
 * Meant for JSON data (protocol payloads, parsed results): other objects (Date, Buffer, class
 * instances) are returned as they are, not walked.
 */
export function scrubDeep<T>(value: T, scrub: (text: string) => string): T {
  return walk(value, scrub) as T;
}

function walk(value: unknown, scrub: (text: string) => string): unknown {
  if (typeof value === 'string') return scrub(value);
  if (Array.isArray(value)) return value.map((item) => walk(item, scrub));
  if (isPlainObject(value)) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [scrub(key), walk(item, scrub)]));
  }
  return value;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
