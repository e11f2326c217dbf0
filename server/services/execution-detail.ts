import type { Knex } from 'knex';
import { getExecution, type Execution } from '../db/executions';
import { listMessagesForExecution, type ProtocolMessage } from '../db/messages';
import { listOutput, type OutputLine } from '../db/output';
import { mustFind } from './must-find';

/** `GET /api/executions/:id`: the record with its output and the protocol messages it emitted. */
export interface ExecutionDetail extends Execution {
  /** `text` as in the live streams; `content` is the same value, kept for clients written before. */
  output: Array<OutputLine & { text: string }>;
  /** The output chunks' text joined: a newline is put between chunks that do not already end with one. */
  outputText: string;
  messages: ProtocolMessage[];
}

/** Joins output chunks into one text, whether the chunks carry their own line endings or not. */
export function joinOutput(lines: readonly Pick<OutputLine, 'content'>[]): string {
  let text = '';
  for (const [i, line] of lines.entries()) {
    text += line.content;
    if (i < lines.length - 1 && !line.content.endsWith('\n')) text += '\n';
  }
  return text;
}

/** Loads an execution with its ordered output and messages; NotFoundError (404) when the id is unknown. */
export async function getExecutionDetail(db: Knex, id: string): Promise<ExecutionDetail> {
  const execution = await mustFind(getExecution(db, id), 'execution', id);
  const [output, messages] = await Promise.all([listOutput(db, id), listMessagesForExecution(db, id)]);
  const lines = output.map((l) => ({ seq: l.seq, stream: l.stream, text: l.content, content: l.content, createdAt: l.createdAt }));
  return { ...execution, output: lines, outputText: joinOutput(output), messages };
}
