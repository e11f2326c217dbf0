import type { Event } from '../db/events';
import { TERMINAL_STATUSES, type Execution } from '../db/executions';
import { hasFireForParentExecution } from '../db/trigger-fires';
import { cachedConfig } from '../db/config-cache';
import { listChainTriggersForSource, type Trigger } from '../db/triggers';
import { chainStatusFilter } from '../domain/trigger-config';
import { publishEvent, type BusDeps } from './events';
import { configPayloadObject, fireTrigger } from './trigger-fire';

/**
 * What the execution side tells the event bus. The dispatcher/gateway calls these two functions;
 * neither throws (failures are logged), both answer the events they published.
 *
 * Chain triggers (`config.source_persona_id`, optional `event_type` and `status`) fire at most once
 * per source execution: on a matching `emit_event` (type = the trigger's `event_type`) or, failing
 * that, when the execution ends with a matching status (`any` by default).
 */

export interface ProtocolMessageInput {
  kind: string;
  payload: unknown;
}

const asRecord = (v: unknown): Record<string, unknown> | null =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;

async function fireChain(deps: BusDeps, trigger: Trigger, execution: Execution, payload: Record<string, unknown>): Promise<Event | null> {
  if (await hasFireForParentExecution(deps.db, trigger.id, execution.id)) return null;
  const { event } = await fireTrigger(deps, trigger, {
    sourceType: 'chain',
    payload: { ...configPayloadObject(trigger), ...payload, source_persona_id: execution.personaId, source_execution_id: execution.id },
    chainDepth: execution.chainDepth + 1,
    parentExecutionId: execution.id,
  });
  return event;
}

/**
 * An execution reached a terminal status (`completed`, `failed`, `cancelled`): fire the chain triggers
 * that watch its persona and accept that status. Their events target the chain trigger's persona,
 * carry the source execution's id, status and result text, and are one chain level deeper.
 */
/** Enabled chain triggers that listen to `personaId` (cached configuration). */
function chainTriggersFor(db: BusDeps['db'], personaId: string): Promise<Trigger[]> {
  return cachedConfig(db, `chain:${personaId}`, () => listChainTriggersForSource(db, personaId));
}

export async function onExecutionFinished(deps: BusDeps, execution: Execution): Promise<Event[]> {
  if (!execution.personaId || !TERMINAL_STATUSES.includes(execution.status)) return [];
  const published: Event[] = [];
  try {
    for (const trigger of await chainTriggersFor(deps.db, execution.personaId)) {
      const filter = chainStatusFilter(trigger.config);
      if (filter !== 'any' && filter !== execution.status) continue;
      try {
        const event = await fireChain(deps, trigger, execution, {
          source_status: execution.status,
          source_result: execution.result,
          source_error: execution.error,
        });
        if (event) published.push(event);
      } catch (err) {
        deps.logger.error({ err, triggerId: trigger.id, executionId: execution.id }, 'chain trigger failed to fire');
      }
    }
  } catch (err) {
    deps.logger.error({ err, executionId: execution.id }, 'could not evaluate chain triggers');
  }
  return published;
}

async function onEmitEvent(deps: BusDeps, execution: Execution, msg: Record<string, unknown>): Promise<Event[]> {
  if (typeof msg.type !== 'string' || msg.type.trim() === '') return [];
  const type = msg.type.trim();
  const data = msg.data === undefined ? null : msg.data;
  const published = [
    await publishEvent(deps, {
      eventType: type,
      sourceType: 'persona',
      sourceId: execution.personaId,
      payload: data,
      chainDepth: execution.chainDepth + 1,
      parentExecutionId: execution.id,
    }),
  ];
  if (!execution.personaId) return published;
  for (const trigger of await chainTriggersFor(deps.db, execution.personaId)) {
    if (trigger.config.event_type !== type) continue;
    try {
      const event = await fireChain(deps, trigger, execution, { ...(asRecord(data) ?? { data }), source_event_type: type });
      if (event) published.push(event);
    } catch (err) {
      deps.logger.error({ err, triggerId: trigger.id, executionId: execution.id }, 'chain trigger failed to fire');
    }
  }
  return published;
}

async function onPersonaAction(deps: BusDeps, execution: Execution, msg: Record<string, unknown>): Promise<Event[]> {
  if (typeof msg.target !== 'string' || msg.target === '') return [];
  const event = await publishEvent(deps, {
    eventType: 'persona_action',
    sourceType: 'persona',
    sourceId: execution.personaId,
    targetPersonaId: msg.target,
    payload: msg.input === undefined ? {} : msg.input,
    chainDepth: execution.chainDepth + 1,
    parentExecutionId: execution.id,
  });
  return [event];
}

/**
 * A protocol message from a running execution. `emit_event` {type, data} becomes an event
 * (sourceType `persona`, sourceId the persona, payload `data`, one chain level deeper) and fires the
 * persona's chain triggers whose `event_type` is that type; `persona_action` {target, input} becomes a
 * `persona_action` event targeted at `target` with `input` as payload. Other kinds are not the bus's
 * business (the gateway stores them) and answer [].
 */
export async function onProtocolMessage(deps: BusDeps, execution: Execution, message: ProtocolMessageInput): Promise<Event[]> {
  const msg = asRecord(message.payload);
  if (!msg) return [];
  try {
    if (message.kind === 'emit_event') return await onEmitEvent(deps, execution, msg);
    if (message.kind === 'persona_action') return await onPersonaAction(deps, execution, msg);
  } catch (err) {
    deps.logger.error({ err, executionId: execution.id, kind: message.kind }, 'protocol message could not be published');
  }
  return [];
}
