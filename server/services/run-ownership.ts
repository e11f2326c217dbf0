/**
 * Who owns each run among several orchestrator instances (cluster/run-owners.ts). Absent: one
 * orchestrator, which owns every run.
 */
export interface RunOwnership {
  readonly instanceId: string;
  claim(executionId: string, session?: string): Promise<void>;
  sessionsOf(executionIds: string[]): Promise<Array<string | null>>;
  claimIfOrphan(executionId: string): Promise<boolean>;
  ownersOf(executionIds: string[]): Promise<Array<string | null>>;
  forget(executionId: string): Promise<void>;
  releaseIfMine(executionId: string): Promise<void>;
  cancelRequested(executionId: string): Promise<boolean>;
}
