/**
 * An execution cannot be prepared for a reason a person can act on; the message becomes the
 * execution's `error` as is (e.g. `no_claude_token: …`, `credential_error: …`), so it never holds a secret.
 */
export class AssignmentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AssignmentError';
  }
}
