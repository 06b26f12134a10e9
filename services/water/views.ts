// The details panel of a water incident (IncidentView.facts): wet zones, sump pit, engineering, cars, cause.
import type { Fact } from '../../contracts/messages.js';
import type { IncidentSnapshot } from '../core/procedure/index.js';
import type { WaterData } from './machine.js';

const K = 'water_leak';

export function waterFacts(_s: IncidentSnapshot, d: WaterData): Fact[] {
  const out: Fact[] = [];
  const fact = (key: string, value: Fact['value']) => out.push({ key, label: { key: `${K}.fact.${key}` }, value });
  if (d.zones.length)
    fact('zones', {
      key: 'engine.list',
      params: { items: d.zones.map((z) => ({ key: `${K}.fact.zone`, params: { zone: z.zone, floor: z.floor, at: { time: z.at } } })) },
    });
  if (d.pit)
    fact('pit', {
      key: `${K}.fact.pit_value`,
      params: { name: d.pit.name, levelCm: d.pit.levelCm, pumps: d.pit.pumpsFailed.length ? d.pit.pumpsFailed.join(', ') : null },
    });
  if (d.location) fact('location', { text: d.location });
  if (d.weather) fact('weather', { key: `${K}.value.severe_weather` });
  const e = d.engineering;
  if (e)
    fact('engineering', {
      key: `${K}.fact.engineering_value`,
      params: { person: e.person, arrivedAt: e.arrivedAt ? { time: e.arrivedAt } : null, dueAt: e.arrivedAt ? null : { time: e.dueAt } },
    });
  if (d.recall) fact('cars', { key: `${K}.fact.cars_value`, params: { count: d.recall.cars.length, floor: d.recall.floor } });
  if (d.repair) fact('cause', { text: d.repair.cause });
  return out;
}
