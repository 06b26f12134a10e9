// Summary reports 汇总报表 (issue 11 "Reports"; GET /api/reports/summary, services/records/reports.ts):
// a supervisor or manager picks a day, an ISO week or a month (and a building when they want one,
// out of the buildings their scope allows), and reads incidents by kind with the on-time rate of
// every target, the sections of the other services (work orders, complaints, follow-ups…),
// visitors and shifts. The same query opens the printable page and downloads the CSV. The hub
// sends every label as a [zh-CN, en] pair, so this screen renders either language without a
// refetch.
import { useState } from 'react';
import type { Label } from '../../../contracts/messages.js';
import type { SummaryReport } from '../../../contracts/shifts.js';
import { request } from '../api.js';
import { useAsync } from '../hooks.js';
import { useI18n } from '../store.js';
import { Empty, ErrorLine, Panel } from './common.js';

const PERIODS = ['day', 'week', 'month'] as const;
type Period = (typeof PERIODS)[number];

/** Today in the browser's calendar (the control room's clock is the site's). */
function today(): string {
  const d = new Date();
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

export function Reports() {
  const t = useI18n();
  const [period, setPeriod] = useState<Period>('day');
  const [date, setDate] = useState(today());
  const [building, setBuilding] = useState('');
  const buildings = useAsync(() => request<Array<{ id: string; name: string }>>('GET', '/api/buildings'), []);
  const q = new URLSearchParams({ period, date });
  if (building) q.set('buildings', building);
  const report = useAsync(() => request<SummaryReport>('GET', `/api/reports/summary?${q.toString()}`), [q.toString()]);
  const i = t.locale === 'zh-CN' ? 0 : 1;
  const L = (l: Label | readonly [string, string]) => l[i] ?? l[0];
  const pct = (r: number | null | undefined) => (r === null || r === undefined ? '—' : `${Math.round(r * 1000) / 10}%`);
  const dayFmt = new Intl.DateTimeFormat(t.locale, { year: 'numeric', month: '2-digit', day: '2-digit' });
  const link = (format: 'html' | 'csv') => `/api/reports/summary?${q.toString()}&format=${format}&lang=${t.locale}`;
  const r = report.data;
  // names, not ids (a building without devices is not in the live store's names)
  const bName = (id: string) => buildings.data?.find((b) => b.id === id)?.name ?? t.building(id);

  return (
    <div className="reports-page">
      <Panel
        title={t.t('rep.title')}
        testId="summary-reports"
        actions={
          r ? (
            <>
              <a className="button" href={link('html')} target="_blank" rel="noopener" data-testid="report-print">
                {t.t('rep.print')}
              </a>
              <a className="button" href={link('csv')} download data-testid="report-csv">
                {t.t('rep.csv')}
              </a>
            </>
          ) : null
        }
      >
        <form className="report-filters" onSubmit={(e) => e.preventDefault()} data-testid="report-filters">
          <fieldset className="period-picker">
            <legend>{t.t('rep.period')}</legend>
            {PERIODS.map((p) => (
              <label key={p} className="check">
                <input type="radio" name="period" value={p} checked={period === p} onChange={() => setPeriod(p)} />
                {t.t(`rep.${p}`)}
              </label>
            ))}
          </fieldset>
          <label>
            {t.t('rep.date')}
            <input type="date" name="date" value={date} required onChange={(e) => e.target.value && setDate(e.target.value)} />
          </label>
          <label>
            {t.t('rep.building')}
            <select name="building" value={building} onChange={(e) => setBuilding(e.target.value)}>
              <option value="">{t.t('rep.allBuildings')}</option>
              {(buildings.data ?? []).map((b) => (
                <option key={b.id} value={b.id}>
                  {b.name}
                </option>
              ))}
            </select>
          </label>
        </form>
        <ErrorLine error={report.error} />
        {r ? (
          <div data-testid="summary-body" data-period={r.period} data-label={r.label} data-buildings={r.buildings?.join(',') ?? ''}>
            <p className="muted" data-testid="report-span">
              {t.t(`rep.${r.period}`)} · {t.t('rep.span', { from: dayFmt.format(r.from), to: dayFmt.format(r.to - 1) })}
              {r.buildings ? ` · ${t.t('rep.scope', { buildings: r.buildings.map(bName).join(i ? ', ' : '、') })}` : ''}
              {' · '}
              {t.t('rep.generated', { at: t.dateTime(r.generatedAt) })}
            </p>

            <h3>{t.t('rep.incidents')}</h3>
            {r.incidents.length === 0 ? <Empty>{t.t('rep.noIncidents')}</Empty> : null}
            {r.incidents.length ? (
              <table className="table report-incidents" data-testid="report-incidents">
                <thead>
                  <tr>
                    <th>{t.t('rep.kind')}</th>
                    <th>{t.t('rep.opened')}</th>
                    <th>{t.t('rep.closed')}</th>
                    <th>{t.t('rep.stillOpen')}</th>
                    <th>{t.t('rep.target')}</th>
                    <th>{t.t('rep.onTime')}</th>
                    <th>{t.t('rep.rate')}</th>
                  </tr>
                </thead>
                {r.incidents.map((k) => (
                  <tbody key={k.kind} data-testid={`report-kind-${k.kind}`}>
                    <tr>
                      <th rowSpan={Math.max(1, k.targets.length)}>{L(k.label)}</th>
                      <td rowSpan={Math.max(1, k.targets.length)} data-testid="opened">
                        {k.opened}
                      </td>
                      <td rowSpan={Math.max(1, k.targets.length)} data-testid="closed">
                        {k.closed}
                      </td>
                      <td rowSpan={Math.max(1, k.targets.length)} data-testid="open">
                        {k.open}
                      </td>
                      <TargetCells target={k.targets[0]} L={L} pct={pct} />
                    </tr>
                    {k.targets.slice(1).map((x) => (
                      <tr key={x.target}>
                        <TargetCells target={x} L={L} pct={pct} />
                      </tr>
                    ))}
                  </tbody>
                ))}
              </table>
            ) : null}

            {r.sections.map((s) => (
              <section key={s.source} data-testid={`report-section-${s.source}`}>
                <h3>{L(s.label)}</h3>
                <table className="table">
                  <thead>
                    <tr>
                      <th>{t.t('rep.item')}</th>
                      <th>{t.t('rep.count')}</th>
                      <th>{t.t('rep.rate')}</th>
                    </tr>
                  </thead>
                  <tbody>
                    {s.rows.map((x, n) => (
                      <tr key={n} data-testid={`row-${n}`}>
                        <td>{L(x.label)}</td>
                        <td data-testid="value">{x.value}</td>
                        <td data-testid="rate">{x.rate === undefined ? '' : pct(x.rate)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </section>
            ))}

            <h3>{t.t('rep.visitors')}</h3>
            <CountTable
              testId="report-visitors"
              rows={[
                ['rep.requests', r.visitors.requests],
                ['rep.admitted', r.visitors.admitted],
                ['rep.refused', r.visitors.refused],
                ['rep.overstays', r.visitors.overstays],
              ]}
            />
            {/* null for some buildings: shifts and handovers are the whole estate's */}
            {r.shifts ? (
              <>
                <h3>{t.t('rep.shifts')}</h3>
                <CountTable
                  testId="report-shifts"
                  rows={[
                    ['rep.shiftsTotal', r.shifts.total],
                    ['rep.signed', r.shifts.signed],
                    ['rep.handovers', r.shifts.handovers],
                    ['rep.handoversRefused', r.shifts.refused],
                  ]}
                />
              </>
            ) : null}
          </div>
        ) : null}
      </Panel>
    </div>
  );
}

function TargetCells({
  target,
  L,
  pct,
}: {
  target: SummaryReport['incidents'][number]['targets'][number] | undefined;
  L: (l: Label) => string;
  pct: (r: number | null) => string;
}) {
  if (!target)
    return (
      <>
        <td>—</td>
        <td />
        <td />
      </>
    );
  return (
    <>
      <td data-target={target.target}>{L(target.label)}</td>
      <td data-testid={`target-${target.target}`}>
        {target.onTime}/{target.total}
      </td>
      <td data-testid={`rate-${target.target}`}>{pct(target.rate)}</td>
    </>
  );
}

function CountTable({ rows, testId }: { rows: Array<[Parameters<ReturnType<typeof useI18n>['t']>[0], number]>; testId: string }) {
  const t = useI18n();
  return (
    <table className="table" data-testid={testId}>
      <tbody>
        {rows.map(([key, n]) => (
          <tr key={key}>
            <td>{t.t(key)}</td>
            <td data-testid={key.replace('rep.', '')}>{n}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
