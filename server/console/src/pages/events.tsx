import { useState } from 'preact/hooks';
import { api, qs } from '../api';
import { useToast } from '../components/toast';
import { Button, Dialog, EmptyState, ErrorState, Field, InlineError, Loading, PageHeader, StatusBadge, Time, toneOf } from '../components/ui';
import { useAction, useApi, useSession } from '../data';
import { inputValue } from '../format';
import { usePersonaIndex } from '../personas-index';
import { href, navigate } from '../router';
import type { EventRecord, Persona } from '../types';

const EVENT_STATUSES = ['pending', 'processing', 'delivered', 'partial', 'skipped', 'failed'];

export function EventList({ query }: { query: URLSearchParams }) {
  const { can } = useSession();
  const type = query.get('type') ?? '';
  const status = query.get('status') ?? '';
  const events = useApi<EventRecord[]>(`events${qs({ type, status, limit: 100 })}`, { refreshMs: 5000 });
  const { list, byId } = usePersonaIndex();
  const [publishing, setPublishing] = useState(false);
  const [typeInput, setTypeInput] = useState(type);
  const filter = (next: { type?: string; status?: string }) => navigate(href('events', { type, status, ...next }), { replace: true });

  return (
    <>
      <PageHeader title="Events" subtitle="What came in (webhooks, schedules, personas, the API) and what it started."
        actions={can('runner') && <Button variant="primary" icon="send" onClick={() => setPublishing(true)}>Publish test event</Button>} />
      {publishing && <PublishDialog personas={list} onClose={() => setPublishing(false)} onPublished={() => { setPublishing(false); events.reload(); }} />}
      <form class="filters" role="search" onSubmit={(e) => { e.preventDefault(); filter({ type: typeInput.trim() }); }}>
        <label>Type
          <input value={typeInput} placeholder="e.g. gitlab_push" onInput={(e) => setTypeInput(e.currentTarget.value)} aria-label="Filter by event type" />
        </label>
        <label>Status
          <select value={status} onChange={(e) => filter({ status: e.currentTarget.value })} aria-label="Filter by status">
            <option value="">Any status</option>
            {EVENT_STATUSES.map((s) => <option key={s} value={s}>{s}</option>)}
          </select>
        </label>
        <Button type="submit" size="sm">Apply</Button>
        {(type || status) && <Button variant="ghost" size="sm" onClick={() => { setTypeInput(''); filter({ type: '', status: '' }); }}>Clear filters</Button>}
      </form>
      {events.error ? <ErrorState error={events.error} retry={events.reload} />
        : events.loading ? <Loading rows={6} />
        : events.data!.length === 0 ? (
          <EmptyState icon="events" title={type || status ? 'No event matches these filters' : 'No events yet'}>
            {type || status ? 'Clear the filters to see every event.' : 'Events arrive from webhooks, schedules and personas, or with POST /api/events. Publish a test event to try a subscription.'}
          </EmptyState>
        ) : (
          <div class="card">
            <table class="table" data-testid="events">
              <thead><tr><th>Type</th><th>Source</th><th>Status</th><th>Executions it caused</th><th>Received</th></tr></thead>
              <tbody>
                {events.data!.map((e) => (
                  <tr key={e.id}>
                    <td data-label="Type"><a href={href('events', e.id)}><code>{e.eventType}</code></a></td>
                    <td data-label="Source">{e.sourceType}{e.sourceId && <span class="muted" title={e.sourceId}> · {e.sourceId.length > 28 ? `${e.sourceId.slice(0, 8)}…` : e.sourceId}</span>}
                      {e.targetPersonaId && <div class="muted small">for {byId.get(e.targetPersonaId)?.name ?? e.targetPersonaId}</div>}</td>
                    <td data-label="Status"><StatusBadge status={e.status} />{e.error && <div class="muted small clamp" title={e.error}>{e.error}</div>}</td>
                    <td data-label="Executions">
                      {e.executions.length === 0 ? <span class="muted">none</span> : (
                        <div class="chips">
                          {e.executions.map((x) => (
                            <a key={x.id} class={`chip chip-link tone-border-${toneOf(x.status)}`} href={href('executions', x.id)} title={x.status}>
                              <span class={`dot tone-bg-${toneOf(x.status)}`} /> {x.personaId ? byId.get(x.personaId)?.name ?? x.personaId.slice(0, 8) : 'run'}
                            </a>
                          ))}
                        </div>
                      )}
                    </td>
                    <td data-label="Received"><Time iso={e.createdAt} /></td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
    </>
  );
}

function PublishDialog({ personas, onClose, onPublished }: { personas: Persona[]; onClose: () => void; onPublished: () => void }) {
  const toast = useToast();
  const [eventType, setEventType] = useState('console_test');
  const [sourceId, setSourceId] = useState('console');
  const [target, setTarget] = useState('');
  const [payload, setPayload] = useState('{\n  "hello": "world"\n}');
  const publish = useAction(async () => {
    const body = { eventType: eventType.trim(), sourceType: 'manual', sourceId: sourceId.trim() || null, targetPersonaId: target || null, payload: inputValue(payload) ?? {} };
    const event = await api.post<EventRecord>('events', body);
    toast(`Event ${event.eventType} published`);
    onPublished();
  });
  return (
    <Dialog title="Publish a test event" onClose={onClose} footer={<>
      <Button variant="ghost" onClick={onClose}>Cancel</Button>
      <Button variant="primary" icon="send" pending={publish.pending} onClick={() => publish.run()}>Publish</Button>
    </>}>
      <p class="muted">It goes through the same path as a webhook: every enabled subscription to its type starts an execution.</p>
      <Field id="ev-type" label="Event type" error={publish.error?.details.find((d) => d.field === 'eventType')?.message}>
        <input id="ev-type" value={eventType} onInput={(e) => setEventType(e.currentTarget.value)} />
      </Field>
      <Field id="ev-source" label="Source id" hint="Matched against subscriptions' source filters.">
        <input id="ev-source" value={sourceId} onInput={(e) => setSourceId(e.currentTarget.value)} />
      </Field>
      <Field id="ev-target" label="Only for persona">
        <select id="ev-target" value={target} onChange={(e) => setTarget(e.currentTarget.value)}>
          <option value="">Any subscribed persona</option>
          {personas.map((p) => <option key={p.id} value={p.id}>{p.name}</option>)}
        </select>
      </Field>
      <Field id="ev-payload" label="Payload (JSON)">
        <textarea id="ev-payload" rows={5} class="mono" value={payload} onInput={(e) => setPayload(e.currentTarget.value)} />
      </Field>
      <InlineError error={publish.error} />
    </Dialog>
  );
}
