/**
 * The worker's slot numbers (0 … slots-1). A run holds one from start to cleanup, so its uid
 * (base + slot) is never shared with another live run of this worker.
 */
export class SlotPool {
  private readonly free: number[];

  constructor(size: number) {
    this.free = Array.from({ length: size }, (_, i) => i);
  }

  /** The lowest free slot; beyond the configured size (never expected: the agent bounds runs) a new one. */
  acquire(): number {
    if (this.free.length === 0) return this.extra++;
    this.free.sort((a, b) => a - b);
    return this.free.shift()!;
  }

  release(slot: number): void {
    if (!this.free.includes(slot)) this.free.push(slot);
  }

  private extra = 1_000_000;
}
