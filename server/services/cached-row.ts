/**
 * One database row kept in memory: `read()` loads it once, and every write goes through `write()`,
 * which drops the copy before and after (even when the write fails). A read that started before a
 * write never stores the old row, thanks to a generation counter. Other processes that write the
 * row make this one `forget()` it (the orchestrators tell each other over Redis).
 */
export class CachedRow<T> {
  private cache?: { row: T | undefined };
  private generation = 0;

  constructor(private readonly load: () => Promise<T | undefined>) {}

  async read(): Promise<T | undefined> {
    if (this.cache) return this.cache.row;
    const generation = this.generation;
    const row = await this.load();
    if (generation === this.generation) this.cache = { row };
    return row;
  }

  async write<R>(work: () => Promise<R>): Promise<R> {
    this.forget();
    try {
      return await work();
    } finally {
      this.forget();
    }
  }

  /** Drops the copy (another process changed the row); the next read loads it. */
  forget(): void {
    this.generation += 1;
    this.cache = undefined;
  }
}
