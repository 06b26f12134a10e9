// Control room (监控中心): building → floor → device overview with live online state and key
// telemetry, the incident board ordered by severity with live countdowns, the live device
// event feed and the manual incident report.
import { useMemo, useState } from 'react';
import type { DeviceClass, IncidentKind, Role } from '../../../contracts/domain.js';
import { api, type DeviceView, type IncidentView, type ProceduresView } from '../api.js';
import { navigate } from '../router.js';
import { boardOrder, isLifeSafety, toast, upsertIncident, useI18n, useStore } from '../store.js';
import { Countdown, Empty, KindBadge, Panel, StateBadge, buildingsOf, runningTimers } from './common.js';
import { SchemaForm } from './SchemaForm.js';
import { FaultBulk, SnoozeMark } from './FaultBulk.js';
import { errorText, useNow } from '../hooks.js';
import { awaitingAck, ShortcutHelp, useShortcuts } from './Shortcuts.js';

const ACK_ROLES: Role[] = ['operator', 'supervisor', 'admin'];

export function ControlRoom() {
  const t = useI18n();
  const devices = useStore((s) => s.devices);
  const incidents = useStore((s) => s.incidents);
  const apiOk = useStore((s) => s.incidentsApi);
  const role = useStore((s) => s.user?.role);
  const [reporting, setReporting] = useState(false);
  const buildings = useMemo(() => buildingsOf(devices), [devices]);
  const open = useMemo(
    () =>
      Object.values(incidents)
        .filter((i) => i.open)
        .sort(boardOrder),
    [incidents],
  );
  const procedures = useStore((s) => s.procedures);
  const canReport = role !== undefined && reportKinds(procedures, role).length > 0;
  const [selected, setSelected] = useState<string | null>(null);
  const [help, setHelp] = useState(false);
  // the selection follows its incident while the board re-orders; gone → the top card
  const at = Math.max(
    0,
    open.findIndex((i) => i.id === selected),
  );
  const current = open[at];
  // a card chosen from the keyboard is brought into view (only then: a live update of the
  // selected incident must not scroll the page under someone reading further down)
  const select = (id: string) => {
    setSelected(id);
    requestAnimationFrame(() =>
      document.querySelector(`[data-testid=incident-card][data-incident-id="${CSS.escape(id)}"]`)?.scrollIntoView({ block: 'nearest' }),
    );
  };

  useShortcuts((a) => {
    if (help) {
      if (a === 'close' || a === 'help') setHelp(false);
      return a === 'close' || a === 'help';
    }
    if (a === 'help') setHelp(true);
    else if (a === 'next' && open.length > 0) select(open[Math.min(open.length - 1, at + 1)]!.id);
    else if (a === 'previous' && open.length > 0) select(open[Math.max(0, at - 1)]!.id);
    else if (a === 'open' && current) navigate(`/incidents/${encodeURIComponent(current.id)}`);
    else if (a === 'acknowledge') {
      // the selected incident when it still owes its acknowledgement, else the top one that does
      const target = current && awaitingAck(current) ? current : open.find(awaitingAck);
      if (!target || !role || !ACK_ROLES.includes(role)) {
        toast(t.t('keys.nothingToAck'), 'info', 3000);
        return true;
      }
      api
        .act(target.id, 'acknowledge', { notes: '' })
        .then((d) => {
          upsertIncident(d, false);
          toast(t.t('keys.acked', { n: target.number }), 'ok', 3000);
        })
        .catch((e: unknown) => toast(errorText(t, e), 'error'));
    } else return false;
    return true;
  });

  return (
    <div className="control-grid">
      <Panel title={t.t('control.devices')} className="overview" testId="overview">
        {buildings.length === 0 ? <Empty>{t.t('control.noDevices')}</Empty> : null}
        <div className="buildings">
          {buildings.map((b) => (
            <BuildingView
              key={b}
              building={b}
              devices={Object.values(devices).filter((d) => d.building === b)}
              incidents={open.filter((i) => i.building === b)}
            />
          ))}
        </div>
      </Panel>
      <div className="side">
        <Panel
          title={
            <>
              {t.t('control.board')} <span className="count">{open.length}</span>
            </>
          }
          testId="board"
          actions={
            <>
              <button
                type="button"
                className="ghost keys-hint"
                onClick={() => setHelp(true)}
                aria-keyshortcuts="?"
                data-testid="shortcut-help-open"
              >
                {t.t('keys.button')}
              </button>
              {canReport ? (
                <button type="button" onClick={() => setReporting((x) => !x)} data-testid="report-open">
                  {t.t('control.report')}
                </button>
              ) : null}
            </>
          }
        >
          {reporting && role ? <ManualReport role={role} buildings={buildings} onDone={() => setReporting(false)} /> : null}
          {apiOk === false ? <p className="warn">{t.t('incident.endpointMissing')}</p> : null}
          {open.length === 0 ? <Empty>{t.t('control.boardEmpty')}</Empty> : null}
          <ol className="board" aria-label={t.t('control.board')}>
            {open.map((i) => (
              <IncidentCard key={i.id} incident={i} selected={i.id === current?.id} />
            ))}
          </ol>
        </Panel>
        <FaultBulk />
        <EventFeed />
      </div>
      {help ? <ShortcutHelp onClose={() => setHelp(false)} /> : null}
    </div>
  );
}

export function IncidentCard({ incident: i, selected = false }: { incident: IncidentView; selected?: boolean }) {
  const t = useI18n();
  const now = useNow();
  const timers = runningTimers(i);
  const href = `/incidents/${encodeURIComponent(i.id)}`;
  return (
    <li
      className={`incident-card sev-${i.kind}${selected ? ' selected' : ''}`}
      data-testid="incident-card"
      data-selected={selected ? 'true' : undefined}
      aria-current={selected ? 'true' : undefined}
      data-incident-id={i.id}
      data-kind={i.kind}
      data-state={i.state}
    >
      <a
        href={href}
        onClick={(e) => {
          if (e.ctrlKey || e.metaKey || e.shiftKey) return;
          e.preventDefault();
          navigate(href);
        }}
      >
        <div className="card-top">
          <KindBadge kind={i.kind} />
          <span className="card-no">#{i.number}</span>
          <StateBadge kind={i.kind} state={i.state} open={i.open} />
          <span className="card-age">{t.ago(i.openedAt, now)}</span>
        </div>
        <div className="card-title">{t.msg(i.titleMsg)}</div>
        <div className="card-where">
          {t.building(i.building)}
          {i.floor !== null ? ` · ${t.t('common.floorN', { n: i.floor })}` : ''}
          {i.deviceId ? ` · ${t.device(i.deviceId)}` : ''}
        </div>
        <SnoozeMark incident={i} now={now} />
        {timers.length > 0 ? (
          <div className="card-timers">
            {timers.map((x) => (
              <Countdown key={x.key} kind={i.kind} timer={x} compact />
            ))}
          </div>
        ) : null}
      </a>
    </li>
  );
}

// ---------------------------------------------------------------------------------------
// building → floor → device
// ---------------------------------------------------------------------------------------

function BuildingView({ building, devices, incidents }: { building: string; devices: DeviceView[]; incidents: IncidentView[] }) {
  const t = useI18n();
  const online = devices.filter((d) => d.state === 'online').length;
  const sorted = [...devices].sort((a, b) => CLASS_ORDER.indexOf(a.class) - CLASS_ORDER.indexOf(b.class) || a.id.localeCompare(b.id));
  const wide = sorted.filter((d) => d.floors.length > 1);
  const lobby = sorted.filter((d) => d.floors.length === 0);
  const byFloor = new Map<number, DeviceView[]>();
  for (const d of sorted) if (d.floors.length === 1) byFloor.set(d.floors[0]!, [...(byFloor.get(d.floors[0]!) ?? []), d]);
  const floors = floorRange(devices, incidents);
  const cars = devices.filter((d) => d.class === 'elevator');
  return (
    <section className="building" data-testid={`building-${building}`} aria-label={`${t.t('common.building')} ${t.building(building)}`}>
      <header className="building-head">
        <h3>{t.building(building)}</h3>
        <span className={`online-count${online < devices.length ? ' warn' : ''}`}>
          {t.t('control.online', { n: online, total: devices.length })}
        </span>
        {incidents.length > 0 ? <span className="incident-count">{t.t('control.openIncidents', { n: incidents.length })}</span> : null}
      </header>
      <div className="building-body">
        {floors.length > 0 ? (
          <ol className="floors" aria-label={t.t('control.floors')}>
            {floors.map((f) => {
              const here = incidents.filter((i) => i.floor === f);
              const carsHere = cars.filter((c) => c.lastTelemetry?.floor === f);
              return (
                <li key={f} className={`floor${here.length ? ' floor-alert' : ''}`} data-floor={f}>
                  <span className="floor-no">{f}F</span>
                  <span className="floor-marks">
                    {carsHere.map((c) => (
                      <span
                        key={c.id}
                        className={`car-mark state-${c.state}${c.lastTelemetry?.mode && c.lastTelemetry.mode !== 'normal' ? ' car-special' : ''}`}
                        title={c.name}
                      >
                        {carLabel(c)}
                        {c.lastTelemetry?.moving === true ? (c.lastTelemetry.direction === 'down' ? '↓' : '↑') : ''}
                      </span>
                    ))}
                    {here.map((i) => (
                      <span key={i.id} className={`floor-incident kind-${i.kind}`} title={t.msg(i.titleMsg)}>
                        {t.kind(i.kind)}
                      </span>
                    ))}
                  </span>
                </li>
              );
            })}
          </ol>
        ) : null}
        <div className="device-groups">
          {wide.length > 0 ? <DeviceGroup title={t.t('control.wholeBuilding')} devices={wide} incidents={incidents} /> : null}
          {[...byFloor.entries()]
            .sort((a, b) => b[0] - a[0])
            .map(([f, list]) => (
              <DeviceGroup key={f} title={t.t('common.floorN', { n: f })} devices={list} incidents={incidents} />
            ))}
          {lobby.length > 0 ? <DeviceGroup title={t.t('control.lobby')} devices={lobby} incidents={incidents} /> : null}
        </div>
      </div>
    </section>
  );
}

const CLASS_ORDER: DeviceClass[] = ['fire-panel', 'elevator', 'power', 'water', 'intercom'];

function carLabel(d: DeviceView): string {
  const car = d.meta.car;
  return typeof car === 'string' || typeof car === 'number' ? String(car) : (d.id.split('-').pop() ?? d.id);
}

function floorRange(devices: DeviceView[], incidents: IncidentView[]): number[] {
  const all = new Set<number>();
  for (const d of devices) for (const f of d.floors) all.add(f);
  for (const i of incidents) if (i.floor !== null) all.add(i.floor);
  return [...all].sort((a, b) => b - a);
}

function DeviceGroup({ title, devices, incidents }: { title: string; devices: DeviceView[]; incidents: IncidentView[] }) {
  return (
    <div className="device-group">
      <h4>{title}</h4>
      <ul className="tiles">
        {devices.map((d) => (
          <DeviceTile key={d.id} device={d} incidents={incidents} />
        ))}
      </ul>
    </div>
  );
}

const KEY_METRICS: Record<DeviceClass, string[]> = {
  elevator: ['floor', 'direction', 'door_open', 'load_kg', 'mode'],
  'fire-panel': ['zones_in_alarm', 'zones_in_trouble', 'silenced'],
  power: ['voltage_v', 'power_kw', 'frequency_hz', 'on_generator'],
  intercom: ['calls_waiting', 'door_open'],
  water: ['water_level_cm', 'pump_running', 'leak'],
};

function alertOf(d: DeviceView, incidents: IncidentView[]): string {
  const m = d.lastTelemetry ?? {};
  const mine = incidents.filter((i) => i.deviceId === d.id);
  if (mine.some((i) => isLifeSafety(i.kind))) return ' tile-alarm';
  if (mine.length > 0) return ' tile-warn';
  if (d.class === 'fire-panel' && Number(m.zones_in_alarm ?? 0) > 0) return ' tile-alarm';
  if (d.class === 'elevator' && m.mode === 'entrapped') return ' tile-alarm';
  if (d.class === 'power' && (m.on_generator === true || m.mains_ok === false)) return ' tile-warn';
  if (d.class === 'fire-panel' && Number(m.zones_in_trouble ?? 0) > 0) return ' tile-warn';
  if (d.class === 'water' && m.leak === true) return ' tile-warn';
  return '';
}

function DeviceTile({ device: d, incidents }: { device: DeviceView; incidents: IncidentView[] }) {
  const t = useI18n();
  // while the live connection is down the last values are not current: say so on every tile
  const stale = useStore((s) => s.conn) !== 'online';
  const m = d.lastTelemetry ?? {};
  const href = `/telemetry?device=${encodeURIComponent(d.id)}`;
  // maintenance mode (PROCEDURES.md "Device health"): no faults meanwhile; shown until it runs out
  const mnt = d.maintenance && d.maintenance.until > Date.now() ? d.maintenance : null;
  return (
    <li
      className={`tile state-${d.state}${d.enabled ? '' : ' tile-disabled'}${mnt ? ' tile-maintenance' : ''}${alertOf(d, incidents)}${stale ? ' tile-stale' : ''}`}
      data-testid={`device-tile-${d.id}`}
      data-state={d.state}
      data-stale={stale ? 'true' : undefined}
    >
      <a
        href={href}
        onClick={(e) => {
          if (e.ctrlKey || e.metaKey || e.shiftKey) return;
          e.preventDefault();
          navigate(href);
        }}
        title={d.lastSeenAt ? t.t('control.lastSeen', { time: t.dateTime(d.lastSeenAt) }) : undefined}
      >
        <div className="tile-head">
          <span className="tile-name">{d.name}</span>
          <span className="tile-state" data-testid="device-state">
            <span className="dot" aria-hidden="true" />
            {t.online(d.state)}
          </span>
        </div>
        <div className="tile-sub">
          {t.cls(d.class)}
          {d.enabled ? '' : ` · ${t.t('control.disabled')}`}
          {stale ? <span className="stale-mark"> · {t.t('control.stale')}</span> : null}
        </div>
        {mnt ? (
          <div className="tile-maintenance-line" data-testid="maintenance">
            {t.t('control.maintenance', { reason: mnt.reason, until: t.dateTime(mnt.until), by: mnt.byName ?? '—' })}
          </div>
        ) : null}
        <dl className="metrics">
          {KEY_METRICS[d.class]
            .filter((k) => m[k] !== undefined)
            .map((k) => (
              <div key={k} className="metric">
                <dt>{t.metric(k)}</dt>
                <dd>{t.metricValue(m[k]!)}</dd>
              </div>
            ))}
        </dl>
      </a>
    </li>
  );
}

// ---------------------------------------------------------------------------------------
// live device events
// ---------------------------------------------------------------------------------------

function EventFeed() {
  const t = useI18n();
  const events = useStore((s) => s.events);
  return (
    <Panel title={t.t('control.events')} className="events" testId="events">
      {events.length === 0 ? <Empty>{t.t('control.eventsEmpty')}</Empty> : null}
      <ul className="event-feed">
        {events.slice(0, 12).map((e) => (
          <li key={`${e.deviceId}/${e.id}`} className={`ev ev-${e.type.split('.')[0]}`}>
            <span className="ev-time">{t.time(e.receivedAt)}</span>
            <span className="ev-type">{t.event(e.type)}</span>
            <span className="ev-device">{t.device(e.deviceId)}</span>
            <span className="ev-data">{t.eventDetail(e.type, e.data)}</span>
          </li>
        ))}
      </ul>
    </Panel>
  );
}

// ---------------------------------------------------------------------------------------
// manual report
// ---------------------------------------------------------------------------------------

/**
 * Kinds this role may report by hand (GET /api/procedures: each procedure's manual-report roles).
 * Visitors are registered on the front desk's own form, not here.
 */
export function reportKinds(procedures: ProceduresView | null, role: Role): IncidentKind[] {
  return (procedures?.kinds ?? []).filter((k) => k.kind !== 'visitor_approval' && k.manual?.roles.includes(role)).map((k) => k.kind);
}

function ManualReport({ role, buildings, onDone }: { role: Role; buildings: string[]; onDone: () => void }) {
  const t = useI18n();
  const procedures = useStore((s) => s.procedures);
  const kinds = reportKinds(procedures, role);
  const [kind, setKind] = useState<IncidentKind>(kinds[0]!);
  const [building, setBuilding] = useState(buildings[0] ?? '');
  const devices = useStore((s) => s.devices);
  // a payload's deviceId field names the class it wants (its schema's `deviceClass`)
  const deviceOptions = Object.values(devices)
    .filter((d) => d.building === building)
    .map((d) => ({ value: d.id, label: `${d.name} (${d.id})`, deviceClass: d.class }));
  const schema = procedures?.kinds.find((k) => k.kind === kind)?.manual?.payload;
  return (
    <div className="manual-report" data-testid="report-form">
      <h3>{t.t('report.title')}</h3>
      <div className="row">
        <label>
          {t.t('report.kind')}
          <select value={kind} onChange={(e) => setKind(e.target.value as IncidentKind)} autoFocus>
            {kinds.map((k) => (
              <option key={k} value={k}>
                {t.kind(k)}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t.t('common.building')}
          <select value={building} onChange={(e) => setBuilding(e.target.value)}>
            {buildings.map((b) => (
              <option key={b} value={b}>
                {t.building(b)}
              </option>
            ))}
          </select>
        </label>
      </div>
      <SchemaForm
        key={kind}
        schema={schema}
        context={{ deviceOptions, kind }}
        submitLabel={t.t('report.submit')}
        onCancel={onDone}
        onSubmit={async (payload) => {
          const created = await api.report(kind, building, payload);
          upsertIncident(created, false);
          toast(`${t.t('report.created')} #${created.number}`, 'ok');
          onDone();
          navigate(`/incidents/${encodeURIComponent(created.id)}`);
        }}
      />
    </div>
  );
}
