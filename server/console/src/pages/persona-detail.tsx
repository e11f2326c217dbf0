import { useState } from 'preact/hooks';
import { api } from '../api';
import { useToast } from '../components/toast';
import { Badge, Button, Card, EmptyState, ErrorState, Facts, LinkButton, Loading, PageHeader, StatusBadge, Time } from '../components/ui';
import { useAction, useApi, useSession } from '../data';
import { cost, duration, pretty, shortId } from '../format';
import { usePersonaIndex } from '../personas-index';
import { href } from '../router';
import type { Credential, Execution, Persona, Subscription, ToolDefinition, Trigger } from '../types';
import { RunDialog } from './run-dialog';
import { triggerSummary } from './triggers';

export function PersonaDetail({ id }: { id: string }) {
  const { can } = useSession();
  const toast = useToast();
  const persona = useApi<Persona>(`personas/${encodeURIComponent(id)}`);
  const [running, setRunning] = useState(false);
  const toggle = useAction(async (enabled: boolean) => {
    await api.post<Persona>('personas', { id, enabled });
    toast(enabled ? 'Persona enabled' : 'Persona disabled: events and runs no longer start it');
    persona.reload();
  });

  if (persona.error) return <><PageHeader title="Persona" back={{ href: href('personas'), label: 'Personas' }} /><ErrorState error={persona.error} retry={persona.reload} /></>;
  if (persona.loading) return <Loading rows={6} />;
  const p = persona.data!;

  return (
    <>
      <PageHeader
        back={{ href: href('personas'), label: 'Personas' }}
        title={<>{p.name} <Badge tone={p.enabled ? 'green' : 'gray'}>{p.enabled ? 'enabled' : 'disabled'}</Badge></>}
        subtitle={p.description ?? undefined}
        actions={<>
          {can('runner') && (
            <Button variant="primary" icon="executions" onClick={() => setRunning(true)} disabled={!p.enabled}
              title={p.enabled ? 'Run this persona now' : 'Enable the persona to run it'}>Run</Button>
          )}
          {can('operator') && <LinkButton href={href('personas', id, 'edit')} icon="edit">Edit</LinkButton>}
          {can('operator') && (
            <Button icon="power" pending={toggle.pending} onClick={() => toggle.run(!p.enabled)}>{p.enabled ? 'Disable' : 'Enable'}</Button>
          )}
        </>}
      />
      {toggle.error && <ErrorState error={toggle.error} title="Could not change the persona" />}
      {running && <RunDialog persona={p} onClose={() => setRunning(false)} />}
      <div class="grid-2">
        <Card title="Limits">
          <Facts items={[
            ['Runs at once', p.maxConcurrent],
            ['Timeout', p.timeoutMs ? duration(p.timeoutMs) : 'orchestrator default'],
            ['Budget per run', p.maxBudgetUsd ? cost(p.maxBudgetUsd) : 'no limit'],
            ['Max turns', p.maxTurns ?? 'no limit'],
            ['Created', <Time iso={p.createdAt} />],
            ['Updated', <Time iso={p.updatedAt} />],
          ]} />
        </Card>
        <Card title="Tools and network">
          <h3 class="sub">Claude Code tools</h3>
          {p.allowedTools === null ? <p class="muted">The default list (Bash, Read, Write, Edit, Glob, Grep, WebFetch, WebSearch, TodoWrite).</p>
            : p.allowedTools.length === 0 ? <p class="muted">No tools at all.</p>
            : <div class="chips">{p.allowedTools.map((t) => <code key={t} class="chip">{t}</code>)}</div>}
          <h3 class="sub">Hosts its runs may reach</h3>
          {p.allowedHosts.length === 0 ? <p class="muted">Only the Claude API.</p>
            : <div class="chips">{p.allowedHosts.map((h) => <code key={h} class="chip">{h}</code>)}</div>}
          <ToolDefinitions id={id} />
        </Card>
      </div>
      <Card title="Prompt">
        {p.systemPrompt ? <pre class="prose-pre" data-testid="system-prompt">{p.systemPrompt}</pre> : <p class="muted">No system prompt.</p>}
        {p.structuredPrompt && <details class="more"><summary>Structured prompt</summary><pre class="json">{pretty(p.structuredPrompt)}</pre></details>}
      </Card>
      <div class="grid-2">
        <Credentials id={id} />
        <Subscriptions id={id} />
      </div>
      <Triggers id={id} />
      <RecentExecutions id={id} />
    </>
  );
}

function ToolDefinitions({ id }: { id: string }) {
  const tools = useApi<ToolDefinition[]>(`personas/${encodeURIComponent(id)}/tools`);
  if (tools.error || tools.loading || tools.data!.length === 0) return null;
  return (
    <>
      <h3 class="sub">Tool definitions</h3>
      <ul class="plain">{tools.data!.map((t) => <li key={t.id}><code>{t.name}</code> {t.description && <span class="muted">— {t.description}</span>}</li>)}</ul>
    </>
  );
}

function Credentials({ id }: { id: string }) {
  const creds = useApi<Credential[]>(`personas/${encodeURIComponent(id)}/credentials`);
  return (
    <Card title="Credentials">
      {creds.error ? <ErrorState error={creds.error} retry={creds.reload} /> : creds.loading ? <Loading rows={1} />
        : creds.data!.length === 0 ? <EmptyState icon="key" title="No credentials linked">Link one with POST /api/personas/:id/credentials; its fields become CONNECTOR_… variables of the run.</EmptyState>
        : (
          <>
            <ul class="plain">{creds.data!.map((c) => <li key={c.id}><strong>{c.name}</strong> <Badge>{c.serviceType}</Badge></li>)}</ul>
            <p class="muted small">Names only: values are stored encrypted and never shown.</p>
          </>
        )}
    </Card>
  );
}

function Subscriptions({ id }: { id: string }) {
  const subs = useApi<Subscription[]>(`personas/${encodeURIComponent(id)}/subscriptions`);
  return (
    <Card title="Subscriptions">
      {subs.error ? <ErrorState error={subs.error} retry={subs.reload} /> : subs.loading ? <Loading rows={1} />
        : subs.data!.length === 0 ? <EmptyState icon="events" title="Subscribed to no event">Events start this persona only through a subscription (POST /api/subscriptions).</EmptyState>
        : (
          <ul class="plain">
            {subs.data!.map((s) => (
              <li key={s.id}><code>{s.eventType}</code> {s.sourceFilter && <span class="muted">from <code>{s.sourceFilter}</code></span>} {!s.enabled && <Badge>disabled</Badge>}</li>
            ))}
          </ul>
        )}
    </Card>
  );
}

function Triggers({ id }: { id: string }) {
  const { byId } = usePersonaIndex();
  const triggers = useApi<Trigger[]>(`personas/${encodeURIComponent(id)}/triggers`);
  return (
    <Card title="Triggers" actions={<a href={href('triggers', { persona: id })}>Manage on the triggers page →</a>}>
      {triggers.error ? <ErrorState error={triggers.error} retry={triggers.reload} /> : triggers.loading ? <Loading rows={1} />
        : triggers.data!.length === 0 ? <EmptyState icon="triggers" title="No triggers">A schedule, webhook, chain, manual or polling trigger starts it on its own (POST /api/triggers).</EmptyState>
        : (
          <table class="table compact">
            <thead><tr><th>Type</th><th>What</th><th>Last fire</th><th>Next fire</th></tr></thead>
            <tbody>
              {triggers.data!.map((t) => (
                <tr key={t.id}>
                  <td data-label="Type"><Badge tone={t.enabled ? 'indigo' : 'gray'}>{t.triggerType}</Badge></td>
                  <td data-label="What">{triggerSummary(t, byId)}</td>
                  <td data-label="Last fire"><Time iso={t.lastTriggeredAt} /></td>
                  <td data-label="Next fire">{t.enabled ? <Time iso={t.nextTriggerAt} /> : <span class="muted">disabled</span>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
    </Card>
  );
}

function RecentExecutions({ id }: { id: string }) {
  const runs = useApi<Execution[]>(`executions?personaId=${encodeURIComponent(id)}&limit=10`, { refreshMs: 5000 });
  return (
    <Card title="Recent executions" actions={<a href={href('executions', { persona: id })}>All of them →</a>}>
      {runs.error ? <ErrorState error={runs.error} retry={runs.reload} /> : runs.loading ? <Loading rows={2} />
        : runs.data!.length === 0 ? <EmptyState icon="executions" title="It has not run yet">Run it with the Run button, or publish an event it subscribes to.</EmptyState>
        : (
          <table class="table compact">
            <thead><tr><th>Execution</th><th>Status</th><th>Started</th><th>Duration</th><th>Cost</th></tr></thead>
            <tbody>
              {runs.data!.map((e) => (
                <tr key={e.id}>
                  <td data-label="Execution"><a href={href('executions', e.id)}><code>{shortId(e.id)}</code></a></td>
                  <td data-label="Status"><StatusBadge status={e.status} /></td>
                  <td data-label="Started"><Time iso={e.startedAt ?? e.createdAt} /></td>
                  <td data-label="Duration">{duration(e.durationMs)}</td>
                  <td data-label="Cost">{cost(e.costUsd)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
    </Card>
  );
}
