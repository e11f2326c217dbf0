import { openDb } from '../../server/db/knex';
import type { DatabaseTarget } from '../../server/db/target';

/** Where one run's start went: event accepted → execution row created → claimed (`running`) → CLI started. */
export interface StartStages {
  total: number;
  toExecution: number;
  toClaim: number;
  toCli: number;
}

/** event accepted → CLI started (the stand-in's `started=<epoch>` result text), with its stages. */
export async function startLatencies(target: DatabaseTarget, eventIds: string[]): Promise<StartStages[]> {
  const db = openDb(target);
  try {
    const wanted = new Set(eventIds);
    const rows = (await db('executions as x').join('events as e', 'e.id', 'x.event_id')
      .select('e.id as eventId', 'e.created_at as createdAt', 'x.created_at as executionAt', 'x.started_at as claimedAt', 'x.result as result')) as
      Array<{ eventId: string; createdAt: string; executionAt: string; claimedAt: string | null; result: string | null }>;
    const out: StartStages[] = [];
    for (const row of rows) {
      if (!wanted.has(row.eventId)) continue;
      const m = /started=(\d+)[.,](\d+)/.exec(row.result ?? '');
      if (!m || !row.claimedAt) continue;
      const cli = Number(m[1]) * 1000 + Number(`0.${m[2]}`) * 1000;
      const [accepted, created, claimed] = [row.createdAt, row.executionAt, row.claimedAt].map((t) => Date.parse(t));
      out.push({ total: cli - accepted, toExecution: created - accepted, toClaim: claimed - created, toCli: cli - claimed });
    }
    return out;
  } finally {
    await db.destroy();
  }
}

