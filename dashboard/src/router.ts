// A minimal client-side router over the History API. The hub serves index.html for every
// unknown GET outside /api (services/hub/app.ts), so deep links and reloads work.
import { useSyncExternalStore } from 'react';

const listeners = new Set<() => void>();
let current = `${location.pathname}${location.search}`;

function emit(): void {
  current = `${location.pathname}${location.search}`;
  for (const l of listeners) l();
}
window.addEventListener('popstate', emit);

export function navigate(to: string, replace = false): void {
  if (to === current) return;
  if (replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  emit();
  window.scrollTo(0, 0);
}

export function useLocation(): { path: string; query: URLSearchParams } {
  const href = useSyncExternalStore(
    (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    () => current,
  );
  const [path, search = ''] = href.split('?');
  return { path: path ?? '/', query: new URLSearchParams(search) };
}

/** Route params: match('/incidents/:id', '/incidents/abc') → {id: 'abc'}. */
export function match(pattern: string, path: string): Record<string, string> | null {
  const a = pattern.split('/').filter(Boolean);
  const b = path.split('/').filter(Boolean);
  if (a.length !== b.length) return null;
  const out: Record<string, string> = {};
  for (let i = 0; i < a.length; i++) {
    const p = a[i]!;
    const v = b[i]!;
    if (p.startsWith(':')) out[p.slice(1)] = decodeURIComponent(v);
    else if (p !== v) return null;
  }
  return out;
}
