/**
 * The console's only way to the orchestrator: `fetch` with the signed-in key as a Bearer header,
 * on paths relative to the page (so it works under any mount). Errors become ApiError with the
 * server's own message (which names the field or the role needed).
 */
import { currentKey } from './session';

export interface FieldError {
  field: string;
  message: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: FieldError[] = [],
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** The message for a person: what went wrong and, where it helps, what to do. */
  get explanation(): string {
    if (this.status === 0) return `${this.message} Check that the orchestrator is running, then try again.`;
    if (this.status === 403) return `Your key may not do this. ${this.message}`;
    return this.message;
  }
}

/** Called when the key stops working mid-session (revoked, or the orchestrator's keys changed). */
let onUnauthorized: (message: string) => void = () => undefined;
export function setUnauthorizedHandler(fn: (message: string) => void): void {
  onUnauthorized = fn;
}

export interface RequestOptions {
  body?: unknown;
  signal?: AbortSignal;
  /** A key to use instead of the session's (signing in). */
  key?: string;
}

export async function request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
  const key = opts.key ?? currentKey();
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (key) headers.Authorization = `Bearer ${key}`;
  if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(`api/${path.replace(/^\//, '')}`, {
      method, headers, signal: opts.signal, cache: 'no-store',
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new ApiError(0, 'network', 'Could not reach the orchestrator.');
  }
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (res.ok) return json as T;
  const error = (json as { error?: { code?: string; message?: string; details?: unknown } } | undefined)?.error;
  const details = Array.isArray(error?.details) ? (error.details as FieldError[]) : [];
  const failure = new ApiError(res.status, error?.code ?? 'http_error', error?.message ?? `The orchestrator answered ${res.status} ${res.statusText}.`, details);
  if (res.status === 401 && !opts.key) onUnauthorized(failure.message);
  return Promise.reject(failure);
}

export const api = {
  get: <T>(path: string, signal?: AbortSignal) => request<T>('GET', path, { signal }),
  post: <T>(path: string, body?: unknown) => request<T>('POST', path, { body: body ?? {} }),
  put: <T>(path: string, body: unknown) => request<T>('PUT', path, { body }),
};

/** A query string from the set values only. */
export function qs(params: Record<string, string | number | undefined | null>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : '';
}
