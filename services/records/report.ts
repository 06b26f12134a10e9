// The printable special incident report 特别事件报告 (seed 000 §2.1.7.1): one self-contained
// HTML page, zh-CN first with English, from the SpecialReport data (service.ts).
// EVERY value that comes from a device, a visitor or a user is escaped with `esc` — labels
// too, so nothing reaches the page unescaped. The route also sends a CSP that forbids scripts.
import type { SpecialReport } from '../../contracts/records.js';

export function esc(v: unknown): string {
  return String(v ?? '').replace(
    /[&<>"'`]/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' })[c]!,
  );
}

/** "YYYY-MM-DD HH:mm:ss" in the site's time zone */
export function fmtTime(t: number | null | undefined, tzOffsetMinutes = 480): string {
  if (t === null || t === undefined) return '—';
  return new Date(t + tzOffsetMinutes * 60_000).toISOString().slice(0, 19).replace('T', ' ');
}

export function fmtDuration(ms: number | null): string {
  if (ms === null) return '—';
  const s = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const zh = `${h ? `${h}小时` : ''}${m ? `${m}分` : ''}${sec || (!h && !m) ? `${sec}秒` : ''}`;
  const en = [h ? `${h} h` : '', m ? `${m} min` : '', sec || (!h && !m) ? `${sec} s` : ''].filter(Boolean).join(' ');
  return `${zh} / ${en}`;
}

const STATUS: Record<string, [string, string]> = {
  pending: ['待办', 'Pending'],
  done: ['已完成', 'Done'],
  skipped: ['已跳过', 'Skipped'],
  sent: ['已下发', 'Sent'],
  confirmed: ['已确认', 'Confirmed'],
  failed: ['失败', 'Failed'],
  expired: ['超时未确认', 'Expired'],
};
const st = (k: string) => (STATUS[k] ? `${STATUS[k][0]} <span class="en">${STATUS[k][1]}</span>` : esc(k));

/** A step-data / result value for people: times formatted, lists joined, objects as JSON. */
function value(key: string, v: unknown, tz: number): string {
  if (v === null || v === undefined || v === '') return '—';
  if (typeof v === 'number' && /At$/.test(key) && v > 1e11) return esc(fmtTime(v, tz));
  if (typeof v === 'boolean') return v ? '是 yes' : '否 no';
  if (Array.isArray(v))
    return v.length ? v.map((x) => (typeof x === 'object' && x !== null ? esc(JSON.stringify(x)) : esc(x))).join(', ') : '—';
  if (typeof v === 'object') return esc(JSON.stringify(v));
  return esc(v);
}

function kv(data: Record<string, unknown>, tz: number): string {
  const keys = Object.keys(data);
  if (!keys.length) return '';
  return `<dl class="data">${keys.map((k) => `<dt>${esc(k)}</dt><dd>${value(k, data[k], tz)}</dd>`).join('')}</dl>`;
}

const bil = (l: { zh: string; en: string }) => `${esc(l.zh)}<br><span class="en">${esc(l.en)}</span>`;

export const CSS = `
body{font-family:"PingFang SC","Microsoft YaHei","Noto Sans CJK SC",system-ui,sans-serif;margin:24px;color:#111;font-size:13px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:16px;border-bottom:2px solid #333;padding-bottom:2px;margin:22px 0 8px}
.en{color:#555;font-size:.9em}.meta{color:#333}.draft{color:#b00;font-weight:bold;border:2px solid #b00;padding:2px 6px;display:inline-block}
table{border-collapse:collapse;width:100%;margin:4px 0}th,td{border:1px solid #999;padding:4px 6px;text-align:left;vertical-align:top}
th{background:#eee}table.kv th{width:22%}dl.data{margin:4px 0 0;display:grid;grid-template-columns:max-content 1fr;gap:0 8px;font-size:.9em}
dl.data dt{color:#555}dl.data dd{margin:0}.nowrap{white-space:nowrap}.sign{display:flex;gap:48px;margin-top:36px}
.sign div{flex:1;border-top:1px solid #333;padding-top:4px}img.photo{max-width:240px;max-height:240px;border:1px solid #999;display:block;margin:4px 0}
@media print{body{margin:0}a{color:#000;text-decoration:none}h2{break-after:avoid}tr{break-inside:avoid}}
`;

export function renderReportHtml(r: SpecialReport, tz = 480): string {
  const i = r.incident;
  const t = (x: number | null) => `<span class="nowrap">${esc(fmtTime(x, tz))}</span>`;
  const where = [
    i.building.name,
    i.building.id !== i.building.name ? `(${i.building.id})` : '',
    i.building.address,
    i.floor !== null ? `${i.floor}F` : '',
  ]
    .filter(Boolean)
    .join(' ');
  const outcome = typeof i.data.outcome === 'string' ? i.data.outcome : null;

  const summary = [
    ['事件', 'Incident', esc(i.title)],
    ['类别', 'Kind', bil(i.kindLabel)],
    ['状态', 'State', bil(i.stateLabel)],
    ...(outcome ? [['处理结果', 'Outcome', esc(outcome)]] : []),
    ['地点', 'Location', esc(where)],
    ['设备', 'Device', esc(i.deviceId ?? '—')],
    ['立案时间', 'Opened', t(i.openedAt)],
    ['结案时间', 'Closed', t(i.closedAt)],
    ['历时', 'Duration', esc(fmtDuration(i.durationMs))],
    ['严重程度', 'Severity', esc(i.severity)],
    ...(i.parentId ? [['上级事件', 'Linked from', esc(i.parentId)]] : []),
    ...(i.children.length ? [['关联事件', 'Linked incidents', esc(i.children.join(', '))]] : []),
  ]
    .map(([zh, en, v]) => `<tr><th>${zh} <span class="en">${en}</span></th><td>${v}</td></tr>`)
    .join('');

  const steps = r.steps
    .map(
      (s) =>
        `<tr><td>${esc(s.ord)}</td><td>${bil(s.label)}${s.required ? '' : ' <span class="en">(可选 optional)</span>'}</td><td>${st(s.status)}</td>` +
        `<td>${esc(s.doneByName ?? s.doneBy ?? '—')}</td><td>${t(s.doneAt)}</td><td>${esc(s.notes)}${kv(s.data, tz)}</td></tr>`,
    )
    .join('');

  const staff = r.people.staff
    .map((p) => `<tr><td>${esc(p.displayName)} (${esc(p.username)})</td><td>${bil(p.roleLabel)}</td><td>${esc(p.actions)}</td></tr>`)
    .join('');
  const parties = r.people.parties
    .map((p) => `<tr><td>${bil(p.stepLabel)}</td><td>${esc(p.field)}</td><td>${esc(p.value)}</td></tr>`)
    .join('');

  const commands = r.commands
    .map(
      (c) =>
        `<tr><td>${esc(c.deviceId)}</td><td>${esc(c.name)}</td><td><code>${esc(c.corr)}</code></td><td>${t(c.sentAt)}</td><td>${st(c.state)}</td><td>${t(c.resolvedAt)}</td>` +
        `<td>${c.result && typeof c.result === 'object' ? kv(c.result as Record<string, unknown>, tz) : value('result', c.result, tz)}</td></tr>`,
    )
    .join('');
  const confirmations = r.timeline.filter((e) => e.type === 'confirmation' || e.type === 'command_result');

  const timeline = r.timeline
    .map(
      (e) =>
        `<tr><td>${t(e.at)}</td><td>${esc(e.actorName ?? (e.actorType === 'system' ? '系统 system' : `${e.actorType}:${e.actor}`))}</td><td>${esc(e.text.zh)}<br><span class="en">${esc(e.text.en)}</span></td></tr>`,
    )
    .join('');

  const attachments = r.attachments
    .map((a) => {
      const url = esc(a.url);
      const img = a.mime.startsWith('image/') ? `<a href="${url}"><img class="photo" src="${url}" alt="${esc(a.filename)}"></a>` : '';
      return `<li><a href="${url}">${esc(a.filename)}</a> <span class="en">(${esc(a.mime)}, ${esc(Math.ceil(a.size / 1024))} KB, ${esc(a.uploadedByName ?? a.uploadedBy)}, ${esc(fmtTime(a.uploadedAt, tz))})</span>${img}</li>`;
    })
    .join('');

  const none = '<p class="en">无 None</p>';
  return `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(r.title.zh)} ${esc(r.title.en)} #${esc(i.number)}</title><style>${CSS}</style></head>
<body>
<header>
<h1>${esc(r.title.zh)} <span class="en">${esc(r.title.en)}</span></h1>
<p class="meta">编号 <span class="en">No.</span> #${esc(i.number)} · ${bil(i.kindLabel).replace('<br>', ' ')} · ${bil(i.stateLabel).replace('<br>', ' ')}</p>
${r.final ? '' : '<p class="draft">事件尚未结案,本报告为草稿 / Incident still open: draft report</p>'}
</header>
<section><h2>概况 <span class="en">Summary</span></h2><table class="kv">${summary}</table></section>
<section><h2>处置步骤 <span class="en">Steps</span></h2>
<table><thead><tr><th>#</th><th>步骤 <span class="en">Step</span></th><th>状态 <span class="en">Status</span></th><th>执行人 <span class="en">By</span></th><th>时间 <span class="en">When</span></th><th>记录 <span class="en">Notes</span></th></tr></thead><tbody>${steps}</tbody></table></section>
<section><h2>人员 <span class="en">People</span></h2>
<h3>值班人员 <span class="en">Staff</span></h3>${staff ? `<table><thead><tr><th>姓名 <span class="en">Name</span></th><th>岗位 <span class="en">Role</span></th><th>操作数 <span class="en">Actions</span></th></tr></thead><tbody>${staff}</tbody></table>` : none}
<h3>外部人员/单位 <span class="en">Dispatched parties</span></h3>${parties ? `<table><thead><tr><th>步骤 <span class="en">Step</span></th><th>项目 <span class="en">Field</span></th><th>内容 <span class="en">Value</span></th></tr></thead><tbody>${parties}</tbody></table>` : none}
<h3>相关设备 <span class="en">Devices</span></h3>${r.people.devices.length ? `<p>${esc(r.people.devices.join(', '))}</p>` : none}
</section>
<section><h2>指令与确认 <span class="en">Commands and confirmations</span></h2>
${commands ? `<table><thead><tr><th>设备 <span class="en">Device</span></th><th>指令 <span class="en">Command</span></th><th>关联号 <span class="en">Correlation</span></th><th>下发 <span class="en">Sent</span></th><th>结果 <span class="en">State</span></th><th>确认时间 <span class="en">Resolved</span></th><th>回执 <span class="en">Result</span></th></tr></thead><tbody>${commands}</tbody></table>` : none}
${confirmations.length ? `<ul>${confirmations.map((e) => `<li>${t(e.at)} ${esc(e.text.zh)} <span class="en">${esc(e.text.en)}</span></li>`).join('')}</ul>` : ''}
</section>
<section><h2>时间线 <span class="en">Timeline</span></h2>
<table><thead><tr><th>时间 <span class="en">Time</span></th><th>操作者 <span class="en">Actor</span></th><th>内容 <span class="en">Entry</span></th></tr></thead><tbody>${timeline}</tbody></table></section>
<section><h2>附件 <span class="en">Attachments</span></h2>${attachments ? `<ul>${attachments}</ul>` : none}</section>
<footer>
<p class="en">时间均为北京时间(UTC+8)/ Times are China Standard Time (UTC+8). 生成 Generated ${esc(fmtTime(r.generatedAt, tz))} · ${esc(r.generatedBy.displayName)} (${esc(r.generatedBy.username)}) · incident ${esc(i.id)}</p>
<div class="sign"><div>值班员签字 <span class="en">Operator</span></div><div>主管签字 <span class="en">Supervisor</span></div><div>日期 <span class="en">Date</span></div></div>
</footer>
</body></html>
`;
}
