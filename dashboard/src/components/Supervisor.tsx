// Supervisor (客服主管/值班主任): pending approvals (e.g. approve_119), escalations, the duty log
// with sign-off, shift handover, follow-ups, special incident reports (printable) and
// planned outages.
import { useEffect, useMemo, useState } from 'react';
import { api, type IncidentView } from '../api.js';
import { errorText, useAsync, useNow } from '../hooks.js';
import { navigate, useLocation } from '../router.js';
import { boardOrder, toast, upsertIncident, useI18n, useStore } from '../store.js';
import {
  AsyncButton,
  Empty,
  ErrorLine,
  KindBadge,
  Panel,
  StateBadge,
  buildingsOf,
  fromLocalInput,
  toLocalInput,
  useActorName,
} from './common.js';
import { IncidentCard } from './ControlRoom.js';
import { SchemaForm } from './SchemaForm.js';
import { ShiftPage } from './Shift.js';

/** Actions that need a manager's decision (the supervisor's approval queue). */
export const APPROVAL_ACTIONS = ['approve_119', 'declare_fire_out', 'close'];

const TABS = ['approvals', 'duty', 'handover', 'followups', 'reports', 'outages'] as const;
type Tab = (typeof TABS)[number];
const TAB_LABEL = {
  approvals: 'sup.approvals',
  duty: 'sup.dutyLog',
  handover: 'sup.handover',
  followups: 'sup.followups',
  reports: 'sup.reports',
  outages: 'sup.outages',
} as const;

export function Supervisor() {
  const t = useI18n();
  const { query } = useLocation();
  const tab = (TABS as readonly string[]).includes(query.get('tab') ?? '') ? (query.get('tab') as Tab) : 'approvals';
  return (
    <div className="supervisor">
      <nav className="tabs" role="tablist" aria-label={t.t('sup.title')}>
        {TABS.map((x) => (
          <button
            key={x}
            type="button"
            role="tab"
            aria-selected={tab === x}
            className={tab === x ? 'active' : ''}
            onClick={() => navigate(`/supervisor?tab=${x}`, true)}
            data-testid={`tab-${x}`}
          >
            {t.t(TAB_LABEL[x])}
          </button>
        ))}
      </nav>
      {tab === 'approvals' ? <Approvals /> : null}
      {tab === 'duty' ? <DutyLog /> : null}
      {tab === 'handover' ? <Handovers /> : null}
      {tab === 'followups' ? <FollowUps /> : null}
      {tab === 'reports' ? <Reports /> : null}
      {tab === 'outages' ? <Outages /> : null}
    </div>
  );
}

function Approvals() {
  const t = useI18n();
  const pushes = useStore((s) => s.incidentRev);
  const conn = useStore((s) => s.conn);
  // our own fetch: the list carries allowedActions for this role (pushes do not)
  const list = useAsync(() => api.incidents('open'), [conn]);
  const { reload } = list;
  useEffect(() => {
    const h = setTimeout(reload, 300);
    return () => clearTimeout(h);
  }, [pushes, reload]);
  const [active, setActive] = useState<string | null>(null);
  // one row per incident with all its pending approvals (issue 14: "fire #1" twice counted 5 for 4 incidents)
  const items = useMemo(
    () =>
      (list.data ?? [])
        .map((i) => ({ incident: i, actions: (i.allowedActions ?? []).filter((a) => APPROVAL_ACTIONS.includes(a.action) && !a.blocked) }))
        .filter((x) => x.actions.length > 0)
        .sort((a, b) => boardOrder(a.incident, b.incident)),
    [list.data],
  );
  // the supervisor's board is the whole open board, not only the escalated part
  const board = useMemo(() => (list.data ?? []).filter((i) => i.open).sort(boardOrder), [list.data]);
  return (
    <div className="sup-grid">
      <Panel
        title={
          <>
            {t.t('sup.approvals')} <span className="count">{items.length}</span>
          </>
        }
        testId="approvals"
        className={items.length ? 'attention' : ''}
      >
        <ErrorLine error={list.error} />
        {items.length === 0 ? <Empty>{t.t('sup.approvalsEmpty')}</Empty> : null}
        <ul className="approvals">
          {items.map(({ incident: i, actions }) => {
            const a = actions.find((x) => `${i.id}/${x.action}` === active);
            return (
              <li key={i.id} className={`approval sev-${i.kind}`} data-testid="approval" data-incident-id={i.id}>
                <div className="approval-head">
                  <KindBadge kind={i.kind} />
                  <span className="card-no">#{i.number}</span>
                  <span className="card-title">{t.msg(i.titleMsg)}</span>
                  <StateBadge kind={i.kind} state={i.state} open={i.open} />
                  {actions.map((x) => {
                    const key = `${i.id}/${x.action}`;
                    return (
                      <button
                        key={key}
                        type="button"
                        className="primary"
                        aria-pressed={active === key}
                        onClick={() => setActive(active === key ? null : key)}
                        data-testid={`approve-${x.action}`}
                      >
                        {t.proc(i.kind, 'action', x.action)}
                      </button>
                    );
                  })}
                  <button type="button" onClick={() => navigate(`/incidents/${encodeURIComponent(i.id)}`)}>
                    {t.t('common.view')}
                  </button>
                </div>
                {a ? (
                  <SchemaForm
                    schema={a.payload}
                    initial={a.defaults ?? {}}
                    context={{ kind: i.kind }}
                    submitLabel={t.proc(i.kind, 'action', a.action)}
                    onCancel={() => setActive(null)}
                    onSubmit={async (payload) => {
                      const next = await api.act(i.id, a.action, payload);
                      upsertIncident(next, false);
                      setActive(null);
                      toast(t.t('incident.actionDone', { action: t.proc(i.kind, 'action', a.action) }), 'ok');
                      reload();
                    }}
                  />
                ) : null}
              </li>
            );
          })}
        </ul>
      </Panel>
      <Panel
        title={
          <>
            {t.t('control.board')} <span className="count">{board.length}</span>
          </>
        }
        testId="sup-board"
      >
        {board.length === 0 ? <Empty>{t.t('control.boardEmpty')}</Empty> : null}
        <ol className="board">
          {board.map((i: IncidentView) => (
            <IncidentCard key={i.id} incident={i} />
          ))}
        </ol>
      </Panel>
    </div>
  );
}

/**
 * The duty log per shift (PROCEDURES.md "Shifts, duty log, handover"): pick a shift, read it, sign
 * it once it has ended, spot-check it (seed 001 篇2 §二.2); the month's counts and review below.
 */
function DutyLog() {
  const t = useI18n();
  const rev = useStore((s) => s.shiftRev);
  // the signature covers every building's entries: the hub refuses it to a scoped user (docs/security.md "Building scope")
  const scoped = useStore((s) => (s.user?.buildings?.length ?? 0) > 0);
  const actorName = useActorName();
  const shifts = useAsync(() => api.shifts(), [rev]);
  const [shift, setShift] = useState<string>('');
  const log = useAsync(() => api.shiftLog(shift || undefined), [shift, rev]);
  const [note, setNote] = useState('');
  // until the picked shift's log arrives the previous answer is not shown: the table, the
  // signature and the sign button would otherwise speak for a shift other than the one picked
  const view = log.data && (!shift || log.data.shift.id === shift) ? log.data : undefined;
  const sig = view?.signature ?? null;
  const cur = view?.shift;
  return (
    <>
      <Panel
        title={t.t('sup.dutyLog')}
        testId="duty-log"
        actions={
          <label>
            {t.t('shift.pick')}{' '}
            <select data-testid="shift-pick" value={shift || (cur?.id ?? '')} onChange={(e) => setShift(e.target.value)}>
              {(shifts.data ?? []).map((x) => (
                <option key={x.id} value={x.id}>
                  {x.id} {x.name}
                  {x.signature ? ' ✓' : ''}
                </option>
              ))}
            </select>
          </label>
        }
      >
        <ErrorLine error={log.error} />
        {view && view.entries.length === 0 ? <Empty>{t.t('sup.entriesEmpty')}</Empty> : null}
        <table className="table">
          <tbody>
            {(view?.entries ?? []).map((e) => (
              <tr key={e.seq} className={e.afterSignature ? 'after-sig' : ''}>
                <td className="nowrap">{t.dateTime(e.at)}</td>
                <td className="nowrap">{actorName(e)}</td>
                <td>{t.duty(e)}</td>
                <td>
                  {e.incidentId ? (
                    <button type="button" className="small" onClick={() => navigate(`/incidents/${encodeURIComponent(e.incidentId!)}`)}>
                      {t.t('common.view')}
                    </button>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        <div className="signoff" data-testid="signoff">
          {!view ? null : sig ? (
            <p className="ok">
              {t.t('sup.signedBy', { by: sig.signedByName ?? sig.signedBy, time: t.dateTime(sig.signedAt) })}
              {sig.note ? ` — ${sig.note}` : ''}
              {cur?.signature?.legacyDay ? ` ${t.t('shift.legacy', { day: cur.signature.legacyDay })}` : ''}
            </p>
          ) : scoped ? (
            <p className="muted" data-testid="sign-unscoped">
              {t.t('sup.notSigned')} — {t.t('sup.signUnscoped')}
            </p>
          ) : cur && cur.status !== 'ended' ? (
            <p className="muted">{t.t('shift.notEnded')}</p>
          ) : (
            <>
              <p className="muted">{t.t('sup.notSigned')}</p>
              <label>
                {t.t('sup.signNote')}
                <textarea rows={2} value={note} onChange={(e) => setNote(e.target.value)} />
              </label>
              <AsyncButton
                className="primary"
                testId="sign"
                disabled={!cur}
                onRun={async () => {
                  await api.signShift(cur!.id, note.trim());
                  setNote('');
                  log.reload();
                  shifts.reload();
                }}
              >
                {t.t('sup.sign')}
              </AsyncButton>
            </>
          )}
          {cur?.spotCheck ? (
            <p className="ok" data-testid="spot-checked">
              {t.t('shift.spotChecked', { by: cur.spotCheck.byName ?? cur.spotCheck.by, time: t.dateTime(cur.spotCheck.at) })}
            </p>
          ) : cur?.status === 'ended' && !scoped ? (
            <AsyncButton
              testId="spot-check"
              onRun={async () => {
                await api.spotCheck(cur.id, '');
                log.reload();
              }}
            >
              {t.t('shift.spotCheck')}
            </AsyncButton>
          ) : null}
        </div>
      </Panel>
      {cur ? <MonthReview month={cur.id.slice(0, 7)} rev={`${rev}/${sig?.signedAt ?? ''}/${cur.spotCheck?.at ?? ''}`} /> : null}
    </>
  );
}

function MonthReview({ month, rev }: { month: string; rev: string }) {
  const t = useI18n();
  const m = useAsync(() => api.dutyMonth(month), [month, rev]);
  const [note, setNote] = useState('');
  const d = m.data;
  return (
    <Panel title={t.t('shift.month')} testId="month-review">
      <ErrorLine error={m.error} />
      {d ? (
        <>
          <p data-testid="month-counts">
            {t.t('shift.monthCounts', {
              month: d.month,
              shifts: d.shifts,
              signed: d.signed,
              unsigned: d.unsigned,
              checked: d.spotCheck.checked,
              total: d.spotCheck.total,
              required: d.spotCheck.required,
            })}
          </p>
          <p className={d.spotCheck.met ? 'ok' : 'warn'}>{t.t(d.spotCheck.met ? 'shift.spotMet' : 'shift.spotNotMet')}</p>
          {d.review ? (
            <p className="ok">{t.t('shift.reviewed', { by: d.review.byName ?? d.review.by, time: t.dateTime(d.review.at) })}</p>
          ) : (
            <>
              <label>
                {t.t('sup.signNote')}
                <input value={note} onChange={(e) => setNote(e.target.value)} />
              </label>
              <AsyncButton
                onRun={async () => {
                  await api.reviewMonth(d.month, note.trim());
                  m.reload();
                }}
              >
                {t.t('shift.review')}
              </AsyncButton>
            </>
          )}
        </>
      ) : null}
    </Panel>
  );
}

function Handovers() {
  return <ShiftPage />;
}

function FollowUps() {
  const t = useI18n();
  const list = useAsync(() => api.followups(), []);
  const [notes, setNotes] = useState<Record<string, string>>({});
  return (
    <Panel title={t.t('sup.followups')} testId="followups">
      <ErrorLine error={list.error} />
      {list.data && list.data.length === 0 ? <Empty>{t.t('sup.followupsEmpty')}</Empty> : null}
      <ul className="followups">
        {(list.data ?? []).map((f) => (
          <li key={f.id} className={`followup${f.overdue ? ' overdue' : ''}${f.doneAt ? ' done' : ''}`}>
            <div>
              <strong>{t.msg(f.subjectMsg)}</strong> · {t.t('sup.due', { time: t.dateTime(f.dueAt) })}
              {f.overdue ? ` · ${t.t('common.overdue')}` : ''}
              {f.doneAt ? ` · ${t.t('common.done')} ${t.dateTime(f.doneAt)} ${f.doneBy ?? ''}` : ''}
            </div>
            {f.notes ? <p className="pre">{f.notes}</p> : null}
            {!f.doneAt ? (
              <div className="row">
                <input
                  aria-label={t.t('common.notes')}
                  placeholder={t.t('common.notes')}
                  value={notes[f.id] ?? ''}
                  onChange={(e) => setNotes((n) => ({ ...n, [f.id]: e.target.value }))}
                />
                <AsyncButton
                  className="primary"
                  disabled={!(notes[f.id] ?? '').trim()}
                  onRun={async () => {
                    await api.followupDone(f.id, (notes[f.id] ?? '').trim());
                    list.reload();
                  }}
                >
                  {t.t('sup.markDone')}
                </AsyncButton>
                {f.incidentId ? (
                  <button type="button" onClick={() => navigate(`/incidents/${encodeURIComponent(f.incidentId!)}`)}>
                    {t.t('common.view')}
                  </button>
                ) : null}
              </div>
            ) : null}
          </li>
        ))}
      </ul>
    </Panel>
  );
}

function Reports() {
  const t = useI18n();
  const list = useAsync(() => api.incidents('closed', { limit: 100 }), []);
  const procedures = useStore((s) => s.procedures);
  // the kinds that have a special report (GET /api/procedures `specialReport`)
  const reportable = new Set((procedures?.kinds ?? []).filter((k) => k.specialReport).map((k) => k.kind));
  const rows = (list.data ?? []).filter((i) => reportable.has(i.kind)).sort((a, b) => (b.closedAt ?? 0) - (a.closedAt ?? 0));
  return (
    <Panel title={t.t('sup.reports')} testId="reports">
      <ErrorLine error={list.error} />
      {list.data && rows.length === 0 ? <Empty>{t.t('sup.reportsEmpty')}</Empty> : null}
      <table className="table">
        <tbody>
          {rows.map((i) => (
            <tr key={i.id}>
              <td>#{i.number}</td>
              <td>
                <KindBadge kind={i.kind} />
              </td>
              <td>{t.msg(i.titleMsg)}</td>
              <td>{t.building(i.building)}</td>
              <td className="nowrap">{t.dateTime(i.openedAt)}</td>
              <td className="nowrap">{t.dateTime(i.closedAt)}</td>
              <td className="nowrap">
                <button type="button" className="small" onClick={() => navigate(`/incidents/${encodeURIComponent(i.id)}`)}>
                  {t.t('common.view')}
                </button>{' '}
                <a className="button small" href={api.reportUrl(i.id)} target="_blank" rel="noopener noreferrer">
                  {t.t('common.print')}
                </a>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </Panel>
  );
}

function Outages() {
  const t = useI18n();
  const devices = useStore((s) => s.devices);
  const buildings = buildingsOf(devices);
  const now = useNow();
  const list = useAsync(() => api.outages(), []);
  const [f, setF] = useState(() => ({
    building: '',
    feeder: '',
    startsAt: toLocalInput(Date.now() + 2 * 86_400_000),
    endsAt: toLocalInput(Date.now() + 2 * 86_400_000 + 4 * 3_600_000),
    noticeAt: toLocalInput(Date.now()),
    residentsMustPrepare: false,
    reason: '',
    acceptShortNotice: false,
    shortNoticeReason: '',
  }));
  const [err, setErr] = useState<unknown>(null);
  const building = f.building || buildings[0] || '';
  return (
    <div className="sup-grid">
      <Panel title={t.t('sup.outageNew')} testId="outage-new">
        <form
          className="walkin"
          onSubmit={(e) => {
            e.preventDefault();
            setErr(null);
            api
              .createOutage({
                building,
                ...(f.feeder.trim() ? { feeder: f.feeder.trim() } : {}),
                startsAt: fromLocalInput(f.startsAt),
                endsAt: fromLocalInput(f.endsAt),
                noticeAt: fromLocalInput(f.noticeAt),
                residentsMustPrepare: f.residentsMustPrepare,
                reason: f.reason.trim(),
                ...(f.acceptShortNotice ? { acceptShortNotice: true, shortNoticeReason: f.shortNoticeReason.trim() } : {}),
              })
              .then(() => {
                toast(t.t('common.saved'), 'ok');
                list.reload();
              })
              .catch((x: unknown) => setErr(x));
          }}
        >
          <label>
            {t.t('common.building')}
            <select value={building} onChange={(e) => setF((x) => ({ ...x, building: e.target.value }))}>
              {buildings.map((b) => (
                <option key={b} value={b}>
                  {t.building(b)}
                </option>
              ))}
            </select>
          </label>
          <label>
            {t.t('sup.feeder')}
            <input value={f.feeder} onChange={(e) => setF((x) => ({ ...x, feeder: e.target.value }))} />
          </label>
          <label>
            {t.t('sup.startsAt')}
            <input type="datetime-local" value={f.startsAt} onChange={(e) => setF((x) => ({ ...x, startsAt: e.target.value }))} />
          </label>
          <label>
            {t.t('sup.endsAt')}
            <input type="datetime-local" value={f.endsAt} onChange={(e) => setF((x) => ({ ...x, endsAt: e.target.value }))} />
          </label>
          <label>
            {t.t('sup.noticeAt')}
            <input type="datetime-local" value={f.noticeAt} onChange={(e) => setF((x) => ({ ...x, noticeAt: e.target.value }))} />
          </label>
          <label className="check">
            <input
              type="checkbox"
              checked={f.residentsMustPrepare}
              onChange={(e) => setF((x) => ({ ...x, residentsMustPrepare: e.target.checked }))}
            />
            {t.t('sup.residentsMustPrepare')}
          </label>
          <label>
            <span>
              {t.t('sup.reason')} <span className="req">*</span>
            </span>
            <input value={f.reason} onChange={(e) => setF((x) => ({ ...x, reason: e.target.value }))} required />
          </label>
          <label className="check">
            <input
              type="checkbox"
              checked={f.acceptShortNotice}
              onChange={(e) => setF((x) => ({ ...x, acceptShortNotice: e.target.checked }))}
            />
            {t.field('acceptShortNotice')}
          </label>
          {f.acceptShortNotice ? (
            <label>
              {t.field('shortNoticeReason')}
              <input value={f.shortNoticeReason} onChange={(e) => setF((x) => ({ ...x, shortNoticeReason: e.target.value }))} />
            </label>
          ) : null}
          {err ? <p className="error">{errorText(t, err)}</p> : null}
          <button type="submit" className="primary" disabled={!f.reason.trim() || !building}>
            {t.t('common.save')}
          </button>
        </form>
      </Panel>
      <Panel title={t.t('sup.outages')} testId="outages">
        <ErrorLine error={list.error} />
        {list.data && list.data.length === 0 ? <Empty>{t.t('sup.outagesEmpty')}</Empty> : null}
        <table className="table">
          <tbody>
            {(list.data ?? []).map((o) => (
              <tr key={o.id} className={o.endsAt < now || o.cancelled ? 'past' : ''}>
                <td>{t.building(o.building)}</td>
                <td>{o.feeder ?? ''}</td>
                <td className="nowrap">
                  {t.dateTime(o.startsAt)} – {t.dateTime(o.endsAt)}
                </td>
                <td>{t.t(`sup.outageStatus.${o.status}`)}</td>
                <td>
                  {o.reason}
                  {o.flags.includes('short_notice') ? <span className="tag tag-req"> {t.flag('short_notice')}</span> : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </Panel>
    </div>
  );
}
