import { chooseMode } from '../../../worker/sandbox/mode';

const all = { bwrap: true, uidSwitch: true };
const uidOnly = { bwrap: false, bwrapProblem: 'bwrap is not installed', uidSwitch: true };
const nothing = { bwrap: false, bwrapProblem: 'bwrap is not installed', uidSwitch: false };

describe('chooseMode', () => {
  it('auto takes the strongest available', () => {
    expect(chooseMode('auto', all, true)).toEqual({ ok: true, mode: 'bwrap' });
    expect(chooseMode('auto', uidOnly, true)).toMatchObject({ ok: true, mode: 'uid', warning: expect.stringContaining('apt-get install -y bubblewrap socat') });
  });

  it('with nothing available: development warns, production refuses and says what to do', () => {
    expect(chooseMode('auto', nothing, false)).toMatchObject({ ok: true, mode: 'none', warning: expect.stringContaining('NOT isolated') });
    const refused = chooseMode('auto', nothing, true);
    expect(refused.ok).toBe(false);
    expect(!refused.ok && refused.error).toMatch(/bubblewrap.*WORKER_SANDBOX=none/s);
  });

  it('an explicit mode is used or refused, never silently downgraded', () => {
    expect(chooseMode('bwrap', uidOnly, false)).toMatchObject({ ok: false, error: expect.stringContaining('bwrap is not installed') });
    expect(chooseMode('uid', nothing, false)).toMatchObject({ ok: false, error: expect.stringContaining('root') });
    expect(chooseMode('uid', all, true)).toEqual({ ok: true, mode: 'uid' });
    expect(chooseMode('none', all, true)).toMatchObject({ ok: true, mode: 'none', warning: expect.stringContaining('NOT isolated') });
  });
});
