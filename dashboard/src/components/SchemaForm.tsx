// A form built from an action's payload JSON schema (allowedActions[].payload, produced by
// the hub from the procedure's zod schema). Supports what the procedures use: strings (short
// and long), integers/numbers, timestamps (`…At`, `validFrom/To`), booleans (incl. `const:
// true` confirmations), enums, arrays of primitives (comma separated) and arrays of objects
// (repeatable rows). The server validates again; its error is shown translated.
import { useId, useMemo, useState, type FormEvent, type KeyboardEvent } from 'react';
import { useI18n } from '../store.js';
import { ErrorLine, fromLocalInput, toLocalInput } from './common.js';

export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  pattern?: string;
  /** a `deviceId` field's device class (zod `.meta({ deviceClass })` in the procedure's schema) */
  deviceClass?: string;
}

export interface Option {
  value: string;
  label: string;
  /** device options: the device's class, matched against the field's `deviceClass` */
  deviceClass?: string;
}

export interface FormContext {
  /** the procedure whose form this is: its own field and value labels come first */
  kind?: string;
  /** choices for `deviceId` fields (e.g. the recalled cars) */
  deviceOptions?: Option[];
  /** choices for `step` fields (skip_step) */
  stepOptions?: Option[];
}

type Value = string | boolean | Row[] | Row;
interface Row {
  [field: string]: Value;
}

const LONG_TEXT = new Set(['notes', 'summary', 'reason', 'message', 'description', 'resolution', 'cause', 'discrepancy', 'text', 'note']);
const isTimeField = (name: string) => /At$/.test(name) || name === 'validFrom' || name === 'validTo';

function norm(s: JsonSchema): JsonSchema {
  if (s.anyOf) {
    const first = s.anyOf.find((x) => x.type !== 'null');
    if (first) return { ...first, ...(s.default !== undefined ? { default: s.default } : {}) };
  }
  return s;
}
function typeOf(s: JsonSchema): string {
  const t = s.type;
  if (Array.isArray(t)) return t.find((x) => x !== 'null') ?? 'string';
  if (t) return t;
  if (s.enum) return 'string';
  if (s.properties) return 'object';
  return 'string';
}

function initialValue(name: string, raw: JsonSchema, given: unknown): Value {
  const s = norm(raw);
  const type = typeOf(s);
  const v = given !== undefined ? given : s.default;
  if (type === 'boolean') return typeof v === 'boolean' ? v : false;
  if (type === 'object') return initialRow(s, (v ?? {}) as Record<string, unknown>);
  if (type === 'array') {
    const items = norm(s.items ?? {});
    if (typeOf(items) === 'object') return Array.isArray(v) ? v.map((x) => initialRow(items, x as Record<string, unknown>)) : [];
    return Array.isArray(v) ? v.join(', ') : '';
  }
  if ((type === 'integer' || type === 'number') && isTimeField(name)) return typeof v === 'number' ? toLocalInput(v) : '';
  return v === undefined || v === null ? '' : String(v);
}

function initialRow(s: JsonSchema, given: Record<string, unknown>): Row {
  const row: Row = {};
  for (const [k, p] of Object.entries(s.properties ?? {})) row[k] = initialValue(k, p, given[k]);
  return row;
}

class FieldError extends Error {
  constructor(
    readonly key: 'error.required' | 'error.number',
    readonly field: string,
  ) {
    super(field);
  }
}

function convert(name: string, raw: JsonSchema, v: Value, required: boolean): unknown {
  const s = norm(raw);
  const type = typeOf(s);
  if (type === 'boolean') {
    if (s.const === true && v !== true) throw new FieldError('error.required', name);
    return v === true;
  }
  if (type === 'object') return convertRow(s, v as Row);
  if (type === 'array') {
    const items = norm(s.items ?? {});
    if (typeOf(items) === 'object') return (v as Row[]).map((r) => convertRow(items, r));
    const parts = String(v)
      .split(/[,,、\s]+/)
      .map((x) => x.trim())
      .filter(Boolean);
    if (parts.length === 0) {
      if (required) throw new FieldError('error.required', name);
      return undefined;
    }
    const it = typeOf(items);
    if (it === 'integer' || it === 'number') {
      return parts.map((p) => {
        const n = Number(p);
        if (!Number.isFinite(n)) throw new FieldError('error.number', name);
        return n;
      });
    }
    return parts;
  }
  const str = String(v).trim();
  if (str === '') {
    if (required && s.default === undefined) throw new FieldError('error.required', name);
    return undefined;
  }
  if (type === 'integer' || type === 'number') {
    const n = isTimeField(name) ? fromLocalInput(str) : Number(str);
    if (n === null || !Number.isFinite(n)) throw new FieldError('error.number', name);
    return type === 'integer' ? Math.round(n) : n;
  }
  return str;
}

function convertRow(s: JsonSchema, row: Row): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const req = new Set(s.required ?? []);
  for (const [k, p] of Object.entries(s.properties ?? {})) {
    const v = convert(k, p, row[k] ?? initialValue(k, p, undefined), req.has(k));
    if (v !== undefined) out[k] = v;
  }
  return out;
}

export function SchemaForm({
  schema,
  initial = {},
  context = {},
  submitLabel,
  onSubmit,
  onCancel,
  testId,
}: {
  schema: unknown;
  initial?: Record<string, unknown>;
  context?: FormContext;
  submitLabel: string;
  onSubmit: (payload: Record<string, unknown>) => Promise<unknown>;
  onCancel?: () => void;
  testId?: string;
}) {
  const t = useI18n();
  const s = useMemo<JsonSchema>(
    () => norm((schema && typeof schema === 'object' ? schema : { type: 'object', properties: {} }) as JsonSchema),
    [schema],
  );
  const [row, setRow] = useState<Row>(() => initialRow(s, initial));
  const [busy, setBusy] = useState(false);
  const [err, setErr] = useState<unknown>(null);
  const [fieldErr, setFieldErr] = useState<string | null>(null);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setFieldErr(null);
    setErr(null);
    let payload: Record<string, unknown>;
    try {
      payload = convertRow(s, row);
    } catch (x) {
      if (x instanceof FieldError) {
        setFieldErr(t.t(x.key, { field: t.field(x.field, context.kind) }));
        return;
      }
      throw x;
    }
    setBusy(true);
    onSubmit(payload)
      .catch((x: unknown) => setErr(x))
      .finally(() => setBusy(false));
  };
  const onKey = (e: KeyboardEvent) => {
    if (e.key === 'Escape' && onCancel) {
      e.preventDefault();
      onCancel();
    }
  };
  const props = Object.entries(s.properties ?? {});
  return (
    <form className="schema-form" onSubmit={submit} onKeyDown={onKey} data-testid={testId} noValidate>
      {props.map(([k, p], i) => (
        <Field
          key={k}
          name={k}
          schema={p}
          required={(s.required ?? []).includes(k)}
          value={row[k]!}
          onChange={(v) => setRow((r) => ({ ...r, [k]: v }))}
          context={context}
          autoFocus={i === 0}
        />
      ))}
      {fieldErr ? (
        <p className="error" role="alert">
          {fieldErr}
        </p>
      ) : null}
      <ErrorLine error={err} />
      <div className="form-buttons">
        <button type="submit" className="primary" disabled={busy} data-testid="form-submit">
          {submitLabel}
        </button>
        {onCancel ? (
          <button type="button" onClick={onCancel} disabled={busy}>
            {t.t('common.cancel')}
          </button>
        ) : null}
      </div>
    </form>
  );
}

function Field({
  name,
  schema: raw,
  required,
  value,
  onChange,
  context,
  autoFocus,
}: {
  name: string;
  schema: JsonSchema;
  required: boolean;
  value: Value;
  onChange: (v: Value) => void;
  context: FormContext;
  autoFocus?: boolean;
}) {
  const t = useI18n();
  const id = useId();
  const s = norm(raw);
  const type = typeOf(s);
  const label = t.field(name, context.kind);
  const mark =
    required && s.default === undefined && type !== 'boolean' ? (
      <span className="req" aria-label={t.t('common.required')}>
        *
      </span>
    ) : null;

  if (type === 'boolean') {
    return (
      <label className="field check" htmlFor={id}>
        <input
          id={id}
          name={name}
          type="checkbox"
          checked={value === true}
          onChange={(e) => onChange(e.target.checked)}
          autoFocus={autoFocus}
        />
        <span>{s.const === true ? `${label} · ${t.t('common.confirmed')}` : label}</span>
      </label>
    );
  }
  if (type === 'object') {
    return (
      <fieldset className="field group">
        <legend>{label}</legend>
        {Object.entries(s.properties ?? {}).map(([k, p]) => (
          <Field
            key={k}
            name={k}
            schema={p}
            required={(s.required ?? []).includes(k)}
            value={(value as Row)[k]!}
            onChange={(v) => onChange({ ...(value as Row), [k]: v })}
            context={context}
          />
        ))}
      </fieldset>
    );
  }
  if (type === 'array' && typeOf(norm(s.items ?? {})) === 'object') {
    const items = norm(s.items ?? {});
    const rows = value as Row[];
    return (
      <fieldset className="field group">
        <legend>
          {label} {mark}
        </legend>
        {rows.map((r, i) => (
          <div className="array-row" key={i}>
            {Object.entries(items.properties ?? {}).map(([k, p]) => (
              <Field
                key={k}
                name={k}
                schema={p}
                required={(items.required ?? []).includes(k)}
                value={r[k]!}
                onChange={(v) => onChange(rows.map((x, j) => (j === i ? { ...x, [k]: v } : x)))}
                context={context}
              />
            ))}
            <button type="button" className="small" onClick={() => onChange(rows.filter((_, j) => j !== i))}>
              {t.t('common.remove')}
            </button>
          </div>
        ))}
        <button type="button" className="small" onClick={() => onChange([...rows, initialRow(items, {})])}>
          + {t.t('common.added')}
        </button>
      </fieldset>
    );
  }
  const str = value as string;
  let input;
  const devices = s.deviceClass
    ? context.deviceOptions?.filter((o) => !o.deviceClass || o.deviceClass === s.deviceClass)
    : context.deviceOptions;
  const options = name === 'deviceId' ? devices : name === 'step' ? context.stepOptions : undefined;
  if (s.enum || (options && options.length > 0)) {
    const opts: Option[] = s.enum ? s.enum.map((v) => ({ value: String(v), label: t.enumValue(v, context.kind) })) : options!;
    input = (
      <select id={id} name={name} value={str} onChange={(e) => onChange(e.target.value)} autoFocus={autoFocus}>
        {!required || s.default === undefined ? <option value="">—</option> : null}
        {opts.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    );
  } else if ((type === 'integer' || type === 'number') && isTimeField(name)) {
    input = (
      <input
        id={id}
        name={name}
        type="datetime-local"
        step={1}
        value={str}
        onChange={(e) => onChange(e.target.value)}
        autoFocus={autoFocus}
      />
    );
  } else if (type === 'integer' || type === 'number') {
    input = (
      <input
        id={id}
        name={name}
        type="number"
        inputMode="numeric"
        min={s.minimum}
        max={s.maximum}
        step={type === 'integer' ? 1 : 'any'}
        value={str}
        onChange={(e) => onChange(e.target.value)}
        autoFocus={autoFocus}
      />
    );
  } else if (type === 'string' && LONG_TEXT.has(name)) {
    input = (
      <textarea
        id={id}
        name={name}
        rows={2}
        maxLength={s.maxLength}
        value={str}
        onChange={(e) => onChange(e.target.value)}
        autoFocus={autoFocus}
      />
    );
  } else {
    input = (
      <input
        id={id}
        name={name}
        type="text"
        maxLength={s.maxLength}
        value={str}
        onChange={(e) => onChange(e.target.value)}
        autoFocus={autoFocus}
        autoComplete="off"
      />
    );
  }
  return (
    <div className="field">
      <label htmlFor={id}>
        <span>
          {label} {mark}
        </span>
      </label>
      {input}
    </div>
  );
}
