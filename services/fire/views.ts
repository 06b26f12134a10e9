// The details panel of a fire incident (IncidentView.facts): zones, outcome, place, 119 call.
import type { Fact } from '../../contracts/messages.js';
import type { IncidentSnapshot } from '../core/procedure/index.js';
import type { FireData } from './machine.js';

const K = 'fire_alarm';

export function fireFacts(_s: IncidentSnapshot, d: FireData): Fact[] {
  const out: Fact[] = [];
  const fact = (key: string, value: Fact['value']) => out.push({ key, label: { key: `${K}.fact.${key}` }, value });
  if (d.zones.length)
    fact('zones', {
      key: 'engine.list',
      params: {
        items: d.zones.map((z) => ({
          key: `${K}.fact.zone`,
          params: { zone: z.zone, floor: z.floor, detector: { key: `detector.${z.detector}` }, at: { time: z.at } },
        })),
      },
    });
  if (d.outcome) fact('outcome', { key: `${K}.value.${d.outcome}` });
  if (d.location) fact('location', { text: d.location });
  if (d.address) fact('address', { text: d.address });
  if (d.call119)
    fact('call_119', {
      key: `${K}.fact.call_119_value`,
      params: { calledAt: { time: d.call119.calledAt }, reference: d.call119.reference },
    });
  return out;
}
