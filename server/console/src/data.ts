import { createContext } from 'preact';
import { useCallback, useContext, useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError } from './api';
import type { Me, Role } from './types';

/** The signed-in key: who it is and what it may do. */
export interface SessionValue {
  me: Me;
  /** Whether the key satisfies a route's role requirement (the server decides; this only hides buttons). */
  can(role: Role): boolean;
  signOut(message?: string): void;
}

export const SessionContext = createContext<SessionValue | null>(null);

export function useSession(): SessionValue {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside a signed-in page');
  return s;
}

export interface Loaded<T> {
  data: T | undefined;
  error: ApiError | undefined;
  /** True until the first answer (later refreshes keep showing the previous data). */
  loading: boolean;
  reload(): void;
  /** When the data last arrived. */
  at: number | undefined;
}

/**
 * GETs `path` (null: nothing to load yet), again whenever it changes, and every `refreshMs` while
 * the tab is visible. Keeps the last good answer on screen while refreshing, and drops an answer
 * that arrives after the path changed.
 */
export function useApi<T>(path: string | null, opts: { refreshMs?: number } = {}): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: ApiError; loading: boolean; at?: number; path: string | null }>({ loading: true, path });
  const [tick, setTick] = useState(0);
  const reload = useCallback(() => setTick((n) => n + 1), []);
  const current = useRef(path);
  current.current = path;

  useEffect(() => {
    if (path === null) return;
    const ctrl = new AbortController();
    if (state.path !== path) setState({ loading: true, path });
    api.get<T>(path, ctrl.signal).then(
      (data) => current.current === path && setState({ data, loading: false, at: Date.now(), path }),
      (error: unknown) => {
        if ((error as Error).name === 'AbortError' || current.current !== path) return;
        setState((s) => ({ ...s, error: error instanceof ApiError ? error : new ApiError(0, 'client', String(error)), loading: false, path }));
      },
    );
    return () => ctrl.abort();
  }, [path, tick]);

  useEffect(() => {
    if (!opts.refreshMs || path === null) return;
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') reload();
    }, opts.refreshMs);
    return () => clearInterval(timer);
  }, [path, opts.refreshMs]);

  const same = state.path === path;
  return {
    data: same ? state.data : undefined,
    error: same ? state.error : undefined,
    loading: !same || (state.loading && state.data === undefined),
    reload,
    at: state.at,
  };
}

/** Runs an action (a POST), tracking that it is pending and its error; the error is cleared on the next try. */
export function useAction<A extends unknown[], R>(fn: (...args: A) => Promise<R>) {
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<ApiError | undefined>();
  const run = useCallback(async (...args: A): Promise<R | undefined> => {
    setPending(true);
    setError(undefined);
    try {
      return await fn(...args);
    } catch (err) {
      setError(err instanceof ApiError ? err : new ApiError(0, 'client', String(err)));
      return undefined;
    } finally {
      setPending(false);
    }
  }, [fn]);
  return { run, pending, error, clearError: () => setError(undefined) };
}
