// Summary reports 汇总报表 (issue 11 "Reports"): a day, an ISO week or a month — incidents by
// kind with the on-time rate of every target the procedures declare, visitors, shifts, and the
// sections other services add through `ReportSectionProvider` (work orders, complaints…; the
// follow-ups section is built in). JSON for the screens, a printable page (zh-CN or en) and CSV.
import { stringify } from 'csv-stringify/sync';
import type { Locale } from '../../contracts/messages.js';
import type { ReportSection, SummaryReport } from '../../contracts/shifts.js';
import type { Db } from '../core/db.js';
import { siteTime, type MessageCatalog } from '../core/messages.js';
import type { Staff } from './service.js';
import { localDay, periodSpan } from './shifts.js';

/** A section of the summary from another service (work orders, complaints…). */
export interface ReportSectionProvider {
  readonly source: string;
  summary(q: { from: number; to: number; buildings: readonly string[] | null; now: number }): Promise<ReportSection>;
}

export interface ReportServiceOptions {
  db: Db;
  catalog: MessageCatalog;
  now?: () => number;
  tzOffsetMinutes?: number;
  sections?: ReportSectionProvider[];
}

/** on / total, or null when nothing was measured (shown as "—", never as 0 %) */
export const rate = (on: number, total: number) => (total ? on / total : null);

/**
 * A service-desk target measured over records (a work order's 24 h response, a complaint's 2 h
 * reply…): measured once it was met or missed; met = done and never late — the procedures keep
 * the `overdue` flag after the work is done, so a late finish still counts as missed.
 */
export function measureTarget<T>(xs: readonly T[], done: (x: T) => boolean, late: (x: T) => boolean) {
  const measured = xs.filter((x) => done(x) || late(x));
  const onTime = measured.filter((x) => done(x) && !late(x)).length;
  return { measured: measured.length, onTime, rate: rate(onTime, measured.length) };
}

/**
 * Follow-ups 回访 due in the period: how many, done, done by the due time (seed 001 §四: 100 %
 * follow-up; the entrapment's 2-working-day target).
 */
export function followUpSection(db: Db): ReportSectionProvider {
  return {
    source: 'followup',
    async summary({ from, to, now, buildings }) {
      const all = await db.followUp.findMany({
        where: { dueAt: { gte: new Date(from), lt: new Date(to) } },
        select: { dueAt: true, doneAt: true, incidentId: true },
      });
      // a report for some buildings counts their incidents' follow-ups only (docs/security.md
      // "Building scope"); a follow-up tied to no incident belongs to no building
      let rows = all;
      if (buildings) {
        const ids = [...new Set(all.map((r) => r.incidentId).filter((x): x is string => x !== null))];
        const mine = await db.incident.findMany({ where: { id: { in: ids }, buildingId: { in: [...buildings] } }, select: { id: true } });
        const keep = new Set(mine.map((i) => i.id));
        rows = all.filter((r) => r.incidentId !== null && keep.has(r.incidentId));
      }
      const done = rows.filter((r) => r.doneAt).length;
      const onTime = rows.filter((r) => r.doneAt && r.doneAt <= r.dueAt).length;
      const overdue = rows.filter((r) => !r.doneAt && r.dueAt.getTime() < now).length;
      return {
        source: 'followup',
        label: ['回访', 'Follow-ups'],
        rows: [
          { label: ['到期回访', 'Due'], value: rows.length },
          { label: ['已回访', 'Done'], value: done, rate: rate(done, rows.length) },
          { label: ['按时回访', 'Done on time'], value: onTime, rate: rate(onTime, rows.length) },
          { label: ['逾期未回访', 'Overdue, not done'], value: overdue },
        ],
      };
    },
  };
}

export class ReportService {
  private readonly now: () => number;
  private readonly tz: number;
  private readonly sections: ReportSectionProvider[];

  constructor(private readonly o: ReportServiceOptions) {
    this.now = o.now ?? Date.now;
    this.tz = o.tzOffsetMinutes ?? 480;
    this.sections = [...(o.sections ?? [])];
  }

  /** Another service's section in every later report (the composition root calls this). */
  addSection(p: ReportSectionProvider): void {
    this.sections.push(p);
  }

  async summary(
    q: { period: 'day' | 'week' | 'month'; date?: string | undefined; buildings: string[] | null },
    _user: Staff,
  ): Promise<SummaryReport> {
    const now = this.now();
    const span = periodSpan(q.period, q.date ?? localDay(now, this.tz), this.tz);
    const inSpan = { gte: new Date(span.from), lt: new Date(span.to) };
    const where = q.buildings ? { buildingId: { in: q.buildings } } : {};
    const [opened, closed, timers, visits, shifts, handovers] = await Promise.all([
      this.o.db.incident.findMany({ where: { ...where, openedAt: inSpan }, select: { kind: true, open: true } }),
      this.o.db.incident.groupBy({ by: ['kind'], where: { ...where, closedAt: inSpan }, _count: { _all: true } }),
      // a target is a timer that is not a repeating reminder: met when it was cancelled (the step
      // was done) before it fired; a fired one missed its target (PROCEDURES.md: "SLA countdowns")
      this.o.db.incidentTimer.findMany({
        where: { repeatMs: null, status: { in: ['fired', 'cancelled'] }, dueAt: inSpan, incident: where },
        select: { key: true, status: true, incident: { select: { kind: true } } },
      }),
      this.o.db.visit.findMany({
        where: { requestedAt: inSpan, ...(q.buildings ? { buildingId: { in: q.buildings } } : {}) },
        select: { state: true, enteredAt: true, leftAt: true, plannedMinutes: true },
      }),
      // shifts and handovers are the whole estate's (one control room, no building on the row):
      // a report for some buildings leaves them out rather than show other buildings' figures
      q.buildings
        ? []
        : this.o.db.dutyShift.findMany({ where: { startsAt: inSpan, endsAt: { lte: new Date(now) } }, select: { signedAt: true } }),
      q.buildings ? [] : this.o.db.handover.findMany({ where: { createdAt: inSpan }, select: { state: true } }),
    ]);
    const labels = this.o.catalog.labels;
    const label = (key: string, fallback: string): [string, string] => {
      const l = labels[key];
      return l ? [l[0], l[1]] : [fallback, fallback];
    };
    const kinds = [...new Set([...opened.map((i) => i.kind), ...closed.map((c) => c.kind), ...timers.map((x) => x.incident.kind)])].sort();
    const incidents = kinds.map((kind) => {
      // every target the procedure declares (its timer labels), measured or not
      const declared = Object.keys(labels)
        .filter((k) => k.startsWith(`${kind}.timer.`))
        .map((k) => k.slice(`${kind}.timer.`.length));
      const mine = timers.filter((x) => x.incident.kind === kind);
      const keys = [...new Set([...declared, ...mine.map((x) => x.key)])].sort();
      return {
        kind,
        label: label(`${kind}.kind`, kind),
        opened: opened.filter((i) => i.kind === kind).length,
        closed: closed.find((c) => c.kind === kind)?._count._all ?? 0,
        open: opened.filter((i) => i.kind === kind && i.open).length,
        targets: keys.map((key) => {
          const t = mine.filter((x) => x.key === key);
          const onTime = t.filter((x) => x.status === 'cancelled').length;
          return { target: key, label: label(`${kind}.timer.${key}`, key), total: t.length, onTime, rate: rate(onTime, t.length) };
        }),
      };
    });
    const admitted = visits.filter((v) => v.enteredAt);
    const sections = await Promise.all(this.sections.map((s) => s.summary({ from: span.from, to: span.to, buildings: q.buildings, now })));
    return {
      period: q.period,
      label: span.label,
      from: span.from,
      to: span.to,
      buildings: q.buildings,
      generatedAt: now,
      incidents,
      visitors: {
        requests: visits.length,
        admitted: admitted.length,
        refused: visits.filter((v) => v.state === 'denied').length,
        overstays: admitted.filter((v) => (v.leftAt?.getTime() ?? now) - v.enteredAt!.getTime() > v.plannedMinutes * 60_000).length,
      },
      sections,
      shifts: q.buildings
        ? null
        : {
            total: shifts.length,
            signed: shifts.filter((s) => s.signedAt).length,
            handovers: handovers.length,
            refused: handovers.filter((h) => h.state === 'refused').length,
          },
    };
  }
}

// ------------------------------------------------------------------ rendering

const T = {
  title: ['运营汇总报表', 'Operations summary'],
  day: ['日报', 'Daily'],
  week: ['周报', 'Weekly'],
  month: ['月报', 'Monthly'],
  period: ['统计期间', 'Period'],
  buildings: ['楼栋', 'Buildings'],
  all: ['全部', 'All'],
  generated: ['生成时间', 'Generated'],
  incidents: ['事件', 'Incidents'],
  kind: ['类型', 'Kind'],
  opened: ['新立案', 'Opened'],
  closed: ['已结案', 'Closed'],
  stillOpen: ['未结案', 'Still open'],
  target: ['时限目标', 'Target'],
  measured: ['计时数', 'Measured'],
  onTime: ['按时', 'On time'],
  rate: ['按时率', 'On-time rate'],
  visitors: ['访客', 'Visitors'],
  requests: ['来访登记', 'Requests'],
  admitted: ['已放行', 'Admitted'],
  refused: ['已拒绝', 'Refused'],
  overstays: ['超时停留', 'Overstays'],
  shifts: ['值班与交接班', 'Shifts and handovers'],
  shiftsTotal: ['已结束班次', 'Ended shifts'],
  shiftsSigned: ['主管已签字', 'Signed by a supervisor'],
  handovers: ['交接班', 'Handovers'],
  handoversRefused: ['被拒绝接班', 'Refused'],
  section: ['项目', 'Section'],
  item: ['指标', 'Item'],
  value: ['数量', 'Value'],
  none: ['本期无事件', 'No incidents in this period'],
  sign: ['审核人签字', 'Reviewed by'],
  date: ['日期', 'Date'],
} as const;

const pct = (r: number | null | undefined) => (r === null || r === undefined ? '—' : `${(Math.round(r * 1000) / 10).toFixed(1)}%`);

/** One row per figure: [section, item, value, rate] — the CSV and the page share it. */
function rows(r: SummaryReport, locale: Locale): Array<[string, string, string, string]> {
  const i = locale === 'en' ? 1 : 0;
  const out: Array<[string, string, string, string]> = [];
  for (const k of r.incidents) {
    out.push([T.incidents[i], `${k.label[i]} · ${T.opened[i]}`, String(k.opened), '']);
    out.push([T.incidents[i], `${k.label[i]} · ${T.closed[i]}`, String(k.closed), '']);
    out.push([T.incidents[i], `${k.label[i]} · ${T.stillOpen[i]}`, String(k.open), '']);
    for (const t of k.targets) out.push([T.incidents[i], `${k.label[i]} · ${t.label[i]}`, `${t.onTime}/${t.total}`, pct(t.rate)]);
  }
  out.push([T.visitors[i], T.requests[i], String(r.visitors.requests), '']);
  out.push([T.visitors[i], T.admitted[i], String(r.visitors.admitted), '']);
  out.push([T.visitors[i], T.refused[i], String(r.visitors.refused), '']);
  out.push([T.visitors[i], T.overstays[i], String(r.visitors.overstays), '']);
  for (const s of r.sections)
    for (const x of s.rows) out.push([s.label[i], x.label[i], String(x.value), x.rate === undefined ? '' : pct(x.rate)]);
  if (r.shifts) {
    out.push([T.shifts[i], T.shiftsTotal[i], String(r.shifts.total), '']);
    out.push([T.shifts[i], T.shiftsSigned[i], String(r.shifts.signed), pct(r.shifts.total ? r.shifts.signed / r.shifts.total : null)]);
    out.push([T.shifts[i], T.handovers[i], String(r.shifts.handovers), '']);
    out.push([T.shifts[i], T.handoversRefused[i], String(r.shifts.refused), '']);
  }
  return out;
}

/**
 * CSV for Excel: UTF-8 with a byte-order mark (without it Excel on a Chinese Windows reads the
 * file as GBK and the Chinese turns to mojibake), CRLF line ends (RFC 4180), quoted by csv-stringify.
 */
export function reportCsv(r: SummaryReport, locale: Locale, tz: number): string {
  const i = locale === 'en' ? 1 : 0;
  const head: string[][] = [
    [T.title[i], `${T[r.period][i]} ${r.label}`],
    [T.period[i], `${siteTime(r.from, tz)} – ${siteTime(r.to, tz)}`],
    [T.buildings[i], r.buildings?.join(' ') ?? T.all[i]],
    [T.generated[i], siteTime(r.generatedAt, tz)],
    [],
    [T.section[i], T.item[i], T.value[i], T.rate[i]],
  ];
  return `\uFEFF${stringify([...head, ...rows(r, locale)], { record_delimiter: 'windows' })}`;
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** The printable page: one language per page (the reader's, or ?lang=), every value escaped. */
export function reportHtml(r: SummaryReport, locale: Locale, tz: number): string {
  const i = locale === 'en' ? 1 : 0;
  const incidentRows = r.incidents.length
    ? r.incidents
        .map((k) => {
          const targets = k.targets.length
            ? k.targets
                .map((t) => `<tr><td></td><td>${esc(t.label[i])}</td><td>${t.onTime}/${t.total}</td><td>${esc(pct(t.rate))}</td></tr>`)
                .join('')
            : '';
          return `<tr class="kind"><th>${esc(k.label[i])}</th><td>${esc(`${T.opened[i]} ${k.opened} · ${T.closed[i]} ${k.closed} · ${T.stillOpen[i]} ${k.open}`)}</td><td></td><td></td></tr>${targets}`;
        })
        .join('')
    : `<tr><td colspan="4">${esc(T.none[i])}</td></tr>`;
  const table = (title: string, list: Array<[string, string, string]>) =>
    `<h2>${esc(title)}</h2><table><tbody>${list.map(([a, b, c]) => `<tr><th>${esc(a)}</th><td>${esc(b)}</td><td>${esc(c)}</td></tr>`).join('')}</tbody></table>`;
  const sections = r.sections
    .map((s) =>
      table(
        s.label[i],
        s.rows.map((x) => [x.label[i], String(x.value), x.rate === undefined ? '' : pct(x.rate)] as [string, string, string]),
      ),
    )
    .join('');
  return `<!doctype html><html lang="${locale}"><head><meta charset="utf-8"><title>${esc(`${T.title[i]} ${r.label}`)}</title>
<style>body{font-family:"Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:2em;color:#111}table{border-collapse:collapse;width:100%;margin-bottom:1.5em}
th,td{border:1px solid #999;padding:4px 8px;text-align:left}tr.kind th,tr.kind td{background:#eee}h1{font-size:1.4em}h2{font-size:1.1em}
.sign{margin-top:3em;display:flex;gap:4em}@media print{body{margin:0}}</style></head><body>
<h1>${esc(`${T.title[i]} · ${T[r.period][i]} ${r.label}`)}</h1>
<p>${esc(`${T.period[i]}: ${siteTime(r.from, tz)} – ${siteTime(r.to, tz)} · ${T.buildings[i]}: ${r.buildings?.join(' ') ?? T.all[i]} · ${T.generated[i]}: ${siteTime(r.generatedAt, tz)}`)}</p>
<h2>${esc(T.incidents[i])}</h2><table><thead><tr><th>${esc(T.kind[i])}</th><th>${esc(T.target[i])}</th><th>${esc(T.onTime[i])}/${esc(T.measured[i])}</th><th>${esc(T.rate[i])}</th></tr></thead><tbody>${incidentRows}</tbody></table>
${table(T.visitors[i], [
  [T.requests[i], String(r.visitors.requests), ''],
  [T.admitted[i], String(r.visitors.admitted), ''],
  [T.refused[i], String(r.visitors.refused), ''],
  [T.overstays[i], String(r.visitors.overstays), ''],
])}
${sections}
${
  r.shifts
    ? table(T.shifts[i], [
        [T.shiftsTotal[i], String(r.shifts.total), ''],
        [T.shiftsSigned[i], String(r.shifts.signed), pct(r.shifts.total ? r.shifts.signed / r.shifts.total : null)],
        [T.handovers[i], String(r.shifts.handovers), ''],
        [T.handoversRefused[i], String(r.shifts.refused), ''],
      ])
    : ''
}
<div class="sign"><span>${esc(T.sign[i])}: ________________</span><span>${esc(T.date[i])}: ____________</span></div>
</body></html>`;
}
