import { CachedRow } from '../../server/services/cached-row';

describe('CachedRow', () => {
  it('loads once, then serves from memory until a write', async () => {
    let loads = 0;
    let value = 'a';
    const row = new CachedRow(async () => (loads++, value));
    expect(await row.read()).toBe('a');
    expect(await row.read()).toBe('a');
    expect(loads).toBe(1);
    await row.write(async () => void (value = 'b'));
    expect(await row.read()).toBe('b');
    expect(loads).toBe(2);
  });

  it('remembers that there is no row', async () => {
    let loads = 0;
    const row = new CachedRow<string>(async () => (loads++, undefined));
    expect(await row.read()).toBeUndefined();
    expect(await row.read()).toBeUndefined();
    expect(loads).toBe(1);
  });

  it('never keeps a row read before a write that finished in between', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let value = 'old';
    let first = true;
    const row = new CachedRow(async () => {
      const seen = value;
      if (first) {
        first = false;
        await gate; // the slow read saw 'old' before the write below
      }
      return seen;
    });
    const slowRead = row.read();
    await row.write(async () => void (value = 'new'));
    release();
    expect(await slowRead).toBe('old');
    expect(await row.read()).toBe('new');
  });

  it('forgets the copy even when the write fails', async () => {
    let value = 'a';
    const row = new CachedRow(async () => value);
    await row.read();
    await expect(row.write(async () => {
      value = 'half-written';
      throw new Error('disk full');
    })).rejects.toThrow('disk full');
    expect(await row.read()).toBe('half-written');
  });
});
