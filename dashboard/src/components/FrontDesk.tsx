// Front desk (客服前台): waiting intercom calls with approve/deny, visits needing attention
// (unlocking, unlock failed, owner unreachable), walk-in registration with the ID number
// masked on entry, pre-authorised visitors, and visitors inside with overstay highlighted.
// Visitor names and notes are rendered as text only.
import { useMemo, useState, type FormEvent, type ReactNode } from 'react';
import { api, type PreAuthView, type VisitView } from '../api.js';
import { useAsync, useNow } from '../hooks.js';
import { refetch } from '../live.js';
import { navigate } from '../router.js';
import { toast, useI18n, useStore } from '../store.js';
import { AsyncButton, Empty, ErrorLine, Panel, buildingsOf, fromLocalInput, toLocalInput } from './common.js';

const WAITING = ['requested', 'unreachable'];
const ATTENTION = ['approved', 'failed'];
const FINAL = ['denied', 'message_left', 'cancelled', 'left'];

/**
 * Desensitise an ID number the way the hub stores it (services/visitors/machine.ts
 * maskIdNumber, seed 002 §3.1.2): first 3 + last 4 of an 18-character 身份证.
 */
export function maskId(raw: string): string {
  const id = raw.replace(/[\s-]/g, '').toUpperCase();
  if (id.length === 0) return '';
  const [head, tail] = id.length >= 10 ? [3, 4] : id.length >= 7 ? [1, 2] : [0, 1];
  return id.slice(0, head) + '*'.repeat(id.length - head - tail) + id.slice(id.length - tail);
}

/** Visit decisions answer with the incident; the visit list is refetched (and pushed). */
const reloadVisits = () => refetch({ visits: true });

export function isOverstay(v: VisitView, now: number): boolean {
  return v.overstay || (v.state === 'opened' && v.enteredAt !== null && now > v.enteredAt + v.plannedMinutes * 60_000);
}

export function FrontDesk() {
  const t = useI18n();
  const visits = useStore((s) => s.visits);
  const apiOk = useStore((s) => s.visitsApi);
  const devices = useStore((s) => s.devices);
  const now = useNow();
  const visitRev = useStore((s) => s.visitRev);
  const preauths = useAsync(() => api.preauths(), []);
  // finished visits are not in the active list: read the recent ones (refreshed with every change)
  const finished = useAsync(() => api.visits('all'), [visitRev]);
  const all = useMemo(() => Object.values(visits).sort((a, b) => a.requestedAt - b.requestedAt), [visits]);
  const waiting = all.filter((v) => WAITING.includes(v.state));
  const attention = all.filter((v) => ATTENTION.includes(v.state));
  const inside = all.filter((v) => v.state === 'opened');
  const recent = (finished.data ?? []).filter(
    (v) => FINAL.includes(v.state) && now - (v.leftAt ?? v.decidedAt ?? v.requestedAt) < 24 * 3_600_000,
  );
  const buildings = buildingsOf(devices);

  return (
    <div className="frontdesk-grid">
      <div className="col">
        <Panel
          title={
            <>
              {t.t('fd.waiting')} <span className="count">{waiting.length}</span>
            </>
          }
          testId="fd-waiting"
          className={waiting.length ? 'attention' : ''}
        >
          {apiOk === false ? <p className="warn">{t.t('fd.endpointMissing')}</p> : null}
          {waiting.length === 0 ? <Empty>{t.t('fd.waitingEmpty')}</Empty> : null}
          <ul className="visits">
            {waiting.map((v) => (
              <WaitingCall key={v.id} visit={v} preauths={preauths.data ?? []} />
            ))}
          </ul>
        </Panel>
        {attention.length > 0 ? (
          <Panel title={t.t('fd.inProgress')} testId="fd-attention">
            <ul className="visits">
              {attention.map((v) => (
                <VisitRow key={v.id} visit={v}>
                  {v.state === 'failed' ? (
                    <>
                      <AsyncButton
                        className="primary"
                        onRun={async () => {
                          await api.visitAction(v.id, 'retry_unlock', { notes: '' });
                          await reloadVisits();
                        }}
                      >
                        {t.t('fd.retryUnlock')}
                      </AsyncButton>
                      <DetailButton visit={v} label={t.t('fd.escort')} />
                    </>
                  ) : null}
                </VisitRow>
              ))}
            </ul>
          </Panel>
        ) : null}
        <Panel
          title={
            <>
              {t.t('fd.inside')} <span className="count">{inside.length}</span>
            </>
          }
          testId="fd-inside"
        >
          {inside.length === 0 ? <Empty>{t.t('fd.insideEmpty')}</Empty> : null}
          <ul className="visits">
            {inside.map((v) => (
              <Inside key={v.id} visit={v} now={now} />
            ))}
          </ul>
        </Panel>
        {recent.length > 0 ? (
          <Panel title={t.t('fd.recent')} testId="fd-recent">
            <ul className="visits compact">
              {recent.slice(0, 20).map((v) => (
                <VisitRow key={v.id} visit={v} />
              ))}
            </ul>
          </Panel>
        ) : null}
      </div>
      <div className="col">
        <WalkIn buildings={buildings} preauths={preauths.data ?? []} onPreauthUsed={preauths.reload} />
        <PreAuths buildings={buildings} list={preauths.data ?? []} error={preauths.error} reload={preauths.reload} />
      </div>
    </div>
  );
}

function VisitRow({ visit: v, children }: { visit: VisitView; children?: ReactNode }) {
  const t = useI18n();
  const now = useNow();
  return (
    <li
      className={`visit visit-${v.state}${isOverstay(v, now) ? ' overstay' : ''}`}
      data-testid="visit"
      data-visit-id={v.id}
      data-state={v.state}
    >
      <div className="visit-main">
        <span className="visitor-name" data-testid="visitor-name">
          {v.visitorName || '—'}
        </span>
        <span className="visit-unit">
          {t.building(v.building)} · {v.unit}
        </span>
        <span className="visit-state" data-testid="visit-state">
          {t.proc('visitor_approval', 'state', v.state)}
        </span>
        <span className="muted">
          {t.enumValue(v.channel)}
          {v.idMasked ? ` · ${v.idMasked}` : ''} · {t.time(v.requestedAt)}
        </span>
      </div>
      {children ? <div className="visit-buttons">{children}</div> : null}
    </li>
  );
}

function DetailButton({ visit: v, label }: { visit: VisitView; label?: string }) {
  const t = useI18n();
  if (!v.incidentId) return null;
  const href = `/incidents/${encodeURIComponent(v.incidentId)}`;
  return (
    <button type="button" onClick={() => navigate(href)}>
      {label ?? t.t('fd.detail')}
    </button>
  );
}

function matchingPreauth(
  v: { building: string; unit: string; visitorName: string },
  list: PreAuthView[],
  now: number,
): PreAuthView | undefined {
  const norm = (s: string) => s.trim().toLowerCase().replace(/\s+/g, ' ');
  return list.find(
    (p) =>
      p.unit === v.unit &&
      p.building === v.building &&
      norm(p.visitorName) === norm(v.visitorName) &&
      now >= p.validFrom &&
      now <= p.validTo &&
      !p.usedAt,
  );
}

const CHANNELS = ['phone', 'intercom', 'in_person', 'alt_contact'];

function WaitingCall({ visit: v, preauths }: { visit: VisitView; preauths: PreAuthView[] }) {
  const t = useI18n();
  const now = useNow();
  const [channel, setChannel] = useState('phone');
  const [denying, setDenying] = useState(false);
  const [reason, setReason] = useState('');
  const pa = matchingPreauth(v, preauths, now);
  return (
    <VisitRow visit={v}>
      <span className="waiting-for">{t.t('fd.waitingFor', { d: t.duration(now - v.requestedAt) })}</span>
      <label className="inline">
        <span className="sr-only">{t.t('fd.ownerChannel')}</span>
        <select
          value={channel}
          onChange={(e) => setChannel(e.target.value)}
          aria-label={t.t('fd.ownerChannel')}
          data-testid="visit-channel"
        >
          {CHANNELS.map((c) => (
            <option key={c} value={c}>
              {t.t('fd.ownerVia', { channel: t.enumValue(c) })}
            </option>
          ))}
        </select>
      </label>
      <AsyncButton
        className="primary"
        testId="visit-approve"
        onRun={async () => {
          await api.approveVisit(v.id, { channel });
          await reloadVisits();
        }}
      >
        {t.t('fd.approve')}
      </AsyncButton>
      {pa ? (
        <AsyncButton
          testId="visit-approve-preauth"
          onRun={async () => {
            await api.approveVisit(v.id, { preAuthId: pa.id, idVerified: true });
            await reloadVisits();
          }}
        >
          {t.t('fd.approvePreauth')}
        </AsyncButton>
      ) : null}
      {denying ? (
        <span className="deny-box">
          <input
            aria-label={t.t('fd.denyReason')}
            placeholder={t.t('fd.denyReason')}
            value={reason}
            onChange={(e) => setReason(e.target.value)}
            autoFocus
            data-testid="deny-reason"
          />
          <AsyncButton
            className="danger"
            testId="visit-deny-confirm"
            onRun={async () => {
              await api.denyVisit(v.id, { channel, notes: reason.trim() });
              await reloadVisits();
            }}
          >
            {t.t('fd.denyConfirm')}
          </AsyncButton>
          <button type="button" onClick={() => setDenying(false)}>
            {t.t('common.cancel')}
          </button>
        </span>
      ) : (
        <button type="button" className="danger" onClick={() => setDenying(true)} data-testid="visit-deny">
          {t.t('fd.deny')}
        </button>
      )}
      <DetailButton visit={v} />
    </VisitRow>
  );
}

function Inside({ visit: v, now }: { visit: VisitView; now: number }) {
  const t = useI18n();
  const [extending, setExtending] = useState(false);
  const [minutes, setMinutes] = useState('30');
  const [why, setWhy] = useState('');
  const over = isOverstay(v, now);
  return (
    <VisitRow visit={v}>
      <span className={over ? 'overstay-flag' : 'muted'} data-testid={over ? 'overstay' : undefined}>
        {over ? `${t.t('fd.overstay')} · ` : ''}
        {t.t('fd.enteredAt')} {t.time(v.enteredAt)} · {t.t('fd.planned')} {t.t('fd.minutes', { n: v.plannedMinutes })}
        {v.enteredAt ? ` · ${t.duration(now - v.enteredAt)}` : ''}
      </span>
      <AsyncButton
        className="primary"
        testId="visit-departure"
        onRun={async () => {
          await api.visitAction(v.id, 'record_departure', { notes: '' });
          await reloadVisits();
        }}
      >
        {t.t('fd.departure')}
      </AsyncButton>
      {extending ? (
        <span className="deny-box">
          <input
            type="number"
            min={1}
            max={1440}
            aria-label={t.field('minutes')}
            value={minutes}
            onChange={(e) => setMinutes(e.target.value)}
          />
          <input aria-label={t.field('notes')} placeholder={t.field('notes')} value={why} onChange={(e) => setWhy(e.target.value)} />
          <AsyncButton
            onRun={async () => {
              await api.visitAction(v.id, 'extend_visit', { minutes: Number(minutes), notes: why.trim() });
              await reloadVisits();
              setExtending(false);
            }}
          >
            {t.t('common.confirm')}
          </AsyncButton>
        </span>
      ) : (
        <button type="button" onClick={() => setExtending(true)}>
          {t.t('fd.extend')}
        </button>
      )}
    </VisitRow>
  );
}

const ID_TYPES = ['resident_id', 'passport', 'hk_macau_permit', 'taiwan_permit', 'other'];

function WalkIn({ buildings, preauths, onPreauthUsed }: { buildings: string[]; preauths: PreAuthView[]; onPreauthUsed: () => void }) {
  const t = useI18n();
  const blank = { building: buildings[0] ?? '', unit: '', visitorName: '', idType: 'resident_id', idNumber: '', plannedMinutes: '60' };
  const [f, setF] = useState(blank);
  const [startedAt, setStartedAt] = useState<number | null>(null);
  const [usePreauth, setUsePreauth] = useState(false);
  const [busy, setBusy] = useState(false);
  const [err, setErr] = useState<unknown>(null);
  const building = f.building || buildings[0] || '';
  const pa = matchingPreauth({ building, unit: f.unit.trim(), visitorName: f.visitorName }, preauths, Date.now());
  const set = (k: keyof typeof blank) => (e: { target: { value: string } }) => {
    if (startedAt === null) setStartedAt(Date.now());
    setF((x) => ({ ...x, [k]: e.target.value }));
  };
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setErr(null);
    setBusy(true);
    try {
      await api.registerVisit({
        building,
        unit: f.unit.trim(),
        visitorName: f.visitorName.trim(),
        ...(f.idNumber.trim() ? { idNumber: f.idNumber.trim(), idType: f.idType } : {}),
        plannedMinutes: Number(f.plannedMinutes) || 60,
        ...(startedAt ? { startedAt } : {}),
        ...(pa && usePreauth ? { preAuthId: pa.id, idVerified: true } : {}),
      });
      if (pa && usePreauth) onPreauthUsed();
      await reloadVisits();
      toast(t.t('fd.registered', { name: f.visitorName.trim() }), 'ok');
      setF({ ...blank, building });
      setStartedAt(null);
      setUsePreauth(false);
    } catch (x) {
      setErr(x);
    } finally {
      setBusy(false);
    }
  };
  const masked = maskId(f.idNumber);
  return (
    <Panel title={t.t('fd.walkIn')} testId="fd-walkin">
      <form className="walkin" onSubmit={submit} autoComplete="off">
        <label>
          {t.t('common.building')}
          <select value={building} onChange={set('building')} name="building">
            {buildings.map((b) => (
              <option key={b} value={b}>
                {t.building(b)}
              </option>
            ))}
          </select>
        </label>
        <label>
          <span>
            {t.t('fd.unit')} <span className="req">*</span>
          </span>
          <input name="unit" value={f.unit} onChange={set('unit')} required maxLength={32} />
        </label>
        <label>
          <span>
            {t.t('fd.visitorName')} <span className="req">*</span>
          </span>
          <input name="visitorName" value={f.visitorName} onChange={set('visitorName')} required maxLength={64} />
        </label>
        <label>
          {t.t('fd.idType')}
          <select name="idType" value={f.idType} onChange={set('idType')}>
            {ID_TYPES.map((x) => (
              <option key={x} value={x}>
                {t.enumValue(x)}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t.t('fd.idNumber')}
          {/* masked on entry: typed like a password, only the desensitised form is ever shown */}
          <input
            name="idNumber"
            type="password"
            autoComplete="off"
            spellCheck={false}
            value={f.idNumber}
            onChange={set('idNumber')}
            maxLength={32}
            data-testid="id-number"
          />
          <small className="muted" data-testid="id-masked">
            {masked ? t.t('fd.idMaskedAs', { masked }) : t.t('fd.idHint')}
          </small>
        </label>
        <label>
          {t.t('fd.plannedMinutes')}
          <input name="plannedMinutes" type="number" min={1} max={1440} value={f.plannedMinutes} onChange={set('plannedMinutes')} />
        </label>
        {pa ? (
          <label className="check wide">
            <input type="checkbox" checked={usePreauth} onChange={(e) => setUsePreauth(e.target.checked)} />
            {t.t('fd.usePreauth', { from: t.dateTime(pa.validFrom), to: t.dateTime(pa.validTo) })}
          </label>
        ) : null}
        <ErrorLine error={err} />
        <button
          type="submit"
          className="primary"
          disabled={busy || !f.unit.trim() || !f.visitorName.trim() || !building}
          data-testid="walkin-submit"
        >
          {t.t('fd.register')}
        </button>
      </form>
    </Panel>
  );
}

function PreAuths({ buildings, list, error, reload }: { buildings: string[]; list: PreAuthView[]; error: unknown; reload: () => void }) {
  const t = useI18n();
  const now = useNow();
  const [adding, setAdding] = useState(false);
  const [f, setF] = useState(() => ({
    building: '',
    unit: '',
    visitorName: '',
    idNumber: '',
    validFrom: toLocalInput(Date.now()),
    validTo: toLocalInput(Date.now() + 8 * 3_600_000),
  }));
  const [err, setErr] = useState<unknown>(null);
  const building = f.building || buildings[0] || '';
  const set = (k: keyof typeof f) => (e: { target: { value: string } }) => setF((x) => ({ ...x, [k]: e.target.value }));
  const current = list.filter((p) => p.validTo >= now);
  return (
    <Panel
      title={t.t('fd.preauth')}
      testId="fd-preauth"
      actions={
        <button type="button" onClick={() => setAdding((x) => !x)}>
          {t.t('fd.preauthAdd')}
        </button>
      }
    >
      {adding ? (
        <form
          className="walkin"
          autoComplete="off"
          onSubmit={(e) => {
            e.preventDefault();
            setErr(null);
            api
              .createPreauth({
                building,
                unit: f.unit.trim(),
                visitorName: f.visitorName.trim(),
                ...(f.idNumber.trim() ? { idNumber: f.idNumber.trim() } : {}),
                validFrom: fromLocalInput(f.validFrom),
                validTo: fromLocalInput(f.validTo),
              })
              .then(() => {
                setAdding(false);
                reload();
              })
              .catch((x: unknown) => setErr(x));
          }}
        >
          <label>
            {t.t('common.building')}
            <select value={building} onChange={set('building')}>
              {buildings.map((b) => (
                <option key={b} value={b}>
                  {t.building(b)}
                </option>
              ))}
            </select>
          </label>
          <label>
            {t.t('fd.unit')}
            <input value={f.unit} onChange={set('unit')} required />
          </label>
          <label>
            {t.t('fd.visitorName')}
            <input value={f.visitorName} onChange={set('visitorName')} required />
          </label>
          <label>
            {t.t('fd.idNumber')}
            <input type="password" autoComplete="off" value={f.idNumber} onChange={set('idNumber')} />
            <small className="muted">{f.idNumber ? t.t('fd.idMaskedAs', { masked: maskId(f.idNumber) }) : t.t('fd.idHint')}</small>
          </label>
          <label>
            {t.t('fd.validFrom')}
            <input type="datetime-local" value={f.validFrom} onChange={set('validFrom')} />
          </label>
          <label>
            {t.t('fd.validTo')}
            <input type="datetime-local" value={f.validTo} onChange={set('validTo')} />
          </label>
          <ErrorLine error={err} />
          <button type="submit" className="primary">
            {t.t('common.save')}
          </button>
        </form>
      ) : null}
      <ErrorLine error={error} />
      {current.length === 0 ? <Empty>{t.t('fd.preauthEmpty')}</Empty> : null}
      <ul className="visits compact">
        {current.map((p) => (
          <li key={p.id} className={`visit${p.usedAt ? ' used' : ''}`}>
            <div className="visit-main">
              <span className="visitor-name">{p.visitorName}</span>
              <span className="visit-unit">
                {t.building(p.building)} · {p.unit}
              </span>
              <span className="muted">
                {t.dateTime(p.validFrom)} – {t.dateTime(p.validTo)}
                {p.idMasked ? ` · ${p.idMasked}` : ''}
                {p.usedAt ? ` · ${t.t('fd.used')}` : ''}
              </span>
            </div>
          </li>
        ))}
      </ul>
    </Panel>
  );
}
