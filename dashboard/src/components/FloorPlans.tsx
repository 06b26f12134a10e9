// Floor plans (楼层平面图, issue 14): a plan image per building floor with the devices placed on
// it, each drawn in its live state — alarm (a life-safety incident or a panel in alarm), fault
// (another open incident on it), offline — from the same live store as the control room, so a
// change shows without a reload. Supervisors and admins upload plans (PNG/JPEG ≤ 2 MB) and drag
// devices onto them (or tap a device, then the plan, on a phone); positions save at once.
import { useMemo, useRef, useState, type DragEvent, type MouseEvent } from 'react';
import type { FloorPlanView } from '../../../contracts/floorplans.js';
import { request, type DeviceView, type IncidentView } from '../api.js';
import { errorText, useAsync } from '../hooks.js';
import { navigate } from '../router.js';
import { isLifeSafety, toast, useI18n, useStore } from '../store.js';
import { AsyncButton, Empty, KindBadge, Panel } from './common.js';

/** PNG and JPEG only, ≤ 2 MB (contracts/floorplans.ts; the hub checks again) */
const MAX_MB = 2;
const enc = encodeURIComponent;

interface BuildingRow {
  id: string;
  name: string;
  floors: number;
  lowestFloor: number;
}

const plansApi = {
  buildings: () => request<BuildingRow[]>('GET', '/api/buildings'),
  list: (building: string) => request<FloorPlanView[]>('GET', `/api/floor-plans?building=${enc(building)}`),
  upload: (building: string, floor: number, mime: string, dataBase64: string) =>
    request<FloorPlanView>('PUT', `/api/floor-plans/${enc(building)}/${floor}`, { mime, dataBase64 }),
  remove: (building: string, floor: number) => request<null>('DELETE', `/api/floor-plans/${enc(building)}/${floor}`),
  place: (building: string, floor: number, deviceId: string, x: number, y: number) =>
    request<unknown>('PUT', `/api/floor-plans/${enc(building)}/${floor}/devices/${enc(deviceId)}`, { x, y }),
  unplace: (building: string, floor: number, deviceId: string) =>
    request<null>('DELETE', `/api/floor-plans/${enc(building)}/${floor}/devices/${enc(deviceId)}`),
};

export type PlanStatus = 'alarm' | 'fault' | 'offline' | 'ok';

/** What a marker shows, worst first: alarm, then fault (any other open incident), then offline. */
export function planStatus(d: DeviceView | undefined, incidents: IncidentView[]): PlanStatus {
  if (!d) return 'offline';
  const mine = incidents.filter((i) => i.open && i.deviceId === d.id);
  const m = d.lastTelemetry ?? {};
  if (mine.some((i) => isLifeSafety(i.kind))) return 'alarm';
  if (d.class === 'fire-panel' && Number(m.zones_in_alarm ?? 0) > 0) return 'alarm';
  if (d.class === 'elevator' && m.mode === 'entrapped') return 'alarm';
  if (mine.length > 0) return 'fault';
  if (d.state !== 'online') return 'offline';
  return 'ok';
}

function floorsOf(b: BuildingRow | undefined): number[] {
  if (!b) return [];
  const out: number[] = [];
  for (let f = b.floors; f >= b.lowestFloor; f--) if (f !== 0) out.push(f);
  return out;
}

function readBase64(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(String(r.result));
    r.onerror = () => reject(r.error ?? new Error('read failed'));
    r.readAsDataURL(file);
  });
}

export function FloorPlans() {
  const t = useI18n();
  const role = useStore((s) => s.user?.role);
  const canEdit = role === 'supervisor' || role === 'admin';
  const buildings = useAsync(() => plansApi.buildings(), []);
  const list = buildings.data ?? [];
  const [buildingId, setBuildingId] = useState<string | null>(null);
  const building = list.find((b) => b.id === buildingId) ?? list[0];
  const floors = floorsOf(building);
  const [floorSel, setFloorSel] = useState<number | null>(null);
  const plans = useAsync(() => (building ? plansApi.list(building.id) : Promise.resolve([])), [building?.id]);
  const withPlan = new Set((plans.data ?? []).map((p) => p.floor));
  // first the floor asked for, else the first floor that has a plan, else the lowest above ground
  const floor =
    floorSel !== null && floors.includes(floorSel)
      ? floorSel
      : (floors.find((f) => withPlan.has(f)) ?? floors.find((f) => f === 1) ?? floors[floors.length - 1] ?? 1);
  const plan = (plans.data ?? []).find((p) => p.floor === floor);

  return (
    <div className="floor-plans">
      <Panel title={t.t('plan.title')} testId="floor-plans">
        {buildings.error ? <p className="error">{errorText(t, buildings.error)}</p> : null}
        {buildings.data && list.length === 0 ? <Empty>{t.t('plan.noBuildings')}</Empty> : null}
        <div className="plan-controls">
          <label>
            {t.t('plan.building')}
            <select
              value={building?.id ?? ''}
              onChange={(e) => {
                setBuildingId(e.target.value);
                setFloorSel(null);
              }}
              data-testid="plan-building"
            >
              {list.map((b) => (
                <option key={b.id} value={b.id}>
                  {b.name}
                </option>
              ))}
            </select>
          </label>
          <label>
            {t.t('plan.floor')}
            <select value={floor} onChange={(e) => setFloorSel(Number(e.target.value))} data-testid="plan-floor">
              {floors.map((f) => (
                <option key={f} value={f}>
                  {t.t('common.floorN', { n: f })}
                  {withPlan.has(f) ? ' ▣' : ''}
                </option>
              ))}
            </select>
          </label>
          {building && canEdit ? <UploadButton building={building.id} floor={floor} hasPlan={!!plan} onDone={plans.reload} /> : null}
        </div>
        {!canEdit ? <p className="muted">{t.t('plan.readOnly')}</p> : null}
      </Panel>
      {building ? (
        plan ? (
          <PlanView key={`${building.id}/${floor}`} building={building.id} plan={plan} canEdit={canEdit} onChange={plans.reload} />
        ) : plans.data ? (
          <Panel title={`${building.name} · ${t.t('common.floorN', { n: floor })}`} testId="plan-empty">
            <Empty>{t.t('plan.none')}</Empty>
            <FloorIncidents building={building.id} floor={floor} />
          </Panel>
        ) : null
      ) : null}
    </div>
  );
}

function UploadButton({ building, floor, hasPlan, onDone }: { building: string; floor: number; hasPlan: boolean; onDone: () => void }) {
  const t = useI18n();
  const input = useRef<HTMLInputElement>(null);
  const [err, setErr] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [confirmRemove, setConfirmRemove] = useState(false);
  return (
    <div className="plan-upload">
      <input
        ref={input}
        type="file"
        accept="image/png,image/jpeg"
        hidden
        data-testid="plan-file"
        onChange={async (e) => {
          const file = e.target.files?.[0];
          e.target.value = '';
          if (!file) return;
          setErr(null);
          setBusy(true);
          try {
            await plansApi.upload(building, floor, file.type, await readBase64(file));
            toast(t.t('plan.uploaded'), 'ok', 3000);
            onDone();
          } catch (x) {
            setErr(x);
          } finally {
            setBusy(false);
          }
        }}
      />
      <button type="button" className="primary" disabled={busy} onClick={() => input.current?.click()} data-testid="plan-upload">
        {hasPlan ? t.t('plan.replace') : t.t('plan.upload')}
      </button>
      {hasPlan ? (
        confirmRemove ? (
          <AsyncButton
            className="danger"
            testId="plan-remove-confirm"
            onRun={async () => {
              await plansApi.remove(building, floor);
              setConfirmRemove(false);
              toast(t.t('plan.removed'), 'ok', 3000);
              onDone();
            }}
          >
            {t.t('plan.remove')}?
          </AsyncButton>
        ) : (
          <button type="button" onClick={() => setConfirmRemove(true)} data-testid="plan-remove">
            {t.t('plan.remove')}
          </button>
        )
      ) : null}
      <span className="muted">{t.t('plan.uploadHint', { mb: MAX_MB })}</span>
      {err ? (
        <p className="error" role="alert" data-testid="plan-error">
          {errorText(t, err)}
        </p>
      ) : null}
    </div>
  );
}

function PlanView({
  building,
  plan,
  canEdit,
  onChange,
}: {
  building: string;
  plan: FloorPlanView;
  canEdit: boolean;
  onChange: () => void;
}) {
  const t = useI18n();
  const devices = useStore((s) => s.devices);
  const incidents = useStore((s) => s.incidents);
  const open = useMemo(() => Object.values(incidents).filter((i) => i.open), [incidents]);
  const stage = useRef<HTMLDivElement>(null);
  // positions as the user left them, before the hub's answer (a drag shows where it was dropped)
  const [moved, setMoved] = useState<Record<string, { x: number; y: number }>>({});
  const [picked, setPicked] = useState<string | null>(null);
  const placed = plan.placements.map((p) => ({ ...p, ...(moved[p.deviceId] ?? {}) }));
  for (const [id, pos] of Object.entries(moved))
    if (!placed.some((p) => p.deviceId === id)) placed.push({ deviceId: id, placedAt: 0, ...pos });
  const here = new Set(placed.map((p) => p.deviceId));
  const unplaced = Object.values(devices)
    .filter((d) => d.building === building && !here.has(d.id))
    .sort((a, b) => a.name.localeCompare(b.name));
  const name = (id: string) => devices[id]?.name ?? t.t('common.device');

  const placeAt = async (deviceId: string, clientX: number, clientY: number) => {
    const r = stage.current?.getBoundingClientRect();
    if (!r || r.width === 0 || r.height === 0) return;
    const x = Math.min(1, Math.max(0, (clientX - r.left) / r.width));
    const y = Math.min(1, Math.max(0, (clientY - r.top) / r.height));
    setMoved((m) => ({ ...m, [deviceId]: { x, y } }));
    setPicked(null);
    try {
      await plansApi.place(building, plan.floor, deviceId, Math.round(x * 10000) / 10000, Math.round(y * 10000) / 10000);
      toast(t.t('plan.placed', { name: name(deviceId) }), 'ok', 2500);
      onChange();
    } catch (e) {
      setMoved((m) => Object.fromEntries(Object.entries(m).filter(([k]) => k !== deviceId)));
      toast(errorText(t, e), 'error');
    }
  };
  const onDrop = (e: DragEvent<HTMLDivElement>) => {
    e.preventDefault();
    const id = e.dataTransfer.getData('text/plain');
    if (id && devices[id]) void placeAt(id, e.clientX, e.clientY);
  };
  const onStageClick = (e: MouseEvent<HTMLDivElement>) => {
    // on a phone: tap a device in the list, then its place on the plan
    if (picked && e.target === e.currentTarget.querySelector('img')) void placeAt(picked, e.clientX, e.clientY);
  };

  return (
    <Panel
      title={`${t.building(building)} · ${t.t('common.floorN', { n: plan.floor })}`}
      testId="plan"
      className="plan-panel"
      actions={<PlanLegend />}
    >
      <div className="plan-layout">
        <div
          ref={stage}
          className={`plan-stage${picked ? ' picking' : ''}`}
          data-testid="plan-stage"
          onDragOver={canEdit ? (e) => e.preventDefault() : undefined}
          onDrop={canEdit ? onDrop : undefined}
          onClick={canEdit ? onStageClick : undefined}
        >
          <img src={plan.url} alt={`${t.building(building)} ${t.t('common.floorN', { n: plan.floor })}`} draggable={false} />
          {placed.map((p) => {
            const d = devices[p.deviceId];
            const status = planStatus(d, open);
            return (
              <a
                key={p.deviceId}
                href={`/telemetry?device=${enc(p.deviceId)}`}
                className={`plan-marker plan-${status}`}
                style={{ left: `${p.x * 100}%`, top: `${p.y * 100}%` }}
                data-testid={`plan-device-${p.deviceId}`}
                data-status={status}
                title={`${name(p.deviceId)} · ${t.t(`plan.legend${status === 'ok' ? 'Ok' : status === 'alarm' ? 'Alarm' : status === 'fault' ? 'Fault' : 'Offline'}`)}`}
                draggable={canEdit}
                onDragStart={(e) => e.dataTransfer.setData('text/plain', p.deviceId)}
                onClick={(e) => {
                  e.preventDefault();
                  if (!e.ctrlKey && !e.metaKey) navigate(`/telemetry?device=${enc(p.deviceId)}`);
                }}
              >
                <span className="plan-dot" aria-hidden="true" />
                <span className="plan-name">{name(p.deviceId)}</span>
              </a>
            );
          })}
        </div>
        <div className="plan-side">
          {canEdit ? (
            <section data-testid="plan-unplaced">
              <h3>{t.t('plan.place')}</h3>
              <p className="muted">{t.t('plan.placeHint')}</p>
              {unplaced.length === 0 ? <Empty>—</Empty> : null}
              <ul className="plan-chips">
                {unplaced.map((d) => (
                  <li key={d.id}>
                    <button
                      type="button"
                      className={`chip${picked === d.id ? ' active' : ''}`}
                      draggable
                      onDragStart={(e) => e.dataTransfer.setData('text/plain', d.id)}
                      onClick={() => setPicked(picked === d.id ? null : d.id)}
                      aria-pressed={picked === d.id}
                      data-testid={`plan-chip-${d.id}`}
                    >
                      {d.name}
                    </button>
                  </li>
                ))}
              </ul>
            </section>
          ) : null}
          <section>
            <h3>{t.t('plan.onPlan')}</h3>
            <ul className="plan-placed">
              {placed.map((p) => (
                <li key={p.deviceId}>
                  <span className={`plan-dot plan-${planStatus(devices[p.deviceId], open)}`} aria-hidden="true" />
                  {name(p.deviceId)}
                  {canEdit ? (
                    <AsyncButton
                      className="ghost"
                      testId={`plan-unplace-${p.deviceId}`}
                      onRun={async () => {
                        await plansApi.unplace(building, plan.floor, p.deviceId);
                        setMoved((m) => Object.fromEntries(Object.entries(m).filter(([k]) => k !== p.deviceId)));
                        onChange();
                      }}
                    >
                      {t.t('plan.unplace')}
                    </AsyncButton>
                  ) : null}
                </li>
              ))}
            </ul>
          </section>
          <FloorIncidents building={building} floor={plan.floor} />
        </div>
      </div>
    </Panel>
  );
}

/** The open incidents of this floor (a fire zone, a leak) even where no device is placed. */
function FloorIncidents({ building, floor }: { building: string; floor: number }) {
  const t = useI18n();
  const incidents = useStore((s) => s.incidents);
  const here = Object.values(incidents).filter((i) => i.open && i.building === building && i.floor === floor);
  if (here.length === 0) return null;
  return (
    <ul className="plan-incidents" data-testid="plan-incidents">
      {here.map((i) => (
        <li key={i.id}>
          <a
            href={`/incidents/${enc(i.id)}`}
            onClick={(e) => {
              e.preventDefault();
              navigate(`/incidents/${enc(i.id)}`);
            }}
          >
            <KindBadge kind={i.kind} /> #{i.number} {t.msg(i.titleMsg)}
          </a>
        </li>
      ))}
    </ul>
  );
}

function PlanLegend() {
  const t = useI18n();
  return (
    <ul className="plan-legend" aria-label={t.t('plan.legend')}>
      {(['alarm', 'fault', 'offline', 'ok'] as const).map((s) => (
        <li key={s}>
          <span className={`plan-dot plan-${s}`} aria-hidden="true" />
          {t.t(`plan.legend${s === 'ok' ? 'Ok' : s === 'alarm' ? 'Alarm' : s === 'fault' ? 'Fault' : 'Offline'}`)}
        </li>
      ))}
    </ul>
  );
}
