// The details panel of a visitor incident (IncidentView.facts). The visitor's name is a
// `visitorName` param: masked like every other personal key for roles without visitor duties.
import type { Fact } from '../../contracts/messages.js';
import type { IncidentSnapshot } from '../core/procedure/index.js';
import type { VisitorData } from './machine.js';

const K = 'visitor_approval';

export function visitorFacts(_s: IncidentSnapshot, d: VisitorData): Fact[] {
  const out: Fact[] = [];
  const fact = (key: string, value: Fact['value']) => out.push({ key, label: { key: `${K}.fact.${key}` }, value });
  if (d.visitorName) fact('visitor', { key: `${K}.fact.visitor_value`, params: { visitorName: d.visitorName } });
  if (d.unit) fact('unit', { text: d.unit });
  if (d.idMasked) fact('idMasked', { text: d.idMasked });
  fact('channel', { key: `${K}.value.${d.channel}` });
  return out;
}
