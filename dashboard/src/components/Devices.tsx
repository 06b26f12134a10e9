// Device management: admins provision (the secret is shown once), rotate the secret and
// enable/disable; supervisors and admins put a device into maintenance mode and end it (who,
// why, until when — PROCEDURES.md "Device health"; the API allows both roles). The list itself
// is live (device:status and device:changed pushes).
import { useMemo, useState, type FormEvent } from 'react';
import type { DeviceView } from '../api.js';
import type { DeviceClass } from '../../../contracts/domain.js';
import { api } from '../api.js';
import { refetch } from '../live.js';
import { patchDevice, toast, useI18n, useStore } from '../store.js';
import { AsyncButton, Empty, ErrorLine, Panel } from './common.js';

// contracts/domain.ts DEVICE_CLASSES (not imported: that module pulls zod into the bundle)
const DEVICE_CLASSES: readonly DeviceClass[] = ['elevator', 'fire-panel', 'power', 'intercom', 'water'];

function parseFloors(s: string): number[] | undefined {
  const out = new Set<number>();
  for (const part of s.split(/[,,\s]+/).filter(Boolean)) {
    const m = /^(-?\d+)\s*-\s*(-?\d+)$/.exec(part);
    if (m) {
      const [a, b] = [Number(m[1]), Number(m[2])];
      for (let f = Math.min(a, b); f <= Math.max(a, b) && out.size < 300; f++) out.add(f);
    } else if (/^-?\d+$/.test(part)) out.add(Number(part));
  }
  return out.size ? [...out].sort((a, b) => a - b) : undefined;
}

export function Devices() {
  const t = useI18n();
  const devices = useStore((s) => s.devices);
  const isAdmin = useStore((s) => s.user?.role === 'admin');
  const [secret, setSecret] = useState<{ id: string; secret: string } | null>(null);
  const [filter, setFilter] = useState('');
  const list = useMemo(
    () =>
      Object.values(devices)
        .filter((d) => !filter || `${d.id} ${d.name} ${d.building}`.toLowerCase().includes(filter.toLowerCase()))
        .sort((a, b) => a.building.localeCompare(b.building) || a.id.localeCompare(b.id)),
    [devices, filter],
  );
  return (
    <div className="devices-page">
      {secret ? <SecretBox secret={secret} onClose={() => setSecret(null)} /> : null}
      {isAdmin ? <Provision onCreated={setSecret} /> : null}
      <Panel
        title={
          <>
            {t.t('dev.title')} <span className="count">{t.t('dev.count', { n: list.length })}</span>
          </>
        }
        testId="device-list"
        actions={
          <input
            type="search"
            placeholder={t.t('dev.filter')}
            aria-label={t.t('dev.filter')}
            value={filter}
            onChange={(e) => setFilter(e.target.value)}
          />
        }
      >
        {list.length === 0 ? <Empty>{t.t('control.noDevices')}</Empty> : null}
        <table className="table devices">
          <thead>
            <tr>
              <th>{t.t('dev.id')}</th>
              <th>{t.t('dev.name')}</th>
              <th>{t.t('dev.class')}</th>
              <th>{t.t('common.building')}</th>
              <th>{t.t('common.state')}</th>
              <th>{t.t('dev.lastSeen')}</th>
              <th>{t.t('dev.enabled')}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {list.map((d) => (
              <tr
                key={d.id}
                data-testid={`device-row-${d.id}`}
                data-state={d.state}
                data-enabled={d.enabled}
                className={d.enabled ? '' : 'disabled'}
              >
                <td className="mono">{d.id}</td>
                <td>{d.name}</td>
                <td>{t.cls(d.class)}</td>
                <td>{d.buildingName}</td>
                <td className={`state-${d.state}`}>
                  <span className="dot" aria-hidden="true" /> {t.online(d.state)}
                </td>
                <td className="nowrap">{t.dateTime(d.lastSeenAt)}</td>
                <td>{d.enabled ? t.t('common.yes') : t.t('common.no')}</td>
                <td className="nowrap">
                  {isAdmin ? (
                    <>
                      <AsyncButton
                        className={d.enabled ? 'danger small' : 'small'}
                        testId={`toggle-${d.id}`}
                        onRun={async () => {
                          const next = await api.patchDevice(d.id, { enabled: !d.enabled });
                          patchDevice(d.id, next && typeof next === 'object' && 'enabled' in next ? next : { enabled: !d.enabled });
                        }}
                      >
                        {d.enabled ? t.t('dev.disable') : t.t('dev.enable')}
                      </AsyncButton>
                      <AsyncButton
                        className="small"
                        testId={`rotate-${d.id}`}
                        onRun={async () => {
                          if (!window.confirm(t.t('dev.rotateConfirm'))) return;
                          setSecret(await api.rotateSecret(d.id));
                        }}
                      >
                        {t.t('dev.rotate')}
                      </AsyncButton>
                    </>
                  ) : null}
                  <MaintenanceControl device={d} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </Panel>
    </div>
  );
}

/** Local "YYYY-MM-DDTHH:mm" for a datetime-local input. */
function localInput(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

/**
 * Maintenance mode 维保模式 (PROCEDURES.md "Device health": who, why, until when): a reason and an
 * end time; while it runs, the window is shown and can be ended early (it also ends by itself).
 */
function MaintenanceControl({ device: d }: { device: DeviceView }) {
  const t = useI18n();
  const [reason, setReason] = useState('');
  const [until, setUntil] = useState(() => localInput(Date.now() + 2 * 3_600_000));
  const m = d.maintenance && d.maintenance.until > Date.now() ? d.maintenance : null;
  if (m)
    return (
      <span className="maintenance-form">
        <span data-testid={`maintenance-window-${d.id}`}>
          {t.t('control.maintenance', { reason: m.reason, until: t.dateTime(m.until), by: m.byName ?? '—' })}
        </span>
        <AsyncButton
          className="small"
          testId={`maintenance-end-${d.id}`}
          onRun={async () => patchDevice(d.id, await api.endMaintenance(d.id))}
        >
          {t.t('dev.maintenanceEnd')}
        </AsyncButton>
      </span>
    );
  const untilMs = new Date(until).getTime();
  return (
    <span className="maintenance-form">
      <input
        aria-label={t.t('dev.maintenanceReason')}
        placeholder={t.t('dev.maintenanceReason')}
        data-testid={`maintenance-reason-${d.id}`}
        value={reason}
        maxLength={500}
        onChange={(e) => setReason(e.target.value)}
      />
      <label className="inline">
        {t.t('dev.maintenanceUntil')}
        <input
          type="datetime-local"
          aria-label={t.t('dev.maintenanceUntil')}
          data-testid={`maintenance-until-${d.id}`}
          value={until}
          min={localInput(Date.now())}
          onChange={(e) => setUntil(e.target.value)}
        />
      </label>
      <AsyncButton
        className="small"
        testId={`maintenance-start-${d.id}`}
        disabled={!reason.trim() || !Number.isFinite(untilMs)}
        onRun={async () => patchDevice(d.id, await api.startMaintenance(d.id, { reason: reason.trim(), until: untilMs }))}
      >
        {t.t('dev.maintenanceStart')}
      </AsyncButton>
    </span>
  );
}

function SecretBox({ secret, onClose }: { secret: { id: string; secret: string }; onClose: () => void }) {
  const t = useI18n();
  const [copied, setCopied] = useState(false);
  return (
    <div className="secret-box" role="alertdialog" aria-labelledby="secret-title" data-testid="secret-box">
      <h2 id="secret-title">
        {t.t('dev.secretTitle')} · {secret.id}
      </h2>
      <p className="warn">{t.t('dev.secretWarn')}</p>
      <code className="secret" data-testid="secret">
        {secret.secret}
      </code>
      <div className="row">
        <button
          type="button"
          onClick={() => {
            void navigator.clipboard?.writeText(secret.secret).then(() => setCopied(true));
          }}
        >
          {copied ? t.t('common.copied') : t.t('common.copy')}
        </button>
        <button type="button" className="primary" onClick={onClose} autoFocus data-testid="secret-close">
          {t.t('common.close')}
        </button>
      </div>
    </div>
  );
}

function Provision({ onCreated }: { onCreated: (s: { id: string; secret: string }) => void }) {
  const t = useI18n();
  const devices = useStore((s) => s.devices);
  const firstSite = Object.values(devices)[0]?.site ?? '';
  const blank = { id: '', name: '', cls: 'elevator' as DeviceClass, site: '', building: '', floors: '', feeder: '', car: '' };
  const [f, setF] = useState(blank);
  const [err, setErr] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const set = (k: keyof typeof blank) => (e: { target: { value: string } }) => setF((x) => ({ ...x, [k]: e.target.value }));
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setErr(null);
    setBusy(true);
    try {
      const meta: Record<string, string> = {};
      if (f.cls === 'power' && f.feeder.trim()) meta.feeder = f.feeder.trim();
      if (f.cls === 'elevator' && f.car.trim()) meta.car = f.car.trim();
      const floors = parseFloors(f.floors);
      const r = await api.createDevice({
        id: f.id.trim(),
        site: (f.site || firstSite).trim(),
        building: f.building.trim(),
        class: f.cls,
        ...(f.name.trim() ? { name: f.name.trim() } : {}),
        ...(floors ? { floors } : {}),
        ...(Object.keys(meta).length ? { meta } : {}),
      });
      onCreated(r);
      toast(t.t('dev.created', { id: r.id }), 'ok');
      setF({ ...blank, site: f.site, building: f.building, cls: f.cls });
      void refetch({ devices: true });
    } catch (x) {
      setErr(x);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Panel title={t.t('dev.provision')} testId="provision">
      <form className="provision" onSubmit={submit} autoComplete="off">
        <label>
          <span>
            {t.t('dev.id')} <span className="req">*</span>
          </span>
          <input name="id" value={f.id} onChange={set('id')} pattern="[a-z0-9-]+" maxLength={64} required placeholder={t.t('dev.idHint')} />
        </label>
        <label>
          {t.t('dev.name')}
          <input name="name" value={f.name} onChange={set('name')} maxLength={120} />
        </label>
        <label>
          {t.t('dev.class')}
          <select name="class" value={f.cls} onChange={set('cls')}>
            {DEVICE_CLASSES.map((c) => (
              <option key={c} value={c}>
                {t.cls(c)}
              </option>
            ))}
          </select>
        </label>
        <label>
          <span>
            {t.t('dev.site')} <span className="req">*</span>
          </span>
          <input name="site" value={f.site || firstSite} onChange={set('site')} pattern="[a-z0-9-]+" required />
        </label>
        <label>
          <span>
            {t.t('dev.building')} <span className="req">*</span>
          </span>
          <input name="building" value={f.building} onChange={set('building')} pattern="[a-z0-9-]+" required list="known-buildings" />
          <datalist id="known-buildings">
            {[...new Set(Object.values(devices).map((d) => d.building))].map((b) => (
              <option key={b} value={b} />
            ))}
          </datalist>
        </label>
        <label>
          {t.t('dev.floors')}
          <input name="floors" value={f.floors} onChange={set('floors')} />
        </label>
        {f.cls === 'power' ? (
          <label>
            {t.t('dev.feeder')}
            <input name="feeder" value={f.feeder} onChange={set('feeder')} />
          </label>
        ) : null}
        {f.cls === 'elevator' ? (
          <label>
            {t.t('dev.car')}
            <input name="car" value={f.car} onChange={set('car')} />
          </label>
        ) : null}
        <div className="provision-submit">
          <ErrorLine error={err} />
          <button type="submit" className="primary" disabled={busy} data-testid="provision-submit">
            {t.t('dev.provision')}
          </button>
        </div>
      </form>
    </Panel>
  );
}
