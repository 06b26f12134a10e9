// Rendering of stored messages (contracts/messages.ts) in a reader's locale. Pure and free of
// Node APIs: the dashboard bundles this same module and renders with the catalog the hub
// serves (GET /api/procedures), the hub renders API responses and printed reports with it.
//
// Keys are flat and namespaced: `engine.*` (the procedure engine), `<kind>.*` (one procedure,
// services/<folder>/labels.ts), `records.*`, `event.*`, `command.*`, `online.*`.
// Only types from contracts/: the browser bundle must not pull zod in through this module.
import type { Label, Locale, Msg, Said, Text } from '../../contracts/messages.js';

export type { Label, Locale, Msg, Text };
export type Catalog = Readonly<Record<string, Label>>;

export const isMsg = (v: unknown): v is Msg =>
  typeof v === 'object' && v !== null && typeof (v as Msg).key === 'string' && !Array.isArray(v);
export const isSaid = (v: unknown): v is Said =>
  typeof v === 'object' && v !== null && typeof (v as Said).text === 'string' && !('key' in v);

export interface RenderOptions {
  /** how a `{time}` parameter is written (default: site time "YYYY-MM-DD HH:mm:ss", UTC+8) */
  formatTime?: (ms: number, locale: Locale) => string;
  /**
   * The display name of a place or device a parameter names by id (`device`, `deviceId`,
   * `building`, `buildingId`), or undefined when unknown. Messages store ids (they outlive
   * renames); readers see names (issue 14: never a raw id where a name exists).
   */
  name?: (what: 'device' | 'building', id: string) => string | undefined;
}

/** Parameters holding an id that has a display name. */
const NAMED_PARAMS: Readonly<Record<string, 'device' | 'building'>> = {
  device: 'device',
  deviceId: 'device',
  building: 'building',
  buildingId: 'building',
};

/**
 * A fire panel's zone or a switchboard's feeder code as a reader says it: devices report
 * "zone-07" / "feeder-a" (CONTRACT.md `fire.alarm`, `power.mains_lost`), the control room says
 * "7 区" / "回路 A". Other codes stay as they are.
 */
export function codeNumber(kind: 'zone' | 'feeder', code: string): string {
  const m = new RegExp(`^${kind}[-_ ]?0*([0-9a-z]+)$`, 'i').exec(code);
  return m ? m[1]!.toUpperCase() : code;
}

const idx = (locale: Locale) => (locale === 'zh-CN' ? 0 : 1);

export function siteTime(ms: number, tzOffsetMinutes = 480): string {
  return new Date(ms + tzOffsetMinutes * 60_000).toISOString().slice(0, 19).replace('T', ' ');
}

/**
 * Fill `{name}` placeholders; a `[? … ]` segment disappears when a placeholder inside it is
 * empty (null, undefined or ''), so optional parts of a title need no code. Other brackets are
 * text ("[{kind}] {title} opened").
 */
export function fill(template: string, params: Record<string, unknown>, value: (v: unknown, name: string) => string): string {
  const one = (s: string): { text: string; empty: boolean } => {
    let empty = false;
    const text = s.replace(/\{(\w+)\}/g, (_, k: string) => {
      const v = params[k];
      const out = v === undefined || v === null ? '' : value(v, k);
      if (out === '') empty = true;
      return out;
    });
    return { text, empty };
  };
  // one pass over "plain [optional] plain": filled text is never scanned again
  let out = '';
  for (const m of template.matchAll(/\[\?([^\]]*)\]|[^[]+|\[/g)) {
    if (m[1] !== undefined) {
      const r = one(m[1]);
      if (!r.empty) out += r.text;
    } else out += one(m[0]).text;
  }
  return out;
}

export class MessageCatalog {
  constructor(
    readonly labels: Catalog,
    private readonly opts: RenderOptions = {},
  ) {}

  has(key: string): boolean {
    return Object.hasOwn(this.labels, key);
  }

  /** The label of a key in a locale; the key itself when unknown (never throws: old rows, new keys). */
  label(key: string, locale: Locale): string {
    return this.has(key) ? this.labels[key]![idx(locale)] : key;
  }

  /** The first of `keys` the catalog knows, or null. */
  first(...keys: string[]): string | null {
    for (const k of keys) if (this.has(k)) return k;
    return null;
  }

  render(m: Text | null | undefined, locale: Locale): string {
    if (!m) return '';
    if (isSaid(m)) return m.text;
    const template = this.has(m.key) ? this.labels[m.key]![idx(locale)] : m.key;
    return fill(template, m.params ?? {}, (v, name) => this.param(name, v, locale));
  }

  /** A named parameter: ids become names, zone codes numbers; everything else as `value`. */
  param(name: string, v: unknown, locale: Locale): string {
    if (typeof v === 'string') {
      const what = NAMED_PARAMS[name];
      if (what) return this.opts.name?.(what, v) ?? v;
      if (name === 'zone' || name === 'feeder') return codeNumber(name, v);
    }
    return this.value(v, locale);
  }

  /** A parameter value as text: nested messages rendered, times formatted, lists joined. */
  value(v: unknown, locale: Locale): string {
    if (v === null || v === undefined) return '';
    if (Array.isArray(v)) return v.map((x) => this.value(x, locale)).join(locale === 'zh-CN' ? '、' : ', ');
    if (typeof v === 'object') {
      if (isMsg(v) || isSaid(v)) return this.render(v, locale);
      // a text given in both languages at once (e.g. a validation message): the reader's half
      const l = (v as { l?: unknown }).l;
      if (Array.isArray(l) && l.length === 2) return String(l[idx(locale)]);
      const t = (v as { time?: unknown }).time;
      if (typeof t === 'number') return (this.opts.formatTime ?? ((ms) => siteTime(ms)))(t, locale);
      return JSON.stringify(v);
    }
    return String(v);
  }

  // ------------------------------------------------------------------ timeline and duty log

  /**
   * Parameters of a timeline entry or duty-log entry that name something with a label (a
   * state, step, flag code, device event…) become nested messages, so both the hub and the
   * dashboard write words, not codes. Unknown values stay as they are.
   */
  localizeParams(kind: string, params: Record<string, unknown>): Record<string, unknown> {
    const out: Record<string, unknown> = { ...params };
    const ref = (v: unknown, ...keys: string[]): void | Msg => {
      if (typeof v !== 'string') return;
      const k = this.first(...keys.map((x) => x.replace('$', v)));
      return k ? { key: k } : undefined;
    };
    const set = (name: string, ...keys: string[]) => {
      const m = ref(params[name], ...keys);
      if (m) out[name] = m;
    };
    set('step', `${kind}.step.$`);
    set('timer', `${kind}.timer.$`);
    set('action', `${kind}.action.$`, 'engine.action.$');
    set('from', `${kind}.state.$`);
    set('to', `${kind}.state.$`);
    set('code', `${kind}.flag.$`, 'engine.flag.$');
    set('reason', `${kind}.escalation.$`, `${kind}.value.$`, 'engine.escalation.$', 'engine.value.$');
    set('trigger', `${kind}.value.$`, 'engine.value.$');
    set('outcome', `${kind}.value.$`, 'engine.value.$');
    set('cause', `${kind}.value.$`);
    for (const n of ['what', 'hint', 'reminder', 'unreachable']) set(n, `${kind}.value.$`, 'engine.value.$');
    set('role', 'role.$');
    set('status', 'engine.value.$');
    if (Array.isArray(params.steps))
      out.steps = params.steps.map((st) => (typeof st === 'string' && this.has(`${kind}.step.${st}`) ? { key: `${kind}.step.${st}` } : st));
    set('event', 'event.$');
    set('name', 'command.$');
    set('state', 'online.$');
    if (typeof params.kind === 'string') set('kind', '$.kind');
    else out.kind = { key: `${kind}.kind` };
    return out;
  }

  /** The key and parameters of a timeline entry's headline (`engine.timeline.<type>`). */
  timelineMsg(kind: string, type: string, data: Record<string, unknown>): Msg {
    return { key: `engine.timeline.${type}`, params: this.localizeParams(kind, data) };
  }

  /** One timeline entry as a line: headline, then the reason (a message or what a person typed). */
  timelineText(
    kind: string,
    e: { type: string; data: Record<string, unknown>; reason?: Text | null; message?: string },
    locale: Locale,
  ): string {
    const head = this.render(this.timelineMsg(kind, e.type, e.data), locale);
    const why = e.reason ? this.render(e.reason, locale) : (e.message ?? '');
    return why ? `${head} — ${why}` : head;
  }

  /** A duty-log entry (key + params, the incident kind among the params). */
  dutyText(e: { key: string; params: Record<string, unknown> }, locale: Locale): string {
    const kind = typeof e.params.kind === 'string' ? e.params.kind : '';
    return this.render({ key: e.key, params: kind ? this.localizeParams(kind, e.params) : e.params }, locale);
  }
}

/**
 * Duty-log rows written before keys were stored hold "中文 / [English] …" (one string for both
 * languages): show the reader's half.
 */
export function legacyBilingual(text: string, locale: Locale): string {
  const cut = text.indexOf(' / [');
  if (cut < 0) return text;
  return locale === 'zh-CN' ? text.slice(0, cut) : text.slice(cut + 3);
}

/** Accept-Language → a supported locale (first match by preference order), else null. */
export function localeFromHeader(header: string | undefined): Locale | null {
  if (!header) return null;
  const prefs = header
    .split(',')
    .map((part) => {
      const [tag, ...rest] = part.trim().split(';');
      const q = rest.find((x) => x.trim().startsWith('q='));
      return { tag: (tag ?? '').trim().toLowerCase(), q: q ? Number(q.trim().slice(2)) : 1 };
    })
    .filter((p) => p.tag && Number.isFinite(p.q) && p.q > 0)
    .sort((a, b) => b.q - a.q);
  for (const p of prefs) {
    if (p.tag === 'zh' || p.tag.startsWith('zh-')) return 'zh-CN';
    if (p.tag === 'en' || p.tag.startsWith('en-')) return 'en';
  }
  return null;
}
