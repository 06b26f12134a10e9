// The printable work-order sheet 维修工单 (seed 002 §5.1.1 接单 → 派单 → 维修 → 验收 → 结单):
// one self-contained HTML page, zh-CN first with English, from the WorkOrderSheet data
// (service.ts), with the signature lines the owner / staff sign on paper. Every value from a
// person or a device is escaped with `esc` (services/records/report.ts); the route forbids scripts.
import type { WorkOrderSheet } from '../../contracts/workorders.js';
import { CSS, esc, fmtTime } from '../records/report.js';
import { labels } from './labels.js';

type L = readonly [string, string];
const bil = (l: L | undefined, fallback = '') => (l ? `${esc(l[0])} <span class="en">${esc(l[1])}</span>` : esc(fallback));
const value = (k: string) => bil((labels.values as Record<string, L>)[k], k);

const STATUS: Record<string, L> = { pending: ['待办', 'Pending'], done: ['已完成', 'Done'], skipped: ['已跳过', 'Skipped'] };

export function renderSheetHtml(s: WorkOrderSheet, tz = 480): string {
  const o = s.order;
  const t = (x: number | null) => `<span class="nowrap">${esc(fmtTime(x, tz))}</span>`;
  const late = (x: boolean) => (x ? ` <b>超时 <span class="en">late</span></b>` : '');
  const rows: Array<[string, string, string]> = [
    ['工单号', 'Work order', `#${esc(o.number)}`],
    ['状态', 'State', bil((labels.states as Record<string, L>)[o.state], o.state)],
    ['类别', 'Category', value(o.category)],
    ['区域', 'Area', value(o.area)],
    ['楼栋', 'Building', esc(s.buildingName)],
    ...(o.unit
      ? ([['房号', 'Unit', esc(o.unit) + (o.floor !== null ? ` (${esc(o.floor)}F)` : '')]] as Array<[string, string, string]>)
      : []),
    ['位置', 'Location', esc(o.location || '—')],
    ['报修内容', 'What is wrong', esc(o.description)],
    ['来源', 'Source', value(o.source)],
    ...(o.deviceId ? ([['设备', 'Device', esc(o.deviceId)]] as Array<[string, string, string]>) : []),
    ['登记时间', 'Registered', t(o.openedAt)],
    ['响应时限', 'Respond by', t(o.responseDueAt) + late(o.overdue.response)],
    ['响应时间', 'Responded', t(o.respondedAt)],
    ['完工时限', 'Complete by', t(o.completionDueAt) + late(o.overdue.completion)],
    ['完工时间', 'Completed', t(o.completedAt)],
    ['维修内容', 'Work done', esc(s.workDone || '—')],
    ['回访期限', 'Follow-up due', t(o.followupDueAt)],
  ];
  if (s.owner)
    rows.push([
      '业主联系方式',
      'Owner contact',
      `${esc(s.owner.ownerName)} · ${esc(s.owner.ownerPhone)}${s.owner.altContact ? ` · ${esc(s.owner.altContact)}` : ''}`,
    ]);
  const summary = rows.map(([zh, en, v]) => `<tr><th>${zh} <span class="en">${en}</span></th><td>${v}</td></tr>`).join('');
  const dispatches = s.dispatches
    .map((d) => `<tr><td>${esc(d.party)}</td><td>${esc(d.phone ?? '—')}</td><td>${t(d.at)}</td><td>${esc(d.by ?? '—')}</td></tr>`)
    .join('');
  const steps = s.steps
    .map(
      (x) =>
        `<tr><td>${bil((labels.steps as Record<string, L>)[x.key], x.key)}</td><td>${bil(STATUS[x.status], x.status)}</td>` +
        `<td>${esc(x.doneBy ?? '—')}</td><td>${t(x.doneAt)}</td><td>${esc(x.notes)}</td></tr>`,
    )
    .join('');
  const photos = s.photos.map((p) => `<img class="photo" src="${esc(p.url)}" alt="${esc(p.filename)}">`).join('');
  const acc = o.acceptance;
  const signer = o.area === 'unit' ? ['业主签字', 'Owner signature'] : ['验收人签字', 'Accepted by (staff)'];
  return `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>维修工单 #${esc(o.number)} Work order</title><style>${CSS}</style></head><body>
<h1>维修工单 <span class="en">Repair work order</span> #${esc(o.number)}</h1>
<div class="meta">打印时间 <span class="en">Printed</span> ${t(s.printedAt)}</div>
<h2>工单 <span class="en">Order</span></h2><table class="kv">${summary}</table>
<h2>派单 <span class="en">Dispatch</span></h2><table><tr><th>维修单位/人员 <span class="en">Repairer</span></th><th>电话 <span class="en">Phone</span></th><th>时间 <span class="en">At</span></th><th>派单人 <span class="en">By</span></th></tr>${dispatches || '<tr><td colspan="4">—</td></tr>'}</table>
<h2>步骤 <span class="en">Steps</span></h2><table><tr><th>步骤 <span class="en">Step</span></th><th>状态 <span class="en">Status</span></th><th>经办 <span class="en">By</span></th><th>时间 <span class="en">At</span></th><th>备注 <span class="en">Notes</span></th></tr>${steps}</table>
${photos ? `<h2>照片 <span class="en">Photos</span></h2>${photos}` : ''}
<h2>验收 <span class="en">Acceptance</span></h2>
${acc ? `<p>${value(`signed_${acc.signedBy}`)}:${esc(acc.signerName)} · ${t(acc.at)}</p>` : ''}
<div class="sign"><div>${signer[0]} <span class="en">${signer[1]}</span></div><div>维修人员签字 <span class="en">Repairer signature</span></div><div>日期 <span class="en">Date</span></div></div>
</body></html>`;
}
