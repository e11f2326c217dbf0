import { Card, EmptyState, ErrorState, Loading, PageHeader, StatusBadge, Time, Badge, toneOf } from '../components/ui';
import { useApi } from '../data';
import { cost, duration, shortId } from '../format';
import { PersonaLink, usePersonaIndex } from '../personas-index';
import { href } from '../router';
import { EXECUTION_STATUSES, type Execution, type InstanceStatus, type ExecutionSummary, type QueueCounts, type SystemStatus, type WorkerSummary } from '../types';

const REFRESH_MS = 5000;

const ISOLATION: Record<WorkerSummary['isolation'], { tone: string; text: string }> = {
  bwrap: { tone: 'green', text: 'files, processes and network isolated (bubblewrap)' },
  uid: { tone: 'amber', text: 'own uid per run; the network is not limited' },
  none: { tone: 'red', text: 'not isolated: a run is the worker' },
  unknown: { tone: 'gray', text: 'an older worker that does not report its isolation' },
};

export function Overview() {
  const status = useApi<SystemStatus>('status', { refreshMs: REFRESH_MS });
  const summary = useApi<ExecutionSummary>('executions/summary?hours=24', { refreshMs: REFRESH_MS });
  const failures = useApi<Execution[]>('executions?status=failed&limit=5', { refreshMs: REFRESH_MS });
  const { byId } = usePersonaIndex();

  return (
    <>
      <PageHeader title="Overview" subtitle={status.at ? <>Refreshes every 5 s · version {status.data?.version}</> : 'What runs, what waits, what failed.'} />
      {status.data?.claude && !status.data.claude.connected && (
        <div class="banner banner-warn" role="alert">
          <strong>Claude is not connected.</strong> Executions will fail until an admin connects a subscription
          (<code>POST /api/oauth/authorize</code>) or sets <code>CLAUDE_TOKEN</code>.
        </div>
      )}
      <div class="stats">
        <Stat label="Executions, last 24 h" value={summary.data?.total} />
        <Stat label="Running now" value={status.data?.executions.running} tone="blue" />
        <Stat label="Failed, last 24 h" value={summary.data?.byStatus.failed} tone={summary.data?.byStatus.failed ? 'red' : undefined} />
        <Stat label="Cost, last 24 h" value={summary.data ? cost(summary.data.costUsd) : undefined} />
      </div>
      <div class="grid-2">
        <Card title="Executions in the last 24 hours">
          {summary.error ? <ErrorState error={summary.error} retry={summary.reload} /> : summary.loading ? <Loading rows={2} /> : <StatusBars summary={summary.data!} />}
        </Card>
        <Card title="Queues">
          {status.error ? <ErrorState error={status.error} retry={status.reload} /> : status.loading ? <Loading rows={3} /> : <Queues queues={status.data!.queues} />}
        </Card>
      </div>
      <Card title="Workers" actions={status.data && <span class="muted">{status.data.workers.reduce((n, w) => n + w.free, 0)} free slots{
        (status.data.instances?.length ?? 1) > 1 ? ` · ${status.data.instances!.length} orchestrators` : ''}</span>}>
        {status.error ? <ErrorState error={status.error} retry={status.reload} /> : status.loading ? <Loading rows={2} />
          : <Workers workers={status.data!.workers} instances={status.data!.instances ?? []} />}
      </Card>
      <Card title="Recent failures" actions={<a href={href('executions', { status: 'failed' })}>All failed executions →</a>}>
        {failures.error ? <ErrorState error={failures.error} retry={failures.reload} />
          : failures.loading ? <Loading rows={3} />
          : failures.data!.length === 0 ? <EmptyState icon="check" title="No failed executions">Failures show here with their error, newest first.</EmptyState>
          : (
            <ul class="failures">
              {failures.data!.map((e) => (
                <li key={e.id}>
                  <div class="failure-head">
                    <a href={href('executions', e.id)}><code>{shortId(e.id)}</code></a>
                    <PersonaLink id={e.personaId} index={byId} />
                    <span class="muted"><Time iso={e.completedAt ?? e.createdAt} /></span>
                  </div>
                  <code class="error-text">{e.error ?? 'failed without an error message'}</code>
                </li>
              ))}
            </ul>
          )}
      </Card>
    </>
  );
}

function Stat({ label, value, tone }: { label: string; value: number | string | undefined; tone?: string }) {
  return (
    <div class={`stat${tone ? ` tone-text-${tone}` : ''}`}>
      <span class="stat-label">{label}</span>
      <span class="stat-value">{value ?? <span class="skeleton skeleton-inline" />}</span>
    </div>
  );
}

function StatusBars({ summary }: { summary: ExecutionSummary }) {
  if (summary.total === 0) {
    return <EmptyState title="Nothing ran in the last 24 hours">Run a persona from its page, or publish an event that a persona subscribes to.</EmptyState>;
  }
  return (
    <>
      <div class="stacked" role="img" aria-label={EXECUTION_STATUSES.map((s) => `${summary.byStatus[s]} ${s}`).join(', ')}>
        {EXECUTION_STATUSES.filter((s) => summary.byStatus[s] > 0).map((s) => (
          <span key={s} class={`bar tone-bg-${toneOf(s)}`} style={{ flexGrow: summary.byStatus[s] }} title={`${summary.byStatus[s]} ${s}`} />
        ))}
      </div>
      <ul class="legend">
        {EXECUTION_STATUSES.map((s) => (
          <li key={s}>
            <a href={href('executions', { status: s })}><StatusBadge status={s} /></a>
            <strong data-testid={`count-${s}`}>{summary.byStatus[s]}</strong>
          </li>
        ))}
      </ul>
    </>
  );
}

const STATES = ['waiting', 'active', 'delayed', 'failed'];

function Queues({ queues }: { queues: Record<string, QueueCounts> }) {
  return (
    <table class="table compact">
      <thead><tr><th>Queue</th>{STATES.map((s) => <th key={s} class="num">{s}</th>)}</tr></thead>
      <tbody>
        {Object.entries(queues).map(([name, counts]) => (
          <tr key={name}>
            <td data-label="Queue"><strong>{name}</strong></td>
            {'error' in counts
              ? <td colSpan={STATES.length} class="muted">Redis does not answer: queued work waits in the database until it is back.</td>
              : STATES.map((s) => <td key={s} class="num" data-label={s}>{(counts as Record<string, number>)[s] ?? 0}</td>)}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Workers({ workers, instances }: { workers: WorkerSummary[]; instances: InstanceStatus[] }) {
  const several = instances.length > 1;
  const host = (id: string | undefined) => instances.find((i) => i.id === id)?.host;
  if (workers.length === 0) {
    return (
      <EmptyState icon="server" title="No worker is connected">
        Executions wait in the queue until one connects. Start one with <code>npm run worker</code> (it needs <code>ORCHESTRATOR_URL</code> and a
        worker token), or <code>npm start</code> runs local workers for you.
      </EmptyState>
    );
  }
  return (
    <table class="table">
      <thead><tr><th>Worker</th><th>Slots in use</th><th>Isolation</th><th>Version</th>{several && <th>Orchestrator</th>}<th>Connected</th></tr></thead>
      <tbody>
        {workers.map((w) => (
          <tr key={w.workerId}>
            <td data-label="Worker"><strong>{w.workerId}</strong><div class="muted small">{w.auth === 'enrolled' ? 'enrolled token' : 'shared token'}</div></td>
            <td data-label="Slots in use" class="nowrap">
              <div class="meter" title={`${w.busy} of ${w.slots} busy`}>
                <span class="meter-fill" style={{ width: `${(100 * w.busy) / Math.max(1, w.slots)}%` }} />
              </div>
              <span class="meter-text">{w.busy} / {w.slots}</span>
            </td>
            <td data-label="Isolation"><Badge tone={ISOLATION[w.isolation].tone} title={ISOLATION[w.isolation].text}>{w.isolation}</Badge>
              <span class="muted small"> {ISOLATION[w.isolation].text}</span></td>
            <td data-label="Version"><code>{w.version}</code></td>
            {several && <td data-label="Orchestrator" title={host(w.instanceId) ? `on ${host(w.instanceId)}` : undefined}><code>{w.instanceId ?? '—'}</code></td>}
            <td data-label="Connected" class="nowrap"><span title={w.connectedAt}>for {duration(Date.now() - Date.parse(w.connectedAt))}</span></td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
