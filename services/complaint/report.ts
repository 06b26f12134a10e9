// The monthly complaint report 投诉月报 (seed 001 §七 《部门客户投诉工作月报》; seed 002 §5.1.3 (6)
// 每月总结) as a printable page and CSV, like the summary reports (services/records/reports.ts):
// one language per page, every value escaped, CSV with a BOM for Excel on a Chinese Windows.
import { stringify } from 'csv-stringify/sync';
import type { ComplaintMonthReport } from '../../contracts/complaints.js';
import type { Locale } from '../../contracts/messages.js';
import { siteTime } from '../core/messages.js';
import { esc } from '../records/report.js';

const T = {
  title: ['投诉工作月报', 'Monthly complaint report'],
  period: ['统计期间', 'Period'],
  building: ['楼栋', 'Building'],
  all: ['全部', 'All'],
  generated: ['生成时间', 'Generated'],
  overview: ['概况', 'Overview'],
  total: ['登记投诉', 'Registered'],
  valid: ['有效投诉', 'Valid'],
  invalid: ['无效投诉', 'Invalid'],
  undecided: ['待核实', 'Not yet assessed'],
  stillOpen: ['未结案', 'Still open'],
  workOrders: ['转报修工单', 'Repair work orders opened'],
  byCategory: ['按类别', 'By category'],
  byChannel: ['按渠道', 'By channel'],
  category: ['类别', 'Category'],
  channel: ['渠道', 'Channel'],
  timeliness: ['时效', 'On time'],
  target: ['时限目标', 'Target'],
  measured: ['计时数', 'Measured'],
  onTime: ['按时', 'On time'],
  rate: ['按时率', 'Rate'],
  reply: ['2小时内回复', 'Reply within 2 h'],
  response: ['24小时内响应', 'Response within 24 h'],
  solution: ['72小时内解决', 'Solution within 72 h'],
  followup: ['回访', 'Follow-up'],
  followupDue: ['应回访(有效投诉)', 'Owed (valid complaints)'],
  followupDone: ['已回访', 'Done'],
  followupOnTime: ['按时回访', 'Done on time'],
  followupRate: ['回访率', 'Follow-up rate'],
  section: ['项目', 'Section'],
  item: ['指标', 'Item'],
  value: ['数量', 'Value'],
  sign: ['客服主管签字', 'Customer service supervisor'],
  date: ['日期', 'Date'],
} as const;

const pct = (r: number | null | undefined) => (r === null || r === undefined ? '—' : `${(Math.round(r * 1000) / 10).toFixed(1)}%`);

/** One row per figure: [section, item, value, rate] — the CSV and the page share it. */
function rows(r: ComplaintMonthReport, locale: Locale): Array<[string, string, string, string]> {
  const i = locale === 'en' ? 1 : 0;
  const out: Array<[string, string, string, string]> = [];
  const o = T.overview[i];
  out.push([o, T.total[i], String(r.total), '']);
  out.push([o, T.valid[i], String(r.valid), '']);
  out.push([o, T.invalid[i], String(r.invalid), '']);
  out.push([o, T.undecided[i], String(r.undecided), '']);
  out.push([o, T.stillOpen[i], String(r.stillOpen), '']);
  out.push([o, T.workOrders[i], String(r.workOrders), '']);
  for (const c of r.byCategory)
    out.push([T.byCategory[i], c.label[i], String(c.total), `${T.valid[i]} ${c.valid} · ${T.invalid[i]} ${c.invalid}`]);
  for (const c of r.byChannel) out.push([T.byChannel[i], c.label[i], String(c.total), '']);
  for (const k of ['reply', 'response', 'solution'] as const)
    out.push([T.timeliness[i], T[k][i], `${r[k].onTime}/${r[k].measured}`, pct(r[k].rate)]);
  out.push([T.followup[i], T.followupDue[i], String(r.followup.due), '']);
  out.push([T.followup[i], T.followupDone[i], String(r.followup.done), pct(r.followup.rate)]);
  out.push([T.followup[i], T.followupOnTime[i], String(r.followup.onTime), '']);
  return out;
}

function head(r: ComplaintMonthReport, locale: Locale, tz: number): string[][] {
  const i = locale === 'en' ? 1 : 0;
  return [
    [T.title[i], r.month],
    [T.period[i], `${siteTime(r.from, tz)} – ${siteTime(r.to, tz)}`],
    [T.building[i], r.building ?? T.all[i]],
    [T.generated[i], siteTime(r.generatedAt, tz)],
  ];
}

/** CSV for Excel: UTF-8 with a byte-order mark, CRLF line ends (RFC 4180), quoted by csv-stringify. */
export function monthReportCsv(r: ComplaintMonthReport, locale: Locale, tz: number): string {
  const i = locale === 'en' ? 1 : 0;
  const table = [...head(r, locale, tz), [], [T.section[i], T.item[i], T.value[i], T.rate[i]], ...rows(r, locale)];
  return `\uFEFF${stringify(table, { record_delimiter: 'windows' })}`;
}

/** The printable page (one language per page: the reader's, or ?lang=). */
export function monthReportHtml(r: ComplaintMonthReport, locale: Locale, tz: number): string {
  const i = locale === 'en' ? 1 : 0;
  const table = (title: string, cols: string[], list: string[][]) =>
    `<h2>${esc(title)}</h2><table><thead><tr>${cols.map((c) => `<th>${esc(c)}</th>`).join('')}</tr></thead><tbody>${list
      .map((row) => `<tr>${row.map((c, n) => (n === 0 ? `<th>${esc(c)}</th>` : `<td>${esc(c)}</td>`)).join('')}</tr>`)
      .join('')}</tbody></table>`;
  return `<!doctype html><html lang="${locale}"><head><meta charset="utf-8"><title>${esc(`${T.title[i]} ${r.month}`)}</title>
<style>body{font-family:"Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:2em;color:#111}table{border-collapse:collapse;width:100%;margin-bottom:1.5em}
th,td{border:1px solid #999;padding:4px 8px;text-align:left}h1{font-size:1.4em}h2{font-size:1.1em}.sign{margin-top:3em;display:flex;gap:4em}@media print{body{margin:0}}</style></head><body>
<h1>${esc(`${T.title[i]} · ${r.month}`)}</h1>
<p>${head(r, locale, tz)
    .slice(1)
    .map(([a, b]) => `${esc(a)}: ${esc(b)}`)
    .join(' · ')}</p>
${table(
  T.overview[i],
  [T.item[i], T.value[i]],
  [
    [T.total[i], String(r.total)],
    [T.valid[i], String(r.valid)],
    [T.invalid[i], String(r.invalid)],
    [T.undecided[i], String(r.undecided)],
    [T.stillOpen[i], String(r.stillOpen)],
    [T.workOrders[i], String(r.workOrders)],
  ],
)}
${table(
  T.byCategory[i],
  [T.category[i], T.total[i], T.valid[i], T.invalid[i]],
  r.byCategory.map((c) => [c.label[i], String(c.total), String(c.valid), String(c.invalid)]),
)}
${table(
  T.byChannel[i],
  [T.channel[i], T.total[i]],
  r.byChannel.map((c) => [c.label[i], String(c.total)]),
)}
${table(
  T.timeliness[i],
  [T.target[i], `${T.onTime[i]}/${T.measured[i]}`, T.rate[i]],
  (['reply', 'response', 'solution'] as const).map((k) => [T[k][i], `${r[k].onTime}/${r[k].measured}`, pct(r[k].rate)]),
)}
${table(
  T.followup[i],
  [T.item[i], T.value[i], T.followupRate[i]],
  [
    [T.followupDue[i], String(r.followup.due), ''],
    [T.followupDone[i], String(r.followup.done), pct(r.followup.rate)],
    [T.followupOnTime[i], String(r.followup.onTime), ''],
  ],
)}
<div class="sign"><span>${esc(T.sign[i])}: ________________</span><span>${esc(T.date[i])}: ____________</span></div>
</body></html>`;
}
