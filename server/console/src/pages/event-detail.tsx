import { Card, EmptyState, ErrorState, Facts, Json, Loading, PageHeader, StatusBadge, Time } from '../components/ui';
import { useApi } from '../data';
import { dateTime, shortId } from '../format';
import { PersonaLink, usePersonaIndex } from '../personas-index';
import { href } from '../router';
import type { EventRecord } from '../types';

export function EventPage({ id }: { id: string }) {
  const event = useApi<EventRecord & { executions: Array<{ id: string; personaId: string | null; status: string; error: string | null; createdAt: string }> }>(
    `events/${encodeURIComponent(id)}`, { refreshMs: 5000 });
  const { byId } = usePersonaIndex();
  const back = { href: href('events'), label: 'Events' };
  if (event.error) return <><PageHeader title="Event" back={back} /><ErrorState error={event.error} retry={event.reload} /></>;
  if (event.loading) return <Loading rows={5} />;
  const e = event.data!;
  return (
    <>
      <PageHeader back={back} title={<><code class="title-id">{e.eventType}</code> <StatusBadge status={e.status} /></>} subtitle={<>received <Time iso={e.createdAt} /></>} />
      {e.error && <div class="banner banner-warn" role="alert">{e.error}</div>}
      <Card>
        <Facts items={[
          ['Source', `${e.sourceType}${e.sourceId ? ` · ${e.sourceId}` : ''}`],
          ['For persona', e.targetPersonaId ? <PersonaLink id={e.targetPersonaId} index={byId} /> : 'any subscribed persona'],
          ['Chain depth', e.chainDepth],
          ['Emitted by', e.parentExecutionId ? <a href={href('executions', e.parentExecutionId)}><code>{shortId(e.parentExecutionId)}</code></a> : '—'],
          ['Received', dateTime(e.createdAt)],
          ['Processed', dateTime(e.processedAt)],
        ]} />
      </Card>
      <Card title="Executions it caused">
        {e.executions.length === 0
          ? <EmptyState title="It started nothing">{e.status === 'skipped' ? 'No enabled subscription matched its type and source.' : 'Nothing yet: it may still be waiting to be processed.'}</EmptyState>
          : (
            <table class="table compact">
              <thead><tr><th>Execution</th><th>Persona</th><th>Status</th><th>Created</th></tr></thead>
              <tbody>
                {e.executions.map((x) => (
                  <tr key={x.id}>
                    <td data-label="Execution"><a href={href('executions', x.id)}><code>{shortId(x.id)}</code></a></td>
                    <td data-label="Persona"><PersonaLink id={x.personaId} index={byId} /></td>
                    <td data-label="Status"><StatusBadge status={x.status} /></td>
                    <td data-label="Created"><Time iso={x.createdAt} /></td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
      </Card>
      <Card title="Payload"><Json value={e.payload} /></Card>
    </>
  );
}
