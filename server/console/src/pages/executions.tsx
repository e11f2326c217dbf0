import { useState } from 'preact/hooks';
import { Button, EmptyState, ErrorState, Loading, PageHeader, StatusBadge, Time } from '../components/ui';
import { useApi } from '../data';
import { qs } from '../api';
import { cost, duration, shortId } from '../format';
import { PersonaLink, usePersonaIndex } from '../personas-index';
import { href, navigate } from '../router';
import { EXECUTION_STATUSES, type Execution } from '../types';

const PAGE = 50;

export function ExecutionList({ query }: { query: URLSearchParams }) {
  const persona = query.get('persona') ?? '';
  const status = query.get('status') ?? '';
  const [pages, setPages] = useState(1);
  const runs = useApi<Execution[]>(`executions${qs({ personaId: persona, status, limit: PAGE * pages })}`, { refreshMs: 5000 });
  const { list, byId } = usePersonaIndex();
  const filter = (next: { persona?: string; status?: string }) => {
    setPages(1);
    navigate(href('executions', { persona, status, ...next }), { replace: true });
  };
  const filtered = Boolean(persona || status);

  return (
    <>
      <PageHeader title="Executions" subtitle="Every run, newest first; refreshes every 5 s." />
      <div class="filters" role="search">
        <label>Persona
          <select value={persona} onChange={(e) => filter({ persona: e.currentTarget.value })} aria-label="Filter by persona">
            <option value="">All personas</option>
            {list.map((p) => <option key={p.id} value={p.id}>{p.name}</option>)}
          </select>
        </label>
        <label>Status
          <select value={status} onChange={(e) => filter({ status: e.currentTarget.value })} aria-label="Filter by status">
            <option value="">Any status</option>
            {EXECUTION_STATUSES.map((s) => <option key={s} value={s}>{s}</option>)}
          </select>
        </label>
        {filtered && <Button variant="ghost" size="sm" onClick={() => filter({ persona: '', status: '' })}>Clear filters</Button>}
      </div>
      {runs.error ? <ErrorState error={runs.error} retry={runs.reload} />
        : runs.loading ? <Loading rows={6} />
        : runs.data!.length === 0 ? (
          filtered
            ? <EmptyState title="No execution matches these filters" action={<Button size="sm" onClick={() => filter({ persona: '', status: '' })}>Clear filters</Button>} />
            : <EmptyState icon="executions" title="No executions yet">Run a persona from its page, or publish an event that a persona subscribes to.</EmptyState>
        ) : (
          <div class="card">
            <table class="table" data-testid="executions">
              <thead><tr><th>Execution</th><th>Persona</th><th>Status</th><th>Started</th><th>Duration</th><th>Cost</th><th>Error</th></tr></thead>
              <tbody>
                {runs.data!.map((e) => (
                  <tr key={e.id}>
                    <td data-label="Execution"><a href={href('executions', e.id)}><code>{shortId(e.id)}</code></a></td>
                    <td data-label="Persona"><PersonaLink id={e.personaId} index={byId} /></td>
                    <td data-label="Status"><StatusBadge status={e.status} /></td>
                    <td data-label="Started"><Time iso={e.startedAt ?? e.createdAt} /></td>
                    <td data-label="Duration">{duration(e.durationMs)}</td>
                    <td data-label="Cost">{cost(e.costUsd)}</td>
                    <td data-label="Error" class="clip">{e.error ? <code class="error-text">{e.error}</code> : <span class="muted">—</span>}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            {runs.data!.length >= PAGE * pages && (
              <div class="more-row"><Button onClick={() => setPages(pages + 1)}>Show {PAGE} more</Button></div>
            )}
          </div>
        )}
    </>
  );
}
