// Telemetry history (uPlot): one chart per selected metric of a device, loaded from
// GET /api/telemetry for the chosen range and — for ranges ending now — kept moving with the
// live `telemetry` pushes of that device.
import { useEffect, useMemo, useRef, useState } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { api, type DeviceView } from '../api.js';
import { errorText } from '../hooks.js';
import { onTelemetry } from '../live.js';
import { navigate, useLocation } from '../router.js';
import { useI18n, useStore } from '../store.js';
import { Empty, Panel, fromLocalInput, toLocalInput } from './common.js';

const RANGES = { '15m': 15 * 60_000, '1h': 3_600_000, '6h': 6 * 3_600_000, '24h': 24 * 3_600_000, '7d': 7 * 24 * 3_600_000 } as const;
type RangeKey = keyof typeof RANGES | 'custom';

function numericMetrics(d: DeviceView | undefined): string[] {
  if (!d?.lastTelemetry) return [];
  return Object.entries(d.lastTelemetry)
    .filter(([, v]) => typeof v === 'number' || typeof v === 'boolean')
    .map(([k]) => k)
    .sort();
}

const DEFAULT_METRICS: Record<string, string[]> = {
  elevator: ['floor', 'load_kg'],
  'fire-panel': ['zones_in_alarm', 'zones_in_trouble'],
  power: ['voltage_v', 'power_kw', 'frequency_hz'],
  intercom: ['calls_waiting'],
  water: ['water_level_cm'],
};

export function TelemetryPage() {
  const t = useI18n();
  const devices = useStore((s) => s.devices);
  const { query } = useLocation();
  const list = useMemo(
    () => Object.values(devices).sort((a, b) => a.building.localeCompare(b.building) || a.id.localeCompare(b.id)),
    [devices],
  );
  const deviceId = query.get('device') ?? list[0]?.id ?? '';
  const device = devices[deviceId];
  const available = numericMetrics(device);
  const [chosen, setChosen] = useState<Record<string, string[]>>({});
  const metrics = chosen[deviceId] ?? (DEFAULT_METRICS[device?.class ?? ''] ?? []).filter((m) => available.includes(m));
  const shown = metrics.length > 0 ? metrics : available.slice(0, 2);
  const [range, setRange] = useState<RangeKey>('15m');
  const [custom, setCustom] = useState(() => ({ from: toLocalInput(Date.now() - 3_600_000), to: toLocalInput(Date.now()) }));
  const [applied, setApplied] = useState(custom);

  const window_ =
    range === 'custom'
      ? { from: fromLocalInput(applied.from) ?? Date.now() - 3_600_000, to: fromLocalInput(applied.to) ?? Date.now(), live: false }
      : { from: 0, to: 0, live: true, span: RANGES[range] };

  const byBuilding = useMemo(() => {
    const m = new Map<string, DeviceView[]>();
    for (const d of list) m.set(d.building, [...(m.get(d.building) ?? []), d]);
    return [...m.entries()];
  }, [list]);

  return (
    <div className="telemetry-page">
      <Panel title={t.t('telemetry.title')} testId="telemetry">
        <div className="telemetry-controls">
          <label>
            {t.t('telemetry.device')}
            <select
              value={deviceId}
              onChange={(e) => navigate(`/telemetry?device=${encodeURIComponent(e.target.value)}`, true)}
              data-testid="telemetry-device"
            >
              {deviceId === '' ? <option value="">{t.t('telemetry.pick')}</option> : null}
              {byBuilding.map(([b, ds]) => (
                <optgroup key={b} label={t.building(b)}>
                  {ds.map((d) => (
                    <option key={d.id} value={d.id}>
                      {d.name} ({d.id}) · {t.online(d.state)}
                    </option>
                  ))}
                </optgroup>
              ))}
            </select>
          </label>
          <fieldset className="ranges">
            <legend>{t.t('telemetry.range')}</legend>
            {(['15m', '1h', '6h', '24h', '7d', 'custom'] as RangeKey[]).map((r) => (
              <label key={r} className={`chip${range === r ? ' active' : ''}`}>
                <input type="radio" name="range" value={r} checked={range === r} onChange={() => setRange(r)} />
                {t.t(`range.${r}`)}
              </label>
            ))}
          </fieldset>
          {range === 'custom' ? (
            <form
              className="custom-range"
              onSubmit={(e) => {
                e.preventDefault();
                setApplied(custom);
              }}
            >
              <label>
                {t.t('telemetry.from')}
                <input type="datetime-local" value={custom.from} onChange={(e) => setCustom((c) => ({ ...c, from: e.target.value }))} />
              </label>
              <label>
                {t.t('telemetry.to')}
                <input type="datetime-local" value={custom.to} onChange={(e) => setCustom((c) => ({ ...c, to: e.target.value }))} />
              </label>
              <button type="submit">{t.t('telemetry.apply')}</button>
            </form>
          ) : null}
          <span className={`live-flag${window_.live ? ' on' : ''}`}>{window_.live ? t.t('telemetry.live') : t.t('telemetry.paused')}</span>
        </div>
        {device ? (
          <fieldset className="metric-picks">
            <legend>{t.t('telemetry.metrics')}</legend>
            {available.length === 0 ? <Empty>{t.t('telemetry.noMetrics')}</Empty> : null}
            {available.map((m) => (
              <label key={m} className={`chip${shown.includes(m) ? ' active' : ''}`}>
                <input
                  type="checkbox"
                  checked={shown.includes(m)}
                  onChange={(e) =>
                    setChosen((c) => ({ ...c, [deviceId]: e.target.checked ? [...shown, m] : shown.filter((x) => x !== m) }))
                  }
                />
                {t.metric(m)}
              </label>
            ))}
          </fieldset>
        ) : null}
      </Panel>
      <div className="charts">
        {device
          ? shown.map((m) => (
              <Chart
                key={`${deviceId}/${m}/${range}/${applied.from}/${applied.to}`}
                deviceId={deviceId}
                metric={m}
                label={`${device.name} · ${t.metric(m)}`}
                win={window_}
              />
            ))
          : null}
      </div>
    </div>
  );
}

interface Win {
  from: number;
  to: number;
  live: boolean;
  span?: number;
}

function axisTime(ms: number, span: number, locale: string): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  const hm = `${p(d.getHours())}:${p(d.getMinutes())}`;
  // several days: the date alone (with the hour too, labels ran into each other — issue 14)
  if (span > 3 * 86_400_000)
    return locale === 'zh-CN' ? `${d.getMonth() + 1}月${d.getDate()}日` : `${p(d.getMonth() + 1)}-${p(d.getDate())}`;
  if (span > 20 * 3_600_000)
    return locale === 'zh-CN' ? `${d.getMonth() + 1}月${d.getDate()}日 ${hm}` : `${p(d.getMonth() + 1)}-${p(d.getDate())} ${hm}`;
  return span <= 30 * 60_000 ? `${hm}:${p(d.getSeconds())}` : hm;
}

/** silence longer than this breaks the line */
const GAP_MS = 60_000;

const toNum = (v: unknown): number | null => (typeof v === 'number' ? v : typeof v === 'boolean' ? (v ? 1 : 0) : null);

function Chart({ deviceId, metric, label, win }: { deviceId: string; metric: string; label: string; win: Win }) {
  const t = useI18n();
  const box = useRef<HTMLDivElement>(null);
  const [err, setErr] = useState<unknown>(null);
  const [count, setCount] = useState<number | null>(null);

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    let alive = true;
    let plot: uPlot | null = null;
    const xs: number[] = [];
    const ys: (number | null)[] = [];
    let gapMs = GAP_MS;
    let lastTs: number | null = null;
    const push = (ts: number, v: number) => {
      if (lastTs !== null && ts <= lastTs) return false;
      if (lastTs !== null && ts - lastTs > gapMs) {
        xs.push((lastTs + ts) / 2000);
        ys.push(null);
      }
      xs.push(ts / 1000);
      ys.push(v);
      lastTs = ts;
      return true;
    };
    const span = win.span ?? win.to - win.from;
    const from = win.live ? Date.now() - span : win.from;
    const to = win.live ? Date.now() : win.to;
    const opts: uPlot.Options = {
      width: Math.max(300, el.clientWidth),
      height: 220,
      title: label,
      scales: { x: { time: true } },
      axes: [
        {
          stroke: '#9fb0c3',
          grid: { stroke: '#233244' },
          ticks: { stroke: '#233244' },
          // room for the widest label ("11月23日 00:00") so uPlot picks fewer ticks instead of overlapping them
          space: span > 20 * 3_600_000 ? 110 : 60,
          // 24-hour local time in the UI's locale (uPlot's default is US style)
          values: (_u, splits) => splits.map((v) => axisTime(v * 1000, span, t.locale)),
        },
        { stroke: '#9fb0c3', grid: { stroke: '#233244' }, ticks: { stroke: '#233244' }, size: 60 },
      ],
      series: [
        { label: t.t('common.time'), value: (_u, v) => (v === null || v === undefined ? '--' : t.dateTime(v * 1000)) },
        { label: t.metric(metric), stroke: '#38bdf8', width: 2, fill: 'rgba(56,189,248,0.12)', spanGaps: false },
      ],
      legend: { show: true },
    };
    const redraw = () => {
      if (!plot) return;
      if (win.live) {
        const cut = (Date.now() - span) / 1000;
        while (xs.length > 0 && xs[0]! < cut) {
          xs.shift();
          ys.shift();
        }
      }
      plot.setData([xs, ys]);
      if (win.live) plot.setScale('x', { min: (Date.now() - span) / 1000, max: Date.now() / 1000 });
    };
    plot = new uPlot(opts, [[], []], el);
    api
      .telemetry(deviceId, metric, from, to)
      .then((series) => {
        if (!alive) return;
        // empty buckets between samples are not outages: join samples, but break the line where
        // the device was silent for long (a real gap)
        const step = series.points.length > 1 ? series.points[1]![0] - series.points[0]![0] : 0;
        gapMs = Math.max(GAP_MS, step * 10);
        for (const [ts, v] of series.points) if (v !== null) push(ts, v);
        setCount(xs.filter((_, i) => ys[i] !== null).length);
        redraw();
      })
      .catch((e: unknown) => alive && setErr(e));
    const off = win.live
      ? onTelemetry((e) => {
          if (e.deviceId !== deviceId) return;
          const v = toNum(e.metrics[metric]);
          if (v === null) return;
          if (!push(e.ts, v)) return;
          setCount((c) => (c ?? 0) + 1);
          redraw();
        })
      : () => undefined;
    // keep the window sliding even when the device is quiet
    const slide = win.live ? setInterval(redraw, 5000) : null;
    const ro = new ResizeObserver(() => plot?.setSize({ width: Math.max(300, el.clientWidth), height: 220 }));
    ro.observe(el);
    return () => {
      alive = false;
      off();
      if (slide) clearInterval(slide);
      ro.disconnect();
      plot?.destroy();
    };
  }, [deviceId, metric, label, win.live, win.from, win.to, win.span, t]);

  return (
    <section className="chart" data-testid={`chart-${metric}`} data-points={count ?? undefined}>
      <div ref={box} className="chart-box" />
      {err ? <p className="error">{errorText(t, err)}</p> : count === 0 ? <p className="muted">{t.t('telemetry.noData')}</p> : null}
    </section>
  );
}
