/**
 * Credential → environment variable naming, shared by the orchestrator (dispatch, prompt) and docs.
 * JSON object credentials become `CONNECTOR_{NAME}_{FIELD}` per field; anything else `CONNECTOR_{NAME}`.
 */

/** Upper-cases and turns every run of non-alphanumerics into one `_`, trimming `_` at the ends. */
export function envSegment(name: string): string {
  return name
    .toUpperCase()
    .replace(/[^A-Z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
}

function stringify(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/**
 * Maps one decrypted credential to env variables. `plaintext` that parses as a JSON object yields a
 * variable per field (non-string values JSON-encoded); any other plaintext is one variable.
 */
export function credentialEnv(credentialName: string, plaintext: string): Record<string, string> {
  const base = `CONNECTOR_${envSegment(credentialName) || 'CREDENTIAL'}`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(plaintext);
  } catch {
    parsed = undefined;
  }
  if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
    const env: Record<string, string> = {};
    for (const [field, value] of Object.entries(parsed as Record<string, unknown>)) {
      if (value === null || value === undefined) continue;
      const segment = envSegment(field);
      env[segment ? `${base}_${segment}` : base] = stringify(value);
    }
    return env;
  }
  return { [base]: plaintext };
}
