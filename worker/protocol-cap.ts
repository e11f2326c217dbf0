import type { ProtocolPayload } from '../shared/socket-events';

type Message = ProtocolPayload['messages'][number];

/** The protocol messages that make the orchestrator start work: capped per run. */
const STARTS_WORK = new Set(['emit_event', 'persona_action']);

/**
 * Pure: lets at most `max` work-starting messages (emit_event, persona_action) of one run through
 * and counts the rest; other kinds (memories, reviews, user messages) pass unchanged. A prompt-
 * injected run cannot fan out into an unbounded number of events.
 */
export class ProtocolCap {
  private started = 0;
  dropped = 0;

  constructor(private readonly max: number) {}

  admit(messages: readonly Message[]): Message[] {
    return messages.filter((m) => {
      if (!STARTS_WORK.has(m.kind)) return true;
      if (this.started < this.max) {
        this.started += 1;
        return true;
      }
      this.dropped += 1;
      return false;
    });
  }

  /** The output line that says what was dropped. */
  notice(): string {
    return `[personas] ${this.dropped} emit_event/persona_action message${this.dropped === 1 ? '' : 's'} over this run's limit of ${this.max} (RUN_MAX_EVENTS) ${this.dropped === 1 ? 'was' : 'were'} dropped`;
  }
}
