import { useEffect, useState } from 'preact/hooks';
import { api, type ApiError } from '../api';
import { useToast } from '../components/toast';
import { Button, Card, ErrorState, Field, InlineError, Loading, PageHeader, RoleNotice } from '../components/ui';
import { useAction, useApi, useSession } from '../data';
import { lines } from '../format';
import { href, navigate } from '../router';
import type { Persona } from '../types';

interface Form {
  name: string;
  description: string;
  systemPrompt: string;
  enabled: boolean;
  maxConcurrent: string;
  timeoutSeconds: string;
  maxBudgetUsd: string;
  maxTurns: string;
  toolsMode: 'default' | 'list';
  tools: string;
  hosts: string;
}

const EMPTY: Form = {
  name: '', description: '', systemPrompt: '', enabled: true, maxConcurrent: '1', timeoutSeconds: '', maxBudgetUsd: '',
  maxTurns: '', toolsMode: 'default', tools: '', hosts: '',
};

function fromPersona(p: Persona): Form {
  return {
    name: p.name, description: p.description ?? '', systemPrompt: p.systemPrompt ?? '', enabled: p.enabled,
    maxConcurrent: String(p.maxConcurrent), timeoutSeconds: p.timeoutMs ? String(p.timeoutMs / 1000) : '',
    maxBudgetUsd: p.maxBudgetUsd ? String(p.maxBudgetUsd) : '', maxTurns: p.maxTurns ? String(p.maxTurns) : '',
    toolsMode: p.allowedTools === null ? 'default' : 'list', tools: (p.allowedTools ?? []).join('\n'), hosts: p.allowedHosts.join('\n'),
  };
}

const num = (s: string) => (s.trim() === '' ? null : Number(s));

function toBody(f: Form, id?: string) {
  const timeout = num(f.timeoutSeconds);
  return {
    ...(id ? { id } : {}),
    name: f.name.trim(), description: f.description.trim() || null, systemPrompt: f.systemPrompt || null, enabled: f.enabled,
    maxConcurrent: num(f.maxConcurrent) ?? 1, timeoutMs: timeout === null ? null : Math.round(timeout * 1000),
    maxBudgetUsd: num(f.maxBudgetUsd), maxTurns: num(f.maxTurns),
    allowedTools: f.toolsMode === 'default' ? null : lines(f.tools), allowedHosts: lines(f.hosts),
  };
}

/** The API names the field (`allowedTools.2`, `timeoutMs`); map it to the form's input. */
function fieldErrors(error: ApiError | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const d of error?.details ?? []) {
    const field = d.field.split('.')[0];
    const key = field === 'timeoutMs' ? 'timeoutSeconds' : field === 'allowedTools' ? 'tools' : field === 'allowedHosts' ? 'hosts' : field;
    const entry = d.field.includes('.') ? ` (entry ${Number(d.field.split('.')[1]) + 1})` : '';
    out[key] ??= `${d.message}${entry}`;
  }
  return out;
}

export function PersonaForm({ id }: { id?: string }) {
  const { can, me } = useSession();
  const toast = useToast();
  const existing = useApi<Persona>(id ? `personas/${encodeURIComponent(id)}` : null);
  const [form, setForm] = useState<Form>(EMPTY);
  // The persona the form holds the values of. The fields are shown only once they hold them: shown
  // earlier, what someone typed before the effect ran would be overwritten by the stored values.
  const [filledFrom, setFilledFrom] = useState<Persona | undefined>();
  useEffect(() => {
    if (!existing.data) return;
    setForm(fromPersona(existing.data));
    setFilledFrom(existing.data);
  }, [existing.data]);
  const save = useAction(async () => {
    const saved = await api.post<Persona>('personas', toBody(form, id));
    toast(id ? 'Persona saved' : `Persona "${saved.name}" created`);
    navigate(href('personas', saved.id));
  });
  const set = <K extends keyof Form>(k: K) => (e: Event) => {
    const t = e.currentTarget as HTMLInputElement;
    setForm({ ...form, [k]: t.type === 'checkbox' ? t.checked : t.value });
  };

  const title = id ? 'Edit persona' : 'New persona';
  const back = id ? { href: href('personas', id), label: existing.data?.name ?? 'Persona' } : { href: href('personas'), label: 'Personas' };
  if (!can('operator')) return <><PageHeader title={title} back={back} /><RoleNotice needed="operator" role={me.role} what="Creating and editing personas" /></>;
  if (id && existing.error) return <><PageHeader title={title} back={back} /><ErrorState error={existing.error} retry={existing.reload} /></>;
  if (id && (existing.loading || filledFrom !== existing.data)) return <Loading rows={6} />;

  const errors = fieldErrors(save.error);
  const onSubmit = (e: Event) => {
    e.preventDefault();
    void save.run();
  };
  return (
    <>
      <PageHeader title={title} back={back} />
      <form class="form" onSubmit={onSubmit} noValidate>
        <Card title="Identity">
          <Field id="p-name" label="Name" error={errors.name}>
            <input id="p-name" required maxLength={200} value={form.name} onInput={set('name')} />
          </Field>
          <Field id="p-description" label="Description" error={errors.description}>
            <input id="p-description" value={form.description} onInput={set('description')} placeholder="Reviews merge requests for code quality" />
          </Field>
          <Field id="p-prompt" label="System prompt" error={errors.systemPrompt} hint="Who the persona is and what it does. Tools, credentials and the communication protocols are added to it when it runs.">
            <textarea id="p-prompt" rows={8} value={form.systemPrompt} onInput={set('systemPrompt')} />
          </Field>
          <label class="check"><input type="checkbox" checked={form.enabled} onChange={set('enabled')} /> Enabled (events and runs may start it)</label>
        </Card>
        <Card title="Limits">
          <div class="grid-4">
            <Field id="p-concurrent" label="Runs at once" error={errors.maxConcurrent}>
              <input id="p-concurrent" type="number" min={1} max={1000} value={form.maxConcurrent} onInput={set('maxConcurrent')} />
            </Field>
            <Field id="p-timeout" label="Timeout (seconds)" error={errors.timeoutSeconds} hint="Empty: the orchestrator's default.">
              <input id="p-timeout" type="number" min={1} value={form.timeoutSeconds} onInput={set('timeoutSeconds')} />
            </Field>
            <Field id="p-budget" label="Budget per run (USD)" error={errors.maxBudgetUsd} hint="Empty: no limit.">
              <input id="p-budget" type="number" min={0} step="0.01" value={form.maxBudgetUsd} onInput={set('maxBudgetUsd')} />
            </Field>
            <Field id="p-turns" label="Max turns" error={errors.maxTurns} hint="Empty: no limit.">
              <input id="p-turns" type="number" min={1} value={form.maxTurns} onInput={set('maxTurns')} />
            </Field>
          </div>
        </Card>
        <Card title="Tools and network">
          <fieldset class="radios">
            <legend>Claude Code tools</legend>
            <label class="check"><input type="radio" name="tools" checked={form.toolsMode === 'default'} onChange={() => setForm({ ...form, toolsMode: 'default' })} /> The default list (Bash, Read, Write, Edit, Glob, Grep, WebFetch, WebSearch, TodoWrite)</label>
            <label class="check"><input type="radio" name="tools" checked={form.toolsMode === 'list'} onChange={() => setForm({ ...form, toolsMode: 'list' })} /> Only these (empty: no tools at all)</label>
          </fieldset>
          {form.toolsMode === 'list' && (
            <Field id="p-tools" label="Allowed tools, one per line" error={errors.tools} hint="E.g. Read, Grep, Bash(git *), Bash(curl *).">
              <textarea id="p-tools" rows={4} value={form.tools} onInput={set('tools')} />
            </Field>
          )}
          <Field id="p-hosts" label="Hosts its runs may reach, one per line" error={errors.hosts} hint="E.g. api.github.com, *.example.com, 127.0.0.1:8080. Empty: only the Claude API.">
            <textarea id="p-hosts" rows={3} value={form.hosts} onInput={set('hosts')} />
          </Field>
        </Card>
        {save.error && !Object.keys(errors).length && <InlineError error={save.error} />}
        {Object.keys(errors).length > 0 && <p class="inline-error" role="alert">Nothing was saved: fix the marked field{Object.keys(errors).length > 1 ? 's' : ''} above, then save again.</p>}
        <div class="form-actions">
          <a class="btn btn-ghost btn-md" href={back.href}>Cancel</a>
          <Button type="submit" variant="primary" pending={save.pending}>{id ? 'Save changes' : 'Create persona'}</Button>
        </div>
      </form>
    </>
  );
}
