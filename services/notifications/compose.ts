// Message text (pure): zh-CN first, English second, as everywhere in the hub. One message may
// carry several deliveries (a storm grouped for one person), most severe first.
import type { WebhookPayload } from '../../contracts/notifications.js';
import type { OutMessage } from './channels.js';

export interface DeliveryPayload {
  incident?: { id: string; number: number; kind: string; severity: number; building: string; buildingName: string; title: string };
  level: number;
  round: number;
  reason: string;
  /** this recipient's own ack link (person deliveries) */
  ackUrl: string | null;
  /** for group channels: the level's people, each with their own link */
  mentions: Array<{ name: string; phone: string | null; ackUrl: string | null }>;
  /** free text (resident notices, on-call starts, summaries) */
  text?: string;
  at: number;
}

export const KIND_TEXT: Record<string, readonly [string, string]> = {
  fire_alarm: ['火警', 'Fire alarm'],
  elevator_entrapment: ['电梯困人', 'Elevator entrapment'],
  power_outage: ['停电', 'Power outage'],
  device_fault: ['设备故障', 'Device fault'],
  visitor_approval: ['访客', 'Visitor'],
  water_leak: ['漏水', 'Water leak'],
  medical_emergency: ['意外/急救', 'Medical emergency'],
  severe_weather: ['特殊天气', 'Severe weather'],
  repair: ['报修', 'Repair'],
  complaint: ['投诉', 'Complaint'],
};
const kindText = (k: string) => KIND_TEXT[k] ?? [k, k];

function reasonText(p: DeliveryPayload): string {
  if (p.reason === 'opened') return '新事件 new';
  if (p.reason === 'escalated') return `未确认,升级至第 ${p.level} 级 unacknowledged, escalated to level ${p.level}`;
  if (p.reason === 'repeat') return `仍未确认(第 ${p.round} 次重复) still unacknowledged (repeat ${p.round})`;
  if (p.reason === 'summary') return '重复告警汇总 repeats summarised';
  if (p.reason === 'procedure') return '流程升级 procedure escalation';
  return p.reason;
}

function itemLine(p: DeliveryPayload): string {
  if (!p.incident) return p.text ?? '';
  const [zh, en] = kindText(p.incident.kind);
  const extra = p.text ? ` — ${p.text}` : '';
  return `#${p.incident.number} ${zh} ${en} · ${p.incident.buildingName} · ${p.incident.title} · ${reasonText(p)}${extra}`;
}

export function compose(id: string, payloads: DeliveryPayload[], now: number): OutMessage {
  const list = [...payloads].sort((a, b) => (b.incident?.severity ?? 0) - (a.incident?.severity ?? 0) || a.at - b.at);
  const first = list[0]!;
  const incidents = list.filter((p) => p.incident);
  let title: string;
  if (incidents.length > 1) title = `【${incidents.length} 起事件 ${incidents.length} incidents】${itemLine(first).slice(0, 80)}`;
  else if (first.incident) {
    const [zh, en] = kindText(first.incident.kind);
    title = `【${zh} ${en}】#${first.incident.number} ${first.incident.buildingName}`;
  } else title = (first.text ?? '').slice(0, 60);

  const lines: string[] = [];
  const md: string[] = [`### ${title}`];
  for (const p of list) {
    const line = itemLine(p);
    lines.push(line);
    md.push(`- ${line}`);
    if (p.ackUrl) {
      lines.push(`确认 Acknowledge: ${p.ackUrl}`);
      md.push(`  [确认 Acknowledge](${p.ackUrl})`);
    }
    for (const m of p.mentions) {
      if (!m.ackUrl) continue;
      lines.push(`${m.name} 确认 Acknowledge: ${m.ackUrl}`);
      md.push(`  [${m.name} 确认 Acknowledge](${m.ackUrl})`);
    }
  }
  const mentions = new Map<string, { name: string; phone: string | null }>();
  for (const p of list) for (const m of p.mentions) mentions.set(`${m.name}|${m.phone ?? ''}`, { name: m.name, phone: m.phone });
  if (mentions.size) lines.push(`通知 To: ${[...mentions.values()].map((m) => m.name).join('、')}`);

  const items = incidents.map((p) => ({
    incident: {
      id: p.incident!.id,
      number: p.incident!.number,
      kind: p.incident!.kind,
      severity: p.incident!.severity,
      building: p.incident!.building,
      title: p.incident!.title,
    },
    level: p.level,
    reason: p.reason,
    ackUrl: p.ackUrl ?? p.mentions.find((m) => m.ackUrl)?.ackUrl ?? null,
    at: p.at,
  }));
  const text = [title, ...lines].join('\n');
  const head = items[0];
  const payload: WebhookPayload = {
    incident: head?.incident ?? { id: '', number: 0, kind: 'notice', severity: 0, building: '', title },
    level: head?.level ?? first.level,
    reason: head?.reason ?? first.reason,
    ackUrl: head?.ackUrl ?? null,
    at: now,
    items,
    mentions: [...new Map(list.flatMap((p) => p.mentions).map((m) => [`${m.name}|${m.phone ?? ''}`, m])).values()],
    text,
  };
  return { id, title, text, markdown: md.join('\n'), payload, mentions: [...mentions.values()] };
}
