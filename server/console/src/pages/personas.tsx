import { Badge, EmptyState, ErrorState, LinkButton, Loading, PageHeader, Time } from '../components/ui';
import { useApi, useSession } from '../data';
import { duration } from '../format';
import { href } from '../router';
import type { Persona } from '../types';

export function PersonaList() {
  const { can } = useSession();
  const personas = useApi<Persona[]>('personas', { refreshMs: 15_000 });
  const create = can('operator') && <LinkButton href={href('personas', 'new')} icon="plus" variant="primary">New persona</LinkButton>;

  return (
    <>
      <PageHeader title="Personas" subtitle="A prompt, tools and credentials that run on the Claude CLI." actions={create} />
      {personas.error ? <ErrorState error={personas.error} retry={personas.reload} />
        : personas.loading ? <Loading rows={4} />
        : personas.data!.length === 0 ? (
          <EmptyState icon="personas" title="No personas yet" action={create}>
            {can('operator')
              ? 'Create one here, or send them from the Personas desktop app with POST /api/personas.'
              : 'An operator or admin creates personas (here, or with POST /api/personas).'}
          </EmptyState>
        ) : (
          <div class="card">
            <table class="table">
              <thead><tr><th>Name</th><th>Status</th><th>Runs at once</th><th>Timeout</th><th>Tools</th><th>Updated</th></tr></thead>
              <tbody>
                {personas.data!.map((p) => (
                  <tr key={p.id}>
                    <td data-label="Name">
                      <a class="row-title" href={href('personas', p.id)}>{p.name}</a>
                      {p.description && <div class="muted small clamp">{p.description}</div>}
                    </td>
                    <td data-label="Status"><Badge tone={p.enabled ? 'green' : 'gray'}>{p.enabled ? 'enabled' : 'disabled'}</Badge></td>
                    <td data-label="Runs at once">{p.maxConcurrent}</td>
                    <td data-label="Timeout">{p.timeoutMs ? duration(p.timeoutMs) : <span class="muted">default</span>}</td>
                    <td data-label="Tools">{p.allowedTools === null ? <span class="muted">default list</span> : p.allowedTools.length === 0 ? 'none' : p.allowedTools.length}</td>
                    <td data-label="Updated"><Time iso={p.updatedAt} /></td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
    </>
  );
}
