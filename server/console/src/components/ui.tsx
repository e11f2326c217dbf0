/** The console's building blocks: buttons, badges, cards, and the loading / error / empty states. */
import type { ButtonHTMLAttributes, ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import type { ApiError } from '../api';
import { dateTime, relative } from '../format';
import { Icon, type IconName } from './icons';

type ButtonProps = Omit<ButtonHTMLAttributes<HTMLButtonElement>, 'type' | 'size' | 'icon'> & {
  variant?: 'primary' | 'secondary' | 'danger' | 'ghost';
  icon?: IconName;
  pending?: boolean;
  disabled?: boolean;
  type?: 'button' | 'submit';
  size?: 'sm' | 'md';
};

export function Button({ variant = 'secondary', icon, pending, children, type = 'button', size = 'md', disabled, ...rest }: ButtonProps) {
  return (
    <button type={type} class={`btn btn-${variant} btn-${size}`} disabled={disabled || pending} aria-busy={pending || undefined} {...rest}>
      {pending ? <span class="spinner" aria-hidden="true" /> : icon ? <Icon name={icon} size={16} /> : null}
      <span>{children}</span>
    </button>
  );
}

export function LinkButton({ href, icon, children, variant = 'secondary' }: { href: string; icon?: IconName; children: ComponentChildren; variant?: string }) {
  return (
    <a class={`btn btn-${variant} btn-md`} href={href}>
      {icon && <Icon name={icon} size={16} />}
      <span>{children}</span>
    </a>
  );
}

const STATUS_TONE: Record<string, string> = {
  completed: 'green', delivered: 'green', resolved: 'green', fired: 'green', enabled: 'green', bwrap: 'green',
  running: 'blue', processing: 'blue', open: 'amber',
  queued: 'amber', pending: 'amber', partial: 'amber', uid: 'amber',
  failed: 'red', none: 'red', critical: 'red', high: 'red',
  cancelled: 'gray', skipped: 'gray', disabled: 'gray', unknown: 'gray', recorded: 'gray', medium: 'amber', low: 'gray',
};

export function Badge({ tone, children, title }: { tone?: string; children: ComponentChildren; title?: string }) {
  return <span class={`badge tone-${tone ?? 'gray'}`} title={title}>{children}</span>;
}

/** A status word in its colour; `running`/`queued` pulse so a live state is visible at a glance. */
export function StatusBadge({ status }: { status: string }) {
  const live = status === 'running' || status === 'processing';
  return (
    <span class={`badge tone-${STATUS_TONE[status] ?? 'gray'}`} data-status={status}>
      <span class={`dot${live ? ' dot-live' : ''}`} aria-hidden="true" />
      {status}
    </span>
  );
}

export function toneOf(status: string): string {
  return STATUS_TONE[status] ?? 'gray';
}

export function Card({ title, actions, children, class: cls, id }: { title?: ComponentChildren; actions?: ComponentChildren; children: ComponentChildren; class?: string; id?: string }) {
  return (
    <section class={`card ${cls ?? ''}`} id={id}>
      {(title || actions) && (
        <header class="card-head">
          {title && <h2>{title}</h2>}
          {actions && <div class="card-actions">{actions}</div>}
        </header>
      )}
      <div class="card-body">{children}</div>
    </section>
  );
}

export function PageHeader({ title, subtitle, actions, back }: { title: ComponentChildren; subtitle?: ComponentChildren; actions?: ComponentChildren; back?: { href: string; label: string } }) {
  return (
    <header class="page-head">
      <div class="page-title">
        {back && <a class="back" href={back.href}>← {back.label}</a>}
        <h1>{title}</h1>
        {subtitle && <p class="muted">{subtitle}</p>}
      </div>
      {actions && <div class="page-actions">{actions}</div>}
    </header>
  );
}

export function Loading({ label = 'Loading…', rows = 3 }: { label?: string; rows?: number }) {
  return (
    <div class="loading" role="status" aria-live="polite">
      <span class="sr-only">{label}</span>
      {Array.from({ length: rows }, (_, i) => <div key={i} class="skeleton" />)}
    </div>
  );
}

/** An error with what to do next, and a retry when there is something to retry. */
export function ErrorState({ error, retry, title = 'Could not load this' }: { error: ApiError; retry?: () => void; title?: string }) {
  return (
    <div class="state state-error" role="alert">
      <Icon name="alert" size={22} />
      <div>
        <strong>{error.status === 403 ? 'Not allowed with this key' : error.status === 404 ? 'Not found' : title}</strong>
        <p>{error.explanation}</p>
        {retry && error.status !== 403 && error.status !== 404 && <Button size="sm" icon="refresh" onClick={retry}>Try again</Button>}
      </div>
    </div>
  );
}

/** An inline error under a form or an action. */
export function InlineError({ error }: { error?: ApiError }) {
  if (!error) return null;
  return <p class="inline-error" role="alert"><Icon name="alert" size={16} /> {error.explanation}</p>;
}

export function EmptyState({ icon = 'info', title, children, action }: { icon?: IconName; title: string; children?: ComponentChildren; action?: ComponentChildren }) {
  return (
    <div class="state state-empty">
      <Icon name={icon} size={22} />
      <div>
        <strong>{title}</strong>
        {children && <p>{children}</p>}
        {action && <div class="state-action">{action}</div>}
      </div>
    </div>
  );
}

/** A notice for what this key's role does not allow. */
export function RoleNotice({ needed, role, what }: { needed: string; role: string; what: string }) {
  return (
    <div class="state state-locked">
      <Icon name="lock" size={22} />
      <div>
        <strong>{what} need{what.endsWith('s') ? '' : 's'} the {needed} role</strong>
        <p>You are signed in with a <b>{role}</b> key. Sign in with an {needed === 'admin' ? 'admin' : `${needed} or admin`} key to see {what.toLowerCase()}.</p>
      </div>
    </div>
  );
}

/** "5 min ago", with the full date and time on hover. */
export function Time({ iso }: { iso: string | null | undefined }) {
  if (!iso) return <span class="muted">—</span>;
  return <time dateTime={iso} title={dateTime(iso)}>{relative(iso)}</time>;
}

export function Field({ label, hint, error, children, id }: { label: string; hint?: ComponentChildren; error?: string; children: ComponentChildren; id: string }) {
  return (
    <div class={`field${error ? ' field-invalid' : ''}`}>
      <label for={id}>{label}</label>
      {children}
      {error ? <p class="field-error" id={`${id}-error`}>{error}</p> : hint ? <p class="field-hint">{hint}</p> : null}
    </div>
  );
}

/** A modal: focus moves into it (its first field, else its first footer button); Escape or a click outside closes it. */
export function Dialog({ title, onClose, children, footer }: { title: string; onClose: () => void; children: ComponentChildren; footer?: ComponentChildren }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const first = box.current?.querySelector<HTMLElement>('.dialog-body input, .dialog-body textarea, .dialog-body select, .dialog-foot button');
    first?.focus();
  }, []);
  return (
    <div class="overlay" onClick={(e) => e.target === e.currentTarget && onClose()}>
      <div class="dialog" ref={box} role="dialog" aria-modal="true" aria-label={title} onKeyDown={(e) => e.key === 'Escape' && onClose()}>
        <header class="dialog-head">
          <h2>{title}</h2>
          <button class="icon-btn" type="button" aria-label="Close" onClick={onClose}><Icon name="close" /></button>
        </header>
        <div class="dialog-body">{children}</div>
        {footer && <footer class="dialog-foot">{footer}</footer>}
      </div>
    </div>
  );
}

export function Json({ value }: { value: unknown }) {
  return <pre class="json">{JSON.stringify(value, null, 2)}</pre>;
}

/** Key–value facts in a responsive grid. */
export function Facts({ items, wide = [] }: { items: Array<[string, ComponentChildren]>; wide?: string[] }) {
  return (
    <dl class="facts">
      {items.map(([k, v]) => (
        <div key={k} class={`fact${wide.includes(k) ? ' fact-wide' : ''}`}>
          <dt>{k}</dt>
          <dd>{v}</dd>
        </div>
      ))}
    </dl>
  );
}
