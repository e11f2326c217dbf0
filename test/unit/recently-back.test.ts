import { RecentlyBackElsewhere } from '../../server/services/run-recovery';

describe('RecentlyBackElsewhere (workers another instance just registered)', () => {
  it('counts a worker as connected elsewhere for the window after its registration was heard', () => {
    let now = 1_000;
    const back = new RecentlyBackElsewhere(10_000, () => now);
    back.note('w-1');
    now += 4_000;
    back.note('w-2');
    expect(back.ids().sort()).toEqual(['w-1', 'w-2']);
    now += 6_001; // w-1 heard 10,001 ms ago: by now the other instance's heartbeat lists it, or it left
    expect(back.ids()).toEqual(['w-2']);
    back.note('w-1'); // registered again
    expect(back.ids().sort()).toEqual(['w-1', 'w-2']);
  });
});
