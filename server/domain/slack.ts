/**
 * Slack Events API request → what to do with it (pure). `url_verification` is answered with its
 * challenge; an `event_callback` becomes a `slack_<event.type>` event whose source is the channel
 * and whose delivery id (for de-duplicating Slack's retries) is `event_id`. Anything else Slack
 * sends (e.g. `app_rate_limited`) is acknowledged and not published.
 */

export interface SlackEventFields {
  eventType: string;
  sourceType: 'slack';
  sourceId: string | null;
  payload: Record<string, unknown>;
}

export type SlackMapping =
  | { kind: 'challenge'; challenge: string }
  | { kind: 'event'; deliveryId: string | null; event: SlackEventFields }
  | { kind: 'ignored'; type: string }
  | { kind: 'invalid'; field: string; message: string };

const asRecord = (v: unknown): Record<string, unknown> | null =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;

/** `message.channels` style names and anything odd become lower_snake_case. */
function normalizeType(type: string): string {
  return type.trim().toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '');
}

/** The channel id: a string on most events, an object with `id` on channel lifecycle events. */
function channelOf(event: Record<string, unknown>): string | null {
  const channel = event.channel ?? event.channel_id;
  if (typeof channel === 'string' && channel !== '') return channel;
  const id = asRecord(channel)?.id;
  return typeof id === 'string' && id !== '' ? id : null;
}

export function mapSlackRequest(body: unknown): SlackMapping {
  const record = asRecord(body);
  if (!record) return { kind: 'invalid', field: 'body', message: 'expected a Slack Events API JSON object' };
  if (typeof record.type !== 'string' || record.type === '') return { kind: 'invalid', field: 'type', message: 'is required' };
  if (!/^[a-z][a-z0-9_]{0,63}$/.test(record.type)) return { kind: 'invalid', field: 'type', message: 'is not a Slack request type' };
  if (record.type === 'url_verification') {
    if (typeof record.challenge !== 'string' || record.challenge === '') return { kind: 'invalid', field: 'challenge', message: 'is required' };
    return { kind: 'challenge', challenge: record.challenge };
  }
  if (record.type !== 'event_callback') return { kind: 'ignored', type: record.type };
  const event = asRecord(record.event);
  if (!event) return { kind: 'invalid', field: 'event', message: 'is required in an event_callback' };
  const type = typeof event.type === 'string' ? normalizeType(event.type) : '';
  if (type === '' || type.length > 100) return { kind: 'invalid', field: 'event.type', message: 'is required' };
  const deliveryId = typeof record.event_id === 'string' && record.event_id !== '' ? record.event_id : null;
  return { kind: 'event', deliveryId, event: { eventType: `slack_${type}`, sourceType: 'slack', sourceId: channelOf(event), payload: record } };
}
