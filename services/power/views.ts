// The details panel of an outage (IncidentView.facts): feeder, scope, standby source, planned window.
import type { Fact } from '../../contracts/messages.js';
import type { IncidentSnapshot } from '../core/procedure/index.js';
import type { PowerData } from './machine.js';

const K = 'power_outage';

export function powerFacts(_s: IncidentSnapshot, d: PowerData): Fact[] {
  const out: Fact[] = [];
  const fact = (key: string, value: Fact['value']) => out.push({ key, label: { key: `${K}.fact.${key}` }, value });
  if (d.feeder) fact('feeder', { text: d.feeder });
  if (d.scope) fact('scope', { text: [...d.scope.buildingIds, ...d.scope.floors.map((f) => `${f}F`)].join(', ') });
  if (d.standby) fact('standby', { key: `${K}.value.${d.standby.source}` });
  if (d.planned)
    fact('planned', {
      key: `${K}.fact.planned_value`,
      params: { startsAt: { time: d.planned.startsAt }, endsAt: { time: d.planned.endsAt } },
    });
  return out;
}
