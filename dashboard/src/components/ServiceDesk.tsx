// The service desk's boards and registration forms, shared by work orders 报修 (WorkOrders.tsx,
// PROCEDURES.md §8) and complaints 投诉 (Complaints.tsx, §9): both are procedures read through a
// board with the same filters, the same table (number, title and description as text, state with
// its overdue badge, building · unit, what is owed next) and a registration form whose record
// opens in the incident page. What differs — the filters' lists, one column, the form's fields —
// stays in each page.
import { useState, type ReactNode } from 'react';
import type { IncidentKind } from '../../../contracts/domain.js';
import type { IncidentDetail } from '../../../contracts/incidents.js';
import type { Text } from '../../../contracts/messages.js';
import { request } from '../api.js';
import type { UiKey } from '../i18n.js';
import { useAsync, useNow } from '../hooks.js';
import { navigate } from '../router.js';
import { toast, useI18n } from '../store.js';
import { Empty, ErrorLine, Panel, StateBadge } from './common.js';

export interface Building {
  id: string;
  name: string;
}

/** The board's data: the buildings (names, never ids), and the list for the filters (`''`/false = not filtered). */
export function useDeskBoard<T>(url: string, filters: Record<string, string | boolean>) {
  const [rev, setRev] = useState(0);
  const buildings = useAsync(() => request<Building[]>('GET', '/api/buildings'), []);
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(filters)) if (v !== '' && v !== false) q.set(k, String(v));
  const list = useAsync(() => request<T[]>('GET', `${url}?${q.toString()}`), [q.toString(), rev]);
  return {
    buildings: buildings.data ?? [],
    list,
    bName: (id: string) => buildings.data?.find((b) => b.id === id)?.name ?? id,
    refresh: () => setRev((r) => r + 1),
  };
}

/** One select of the filter bar; `all` adds the "every value" choice first. */
export function FilterSelect({
  label,
  name,
  value,
  onChange,
  options,
  all,
}: {
  label: string;
  name: string;
  value: string;
  onChange: (v: string) => void;
  options: ReadonlyArray<{ value: string; label: string }>;
  all?: string;
}) {
  return (
    <label>
      {label}
      <select name={name} value={value} onChange={(e) => onChange(e.target.value)}>
        {all !== undefined ? <option value="">{all}</option> : null}
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    </label>
  );
}

/** One of a procedure's enumerations (category, channel…) as a select: `field` names it and labels it. */
interface EnumField {
  kind: IncidentKind;
  field: string;
  values: readonly string[];
  value: string;
}

/** A filter on one of a procedure's enumerations, "all" first. */
export function EnumFilter({ kind, field, values, value, onChange }: EnumField & { onChange: (v: string) => void }) {
  const t = useI18n();
  return (
    <FilterSelect
      label={t.field(field, kind)}
      name={field}
      value={value}
      onChange={onChange}
      all={t.t('wo.all')}
      options={values.map((v) => ({ value: v, label: t.enumValue(v, kind) }))}
    />
  );
}

/** The filter bar: state, building, the page's own selects, overdue only. */
export function DeskFilters({
  kind,
  states,
  openLabel,
  f,
  set,
  buildings,
  children,
}: {
  kind: IncidentKind;
  states: readonly string[];
  openLabel: string;
  f: { state: string; building: string; overdue: boolean };
  set: (k: string, v: string | boolean) => void;
  buildings: readonly Building[];
  children?: ReactNode;
}) {
  const t = useI18n();
  return (
    <form className="walkin wo-filters" onSubmit={(e) => e.preventDefault()}>
      <FilterSelect
        label={t.t('wo.state')}
        name="state"
        value={f.state}
        onChange={(v) => set('state', v)}
        options={states.map((s) => ({
          value: s,
          label: s === 'open' ? openLabel : s === 'all' ? t.t('wo.all') : t.proc(kind, 'state', s),
        }))}
      />
      <FilterSelect
        label={t.t('wo.building')}
        name="building"
        value={f.building}
        onChange={(v) => set('building', v)}
        all={t.t('wo.all')}
        options={buildings.map((b) => ({ value: b.id, label: b.name }))}
      />
      {children}
      <label className="check">
        <input type="checkbox" name="overdue" checked={f.overdue} onChange={(e) => set('overdue', e.target.checked)} />
        {t.t('wo.overdueOnly')}
      </label>
    </form>
  );
}

export interface DeskRow {
  id: string;
  number: number;
  state: string;
  open: boolean;
  building: string;
  title: Text;
  unit: string | null;
  description: string;
}

/** The board's table; `prefix` names its test ids (`wo` → wo-table, wo-row-12, wo-overdue). */
export function DeskTable<T extends DeskRow>({
  kind,
  prefix,
  rows,
  recordLabel,
  extra,
  bName,
  late,
  due,
  badges,
  tail,
}: {
  kind: IncidentKind;
  prefix: string;
  rows: readonly T[];
  recordLabel: string;
  /** the page's own column: its header and cell */
  extra: { head: string; cell: (r: T) => ReactNode };
  bName: (id: string) => string;
  late: (r: T) => boolean;
  due: (r: T) => number | null;
  badges?: (r: T) => ReactNode;
  /** a last cell without header (the work order's printable sheet) */
  tail?: (r: T) => ReactNode;
}) {
  const t = useI18n();
  const now = useNow();
  return (
    <table className="table" data-testid={`${prefix}-table`}>
      <thead>
        <tr>
          <th>#</th>
          <th>{recordLabel}</th>
          <th>{t.t('wo.state')}</th>
          <th>{t.t('wo.building')}</th>
          <th>{extra.head}</th>
          <th>{t.t('wo.due')}</th>
          {tail ? <th /> : null}
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => {
          const isLate = late(r);
          const d = due(r);
          return (
            <tr key={r.id} data-testid={`${prefix}-row-${r.number}`} className={isLate ? 'overdue' : ''}>
              <td>{r.number}</td>
              <td>
                <a
                  href={`/incidents/${r.id}`}
                  onClick={(e) => {
                    e.preventDefault();
                    navigate(`/incidents/${r.id}`);
                  }}
                >
                  {t.msg(r.title)}
                </a>
                <div className="muted">{r.description}</div>
              </td>
              <td>
                <StateBadge kind={kind} state={r.state} open={r.open} />
                {isLate ? (
                  <span className="badge danger" data-testid={`${prefix}-overdue`}>
                    {t.t('wo.overdue')}
                  </span>
                ) : null}
                {badges?.(r)}
              </td>
              <td>
                {bName(r.building)}
                {r.unit ? ` · ${r.unit}` : ''}
              </td>
              <td>{extra.cell(r)}</td>
              <td>{d ? `${t.time(d)}${d < now ? ` (${t.t('wo.overdue')})` : ''}` : '—'}</td>
              {tail ? <td>{tail(r)}</td> : null}
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

/** The board panel: filters, errors, "none", the table. */
export function DeskBoard({
  title,
  testId,
  filters,
  error,
  empty,
  none,
  children,
}: {
  title: string;
  testId: string;
  filters: ReactNode;
  error: unknown;
  empty: boolean;
  none: string;
  children: ReactNode;
}) {
  return (
    <Panel title={title} testId={testId}>
      {filters}
      <ErrorLine error={error} />
      {empty ? <Empty>{none}</Empty> : null}
      {children}
    </Panel>
  );
}

/**
 * A registration form's state: its fields (`set(k)` for an input's onChange), the building
 * (the first one until chosen), and `submit` — POST, toast with the new number, reset, open the
 * record in the incident page.
 */
export function useDeskForm<F extends Record<string, string>>(
  blank: F,
  buildings: readonly Building[],
  o: { url: string; created: UiKey; onCreated: () => void },
) {
  const t = useI18n();
  const [f, setF] = useState(blank);
  const [err, setErr] = useState<unknown>(null);
  const building = f.building || buildings[0]?.id || '';
  const set = (k: keyof F) => (e: { target: { value: string } }) => setF((x) => ({ ...x, [k]: e.target.value }));
  const submit = (body: Record<string, unknown>) => {
    setErr(null);
    request<IncidentDetail>('POST', o.url, { building, ...body })
      .then((r) => {
        toast(t.t(o.created, { number: r.number }), 'ok');
        setF(blank);
        o.onCreated();
        navigate(`/incidents/${r.id}`);
      })
      .catch((x: unknown) => setErr(x));
  };
  return { f, set, err, building, submit };
}

/** The form's building select. */
export function BuildingSelect({
  value,
  buildings,
  onChange,
}: {
  value: string;
  buildings: readonly Building[];
  onChange: (e: { target: { value: string } }) => void;
}) {
  const t = useI18n();
  return (
    <label>
      {t.t('wo.building')}
      <select name="building" value={value} onChange={onChange}>
        {buildings.map((b) => (
          <option key={b.id} value={b.id}>
            {b.name}
          </option>
        ))}
      </select>
    </label>
  );
}

/** A select of a procedure's enumeration, labelled like the procedure's forms. */
export function EnumSelect({ kind, field, values, value, onChange }: EnumField & { onChange: (e: { target: { value: string } }) => void }) {
  const t = useI18n();
  return (
    <label>
      {t.field(field, kind)}
      <select name={field} value={value} onChange={onChange}>
        {values.map((v) => (
          <option key={v} value={v}>
            {t.enumValue(v, kind)}
          </option>
        ))}
      </select>
    </label>
  );
}
