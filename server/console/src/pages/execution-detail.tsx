import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../api';
import { useToast } from '../components/toast';
import { Badge, Button, Card, Dialog, EmptyState, ErrorState, Facts, InlineError, Loading, PageHeader, StatusBadge, Time } from '../components/ui';
import { useAction, useApi, useSession } from '../data';
import { cost, dateTime, duration, pretty, shortId } from '../format';
import { followExecution } from '../live';
import { PersonaLink, usePersonaIndex } from '../personas-index';
import { href } from '../router';
import { FINAL_STATUSES, type EventRecord, type ExecutionDetail, type OutputLine, type ProtocolMessage } from '../types';
import { MessageBody } from './inbox';

export function ExecutionPage({ id }: { id: string }) {
  const { can } = useSession();
  const toast = useToast();
  const detail = useApi<ExecutionDetail>(`executions/${encodeURIComponent(id)}`);
  const { byId } = usePersonaIndex();
  const [lines, setLines] = useState<OutputLine[] | null>(null);
  const [liveStatus, setLiveStatus] = useState<string | null>(null);
  const [connection, setConnection] = useState<string>('connecting');
  const [followError, setFollowError] = useState<string | null>(null);
  const [confirming, setConfirming] = useState(false);
  const [now, setNow] = useState(Date.now());

  const exec = detail.data;
  const status = liveStatus ?? exec?.status;
  const active = status !== undefined && !FINAL_STATUSES.includes(status as never);

  // Follow live while it runs; a finished execution shows what the record holds.
  useEffect(() => {
    if (!exec || FINAL_STATUSES.includes(exec.status)) return;
    setLines([]);
    const stop = followExecution(id, {
      output: (l) => setLines((prev) => (prev && prev.some((p) => p.seq === l.seq) ? prev : [...(prev ?? []), l])),
      status: (s) => setLiveStatus(s),
      end: (e) => {
        setLiveStatus(e.status);
        detail.reload();
      },
      connection: setConnection,
      failed: setFollowError,
    });
    return stop;
  }, [exec?.id, exec && FINAL_STATUSES.includes(exec.status)]);

  // While it runs: the clock for its duration, and the record (messages, worker) now and then.
  useEffect(() => {
    if (!active) return;
    const clock = setInterval(() => setNow(Date.now()), 1000);
    const record = setInterval(() => detail.reload(), 5000);
    return () => {
      clearInterval(clock);
      clearInterval(record);
    };
  }, [active]);

  const cancel = useAction(async () => {
    const after = await api.post<{ status: string }>(`executions/${encodeURIComponent(id)}/cancel`);
    setConfirming(false);
    setLiveStatus(after.status);
    toast(after.status === 'cancelled' ? 'Execution cancelled' : `Cancel requested (now ${after.status})`);
    detail.reload();
  });

  const back = { href: href('executions'), label: 'Executions' };
  if (detail.error) return <><PageHeader title="Execution" back={back} /><ErrorState error={detail.error} retry={detail.reload} /></>;
  if (detail.loading || !exec) return <Loading rows={6} />;

  const shown = FINAL_STATUSES.includes(exec.status) ? exec.output : (lines ?? exec.output);
  const elapsed = exec.durationMs ?? (exec.startedAt ? (active ? now : Date.parse(exec.completedAt ?? '') || now) - Date.parse(exec.startedAt) : null);

  return (
    <>
      <PageHeader
        back={back}
        title={<>Execution <code class="title-id">{shortId(exec.id)}</code> <StatusBadge status={status!} /></>}
        subtitle={<><PersonaLink id={exec.personaId} index={byId} /> · created <Time iso={exec.createdAt} /></>}
        actions={active && can('runner') && <Button variant="danger" icon="stop" onClick={() => setConfirming(true)}>Cancel</Button>}
      />
      {confirming && (
        <Dialog title="Cancel this execution?" onClose={() => setConfirming(false)} footer={<>
          <Button variant="ghost" onClick={() => setConfirming(false)}>Keep it running</Button>
          <Button variant="danger" icon="stop" pending={cancel.pending} onClick={() => cancel.run()}>Cancel execution</Button>
        </>}>
          <p>{status === 'queued' ? 'It has not started: it is taken out of the queue.' : 'Its CLI run is stopped on the worker; what it printed so far is kept.'}</p>
          <InlineError error={cancel.error} />
        </Dialog>
      )}
      {exec.error && <div class="banner banner-error" role="alert"><strong>Failed:</strong> <code>{exec.error}</code></div>}
      <Card>
        <Facts items={[
          ['Status', <StatusBadge status={status!} />],
          ['Cost', cost(exec.costUsd)],
          ['Turns', exec.numTurns ?? '—'],
          ['Duration', <span data-testid="duration">{duration(elapsed)}</span>],
          ['Worker', exec.workerId ? <code>{exec.workerId}</code> : <span class="muted">{status === 'queued' ? 'waiting for a slot' : '—'}</span>],
          ['Started', exec.startedAt ? dateTime(exec.startedAt) : '—'],
          ['Finished', exec.completedAt ? dateTime(exec.completedAt) : '—'],
          ['Exit code', exec.exitCode ?? '—'],
          ['Caused by', <CausingEvent eventId={exec.eventId} />],
        ]} wide={['Caused by']} />
      </Card>
      <Card title={<>Output {active && <span class={`live-pill live-${connection}`} data-testid="live">{connection === 'live' ? 'following live' : connection}</span>}</>}>
        {followError && <p class="inline-error" role="alert">Live output stopped: {followError}</p>}
        <Terminal lines={shown} active={active} status={status!} />
      </Card>
      {exec.result && <Card title="Result"><pre class="prose-pre">{exec.result}</pre></Card>}
      <Card title={`Protocol messages (${exec.messages.length})`}>
        {exec.messages.length === 0
          ? <EmptyState title="No protocol messages">Messages, memories, reviews and events the persona reports (user_message, agent_memory, manual_review, emit_event…) show here.</EmptyState>
          : <ul class="messages">{exec.messages.map((m) => <Message key={m.id} m={m} />)}</ul>}
      </Card>
      <Card title="Prompt and input">
        <details class="more">
          <summary>{exec.prompt ? `Prompt (${exec.prompt.length.toLocaleString()} characters)` : 'Prompt'}</summary>
          <pre class="prose-pre">{exec.prompt || "Assembled from the persona's prompt when it was dispatched (not stored with the execution)."}</pre>
        </details>
        {exec.inputData !== null && exec.inputData !== undefined && <><h3 class="sub">Input data</h3><pre class="json">{pretty(exec.inputData)}</pre></>}
      </Card>
    </>
  );
}

/** The event that started the execution (type, source, status), or a note that it was started directly. */
function CausingEvent({ eventId }: { eventId: string | null }) {
  const event = useApi<EventRecord>(eventId ? `events/${encodeURIComponent(eventId)}` : null);
  if (!eventId) return <span class="muted" data-testid="cause">started directly (<code>POST /api/execute</code>), not by an event</span>;
  if (event.error) return <span class="muted">event <code>{shortId(eventId)}</code> ({event.error.message})</span>;
  if (event.loading) return <span class="skeleton skeleton-inline" />;
  const e = event.data!;
  return (
    <span class="event-line" data-testid="cause">
      <a href={href('events', e.id)}><code>{e.eventType}</code></a>
      <span class="muted">from {e.sourceType}{e.sourceId ? ` · ${e.sourceId.length > 40 ? `${e.sourceId.slice(0, 40)}…` : e.sourceId}` : ''}</span>
      <StatusBadge status={e.status} />
      <Time iso={e.createdAt} />
    </span>
  );
}

/** The run's output as a terminal: each chunk coloured by its stream; sticks to the bottom while it grows. */
function Terminal({ lines, active, status }: { lines: OutputLine[]; active: boolean; status: string }) {
  const box = useRef<HTMLDivElement>(null);
  const stick = useRef(true);
  useEffect(() => {
    const el = box.current;
    if (el && stick.current) el.scrollTop = el.scrollHeight;
  }, [lines.length]);
  if (lines.length === 0) {
    return (
      <div class="terminal terminal-empty" data-testid="output">
        {status === 'queued' ? 'Waiting for a free worker slot…' : active ? 'Waiting for the first output…' : 'This execution printed nothing.'}
      </div>
    );
  }
  return (
    <div class="terminal" ref={box} data-testid="output" role="log" aria-live={active ? 'polite' : 'off'}
      onScroll={(e) => {
        const el = e.currentTarget;
        stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
      }}>
      {lines.map((l) => (
        <div key={l.seq} class={`line stream-${l.stream}`}><span class="stream-tag">{l.stream}</span><span class="line-text">{l.text}</span></div>
      ))}
      {active && <div class="line cursor" aria-hidden="true">▍</div>}
    </div>
  );
}

function Message({ m }: { m: ProtocolMessage }) {
  return (
    <li class="message">
      <div class="message-head"><Badge tone="indigo">{m.kind}</Badge> {m.kind === 'manual_review' && <StatusBadge status={m.status} />} <Time iso={m.createdAt} /></div>
      <MessageBody m={m} />
    </li>
  );
}
