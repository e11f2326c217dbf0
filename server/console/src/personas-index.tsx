import { useMemo } from 'preact/hooks';
import { useApi } from './data';
import { href } from './router';
import type { Persona } from './types';

/** Every persona by id, for showing names next to executions, events and triggers. */
export function usePersonaIndex() {
  const loaded = useApi<Persona[]>('personas', { refreshMs: 30_000 });
  const byId = useMemo(() => new Map((loaded.data ?? []).map((p) => [p.id, p])), [loaded.data]);
  return { list: loaded.data ?? [], byId, loaded };
}

/** A persona's name linking to it; "direct run" for an execution without a persona. */
export function PersonaLink({ id, index }: { id: string | null; index: Map<string, Persona> }) {
  if (!id) return <span class="muted">direct run</span>;
  const p = index.get(id);
  return <a href={href('personas', id)}>{p ? p.name : <code>{id.slice(0, 8)}</code>}</a>;
}
