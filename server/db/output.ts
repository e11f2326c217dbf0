import type { Knex } from 'knex';

export interface OutputLine {
  seq: number;
  stream: string;
  content: string;
  createdAt: string;
}

/** Appends chunks; a re-sent batch (same seq) is ignored rather than duplicated. Answers the seqs written. */
export async function appendOutput(db: Knex, executionId: string, lines: OutputLine[]): Promise<Set<number>> {
  if (lines.length === 0) return new Set();
  const rows: Array<{ seq: number }> = await db('execution_output')
    .insert(lines.map((l) => ({ execution_id: executionId, seq: l.seq, stream: l.stream, content: l.content, created_at: l.createdAt })))
    .onConflict(['execution_id', 'seq'])
    .ignore()
    .returning('seq');
  return new Set(rows.map((r) => r.seq));
}

/** Output in order, optionally only after a sequence number (for followers catching up). */
export async function listOutput(db: Knex, executionId: string, afterSeq = -1): Promise<OutputLine[]> {
  const rows = await db('execution_output')
    .where('execution_id', executionId)
    .andWhere('seq', '>', afterSeq)
    .orderBy('seq', 'asc')
    .select('seq', 'stream', 'content', 'created_at');
  return rows.map((r) => ({ seq: r.seq, stream: r.stream, content: r.content, createdAt: r.created_at }));
}
