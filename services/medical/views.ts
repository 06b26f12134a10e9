// The details panel of a medical emergency (IncidentView.facts): kind, place, 120 call, statement, outcome.
import type { Fact } from '../../contracts/messages.js';
import type { IncidentSnapshot } from '../core/procedure/index.js';
import type { MedicalData } from './machine.js';

const K = 'medical_emergency';

export function medicalFacts(_s: IncidentSnapshot, d: MedicalData): Fact[] {
  const out: Fact[] = [];
  const fact = (key: string, value: Fact['value']) => out.push({ key, label: { key: `${K}.fact.${key}` }, value });
  fact('category', { key: `${K}.value.${d.category}` });
  if (d.location) fact('location', { text: d.location });
  if (d.people !== null) fact('people', { text: String(d.people) });
  if (d.linkedFrom) fact('linked', { key: `${d.linkedFrom.kind}.kind` });
  if (d.call120)
    fact('call_120', {
      key: `${K}.fact.call_120_value`,
      params: { calledAt: { time: d.call120.calledAt }, reference: d.call120.reference },
    });
  if (d.statement) fact('statement', { text: d.statement.text });
  if (d.handover) fact('outcome', { key: `${K}.value.${d.handover.outcome}` });
  return out;
}
