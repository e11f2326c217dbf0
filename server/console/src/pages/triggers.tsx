import { api, qs } from '../api';
import { useToast } from '../components/toast';
import { Badge, Button, EmptyState, ErrorState, Loading, PageHeader, Time } from '../components/ui';
import { useAction, useApi, useSession } from '../data';
import { PersonaLink, usePersonaIndex } from '../personas-index';
import { href, navigate } from '../router';
import type { Persona, Trigger } from '../types';

const TYPES = ['schedule', 'webhook', 'chain', 'manual', 'polling'];

/** One line saying what a trigger does, from its config. */
export function triggerSummary(t: Trigger, personas?: Map<string, Persona>): string {
  const c = t.config as Record<string, unknown>;
  const type = typeof c.event_type === 'string' ? ` → ${c.event_type}` : '';
  switch (t.triggerType) {
    case 'schedule': return `${c.cron ?? (c.interval_seconds ? `every ${c.interval_seconds} s` : 'schedule')}${c.timezone ? ` (${c.timezone})` : ''}${type}`;
    case 'polling': return `${c.url ?? 'a URL'} every ${c.interval_seconds ?? '?'} s${type}`;
    case 'chain': {
      const source = String(c.source_persona_id ?? '?');
      return `after ${personas?.get(source)?.name ?? `persona ${source.slice(0, 8)}`} (${c.status ?? 'any'})${type}`;
    }
    case 'webhook': return `POST /api/webhooks/${t.personaId.slice(0, 8)}…${type}`;
    default: return `fired by hand${type}`;
  }
}

export function TriggerList({ query }: { query: URLSearchParams }) {
  const { can } = useSession();
  const toast = useToast();
  const persona = query.get('persona') ?? '';
  const type = query.get('type') ?? '';
  const triggers = useApi<Trigger[]>(`triggers${qs({ personaId: persona, type, limit: 500 })}`, { refreshMs: 10_000 });
  const { list, byId } = usePersonaIndex();
  const filter = (next: { persona?: string; type?: string }) => navigate(href('triggers', { persona, type, ...next }), { replace: true });

  const fire = useAction(async (t: Trigger) => {
    const res = await api.post<{ status: string; event: { id: string } | null; error: string | null }>(`triggers/${encodeURIComponent(t.id)}/fire`);
    toast(res.status === 'fired' ? 'Trigger fired: its event was published' : `The fire failed: ${res.error ?? 'unknown reason'}`, res.status === 'fired' ? 'ok' : 'error');
    triggers.reload();
  });
  const toggle = useAction(async (t: Trigger) => {
    await api.put(`triggers/${encodeURIComponent(t.id)}`, { enabled: !t.enabled });
    toast(t.enabled ? 'Trigger disabled' : 'Trigger enabled');
    triggers.reload();
  });
  const actionError = fire.error ?? toggle.error;

  return (
    <>
      <PageHeader title="Triggers" subtitle="Schedules, webhooks, chains, polling and manual triggers, with their last and next fire." />
      <div class="filters" role="search">
        <label>Persona
          <select value={persona} onChange={(e) => filter({ persona: e.currentTarget.value })} aria-label="Filter by persona">
            <option value="">All personas</option>
            {list.map((p) => <option key={p.id} value={p.id}>{p.name}</option>)}
          </select>
        </label>
        <label>Type
          <select value={type} onChange={(e) => filter({ type: e.currentTarget.value })} aria-label="Filter by type">
            <option value="">Any type</option>
            {TYPES.map((s) => <option key={s} value={s}>{s}</option>)}
          </select>
        </label>
      </div>
      {actionError && <ErrorState error={actionError} title="That did not work" />}
      {triggers.error ? <ErrorState error={triggers.error} retry={triggers.reload} />
        : triggers.loading ? <Loading rows={4} />
        : triggers.data!.length === 0 ? (
          <EmptyState icon="triggers" title={persona || type ? 'No trigger matches these filters' : 'No triggers yet'}>
            Create one with <code>POST /api/triggers</code>: a schedule (<code>{'{"cron": "every 30m"}'}</code> or a cron expression), a webhook, a chain after another persona, polling of a URL, or a manual trigger. See the README's Triggers section.
          </EmptyState>
        ) : (
          <div class="card">
            <table class="table" data-testid="triggers">
              <thead><tr><th>Persona</th><th>Type</th><th>What</th><th>Last fire</th><th>Next fire</th><th class="actions-col">Actions</th></tr></thead>
              <tbody>
                {triggers.data!.map((t) => (
                  <tr key={t.id}>
                    <td data-label="Persona"><PersonaLink id={t.personaId} index={byId} /></td>
                    <td data-label="Type"><Badge tone={t.enabled ? 'indigo' : 'gray'}>{t.triggerType}</Badge> {!t.enabled && <Badge>disabled</Badge>}</td>
                    <td data-label="What" class="clip"><code title={triggerSummary(t, byId)}>{triggerSummary(t, byId)}</code></td>
                    <td data-label="Last fire"><Time iso={t.lastTriggeredAt} /></td>
                    <td data-label="Next fire">{t.enabled ? (t.nextTriggerAt ? <Time iso={t.nextTriggerAt} /> : <span class="muted">on its {t.triggerType === 'manual' ? 'button' : 'event'}</span>) : <span class="muted">disabled</span>}</td>
                    <td data-label="Actions" class="actions-col">
                      {can('operator') ? (
                        <div class="row-actions">
                          <Button size="sm" icon="executions" pending={fire.pending} onClick={() => fire.run(t)}>Fire now</Button>
                          <Button size="sm" variant="ghost" icon="power" pending={toggle.pending} onClick={() => toggle.run(t)}>{t.enabled ? 'Disable' : 'Enable'}</Button>
                        </div>
                      ) : <span class="muted small">operator only</span>}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
    </>
  );
}
