// Work-order board 报修工单 (PROCEDURES.md §8): filter by state, building, category and overdue;
// register a repair (接单登记); each order opens in the incident page, where its dispatch,
// response, completion, acceptance and cancel forms are rendered from the procedure's payload
// schemas; the printable sheet opens in a new tab. Descriptions are rendered as text only.
import { useState } from 'react';
import type { IncidentDetail } from '../../../contracts/incidents.js';
import type { WorkOrderView } from '../../../contracts/workorders.js';
import { request } from '../api.js';
import { useAsync, useNow } from '../hooks.js';
import { navigate } from '../router.js';
import { toast, useI18n } from '../store.js';
import { Empty, ErrorLine, Panel, StateBadge } from './common.js';

const STATES = ['open', 'all', 'registered', 'dispatched', 'in_progress', 'awaiting_acceptance', 'closed', 'cancelled'] as const;
// contracts/workorders.ts WORK_ORDER_CATEGORIES (not imported at run time: that module pulls zod into the bundle)
const CATEGORIES = [
  'plumbing',
  'electrical',
  'elevator',
  'fire_safety',
  'doors_windows',
  'civil',
  'hvac',
  'intercom',
  'public_facilities',
  'other',
] as const;
const SOURCES = ['resident_phone', 'resident_visit', 'staff'] as const;

export function WorkOrders() {
  const t = useI18n();
  const now = useNow();
  const [f, setF] = useState({ state: 'open', building: '', category: '', overdue: false });
  const [rev, setRev] = useState(0);
  const buildings = useAsync(() => request<Array<{ id: string; name: string }>>('GET', '/api/buildings'), []);
  const q = new URLSearchParams({ state: f.state });
  if (f.building) q.set('building', f.building);
  if (f.category) q.set('category', f.category);
  if (f.overdue) q.set('overdue', 'true');
  const list = useAsync(() => request<WorkOrderView[]>('GET', `/api/work-orders?${q.toString()}`), [q.toString(), rev]);
  const bName = (id: string) => buildings.data?.find((b) => b.id === id)?.name ?? id;
  const due = (o: WorkOrderView) => (o.respondedAt === null ? o.responseDueAt : o.completedAt === null ? o.completionDueAt : null);

  return (
    <div className="sup-grid workorders">
      <Panel title={t.t('wo.board')} testId="wo-board">
        <form className="walkin wo-filters" onSubmit={(e) => e.preventDefault()}>
          <label>
            {t.t('wo.state')}
            <select name="state" value={f.state} onChange={(e) => setF((x) => ({ ...x, state: e.target.value }))}>
              {STATES.map((s) => (
                <option key={s} value={s}>
                  {s === 'open' ? t.t('wo.open') : s === 'all' ? t.t('wo.all') : t.proc('repair', 'state', s)}
                </option>
              ))}
            </select>
          </label>
          <label>
            {t.t('wo.building')}
            <select name="building" value={f.building} onChange={(e) => setF((x) => ({ ...x, building: e.target.value }))}>
              <option value="">{t.t('wo.all')}</option>
              {(buildings.data ?? []).map((b) => (
                <option key={b.id} value={b.id}>
                  {b.name}
                </option>
              ))}
            </select>
          </label>
          <label>
            {t.field('category', 'repair')}
            <select name="category" value={f.category} onChange={(e) => setF((x) => ({ ...x, category: e.target.value }))}>
              <option value="">{t.t('wo.all')}</option>
              {CATEGORIES.map((c) => (
                <option key={c} value={c}>
                  {t.enumValue(c, 'repair')}
                </option>
              ))}
            </select>
          </label>
          <label className="check">
            <input
              type="checkbox"
              name="overdue"
              checked={f.overdue}
              onChange={(e) => setF((x) => ({ ...x, overdue: e.target.checked }))}
            />
            {t.t('wo.overdueOnly')}
          </label>
        </form>
        <ErrorLine error={list.error} />
        {list.data && list.data.length === 0 ? <Empty>{t.t('wo.none')}</Empty> : null}
        {list.data && list.data.length ? (
          <table className="table" data-testid="wo-table">
            <thead>
              <tr>
                <th>#</th>
                <th>{t.t('wo.order')}</th>
                <th>{t.t('wo.state')}</th>
                <th>{t.t('wo.building')}</th>
                <th>{t.t('wo.repairer')}</th>
                <th>{t.t('wo.due')}</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {list.data.map((o) => {
                const late = o.overdue.response || o.overdue.completion;
                const d = due(o);
                return (
                  <tr key={o.id} data-testid={`wo-row-${o.number}`} className={late ? 'overdue' : ''}>
                    <td>{o.number}</td>
                    <td>
                      <a
                        href={`/incidents/${o.id}`}
                        onClick={(e) => {
                          e.preventDefault();
                          navigate(`/incidents/${o.id}`);
                        }}
                      >
                        {t.msg(o.title)}
                      </a>
                      <div className="muted">{o.description}</div>
                    </td>
                    <td>
                      <StateBadge kind="repair" state={o.state} open={o.open} />
                      {late ? (
                        <span className="badge danger" data-testid="wo-overdue">
                          {t.t('wo.overdue')}
                        </span>
                      ) : null}
                      {o.deviceNormalAt && o.open ? <span className="badge">{t.t('wo.deviceNormal')}</span> : null}
                    </td>
                    <td>
                      {bName(o.building)}
                      {o.unit ? ` · ${o.unit}` : ''}
                    </td>
                    <td>{o.dispatchedTo ?? '—'}</td>
                    <td>{d ? `${t.time(d)}${d < now ? ` (${t.t('wo.overdue')})` : ''}` : '—'}</td>
                    <td>
                      <a href={`/api/work-orders/${o.id}/sheet`} target="_blank" rel="noopener" data-testid="wo-sheet">
                        {t.t('wo.print')}
                      </a>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        ) : null}
      </Panel>
      <NewWorkOrder buildings={buildings.data ?? []} onCreated={() => setRev((r) => r + 1)} />
    </div>
  );
}

function NewWorkOrder({ buildings, onCreated }: { buildings: Array<{ id: string; name: string }>; onCreated: () => void }) {
  const t = useI18n();
  const blank = {
    building: '',
    category: 'plumbing',
    area: 'unit',
    unit: '',
    location: '',
    description: '',
    source: 'resident_phone',
    reporterName: '',
  };
  const [f, setF] = useState(blank);
  const [err, setErr] = useState<unknown>(null);
  const building = f.building || buildings[0]?.id || '';
  const set = (k: keyof typeof blank) => (e: { target: { value: string } }) => setF((x) => ({ ...x, [k]: e.target.value }));
  return (
    <Panel title={t.t('wo.new')} testId="wo-new">
      <form
        className="walkin"
        onSubmit={(e) => {
          e.preventDefault();
          setErr(null);
          const body = {
            building,
            category: f.category,
            area: f.area,
            ...(f.area === 'unit' ? { unit: f.unit } : {}),
            location: f.location,
            description: f.description,
            source: f.source,
            reporterName: f.reporterName,
          };
          request<IncidentDetail>('POST', '/api/work-orders', body)
            .then((r) => {
              toast(t.t('wo.created', { number: r.number }), 'ok');
              setF(blank);
              onCreated();
              navigate(`/incidents/${r.id}`);
            })
            .catch((x: unknown) => setErr(x));
        }}
      >
        <label>
          {t.t('wo.building')}
          <select name="building" value={building} onChange={set('building')}>
            {buildings.map((b) => (
              <option key={b.id} value={b.id}>
                {b.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t.field('category', 'repair')}
          <select name="category" value={f.category} onChange={set('category')}>
            {CATEGORIES.map((c) => (
              <option key={c} value={c}>
                {t.enumValue(c, 'repair')}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t.field('area', 'repair')}
          <select name="area" value={f.area} onChange={set('area')}>
            {(['unit', 'common'] as const).map((a) => (
              <option key={a} value={a}>
                {t.enumValue(a, 'repair')}
              </option>
            ))}
          </select>
        </label>
        {f.area === 'unit' ? (
          <label>
            {t.field('unit', 'repair')}
            <input name="unit" value={f.unit} onChange={set('unit')} required maxLength={32} />
          </label>
        ) : null}
        <label>
          {t.field('location', 'repair')}
          <input name="location" value={f.location} onChange={set('location')} maxLength={200} />
        </label>
        <label>
          {t.field('description', 'repair')}
          <textarea name="description" value={f.description} onChange={set('description')} required maxLength={2000} />
        </label>
        <label>
          {t.field('source', 'repair')}
          <select name="source" value={f.source} onChange={set('source')}>
            {SOURCES.map((s) => (
              <option key={s} value={s}>
                {t.enumValue(s, 'repair')}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t.field('reporterName', 'repair')}
          <input name="reporterName" value={f.reporterName} onChange={set('reporterName')} maxLength={64} />
        </label>
        <ErrorLine error={err} />
        <button type="submit" className="button primary" data-testid="wo-submit">
          {t.t('wo.register')}
        </button>
      </form>
    </Panel>
  );
}
