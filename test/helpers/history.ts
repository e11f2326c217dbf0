import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';

/** Seeds history rows straight into the tables (fast, and any age), for retention and backup tests. */

const DAY_MS = 86_400_000;
export const daysAgo = (days: number, now = Date.now()) => new Date(now - days * DAY_MS).toISOString();

export interface SeededExecution {
  executionId: string;
  eventId: string;
  /** Message ids by kind: user_message, agent_memory, open_review, resolved_review. */
  messages: Record<'user_message' | 'agent_memory' | 'open_review' | 'resolved_review', string>;
}

/**
 * One event and its finished (or `status`) execution, `ageDays` old, with `outputLines` output lines
 * and one message of each kind. Answers the ids.
 */
export async function seedExecution(
  db: Knex,
  o: { personaId: string; ageDays: number; outputLines: number; status?: string; eventStatus?: string },
): Promise<SeededExecution> {
  const at = daysAgo(o.ageDays);
  const eventId = randomUUID();
  const executionId = randomUUID();
  const status = o.status ?? 'completed';
  const finished = ['completed', 'failed', 'cancelled'].includes(status);
  await db('events').insert({
    id: eventId, event_type: 'history', source_type: 'manual', source_id: null, target_persona_id: null, payload: '{}',
    status: o.eventStatus ?? 'delivered', error: null, chain_depth: 0, parent_execution_id: null, created_at: at, processed_at: at,
  });
  await db('executions').insert({
    id: executionId, persona_id: o.personaId, event_id: eventId, status, prompt: null, input_data: null, timeout_ms: null,
    worker_id: finished ? 'w' : null, started_at: finished ? at : null, completed_at: finished ? at : null, duration_ms: finished ? 1000 : null,
    exit_code: finished ? 0 : null, error: null, cost_usd: finished ? 0.01 : null, session_id: null, num_turns: null, result: finished ? 'ok' : null,
    chain_depth: 0, created_at: at, updated_at: at,
  });
  const lines = Array.from({ length: o.outputLines }, (_, seq) => ({
    execution_id: executionId, seq, stream: 'assistant', content: `line ${seq} ${'x'.repeat(200)}`, created_at: at,
  }));
  for (let i = 0; i < lines.length; i += 200) await db('execution_output').insert(lines.slice(i, i + 200));
  const message = (kind: string, status: string) => ({
    id: randomUUID(), execution_id: executionId, persona_id: o.personaId, kind, payload: JSON.stringify({ note: kind }),
    status, resolution: null, resolved_at: status === 'resolved' ? at : null, created_at: at,
  });
  const rows = {
    user_message: message('user_message', 'recorded'),
    agent_memory: message('agent_memory', 'recorded'),
    open_review: message('manual_review', 'open'),
    resolved_review: message('manual_review', 'resolved'),
  };
  await db('protocol_messages').insert(Object.values(rows));
  return {
    executionId, eventId,
    messages: {
      user_message: rows.user_message.id, agent_memory: rows.agent_memory.id, open_review: rows.open_review.id, resolved_review: rows.resolved_review.id,
    },
  };
}

export async function seedPersona(db: Knex, name = 'History Persona'): Promise<string> {
  const id = randomUUID();
  const now = new Date().toISOString();
  await db('personas').insert({ id, name, enabled: true, max_concurrent: 1, created_at: now, updated_at: now });
  return id;
}

export const countRows = async (db: Knex, table: string, where: Record<string, unknown> = {}): Promise<number> =>
  Number(((await db(table).where(where).count({ n: '*' })) as Array<{ n: number | string }>)[0].n);
