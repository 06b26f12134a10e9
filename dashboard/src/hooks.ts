// Shared hooks: a ticking clock for countdowns, async loading with translated errors.
import { useCallback, useEffect, useRef, useState, useSyncExternalStore } from 'react';
import { ApiError } from './api.js';
import type { I18n } from './i18n.js';

// One shared 250 ms ticker for every countdown on the page (not one interval per timer).
const tickListeners = new Set<() => void>();
let tickNow = Date.now();
let ticker: ReturnType<typeof setInterval> | null = null;
function subscribeTick(l: () => void): () => void {
  tickListeners.add(l);
  if (!ticker) {
    tickNow = Date.now();
    ticker = setInterval(() => {
      tickNow = Date.now();
      for (const x of tickListeners) x();
    }, 250);
  }
  return () => {
    tickListeners.delete(l);
    if (tickListeners.size === 0 && ticker) {
      clearInterval(ticker);
      ticker = null;
    }
  };
}

/** Current time in whole seconds (ms), re-rendering when the second changes. */
export function useNow(): number {
  return useSyncExternalStore(subscribeTick, () => Math.floor(tickNow / 1000)) * 1000;
}

export function errorText(t: I18n, err: unknown): string {
  if (err instanceof ApiError) {
    if (err.code === 'NETWORK') return t.t('error.network');
    const head = t.error(err.code);
    return err.message && err.message !== head ? `${head}:${err.message}` : head;
  }
  return t.t('error.generic');
}

export interface Async<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => void;
}

/** Load on mount and whenever `deps` change; `reload()` refetches without clearing data. */
export function useAsync<T>(fn: () => Promise<T>, deps: unknown[]): Async<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  const [n, setN] = useState(0);
  const fnRef = useRef(fn);
  fnRef.current = fn;
  useEffect(() => {
    let alive = true;
    setLoading(true);
    fnRef
      .current()
      .then((v) => {
        if (!alive) return;
        setData(v);
        setError(null);
      })
      .catch((e: unknown) => alive && setError(e))
      .finally(() => alive && setLoading(false));
    return () => {
      alive = false;
    };
  }, [...deps, n]);
  const reload = useCallback(() => setN((x) => x + 1), []);
  return { data, error, loading, reload };
}
