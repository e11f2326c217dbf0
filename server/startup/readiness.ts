/**
 * Whether the orchestrator has finished starting, and if not what it waits for. `/health` answers
 * 503 with the reason until `ready()`: the HTTP port listens early so that a supervisor or a person
 * can see why it is not up yet (Redis unreachable, …) instead of a refused connection.
 */
export class Readiness {
  private reason: string | null;

  constructor(initialReason = 'starting') {
    this.reason = initialReason;
  }

  waitingFor(reason: string): void {
    this.reason = reason;
  }

  ready(): void {
    this.reason = null;
  }

  state(): { ready: boolean; reason: string | null } {
    return { ready: this.reason === null, reason: this.reason };
  }
}
