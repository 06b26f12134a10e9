// Complaint board 投诉 (PROCEDURES.md §9): filter by state, building, category, channel and
// overdue; register a complaint (投诉登记: who, channel, what, category); each complaint opens in
// the incident page, where its valid/invalid, reply, hand-off, work-order, response, solution and
// 回访 forms are rendered from the procedure's payload schemas. Supervisors and admins get the
// printable monthly complaint report (and its CSV). Descriptions are rendered as text only.
import { useState } from 'react';
import type { ComplaintView } from '../../../contracts/complaints.js';
import type { IncidentDetail } from '../../../contracts/incidents.js';
import { request } from '../api.js';
import { useAsync, useNow } from '../hooks.js';
import { navigate } from '../router.js';
import { toast, useI18n, useStore } from '../store.js';
import { Empty, ErrorLine, Panel, StateBadge } from './common.js';

const STATES = ['open', 'all', 'registered', 'handling', 'awaiting_followup', 'closed', 'invalid'] as const;
// contracts/complaints.ts (not imported at run time: that module pulls zod into the bundle)
const CATEGORIES = ['facilities', 'environment', 'safety', 'service'] as const;
const CHANNELS = ['phone', 'visit', 'online', 'letter', 'other'] as const;

/** What is owed next: the first reply, the agreed next reply, the solution, or the 回访. */
function nextDue(c: ComplaintView): number | null {
  if (!c.open) return null;
  if (c.firstReplyAt === null) return c.replyDueAt;
  if (c.state === 'awaiting_followup') return c.followupDueAt;
  const due = [c.nextReplyAt, c.solvedAt === null ? c.solutionDueAt : null].filter((x): x is number => x !== null);
  return due.length ? Math.min(...due) : null;
}

/** This month, local (the report's default), as YYYY-MM. */
const thisMonth = (now: number) => new Date(now + 8 * 3_600_000).toISOString().slice(0, 7);

export function Complaints() {
  const t = useI18n();
  const now = useNow();
  const role = useStore((s) => s.user?.role);
  const [f, setF] = useState({ state: 'open', building: '', category: '', channel: '', overdue: false });
  const [month, setMonth] = useState(() => thisMonth(Date.now()));
  const [rev, setRev] = useState(0);
  const buildings = useAsync(() => request<Array<{ id: string; name: string }>>('GET', '/api/buildings'), []);
  const q = new URLSearchParams({ state: f.state });
  if (f.building) q.set('building', f.building);
  if (f.category) q.set('category', f.category);
  if (f.channel) q.set('channel', f.channel);
  if (f.overdue) q.set('overdue', 'true');
  const list = useAsync(() => request<ComplaintView[]>('GET', `/api/complaints?${q.toString()}`), [q.toString(), rev]);
  const bName = (id: string) => buildings.data?.find((b) => b.id === id)?.name ?? id;
  const manager = role === 'supervisor' || role === 'admin';
  const reportUrl = (format: 'html' | 'csv') =>
    `/api/complaints/report?${new URLSearchParams({ month, format, lang: t.locale, ...(f.building ? { building: f.building } : {}) }).toString()}`;

  return (
    <div className="sup-grid workorders complaints">
      <Panel title={t.t('cp.board')} testId="cp-board">
        <form className="walkin wo-filters" onSubmit={(e) => e.preventDefault()}>
          <label>
            {t.t('wo.state')}
            <select name="state" value={f.state} onChange={(e) => setF((x) => ({ ...x, state: e.target.value }))}>
              {STATES.map((s) => (
                <option key={s} value={s}>
                  {s === 'open' ? t.t('cp.open') : s === 'all' ? t.t('wo.all') : t.proc('complaint', 'state', s)}
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
            {t.field('category', 'complaint')}
            <select name="category" value={f.category} onChange={(e) => setF((x) => ({ ...x, category: e.target.value }))}>
              <option value="">{t.t('wo.all')}</option>
              {CATEGORIES.map((c) => (
                <option key={c} value={c}>
                  {t.enumValue(c, 'complaint')}
                </option>
              ))}
            </select>
          </label>
          <label>
            {t.field('channel', 'complaint')}
            <select name="channel" value={f.channel} onChange={(e) => setF((x) => ({ ...x, channel: e.target.value }))}>
              <option value="">{t.t('wo.all')}</option>
              {CHANNELS.map((c) => (
                <option key={c} value={c}>
                  {t.enumValue(c, 'complaint')}
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
        {list.data && list.data.length === 0 ? <Empty>{t.t('cp.none')}</Empty> : null}
        {list.data && list.data.length ? (
          <table className="table" data-testid="cp-table">
            <thead>
              <tr>
                <th>#</th>
                <th>{t.t('cp.complaint')}</th>
                <th>{t.t('wo.state')}</th>
                <th>{t.t('wo.building')}</th>
                <th>{t.field('channel', 'complaint')}</th>
                <th>{t.t('wo.due')}</th>
              </tr>
            </thead>
            <tbody>
              {list.data.map((c) => {
                const late = c.overdue.reply || c.overdue.response || c.overdue.solution || c.overdue.followup;
                const d = nextDue(c);
                return (
                  <tr key={c.id} data-testid={`cp-row-${c.number}`} className={late ? 'overdue' : ''}>
                    <td>{c.number}</td>
                    <td>
                      <a
                        href={`/incidents/${c.id}`}
                        onClick={(e) => {
                          e.preventDefault();
                          navigate(`/incidents/${c.id}`);
                        }}
                      >
                        {t.msg(c.title)}
                      </a>
                      <div className="muted">{c.description}</div>
                    </td>
                    <td>
                      <StateBadge kind="complaint" state={c.state} open={c.open} />
                      {late ? (
                        <span className="badge danger" data-testid="cp-overdue">
                          {t.t('wo.overdue')}
                        </span>
                      ) : null}
                    </td>
                    <td>
                      {bName(c.building)}
                      {c.unit ? ` · ${c.unit}` : ''}
                    </td>
                    <td>{t.enumValue(c.channel, 'complaint')}</td>
                    <td>{d ? `${t.time(d)}${d < now ? ` (${t.t('wo.overdue')})` : ''}` : '—'}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        ) : null}
        {manager ? (
          <div className="walkin cp-report" data-testid="cp-report">
            <label>
              {t.t('cp.reportMonth')}
              <input type="month" name="month" value={month} onChange={(e) => setMonth(e.target.value || thisMonth(Date.now()))} />
            </label>
            <a className="button" href={reportUrl('html')} target="_blank" rel="noopener" data-testid="cp-report-print">
              {t.t('cp.reportPrint')}
            </a>
            <a className="button" href={reportUrl('csv')} data-testid="cp-report-csv">
              {t.t('cp.reportCsv')}
            </a>
          </div>
        ) : null}
      </Panel>
      <NewComplaint buildings={buildings.data ?? []} onCreated={() => setRev((r) => r + 1)} />
    </div>
  );
}

function NewComplaint({ buildings, onCreated }: { buildings: Array<{ id: string; name: string }>; onCreated: () => void }) {
  const t = useI18n();
  const blank = {
    building: '',
    complainantType: 'resident',
    unit: '',
    complainantName: '',
    complainantPhone: '',
    channel: 'phone',
    category: 'facilities',
    location: '',
    description: '',
  };
  const [f, setF] = useState(blank);
  const [err, setErr] = useState<unknown>(null);
  const building = f.building || buildings[0]?.id || '';
  const set = (k: keyof typeof blank) => (e: { target: { value: string } }) => setF((x) => ({ ...x, [k]: e.target.value }));
  const resident = f.complainantType === 'resident';
  return (
    <Panel title={t.t('cp.new')} testId="cp-new">
      <form
        className="walkin"
        onSubmit={(e) => {
          e.preventDefault();
          setErr(null);
          const body = {
            building,
            complainantType: f.complainantType,
            ...(resident ? { unit: f.unit } : { complainantPhone: f.complainantPhone }),
            complainantName: f.complainantName,
            channel: f.channel,
            category: f.category,
            location: f.location,
            description: f.description,
          };
          request<IncidentDetail>('POST', '/api/complaints', body)
            .then((r) => {
              toast(t.t('cp.created', { number: r.number }), 'ok');
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
          {t.field('complainantType', 'complaint')}
          <select name="complainantType" value={f.complainantType} onChange={set('complainantType')}>
            {(['resident', 'outside'] as const).map((a) => (
              <option key={a} value={a}>
                {t.enumValue(a, 'complaint')}
              </option>
            ))}
          </select>
        </label>
        {resident ? (
          <label>
            {t.field('unit', 'complaint')}
            <input name="unit" value={f.unit} onChange={set('unit')} required maxLength={32} />
          </label>
        ) : null}
        <label>
          {t.field('complainantName', 'complaint')}
          <input name="complainantName" value={f.complainantName} onChange={set('complainantName')} required={!resident} maxLength={64} />
        </label>
        {!resident ? (
          <label>
            {t.field('complainantPhone', 'complaint')}
            <input name="complainantPhone" value={f.complainantPhone} onChange={set('complainantPhone')} maxLength={32} />
          </label>
        ) : null}
        <label>
          {t.field('channel', 'complaint')}
          <select name="channel" value={f.channel} onChange={set('channel')}>
            {CHANNELS.map((c) => (
              <option key={c} value={c}>
                {t.enumValue(c, 'complaint')}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t.field('category', 'complaint')}
          <select name="category" value={f.category} onChange={set('category')}>
            {CATEGORIES.map((c) => (
              <option key={c} value={c}>
                {t.enumValue(c, 'complaint')}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t.field('location', 'complaint')}
          <input name="location" value={f.location} onChange={set('location')} maxLength={200} />
        </label>
        <label>
          {t.field('description', 'complaint')}
          <textarea name="description" value={f.description} onChange={set('description')} required maxLength={2000} />
        </label>
        <ErrorLine error={err} />
        <button type="submit" className="button primary" data-testid="cp-submit">
          {t.t('cp.register')}
        </button>
      </form>
    </Panel>
  );
}
