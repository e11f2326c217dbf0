import { EventEmitter } from 'node:events';
import { onStopSignals, SIGNAL_ECHO_MS } from '../../shared/signals';

describe('onStopSignals', () => {
  const setup = () => {
    const target = new EventEmitter();
    let now = 1_000;
    const calls: Array<[string, boolean]> = [];
    const off = onStopSignals((signal, first) => calls.push([signal, first]), {
      target: target as unknown as Pick<NodeJS.Process, 'on' | 'off'>,
      now: () => now,
    });
    return { target, calls, off, advance: (ms: number) => (now += ms) };
  };

  it('reports the first SIGTERM or SIGINT as the request to stop', () => {
    const { target, calls } = setup();
    target.emit('SIGTERM');
    expect(calls).toEqual([['SIGTERM', true]]);
  });

  it("drops the echo of one Ctrl-C (the terminal's, then npm's forwarded copy)", () => {
    const { target, calls, advance } = setup();
    target.emit('SIGINT');
    advance(5);
    target.emit('SIGINT');
    advance(SIGNAL_ECHO_MS - 10);
    target.emit('SIGTERM');
    expect(calls).toEqual([['SIGINT', true]]);
  });

  it('reports a later signal as a second one (which forces the exit)', () => {
    const { target, calls, advance } = setup();
    target.emit('SIGINT');
    advance(SIGNAL_ECHO_MS);
    target.emit('SIGINT');
    advance(10_000);
    target.emit('SIGTERM');
    expect(calls).toEqual([['SIGINT', true], ['SIGINT', false], ['SIGTERM', false]]);
  });

  it('removes its listeners', () => {
    const { target, calls, off } = setup();
    off();
    target.emit('SIGTERM');
    expect(calls).toEqual([]);
    expect(target.listenerCount('SIGTERM') + target.listenerCount('SIGINT')).toBe(0);
  });
});
