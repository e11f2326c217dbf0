import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { parseProtocolMessage } from '../../shared/protocol';
import type { Execution } from '../db/executions';
import { insertMessage } from '../db/messages';

/**
 * Validates a protocol message from a worker again with the shared schemas (a worker is not trusted
 * to have done it) and stores it against the execution. Reviews start `open`. Answers whether it was stored.
 */
export async function storeProtocolMessage(
  deps: { db: Knex; logger: Logger },
  execution: Execution,
  message: { kind: string; payload: Record<string, unknown> },
): Promise<boolean> {
  const valid = parseProtocolMessage(message.kind, message.payload);
  if (!valid) {
    deps.logger.debug({ executionId: execution.id, kind: message.kind }, 'ignoring invalid protocol message');
    return false;
  }
  await insertMessage(deps.db, {
    id: randomUUID(),
    executionId: execution.id,
    personaId: execution.personaId,
    kind: valid.kind,
    payload: valid.payload,
    status: valid.kind === 'manual_review' ? 'open' : 'recorded',
    resolution: null,
    resolvedAt: null,
    createdAt: new Date().toISOString(),
  });
  return true;
}
