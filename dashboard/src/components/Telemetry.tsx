// Telemetry history (uPlot): one chart per selected metric of a device, or (issue 14) several
// series — metrics of this device and of others — on one chart, loaded from GET /api/telemetry
// for the chosen range and, for ranges ending now, kept moving with the live `telemetry` pushes.
// Under every chart its legend shows each series' latest, lowest and highest value without
// hovering, and "export CSV" saves exactly the points drawn (csv-stringify's browser build).
import { useEffect, useMemo, useRef, useState } from 'react';
import { stringify } from 'csv-stringify/browser/esm/sync';
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
    () => Object.values(devices).sort((a, b) => a.building.localeCompare(b.building) || a.name.localeCompare(b.name)),
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
  const [together, setTogether] = useState(false);
  const [extra, setExtra] = useState<{ deviceId: string; metric: string }[]>([]);

  const window_ =
    range === 'custom'
      ? { from: fromLocalInput(applied.from) ?? Date.now() - 3_600_000, to: fromLocalInput(applied.to) ?? Date.now(), live: false }
      : { from: 0, to: 0, live: true, span: RANGES[range] };

  const byBuilding = useMemo(() => {
    const m = new Map<string, DeviceView[]>();
    for (const d of list) m.set(d.building, [...(m.get(d.building) ?? []), d]);
    return [...m.entries()];
  }, [list]);

  const label = (d: DeviceView | undefined, m: string) => `${d?.name ?? t.t('common.device')} · ${t.metric(m)}`;
  const combined: SeriesSpec[] = device
    ? [
        ...shown.map((m) => ({ deviceId, metric: m, label: label(device, m) })),
        ...extra
          .filter((x) => !(x.deviceId === deviceId && shown.includes(x.metric)) && devices[x.deviceId])
          .map((x) => ({ ...x, label: label(devices[x.deviceId], x.metric) })),
      ]
    : [];
  const winKey = `${range}/${applied.from}/${applied.to}`;

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
              <DeviceOptions groups={byBuilding} />
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
        {device ? (
          <fieldset className="ranges chart-mode">
            <legend>{t.t('chart.combined')}</legend>
            <label className={`chip${!together ? ' active' : ''}`}>
              <input type="radio" name="mode" checked={!together} onChange={() => setTogether(false)} data-testid="mode-separate" />
              {t.t('chart.separate')}
            </label>
            <label className={`chip${together ? ' active' : ''}`}>
              <input type="radio" name="mode" checked={together} onChange={() => setTogether(true)} data-testid="mode-together" />
              {t.t('chart.together')}
            </label>
          </fieldset>
        ) : null}
        {device && together ? (
          <AddSeries
            groups={byBuilding}
            devices={devices}
            extra={extra}
            onAdd={(x) => setExtra((e) => [...e.filter((y) => y.deviceId !== x.deviceId || y.metric !== x.metric), x])}
            onRemove={(x) => setExtra((e) => e.filter((y) => y.deviceId !== x.deviceId || y.metric !== x.metric))}
          />
        ) : null}
      </Panel>
      <div className={`charts${together ? ' charts-one' : ''}`}>
        {device && together && combined.length > 0 ? (
          <Chart
            key={`combined/${combined.map((x) => `${x.deviceId}:${x.metric}`).join(',')}/${winKey}`}
            series={combined}
            title={t.t('chart.combined')}
            testId="chart-combined"
            win={window_}
          />
        ) : null}
        {device && !together
          ? shown.map((m) => (
              <Chart
                key={`${deviceId}/${m}/${winKey}`}
                series={[{ deviceId, metric: m, label: label(device, m) }]}
                title={label(device, m)}
                testId={`chart-${m}`}
                win={window_}
              />
            ))
          : null}
      </div>
    </div>
  );
}

function DeviceOptions({ groups }: { groups: [string, DeviceView[]][] }) {
  const t = useI18n();
  return (
    <>
      {groups.map(([b, ds]) => (
        <optgroup key={b} label={t.building(b)}>
          {ds.map((d) => (
            <option key={d.id} value={d.id}>
              {d.name} · {t.online(d.state)}
            </option>
          ))}
        </optgroup>
      ))}
    </>
  );
}

/** Another device's metric onto the combined chart (e.g. both power meters' voltage). */
function AddSeries({
  groups,
  devices,
  extra,
  onAdd,
  onRemove,
}: {
  groups: [string, DeviceView[]][];
  devices: Record<string, DeviceView>;
  extra: { deviceId: string; metric: string }[];
  onAdd: (x: { deviceId: string; metric: string }) => void;
  onRemove: (x: { deviceId: string; metric: string }) => void;
}) {
  const t = useI18n();
  const first = groups[0]?.[1][0]?.id ?? '';
  const [dev, setDev] = useState(first);
  const metrics = numericMetrics(devices[dev]);
  const [metric, setMetric] = useState('');
  const m = metrics.includes(metric) ? metric : (metrics[0] ?? '');
  return (
    <div className="add-series" data-testid="add-series">
      <p className="muted">{t.t('chart.combinedHint')}</p>
      <div className="row">
        <label>
          {t.t('telemetry.device')}
          <select value={dev} onChange={(e) => setDev(e.target.value)} data-testid="add-series-device">
            <DeviceOptions groups={groups} />
          </select>
        </label>
        <label>
          {t.t('telemetry.metrics')}
          <select value={m} onChange={(e) => setMetric(e.target.value)} data-testid="add-series-metric">
            {metrics.map((x) => (
              <option key={x} value={x}>
                {t.metric(x)}
              </option>
            ))}
          </select>
        </label>
        <button type="button" disabled={!dev || !m} onClick={() => onAdd({ deviceId: dev, metric: m })} data-testid="add-series-add">
          {t.t('chart.add')}
        </button>
      </div>
      {extra.length > 0 ? (
        <ul className="extra-series">
          {extra.map((x) => (
            <li key={`${x.deviceId}/${x.metric}`}>
              {devices[x.deviceId]?.name ?? t.t('common.device')} · {t.metric(x.metric)}
              <button type="button" className="ghost" onClick={() => onRemove(x)}>
                {t.t('chart.remove')}
              </button>
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

interface Win {
  from: number;
  to: number;
  live: boolean;
  span?: number;
}

interface SeriesSpec {
  deviceId: string;
  metric: string;
  label: string;
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
const COLORS = ['#38bdf8', '#f59e0b', '#22c55e', '#f472b6', '#a78bfa', '#ef4444', '#eab308', '#2dd4bf'];

const toNum = (v: unknown): number | null => (typeof v === 'number' ? v : typeof v === 'boolean' ? (v ? 1 : 0) : null);

interface Stats {
  latest: number | null;
  min: number | null;
  max: number | null;
  count: number;
}

/** latest, lowest and highest of the points drawn (the legend shows them without hovering) */
export function statsOf(points: [number, number][]): Stats {
  if (points.length === 0) return { latest: null, min: null, max: null, count: 0 };
  let min = Infinity;
  let max = -Infinity;
  for (const [, v] of points) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { latest: points[points.length - 1]![1], min, max, count: points.length };
}

const fmt = (v: number | null) => (v === null ? '—' : String(Math.round(v * 1000) / 1000));

function localStamp(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

function Chart({ series, title, testId, win }: { series: SeriesSpec[]; title: string; testId: string; win: Win }) {
  const t = useI18n();
  const box = useRef<HTMLDivElement>(null);
  const [err, setErr] = useState<unknown>(null);
  const [stats, setStats] = useState<Stats[] | null>(null);
  /** the points drawn per series, [ts ms, value] ascending: what the legend and the CSV read */
  const drawn = useRef<[number, number][][]>([]);
  const seriesKey = series.map((s) => `${s.deviceId}:${s.metric}:${s.label}`).join('|');

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    let alive = true;
    let plot: uPlot | null = null;
    const pts: [number, number][][] = series.map(() => []);
    drawn.current = pts;
    const gapMs = series.map(() => GAP_MS);
    const span = win.span ?? win.to - win.from;
    const from = win.live ? Date.now() - span : win.from;
    const to = win.live ? Date.now() : win.to;
    // one scale per metric: a voltage and a load share the time axis, each keeps its own range;
    // the first two metrics get an axis (left, right), the legend gives every value anyway
    const metricsInOrder = [...new Set(series.map((s) => s.metric))];
    const axisStyle = { stroke: '#9fb0c3', grid: { stroke: '#233244' }, ticks: { stroke: '#233244' } };
    const opts: uPlot.Options = {
      width: Math.max(300, el.clientWidth),
      height: series.length > 1 ? 300 : 220,
      title,
      scales: { x: { time: true } },
      axes: [
        {
          ...axisStyle,
          // room for the widest label ("11月23日 00:00") so uPlot picks fewer ticks instead of overlapping them
          space: span > 20 * 3_600_000 ? 110 : 60,
          // 24-hour local time in the UI's locale (uPlot's default is US style)
          values: (_u, splits) => splits.map((v) => axisTime(v * 1000, span, t.locale)),
        },
        ...metricsInOrder
          .slice(0, 2)
          .map((m, i) => ({ ...axisStyle, scale: m, size: 60, side: i === 0 ? 3 : 1, ...(i === 1 ? { grid: { show: false } } : {}) })),
      ],
      series: [
        { label: t.t('common.time'), value: (_u, v) => (v === null || v === undefined ? '--' : t.dateTime(v * 1000)) },
        ...series.map((s, i) => ({
          label: s.label,
          scale: s.metric,
          stroke: COLORS[i % COLORS.length]!,
          width: 2,
          ...(series.length === 1 ? { fill: 'rgba(56,189,248,0.12)' } : {}),
          spanGaps: false,
        })),
      ],
      // our own legend (below) shows latest/min/max all the time; uPlot's would only follow the cursor
      legend: { show: false },
    };
    const lines = (i: number): uPlot.AlignedData => {
      const xs: number[] = [];
      const ys: (number | null)[] = [];
      let last: number | null = null;
      for (const [ts, v] of pts[i]!) {
        // empty buckets between samples are not outages: join samples, but break the line where
        // the device was silent for long (a real gap)
        if (last !== null && ts - last > gapMs[i]!) {
          xs.push((last + ts) / 2000);
          ys.push(null);
        }
        xs.push(ts / 1000);
        ys.push(v);
        last = ts;
      }
      return [xs, ys];
    };
    const redraw = () => {
      if (!plot) return;
      if (win.live) {
        const cut = Date.now() - span;
        for (const p of pts) while (p.length > 0 && p[0]![0] < cut) p.shift();
      }
      const tables = series.map((_, i) => lines(i));
      plot.setData(tables.length === 1 ? tables[0]! : uPlot.join(tables));
      if (win.live) plot.setScale('x', { min: (Date.now() - span) / 1000, max: Date.now() / 1000 });
      setStats(pts.map(statsOf));
    };
    plot = new uPlot(opts, [[], ...series.map(() => [])] as unknown as uPlot.AlignedData, el);
    Promise.all(
      series.map((s, i) =>
        api.telemetry(s.deviceId, s.metric, from, to).then((r) => {
          const step = r.points.length > 1 ? r.points[1]![0] - r.points[0]![0] : 0;
          gapMs[i] = Math.max(GAP_MS, step * 10);
          // live points may have arrived first: keep the order
          const before = pts[i]!;
          const hist = r.points.filter((p): p is [number, number] => p[1] !== null);
          const firstLive = before[0]?.[0] ?? Infinity;
          pts[i] = [...hist.filter((p) => p[0] < firstLive), ...before];
        }),
      ),
    )
      .then(() => {
        if (!alive) return;
        drawn.current = pts;
        redraw();
      })
      .catch((e: unknown) => alive && setErr(e));
    const off = win.live
      ? onTelemetry((e) => {
          let changed = false;
          series.forEach((s, i) => {
            if (e.deviceId !== s.deviceId) return;
            const v = toNum(e.metrics[s.metric]);
            const p = pts[i]!;
            if (v === null || (p.length > 0 && e.ts <= p[p.length - 1]![0])) return;
            p.push([e.ts, v]);
            changed = true;
          });
          if (changed) redraw();
        })
      : () => undefined;
    // keep the window sliding even when the device is quiet
    const slide = win.live ? setInterval(redraw, 5000) : null;
    const ro = new ResizeObserver(() => plot?.setSize({ width: Math.max(300, el.clientWidth), height: series.length > 1 ? 300 : 220 }));
    ro.observe(el);
    return () => {
      alive = false;
      off();
      if (slide) clearInterval(slide);
      ro.disconnect();
      plot?.destroy();
    };
    // seriesKey stands for `series` (a new array each render)
  }, [seriesKey, title, win.live, win.from, win.to, win.span, t]);

  const total = stats ? stats.reduce((n, s) => n + s.count, 0) : null;
  const exportCsv = () => {
    // one row per time any series has a point; a series without a point then stays empty
    const pts = drawn.current;
    const times = [...new Set(pts.flatMap((p) => p.map(([ts]) => ts)))].sort((a, b) => a - b);
    const at = pts.map((p) => new Map(p));
    const rows = times.map((ts) => [localStamp(ts), ...at.map((m) => (m.has(ts) ? m.get(ts)! : ''))]);
    const text = stringify([[t.t('chart.csvTime'), ...series.map((s) => s.label)], ...rows]);
    const url = URL.createObjectURL(new Blob(['\uFEFF', text], { type: 'text/csv;charset=utf-8' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = `telemetry-${localStamp(Date.now()).replace(/[-: ]/g, '').slice(0, 12)}.csv`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  };

  return (
    <section className="chart" data-testid={testId} data-points={total ?? undefined}>
      <div ref={box} className="chart-box" />
      {err ? <p className="error">{errorText(t, err)}</p> : total === 0 ? <p className="muted">{t.t('telemetry.noData')}</p> : null}
      <div className="chart-foot">
        <table className="chart-legend" data-testid="legend">
          <thead>
            <tr>
              <th>{t.t('chart.series')}</th>
              <th>{t.t('chart.latest')}</th>
              <th>{t.t('chart.min')}</th>
              <th>{t.t('chart.max')}</th>
            </tr>
          </thead>
          <tbody>
            {series.map((s, i) => {
              const st = stats?.[i];
              return (
                <tr key={`${s.deviceId}/${s.metric}`} data-testid={`legend-${s.deviceId}-${s.metric}`}>
                  <td>
                    <span className="swatch" style={{ background: COLORS[i % COLORS.length] }} aria-hidden="true" />
                    {s.label}
                  </td>
                  <td data-testid="latest">{fmt(st?.latest ?? null)}</td>
                  <td data-testid="min">{fmt(st?.min ?? null)}</td>
                  <td data-testid="max">{fmt(st?.max ?? null)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
        <button type="button" onClick={exportCsv} disabled={!total} data-testid="csv">
          {t.t('chart.csv')}
        </button>
      </div>
    </section>
  );
}
