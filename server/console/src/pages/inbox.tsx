import { useState } from 'preact/hooks';
import { api, qs } from '../api';
import { useToast } from '../components/toast';
import { Badge, Button, EmptyState, ErrorState, InlineError, Json, Loading, PageHeader, RoleNotice, StatusBadge, Time } from '../components/ui';
import { useAction, useApi, useSession } from '../data';
import { shortId } from '../format';
import { PersonaLink, usePersonaIndex } from '../personas-index';
import { href, navigate } from '../router';
import type { Persona, ProtocolMessage } from '../types';

const TABS = [
  { id: 'reviews', label: 'Reviews' },
  { id: 'messages', label: 'Messages' },
  { id: 'memories', label: 'Memories' },
] as const;

/** A protocol message's payload for reading: its title, text and the fields that matter per kind. */
export function MessageBody({ m }: { m: ProtocolMessage }) {
  const p = m.payload as Record<string, unknown>;
  const str = (k: string) => (typeof p[k] === 'string' ? (p[k] as string) : undefined);
  const title = str('title');
  const text = str('content') ?? str('description');
  const known = title || text;
  return (
    <div class="message-body">
      {title && <strong class="message-title">{title}</strong>}
      {text && <p class="message-text">{text}</p>}
      {Array.isArray(p.suggested_actions) && p.suggested_actions.length > 0 && (
        <p class="small">Suggested: {(p.suggested_actions as string[]).map((a) => <code key={a} class="chip">{a}</code>)}</p>
      )}
      {Array.isArray(p.tags) && p.tags.length > 0 && <p class="small">{(p.tags as string[]).map((t) => <Badge key={t}>{t}</Badge>)}</p>}
      {known ? (p.context_data !== undefined && <details class="more"><summary>Context</summary><Json value={p.context_data} /></details>) : <Json value={p} />}
    </div>
  );
}

export function Inbox({ query }: { query: URLSearchParams }) {
  const { can, me } = useSession();
  const tab = (query.get('tab') ?? 'reviews') as (typeof TABS)[number]['id'];
  if (!can('operator')) {
    return <><PageHeader title="Reviews & messages" /><RoleNotice needed="operator" role={me.role} what="Reviews, messages and memories" /></>;
  }
  return (
    <>
      <PageHeader title="Reviews & messages" subtitle="What personas reported: reviews to approve or reject, messages for people, and what they remember." />
      <div class="tabs" role="tablist">
        {TABS.map((t) => (
          <a key={t.id} role="tab" aria-selected={tab === t.id} class={tab === t.id ? 'active' : ''} href={href('inbox', { tab: t.id })}>{t.label}</a>
        ))}
      </div>
      {tab === 'reviews' ? <Reviews status={query.get('status') ?? 'open'} /> : <Feed kind={tab === 'messages' ? 'messages' : 'memories'} />}
    </>
  );
}

function Reviews({ status }: { status: string }) {
  const reviews = useApi<ProtocolMessage[]>(`reviews${qs({ status: status === 'all' ? undefined : status, limit: 100 })}`, { refreshMs: 10_000 });
  const { byId } = usePersonaIndex();
  return (
    <>
      <div class="filters" role="search">
        <label>Show
          <select value={status} onChange={(e) => navigate(href('inbox', { tab: 'reviews', status: e.currentTarget.value }), { replace: true })}>
            <option value="open">Waiting for a decision</option>
            <option value="resolved">Decided</option>
            <option value="all">All</option>
          </select>
        </label>
      </div>
      {reviews.error ? <ErrorState error={reviews.error} retry={reviews.reload} />
        : reviews.loading ? <Loading rows={3} />
        : reviews.data!.length === 0 ? (
          <EmptyState icon="check" title={status === 'open' ? 'Nothing waits for a decision' : 'No reviews here'}>
            A persona asks for one by printing a <code>manual_review</code> message; it then shows here to approve or reject.
          </EmptyState>
        ) : <ul class="review-list">{reviews.data!.map((r) => <ReviewCard key={r.id} review={r} personas={byId} onDone={reviews.reload} />)}</ul>}
    </>
  );
}

function ReviewCard({ review, personas, onDone }: { review: ProtocolMessage; personas: Map<string, Persona>; onDone: () => void }) {
  const { me } = useSession();
  const toast = useToast();
  const [note, setNote] = useState('');
  const decide = useAction(async (decision: 'approved' | 'rejected') => {
    await api.post(`reviews/${encodeURIComponent(review.id)}/resolve`, { resolution: { decision, note: note.trim() || undefined, by: me.name } });
    toast(decision === 'approved' ? 'Review approved' : 'Review rejected');
    onDone();
  });
  const severity = String(review.payload.severity ?? 'medium');
  const resolution = review.resolution as { decision?: string; note?: string; by?: string } | null;
  return (
    <li class="card review" data-testid="review">
      <div class="review-head">
        <Badge tone={severity === 'critical' || severity === 'high' ? 'red' : severity === 'medium' ? 'amber' : 'gray'}>{severity}</Badge>
        <StatusBadge status={review.status} />
        <span class="muted small">
          <PersonaLink id={review.personaId} index={personas} />
          {review.executionId && <> · <a href={href('executions', review.executionId)}>run <code>{shortId(review.executionId)}</code></a></>}
          {' · '}<Time iso={review.createdAt} />
        </span>
      </div>
      <MessageBody m={review} />
      {review.status === 'open' ? (
        <div class="review-actions">
          <input aria-label="Note (optional)" placeholder="Note for the record (optional)" value={note} onInput={(e) => setNote(e.currentTarget.value)} />
          <Button variant="primary" icon="check" pending={decide.pending} onClick={() => decide.run('approved')}>Approve</Button>
          <Button variant="danger" icon="x" pending={decide.pending} onClick={() => decide.run('rejected')}>Reject</Button>
        </div>
      ) : (
        <p class="resolution small">
          {resolution?.decision ? <Badge tone={resolution.decision === 'approved' ? 'green' : 'red'}>{resolution.decision}</Badge> : 'Resolved'}
          {resolution?.by && <> by {resolution.by}</>} <Time iso={review.resolvedAt} />{resolution?.note && <> — {resolution.note}</>}
        </p>
      )}
      <InlineError error={decide.error} />
    </li>
  );
}

function Feed({ kind }: { kind: 'messages' | 'memories' }) {
  const items = useApi<ProtocolMessage[]>(`${kind}?limit=100`, { refreshMs: 10_000 });
  const { byId } = usePersonaIndex();
  if (items.error) return <ErrorState error={items.error} retry={items.reload} />;
  if (items.loading) return <Loading rows={3} />;
  if (items.data!.length === 0) {
    return (
      <EmptyState icon="inbox" title={kind === 'messages' ? 'No messages yet' : 'No memories yet'}>
        {kind === 'messages' ? 'Personas send people messages with a user_message protocol message.' : 'Personas keep what they learned with agent_memory messages; they are never pruned.'}
      </EmptyState>
    );
  }
  return (
    <ul class="messages">
      {items.data!.map((m) => (
        <li key={m.id} class="card message">
          <div class="message-head">
            {kind === 'messages' ? <Badge tone={m.payload.content_type === 'error' ? 'red' : m.payload.content_type === 'warning' ? 'amber' : m.payload.content_type === 'success' ? 'green' : 'blue'}>{String(m.payload.content_type ?? 'info')}</Badge>
              : <Badge tone="indigo">{String(m.payload.category ?? 'general')}</Badge>}
            <span class="muted small"><PersonaLink id={m.personaId} index={byId} /> · <Time iso={m.createdAt} /></span>
          </div>
          <MessageBody m={m} />
        </li>
      ))}
    </ul>
  );
}
