import type { OutputPayload } from '../../shared/socket-events';
import { OutputBatcher } from '../../worker/output-batcher';

/** Manual timers: `tick()` fires whatever is scheduled. */
function manualTimers() {
  let scheduled: (() => void) | undefined;
  return {
    timers: { set: (fn: () => void) => (scheduled = fn), clear: () => (scheduled = undefined) },
    tick: () => {
      const fn = scheduled;
      scheduled = undefined;
      fn?.();
    },
    get armed() {
      return scheduled !== undefined;
    },
  };
}

function setup(maxBytes?: number) {
  const sent: OutputPayload[] = [];
  const clock = manualTimers();
  const batcher = new OutputBatcher({ executionId: 'e1', send: (p) => sent.push(p), maxBytes, timers: clock.timers });
  return { sent, clock, batcher };
}

describe('OutputBatcher', () => {
  it('sends nothing until the timer fires, then one batch from seq 0', () => {
    const { sent, clock, batcher } = setup();
    batcher.push({ stream: 'assistant', text: 'a' });
    batcher.push({ stream: 'tool', text: 'Bash: ls' });
    expect(sent).toEqual([]);
    clock.tick();
    expect(sent).toEqual([{ executionId: 'e1', seq: 0, chunks: [{ stream: 'assistant', text: 'a' }, { stream: 'tool', text: 'Bash: ls' }] }]);
  });

  it('numbers chunks consecutively across batches', () => {
    const { sent, clock, batcher } = setup();
    batcher.push({ stream: 'assistant', text: 'a' });
    batcher.push({ stream: 'assistant', text: 'b' });
    clock.tick();
    batcher.push({ stream: 'assistant', text: 'c' });
    clock.tick();
    expect(sent.map((p) => [p.seq, p.chunks.length])).toEqual([[0, 2], [2, 1]]);
    expect(batcher.sent).toBe(3);
  });

  it('flushes at once when the batch reaches maxBytes', () => {
    const { sent, clock, batcher } = setup(10);
    batcher.push({ stream: 'tool_result', text: '12345' });
    expect(sent).toHaveLength(0);
    batcher.push({ stream: 'tool_result', text: '67890' });
    expect(sent).toHaveLength(1);
    expect(clock.armed).toBe(false);
  });

  it('counts bytes, not characters', () => {
    const { sent, batcher } = setup(4);
    batcher.push({ stream: 'assistant', text: 'éé' });
    expect(sent).toHaveLength(1);
  });

  it('close flushes the rest and drops later chunks', () => {
    const { sent, clock, batcher } = setup();
    batcher.push({ stream: 'result', text: 'done' });
    batcher.close();
    expect(sent).toEqual([{ executionId: 'e1', seq: 0, chunks: [{ stream: 'result', text: 'done' }] }]);
    batcher.push({ stream: 'stderr', text: 'late' });
    clock.tick();
    expect(sent).toHaveLength(1);
  });

  it('an empty flush sends nothing', () => {
    const { sent, batcher } = setup();
    batcher.flush();
    batcher.close();
    expect(sent).toEqual([]);
  });
});
