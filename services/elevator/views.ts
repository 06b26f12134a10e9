// The details panel of an entrapment (IncidentView.facts): car, floor, passengers, contractor.
import type { Fact } from '../../contracts/messages.js';
import type { IncidentSnapshot } from '../core/procedure/index.js';
import type { ElevatorData } from './machine.js';

const K = 'elevator_entrapment';

export function elevatorFacts(_s: IncidentSnapshot, d: ElevatorData): Fact[] {
  const out: Fact[] = [];
  const fact = (key: string, value: Fact['value']) => out.push({ key, label: { key: `${K}.fact.${key}` }, value });
  if (d.car) fact('car', { text: d.car });
  if (d.floor !== null && d.floor !== undefined) fact('floor', { text: String(d.floor) });
  const count = d.passengers?.count ?? d.reportedPassengers;
  if (count !== null && count !== undefined) {
    const vulnerable = (d.passengers?.vulnerable ?? []).map((v) => ({ key: `${K}.value.${v.category}` }));
    fact('passengers', { key: `${K}.fact.passengers_value`, params: { count, vulnerable: vulnerable.length ? vulnerable : null } });
  }
  const c = d.contractor;
  if (c)
    fact('contractor', {
      key: `${K}.fact.contractor_value`,
      params: {
        company: c.company,
        person: c.person,
        arrivedAt: c.arrivedAt ? { time: c.arrivedAt } : null,
        dueAt: c.arrivedAt ? null : { time: c.dueAt },
      },
    });
  return out;
}
