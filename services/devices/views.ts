// The details panel of a device fault (IncidentView.facts): what was reported and the cause.
import type { Fact } from '../../contracts/messages.js';
import type { IncidentSnapshot } from '../core/procedure/index.js';
import type { FaultData } from './machine.js';

const K = 'device_fault';

export function faultFacts(_s: IncidentSnapshot, d: FaultData): Fact[] {
  const out: Fact[] = [];
  if (d.description) out.push({ key: 'description', label: { key: `${K}.fact.description` }, value: { text: d.description } });
  out.push({ key: 'cause', label: { key: `${K}.fact.cause` }, value: { key: `${K}.value.${d.cause}` } });
  return out;
}
