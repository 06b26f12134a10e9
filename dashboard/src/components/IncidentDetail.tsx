// Incident detail: the procedure checklist, the actions the current role may take (forms
// built from allowedActions[].payload), running timers, commands sent with each device's
// confirmation (elevator recall per car), and the full timeline. Refetched on every push
// for this incident, since pushes carry no allowedActions.
import { useEffect, useMemo, useState } from 'react';
import type { IncidentKind } from '../../../contracts/domain.js';
import type { Fact, Text } from '../../../contracts/messages.js';

const isText = (v: unknown): v is Text => typeof v === 'object' && v !== null && ('key' in v || 'text' in v);
import { api, ApiError, type IncidentDetail } from '../api.js';
import { errorText } from '../hooks.js';
import { navigate } from '../router.js';
import { toast, upsertIncident, useI18n, useStore } from '../store.js';
import { Countdown, Empty, KindBadge, Panel, StateBadge, runningTimers } from './common.js';
import { SnoozeMark } from './FaultBulk.js';
import { SchemaForm, type FormContext, type JsonSchema, type Option } from './SchemaForm.js';
import { IncidentDeliveries } from './NotificationsIncident.js';

type Detail = IncidentDetail;

type AllowedAction = NonNullable<Detail['allowedActions']>[number];

export function IncidentDetailPage({ id }: { id: string }) {
  const t = useI18n();
  const rev = useStore((s) => s.incidentRev[id] ?? 0);
  const conn = useStore((s) => s.conn);
  const [detail, setDetail] = useState<Detail | null>(null);
  const [error, setError] = useState<unknown>(null);
  // why personal data (a visitor's name) is opened: asked once, logged with every read
  const [reason, setReason] = useState<string | null>(null);

  useEffect(() => {
    let alive = true;
    api
      .incident(id, reason ?? undefined)
      .then((d) => {
        if (!alive) return;
        setDetail(d);
        setError(null);
      })
      .catch((e: unknown) => alive && setError(e));
    return () => {
      alive = false;
    };
    // refetch on each push for this incident and after a reconnect
  }, [id, rev, conn, reason]);

  if (!detail) {
    return (
      <div className="detail">
        <BackLink />
        {error ? (
          <p className="error">{error instanceof ApiError && error.status === 404 ? t.t('incident.notFound') : errorText(t, error)}</p>
        ) : (
          <p className="muted">{t.t('common.loading')}</p>
        )}
      </div>
    );
  }
  return <DetailView detail={detail} onChange={(d) => setDetail(d)} onReveal={setReason} />;
}

/** "user:<id>" | "device:<id>" | "owner:<unit>" | "system" | "timer:<key>" → a readable name. */
function useActorLabel(kind: IncidentKind, people: Record<string, string> = {}): (by: string | null) => string {
  const t = useI18n();
  const me = useStore((s) => s.user);
  const devices = useStore((s) => s.devices);
  return (by) => {
    if (!by) return '';
    const i = by.indexOf(':');
    const [type, id] = i < 0 ? [by, ''] : [by.slice(0, i), by.slice(i + 1)];
    if (type === 'user')
      return id === me?.id ? `${me.displayName}(${t.t('actor.me')})` : (people[by] ?? `${t.t('actor.user')} ${id.slice(0, 8)}`);
    if (type === 'device') return devices[id]?.name ?? id;
    if (type === 'owner') return t.t('actor.owner', { unit: id });
    if (type === 'timer') return `${t.t('actor.timer')} ${t.proc(kind, 'timer', id)}`;
    if (type === 'system' || type === 'hub') return t.t('actor.system');
    return by;
  };
}

function BackLink() {
  const t = useI18n();
  return (
    <a
      href="/control"
      className="back"
      onClick={(e) => {
        e.preventDefault();
        if (history.length > 1) history.back();
        else navigate('/control');
      }}
    >
      ← {t.t('incident.back')}
    </a>
  );
}

function DetailView({
  detail: d,
  onChange,
  onReveal,
}: {
  detail: Detail;
  onChange: (d: Detail) => void;
  onReveal: (reason: string) => void;
}) {
  const t = useI18n();
  const devices = useStore((s) => s.devices);
  const [active, setActive] = useState<string | null>(null);
  const kind = d.kind;
  const actor = useActorLabel(kind, d.people);
  const actions = d.allowedActions ?? [];
  const steps = [...d.steps].sort((a, b) => a.ord - b.ord);
  const timers = runningTimers(d);
  const data = d.data as Record<string, unknown>;
  const recall = (data.recall ?? null) as {
    floor: number;
    cars: {
      deviceId: string;
      car: string | null;
      status: string;
      confirmedAt: number | null;
      flaggedAt: number | null;
      returnedAt: number | null;
    }[];
  } | null;
  const flags = d.timeline.filter((x) => x.type === 'flagged');

  const context: FormContext = useMemo(() => {
    const elevators: Option[] = Object.values(devices)
      .filter((x) => x.building === d.building && x.class === 'elevator')
      .map((x) => ({ value: x.id, label: x.name }));
    // each form offers only the cars it can act on (issue 14: the return list offered a car
    // already back in service): return → not yet returned; manual recall confirmation → not yet
    // confirmed nor returned (the hub refuses both: services/fire/machine.ts)
    const carsWhere = (keep: (status: string) => boolean): Option[] =>
      recall
        ? recall.cars
            .filter((c) => keep(c.status))
            .map((c) => ({
              value: c.deviceId,
              label: `${devices[c.deviceId]?.name ?? c.deviceId} · ${t.t(`car.${c.status}` as 'car.sent')}`,
            }))
        : [];
    const cars =
      active === 'return_elevator'
        ? carsWhere((st) => st !== 'returned')
        : active === 'confirm_car_recalled'
          ? carsWhere((st) => st !== 'returned' && st !== 'confirmed')
          : carsWhere(() => true);
    return {
      kind,
      deviceOptions: recall && (active === 'return_elevator' || active === 'confirm_car_recalled' || cars.length > 0) ? cars : elevators,
      stepOptions: steps.filter((s) => s.status === 'pending').map((s) => ({ value: s.key, label: t.proc(kind, 'step', s.key) })),
    };
  }, [devices, d.building, recall, steps, kind, t, active]);

  const run = async (action: string, payload: unknown) => {
    const next = await api.act(d.id, action, payload);
    onChange(next);
    upsertIncident(next, false);
    setActive(null);
    toast(t.t('incident.actionDone', { action: t.proc(kind, 'action', action) }), 'ok', 3000);
  };

  return (
    <div className="detail" data-testid="incident-detail" data-incident-id={d.id} data-state={d.state}>
      <div className="detail-head">
        <BackLink />
        <KindBadge kind={kind} />
        <h1>
          <span className="card-no">#{d.number}</span> {t.msg(d.titleMsg)}
        </h1>
        <StateBadge kind={kind} state={d.state} open={d.open} />
        <SnoozeMark incident={d} now={Date.now()} />
        <span className="muted">
          {t.building(d.building)}
          {d.floor !== null ? ` · ${t.t('common.floorN', { n: d.floor })}` : ''}
          {d.deviceId ? ` · ${devices[d.deviceId]?.name ?? d.deviceId}` : ''}
        </span>
        <span className="muted">
          {t.t('incident.opened')} {t.dateTime(d.openedAt)}
          {d.closedAt ? ` · ${t.t('incident.closed')} ${t.dateTime(d.closedAt)}` : ''}
        </span>
        <a className="button" href={api.reportUrl(d.id)} target="_blank" rel="noopener noreferrer">
          {t.t('incident.report')}
        </a>
      </div>
      <div className="detail-grid">
        <div className="col">
          <Panel title={t.t('incident.actions')} testId="actions">
            {actions.length === 0 ? <Empty>{t.t('incident.noActions')}</Empty> : null}
            <div className="action-buttons" role="group" aria-label={t.t('incident.actions')}>
              {[...actions]
                .sort((a, b) => Number(a.generic) - Number(b.generic))
                .filter((a) => !a.blocked)
                .map((a) => (
                  <button
                    key={a.action}
                    type="button"
                    className={`${active === a.action ? 'active ' : ''}${a.generic ? '' : a.action === 'acknowledge' ? 'danger' : 'primary'}`}
                    aria-pressed={active === a.action}
                    data-testid={`action-${a.action}`}
                    onClick={() => setActive(active === a.action ? null : a.action)}
                  >
                    {t.proc(kind, 'action', a.action)}
                  </button>
                ))}
            </div>
            {/* offered by the procedure but not possible yet for this role: say why instead of a form the hub refuses */}
            {actions.some((a) => a.blocked) ? (
              <ul className="blocked-actions" data-testid="blocked-actions">
                {actions
                  .filter((a) => a.blocked)
                  .map((a) => (
                    <li key={a.action} data-testid={`blocked-${a.action}`}>
                      <button type="button" disabled aria-describedby={`why-${a.action}`}>
                        {t.proc(kind, 'action', a.action)}
                      </button>
                      <span id={`why-${a.action}`} className="muted">
                        {t.msg(a.blocked)}
                      </span>
                    </li>
                  ))}
              </ul>
            ) : null}
            {active ? (
              <ActionForm
                key={active}
                detail={d}
                action={actions.find((a) => a.action === active)}
                context={context}
                onRun={run}
                onCancel={() => setActive(null)}
              />
            ) : null}
          </Panel>
          <Panel title={t.t('incident.checklist')} testId="checklist">
            <ol className="checklist">
              {steps.map((s) => (
                <li
                  key={s.key}
                  className={`step step-${s.status}${s.required ? ' step-required' : ''}`}
                  data-testid={`step-${s.key}`}
                  data-status={s.status}
                >
                  <span className="step-icon" aria-hidden="true">
                    {s.status === 'done' ? '✔' : s.status === 'skipped' ? '⤼' : '○'}
                  </span>
                  <span className="step-label">{t.proc(kind, 'step', s.key)}</span>
                  <span className="step-tags">
                    <span className={s.required ? 'tag tag-req' : 'tag'}>
                      {s.required ? t.t('incident.stepRequired') : t.t('incident.stepOptional')}
                    </span>
                    <span className="tag">
                      {t.t(
                        s.status === 'done'
                          ? 'incident.stepDone'
                          : s.status === 'skipped'
                            ? 'incident.stepSkipped'
                            : 'incident.stepPending',
                      )}
                    </span>
                  </span>
                  {s.doneAt ? (
                    <span className="step-by">{t.t('incident.doneBy', { by: actor(s.doneBy), time: t.dateTime(s.doneAt) })}</span>
                  ) : null}
                  {s.notes ? (
                    <span className="step-notes">{s.notes}</span>
                  ) : isText(s.data.skipReason) ? (
                    // a step the procedure skipped says why in the reader's language
                    <span className="step-notes">{t.msg(s.data.skipReason)}</span>
                  ) : null}
                </li>
              ))}
            </ol>
          </Panel>
        </div>
        <div className="col">
          <Panel title={t.t('incident.timers')} testId="timers">
            {timers.length === 0 ? <Empty>{t.t('incident.noTimers')}</Empty> : null}
            <div className="timer-list">
              {timers.map((x) => (
                <Countdown key={x.key} kind={kind} timer={x} />
              ))}
            </div>
          </Panel>
          {recall ? (
            <Panel title={t.t('incident.recall')} testId="recall">
              <ul className="recall-cars">
                {recall.cars.map((c) => (
                  <li key={c.deviceId} className={`car car-${c.status}`} data-testid={`recall-car-${c.deviceId}`} data-status={c.status}>
                    <span className="car-name">{devices[c.deviceId]?.name ?? c.car ?? c.deviceId}</span>
                    <span className="car-status">{t.t(`car.${c.status}` as 'car.sent')}</span>
                    <span className="muted">{t.time(c.returnedAt ?? c.confirmedAt ?? c.flaggedAt)}</span>
                  </li>
                ))}
              </ul>
            </Panel>
          ) : null}
          <Panel title={t.t('incident.commands')} testId="commands">
            {d.commands.length === 0 ? <Empty>{t.t('incident.noCommands')}</Empty> : null}
            <table className="table">
              <thead>
                <tr>
                  <th>{t.t('common.device')}</th>
                  <th>{t.t('common.state')}</th>
                  <th>{t.t('incident.sentAt')}</th>
                  <th>{t.t('incident.resolvedAt')}</th>
                </tr>
              </thead>
              <tbody>
                {d.commands.map((c) => (
                  <tr key={c.corr} className={`cmd cmd-${c.state}`} data-testid={`command-${c.deviceId}`} data-state={c.state}>
                    <td>
                      {commandName(t.t, c.name)} · {devices[c.deviceId]?.name ?? c.deviceId}
                    </td>
                    <td className="cmd-state">{t.t(`command.${c.state}`)}</td>
                    <td>{t.time(c.sentAt)}</td>
                    <td>{t.time(c.resolvedAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </Panel>
          <Panel title={t.t('incident.facts')} testId="facts">
            <Facts facts={d.facts} />
            {d.masked ? <Reveal onReveal={onReveal} /> : null}
            {flags.length > 0 ? (
              <div className="flags">
                <h4>{t.t('incident.flags')}</h4>
                <ul>
                  {flags.map((f) => (
                    <li key={f.seq} className="flag">
                      {t.time(f.at)} · {t.flag(String(f.data.code ?? ''), kind)}
                      {typeof f.data.deviceId === 'string' ? ` · ${t.device(f.data.deviceId)}` : ''}
                    </li>
                  ))}
                </ul>
              </div>
            ) : null}
            {d.parentId || d.children.length > 0 ? (
              <p>
                {d.parentId ? <IncidentLink id={d.parentId} label={t.t('incident.parent')} /> : null}
                {d.children.map((c) => (
                  <IncidentLink key={c} id={c} label={t.t('incident.children')} />
                ))}
              </p>
            ) : null}
          </Panel>
          <IncidentDeliveries incidentId={d.id} />
        </div>
        <div className="col">
          <Panel title={t.t('incident.timeline')} testId="timeline" className="timeline-panel">
            <ol className="timeline">
              {[...d.timeline]
                .sort((a, b) => b.seq - a.seq)
                .map((e) => (
                  <li key={e.seq} className={`tl tl-${e.type}`} data-type={e.type}>
                    <span className="tl-time">{t.time(e.at)}</span>
                    <span className="tl-actor">{actor(e.actorType === 'system' ? 'system' : `${e.actorType}:${e.actor}`)}</span>
                    <span className="tl-text">{t.timeline(kind, e)}</span>
                  </li>
                ))}
            </ol>
          </Panel>
        </div>
      </div>
    </div>
  );
}

function commandName(tt: (k: 'command.recall' | 'command.unlock') => string, name: string): string {
  return name === 'recall' ? tt('command.recall') : name === 'unlock' ? tt('command.unlock') : name;
}

function IncidentLink({ id, label }: { id: string; label: string }) {
  const href = `/incidents/${encodeURIComponent(id)}`;
  return (
    <a
      className="chip"
      href={href}
      onClick={(e) => {
        e.preventDefault();
        navigate(href);
      }}
    >
      {label} →
    </a>
  );
}

function ActionForm({
  detail,
  action,
  context,
  onRun,
  onCancel,
}: {
  detail: Detail;
  action: AllowedAction | undefined;
  context: FormContext;
  onRun: (action: string, payload: unknown) => Promise<void>;
  onCancel: () => void;
}) {
  const t = useI18n();
  if (!action) return null;
  return (
    <div className="action-form" data-testid={`action-form-${action.action}`}>
      <h3>{t.proc(detail.kind, 'action', action.action)}</h3>
      <SchemaForm
        schema={(action.payload as JsonSchema | undefined) ?? { type: 'object', properties: {} }}
        initial={action.defaults ?? {}}
        context={context}
        submitLabel={t.proc(detail.kind, 'action', action.action)}
        onCancel={onCancel}
        onSubmit={(payload) => onRun(action.action, payload)}
      />
    </div>
  );
}

/** The procedure's details panel (IncidentView.facts: its views.ts), rendered with its labels. */
function Facts({ facts }: { facts: Fact[] }) {
  const t = useI18n();
  if (facts.length === 0) return <Empty>{t.t('common.none')}</Empty>;
  return (
    <dl className="facts">
      {facts.map((f) => (
        <div key={f.key} data-testid={`fact-${f.key}`}>
          <dt>{t.msg(f.label)}</dt>
          <dd>{'time' in f.value ? t.dateTime(f.value.time) : t.msg(f.value)}</dd>
        </div>
      ))}
    </dl>
  );
}

/**
 * Personal data (a visitor's name) is masked until the reader says why it is opened; the
 * reason is logged with who and when on every read (seed 000 §2.1.6.2).
 */
function Reveal({ onReveal }: { onReveal: (reason: string) => void }) {
  const t = useI18n();
  const role = useStore((s) => s.user?.role);
  const [why, setWhy] = useState('');
  if (role === 'operator') return <p className="muted">{t.t('privacy.masked')}</p>;
  return (
    <form
      className="reveal row"
      data-testid="reveal"
      onSubmit={(e) => {
        e.preventDefault();
        if (why.trim().length >= 2) onReveal(why.trim());
      }}
    >
      <span className="muted">{t.t('privacy.masked')}</span>
      <input
        aria-label={t.t('privacy.reason')}
        placeholder={t.t('privacy.reason')}
        value={why}
        onChange={(e) => setWhy(e.target.value)}
        data-testid="reveal-reason"
      />
      <button type="submit" disabled={why.trim().length < 2} data-testid="reveal-submit">
        {t.t('privacy.reveal')}
      </button>
    </form>
  );
}
