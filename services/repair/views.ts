// The details panel of a work order (IncidentView.facts).
import type { Fact } from '../../contracts/messages.js';
import type { IncidentSnapshot } from '../core/procedure/index.js';
import type { RepairData } from './machine.js';

const K = 'repair';

export function repairFacts(s: IncidentSnapshot, d: RepairData): Fact[] {
  const out: Fact[] = [];
  const fact = (key: string, value: Fact['value']) => out.push({ key, label: { key: `${K}.fact.${key}` }, value });
  if (!d || !d.category) return out;
  fact('category', { key: `${K}.value.${d.category}` });
  fact('area', { key: `${K}.value.${d.area}` });
  if (d.unit) fact('unit', { text: d.unit });
  if (s.deviceId) fact('device', { key: `${K}.fact.device_value`, params: { device: s.deviceId } });
  if (d.location) fact('location', { text: d.location });
  if (d.description) fact('description', { text: d.description });
  fact('source', { key: `${K}.value.${d.source}` });
  const last = d.dispatches.at(-1);
  if (last) fact('repairer', { key: `${K}.fact.repairer_value`, params: { party: last.party, phone: last.phone, at: { time: last.at } } });
  if (d.overdue.response || d.overdue.completion) {
    const parts = [d.overdue.response ? 'overdue_response' : null, d.overdue.completion ? 'overdue_completion' : null].filter(
      (x): x is string => x !== null,
    );
    fact('overdue', { key: `${K}.fact.${parts[0]}` });
    if (parts[1]) fact('overdue', { key: `${K}.fact.${parts[1]}` });
  }
  if (d.faultIds.length) fact('faults', { text: String(d.faultIds.length) });
  if (d.followupDueAt) fact('followup', { time: d.followupDueAt });
  return out;
}
