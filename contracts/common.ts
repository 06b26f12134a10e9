// Shapes every HTTP route shares: text that can be stored, calendar days, instants, query
// booleans. Defined once so that a rule about input (issue 7 items 2 and 16, CONTRACT.md
// "HTTP") holds on every route, not on the ones someone remembered.
import { z } from 'zod';

/** zh-CN / en message, as everywhere in the procedures */
const bi = (zh: string, en: string) => `${zh} / ${en}`;

// ------------------------------------------------------------------------------- text

// (String.prototype.isWellFormed does the same natively, but is ES2024 — not in our TS lib, and
// this module is also bundled for the dashboard.) Without the `u` flag the regex sees code units.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Text PostgreSQL can store and every consumer can encode: no NUL (a `text` column refuses
 * U+0000 — "unsupported Unicode escape sequence" / 22021 — which turned into 500s and a poison
 * MQTT redelivery loop) and no lone UTF-16 surrogate (not encodable as UTF-8; Postgres rejects
 * it, JSON consumers replace it). A well-formed pair (an emoji) is fine.
 */
export function isSafeText(s: string): boolean {
  return !s.includes('\u0000') && !LONE_SURROGATE.test(s);
}

export const UNSAFE_TEXT_MESSAGE = bi('文本含有不允许的字符(NUL 或不成对的代理项)', 'text contains a NUL character or a lone surrogate');

/**
 * The first place in a parsed JSON value (object keys included) holding unsafe text, as a JSON
 * pointer-ish path ("/visitorName", "/items/3/text"), or null. Iterative: a deeply nested body
 * cannot overflow the stack.
 */
export function findUnsafeText(value: unknown, root = ''): string | null {
  const stack: Array<[unknown, string]> = [[value, root]];
  while (stack.length) {
    const [v, p] = stack.pop()!;
    if (typeof v === 'string') {
      if (!isSafeText(v)) return p || '/';
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push([v[i], `${p}/${i}`]);
    } else if (v !== null && typeof v === 'object') {
      for (const k of Object.keys(v)) {
        if (!isSafeText(k)) return `${p}/(key)`;
        stack.push([(v as Record<string, unknown>)[k], `${p}/${k}`]);
      }
    }
  }
  return null;
}

/** A string schema that refuses NUL and lone surrogates (the HTTP layer also checks globally). */
export const SafeText = z.string().refine(isSafeText, UNSAFE_TEXT_MESSAGE);

// ------------------------------------------------------------------------------- time

/**
 * The largest instant a JS Date holds (ECMA-262 §21.4.1.1: ±8.64e15 ms). Beyond it `new Date`
 * is Invalid Date and the database write fails — a 500 before this bound existed.
 */
export const MAX_EPOCH_MS = 8.64e15;

/** An instant in ms since the epoch that a Date (and a timestamptz) can hold, 1970 onwards. */
export const EpochMs = z.number().int().min(0).max(MAX_EPOCH_MS, bi('时间超出范围', 'time out of range'));

/** The same from a query string (`?from=…`). */
export const EpochMsQuery = z.coerce.number().int().min(0).max(MAX_EPOCH_MS, bi('时间超出范围', 'time out of range'));

/** True when y-m-d names a day that exists in the proleptic Gregorian calendar. */
export function isCalendarDay(s: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const t = new Date(Date.UTC(y, mo - 1, d));
  // Date.UTC rolls 02-31 over to 03-03: a real day survives the round trip unchanged
  return t.getUTCFullYear() === y && t.getUTCMonth() === mo - 1 && t.getUTCDate() === d;
}

/** A calendar day `YYYY-MM-DD` that exists (2026-02-31 and 2026-13-01 are refused). */
export const Day = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, bi('日期格式为 YYYY-MM-DD', 'day must be YYYY-MM-DD'))
  .refine(isCalendarDay, bi('日期不存在', 'no such calendar day'));

// ------------------------------------------------------------------------------- queries

/**
 * A boolean in a query string. `z.coerce.boolean()` turns every non-empty string — "false"
 * included — into true; this accepts exactly true/false/1/0 and refuses anything else (400).
 */
export const QueryBool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');
