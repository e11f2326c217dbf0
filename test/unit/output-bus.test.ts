import { OutputBus, type OutputEvent, type OutputRelay } from '../../server/services/output-bus';

/**
 * The bus with a relay standing in for the other instances: what they publish is handed to
 * `deliver`, and `stored` is what the records hold. A publisher leaves a run's output out while it
 * has not heard that anyone follows it, so followers fill gaps from the records.
 */
function fakeRelay(stored: OutputEvent[]) {
  let deliver: Parameters<OutputRelay['follow']>[1] = () => undefined;
  const published: unknown[] = [];
  const relay: OutputRelay = {
    publish: (_id, m) => void published.push(m),
    follow: (_id, d) => {
      deliver = d;
      return { ready: Promise.resolve(), off: () => undefined };
    },
    storedAfter: async (_id, afterSeq) => {
      await new Promise((r) => setTimeout(r, 5)); // a read takes a moment: later messages must wait for it
      return stored.filter((e) => e.seq > afterSeq);
    },
  };
  return { relay, published, deliver: (m: Parameters<typeof deliver>[0]) => deliver(m) };
}

const line = (seq: number): OutputEvent => ({ executionId: 'x', seq, stream: 'assistant', text: `line ${seq}` });

/** A follower as the SSE route and socket.io keep one: drops what it has, remembers the last seq. */
function follower(bus: OutputBus, lastSeq = -1) {
  const got: string[] = [];
  let last = lastSeq;
  const off = bus.follow('x', {
    output: (e) => {
      if (e.seq <= last) return;
      last = e.seq;
      got.push(e.text);
    },
    end: (e) => got.push(`end ${e.status}`),
    lastSeq: () => last,
  });
  return { got, off };
}

const settle = () => new Promise((r) => setTimeout(r, 30));

it('fills a gap in relayed output from the records, in order, before the line that revealed it', async () => {
  const f = fakeRelay([line(0), line(1), line(2), line(3)]);
  const bus = new OutputBus(f.relay);
  const { got } = follower(bus, 0); // replayed line 0; lines 1 and 2 were stored but never published
  f.deliver({ kind: 'output', event: line(3) });
  f.deliver({ kind: 'output', event: line(4) });
  await settle();
  expect(got).toEqual(['line 1', 'line 2', 'line 3', 'line 4']);
});

it('delivers a relayed end only after the stored output the follower lacks', async () => {
  const f = fakeRelay([line(0), line(1), line(2)]);
  const bus = new OutputBus(f.relay);
  const { got } = follower(bus, 0);
  f.deliver({ kind: 'end', event: { executionId: 'x', status: 'completed', error: null } });
  await settle();
  expect(got).toEqual(['line 1', 'line 2', 'end completed']);
});

it('reads nothing back while relayed output comes without a gap', async () => {
  const f = fakeRelay([]);
  const reads = jest.spyOn(f.relay, 'storedAfter');
  const bus = new OutputBus(f.relay);
  const { got } = follower(bus, 1);
  f.deliver({ kind: 'output', event: line(2) });
  f.deliver({ kind: 'output', event: line(3) });
  await settle();
  expect(got).toEqual(['line 2', 'line 3']);
  expect(reads).not.toHaveBeenCalled();
});

it('publishes to the relay and emits locally; followers here get every line at once', () => {
  const f = fakeRelay([]);
  const bus = new OutputBus(f.relay);
  const { got, off } = follower(bus);
  bus.publishOutput(line(0));
  bus.publishEnd({ executionId: 'x', status: 'failed', error: 'timeout' });
  expect(got).toEqual(['line 0', 'end failed']);
  expect(f.published).toHaveLength(2);
  off();
});

it('hands a failing follower\'s error to onRelayError and keeps delivering', async () => {
  const f = fakeRelay([]);
  const errors: unknown[] = [];
  const bus = new OutputBus(f.relay, (err) => errors.push(err));
  const got: number[] = [];
  bus.follow('x', {
    output: (e) => {
      if (e.seq === 0) throw new Error('socket gone');
      got.push(e.seq);
    },
    end: () => undefined,
  });
  f.deliver({ kind: 'output', event: line(0) });
  f.deliver({ kind: 'output', event: line(1) });
  await settle();
  expect(errors).toHaveLength(1);
  expect(got).toEqual([1]);
});
