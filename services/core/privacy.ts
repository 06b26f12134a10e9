// Desensitising personal data (seed 002 §3.1.2): what staff without the duty may see of a
// person's name or phone, and a deep redaction of the keys a procedure marks as personal
// (ProcedureDef.personalKeys). Pure; used by views, the duty log and the live push.

/** Name masked to its first character (张三丰 → 张**). */
export function maskName(s: string): string {
  const c = Array.from(s.trim());
  if (c.length === 0) return '';
  return c.length === 1 ? '*' : `${c[0]}${'*'.repeat(c.length - 1)}`;
}

/** Phone (or any number-like contact) masked to first 3 + last 4. */
export function maskPhone(s: string): string {
  const c = Array.from(s.trim());
  if (c.length === 0) return '';
  if (c.length < 8) return '*'.repeat(c.length);
  return `${c.slice(0, 3).join('')}${'*'.repeat(c.length - 7)}${c.slice(-4).join('')}`;
}

/**
 * A copy of `v` with every string under one of `keys` (at any depth: data, step data,
 * timeline data, message params) masked as a name. Other values are shared, not copied.
 */
export function redact<T>(v: T, keys: ReadonlySet<string>): T {
  if (keys.size === 0 || v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map((x) => redact(x, keys)) as T;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    out[k] = keys.has(k) && typeof x === 'string' ? maskName(x) : redact(x, keys);
  }
  return out as T;
}

/** Does `v` hold a non-empty string under one of `keys` (i.e. is there anything personal in it)? */
export function holdsPersonal(v: unknown, keys: ReadonlySet<string>): boolean {
  if (keys.size === 0 || v === null || typeof v !== 'object') return false;
  if (Array.isArray(v)) return v.some((x) => holdsPersonal(x, keys));
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    if (keys.has(k) && typeof x === 'string' && x !== '') return true;
    if (holdsPersonal(x, keys)) return true;
  }
  return false;
}
