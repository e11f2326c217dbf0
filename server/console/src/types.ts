/** The API's shapes as the console reads them (see the README's API reference). */
export type Role = 'admin' | 'operator' | 'runner' | 'reader' | 'webhook';

export interface Me {
  keyId: string;
  name: string;
  role: Role;
  /** Every role requirement this key satisfies. */
  grants: Role[];
}

export type ExecutionStatus = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';
export const EXECUTION_STATUSES: ExecutionStatus[] = ['queued', 'running', 'completed', 'failed', 'cancelled'];
export const FINAL_STATUSES: ExecutionStatus[] = ['completed', 'failed', 'cancelled'];

export interface Persona {
  id: string;
  name: string;
  description: string | null;
  systemPrompt: string | null;
  structuredPrompt: string | null;
  enabled: boolean;
  maxConcurrent: number;
  timeoutMs: number | null;
  maxBudgetUsd: number | null;
  maxTurns: number | null;
  allowedTools: string[] | null;
  allowedHosts: string[];
  createdAt: string;
  updatedAt: string;
}

export interface Execution {
  id: string;
  personaId: string | null;
  eventId: string | null;
  status: ExecutionStatus;
  prompt: string | null;
  inputData: unknown;
  timeoutMs: number | null;
  workerId: string | null;
  startedAt: string | null;
  completedAt: string | null;
  durationMs: number | null;
  exitCode: number | null;
  error: string | null;
  costUsd: number | null;
  sessionId: string | null;
  numTurns: number | null;
  result: string | null;
  chainDepth: number;
  createdAt: string;
}

export interface OutputLine {
  seq: number;
  stream: string;
  text: string;
}

export interface ProtocolMessage {
  id: string;
  executionId: string | null;
  personaId: string | null;
  kind: string;
  payload: Record<string, unknown>;
  status: string;
  resolution: unknown;
  resolvedAt: string | null;
  createdAt: string;
}

export interface ExecutionDetail extends Execution {
  output: OutputLine[];
  messages: ProtocolMessage[];
}

export interface ExecutionBrief {
  id: string;
  personaId: string | null;
  status: ExecutionStatus;
  createdAt: string;
}

export interface EventRecord {
  id: string;
  eventType: string;
  sourceType: string;
  sourceId: string | null;
  targetPersonaId: string | null;
  payload: unknown;
  status: string;
  error: string | null;
  chainDepth: number;
  parentExecutionId: string | null;
  createdAt: string;
  processedAt: string | null;
  executions: ExecutionBrief[];
}

export interface Trigger {
  id: string;
  personaId: string;
  triggerType: string;
  config: Record<string, unknown>;
  enabled: boolean;
  lastTriggeredAt: string | null;
  nextTriggerAt: string | null;
  createdAt: string;
}

export interface Subscription {
  id: string;
  personaId: string;
  eventType: string;
  sourceFilter: string | null;
  enabled: boolean;
}

export interface Credential {
  id: string;
  name: string;
  serviceType: string;
}

export interface ToolDefinition {
  id: string;
  name: string;
  description: string | null;
}

export interface WorkerSummary {
  workerId: string;
  version: string;
  slots: number;
  busy: number;
  free: number;
  running: string[];
  isolation: 'bwrap' | 'uid' | 'none' | 'unknown';
  networkLimited: boolean;
  auth: 'enrolled' | 'shared';
  connectedAt: string;
  /** The orchestrator instance it is connected to (several orchestrators). */
  instanceId?: string;
}

export interface InstanceStatus {
  id: string;
  host: string;
  startedAt: string;
  workers: string[];
  self: boolean;
}

export type QueueCounts = Record<string, number> | { error: 'unavailable' };

export interface SystemStatus {
  status: 'ok' | 'degraded';
  version: string;
  uptimeSeconds: number;
  /** Every live orchestrator instance (older orchestrators do not say). */
  instances?: InstanceStatus[];
  workers: WorkerSummary[];
  queues: Record<string, QueueCounts>;
  executions: Record<string, number>;
  personas: number;
  claude: { connected: boolean; inUse: string | null; expired: boolean; expiresAt: string | null; note: string | null };
}

export interface ExecutionSummary {
  since: string;
  hours: number;
  byStatus: Record<ExecutionStatus, number>;
  total: number;
  costUsd: number;
}
