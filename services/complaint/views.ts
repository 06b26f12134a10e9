// The details panel of a complaint (IncidentView.facts).
import type { Fact } from '../../contracts/messages.js';
import type { IncidentSnapshot } from '../core/procedure/index.js';
import type { ComplaintData } from './machine.js';

const K = 'complaint';

export function complaintFacts(_s: IncidentSnapshot, d: ComplaintData): Fact[] {
  const out: Fact[] = [];
  const fact = (key: string, value: Fact['value']) => out.push({ key, label: { key: `${K}.fact.${key}` }, value });
  if (!d || !d.category) return out;
  fact('category', { key: `${K}.value.${d.category}` });
  fact('channel', { key: `${K}.value.${d.channel}` });
  fact('complainant', { key: `${K}.value.${d.complainantType}` });
  if (d.unit) fact('unit', { text: d.unit });
  if (d.location) fact('location', { text: d.location });
  fact('description', { text: d.description });
  if (d.valid === true) fact('validity', { key: `${K}.fact.valid_yes` });
  if (d.valid === false) fact('validity', { key: `${K}.fact.valid_no`, params: { reason: d.invalidReason } });
  const next = d.replies.at(-1)?.nextReplyAt;
  if (next && d.solvedAt === null) fact('next_reply', { time: next });
  const h = d.handOffs.at(-1);
  if (h)
    fact('handed_to', { key: `${K}.fact.handed_value`, params: { department: { key: `${K}.value.${h.department}` }, party: h.party } });
  if (d.workOrders) fact('work_orders', { text: String(d.workOrders) });
  if (d.solution) fact('solution', { text: d.solution });
  if (d.followupDueAt && !d.followup) fact('followup', { time: d.followupDueAt });
  for (const k of ['reply', 'response', 'solution', 'followup'] as const)
    if (d.overdue[k]) fact('overdue', { key: `${K}.fact.overdue_${k}` });
  return out;
}
