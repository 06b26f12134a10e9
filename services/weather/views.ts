// The details panel of a severe-weather warning (IncidentView.facts): level, buildings, window, findings.
import type { Fact } from '../../contracts/messages.js';
import type { IncidentSnapshot } from '../core/procedure/index.js';
import type { WeatherData } from './machine.js';

const K = 'severe_weather';

export function weatherFacts(_s: IncidentSnapshot, d: WeatherData): Fact[] {
  const out: Fact[] = [];
  const fact = (key: string, value: Fact['value']) => out.push({ key, label: { key: `${K}.fact.${key}` }, value });
  fact('level', { key: `${K}.value.${d.level}` });
  if (d.buildingIds.length) fact('buildings', { text: d.buildingIds.join(', ') });
  fact('window', { key: `${K}.fact.window_value`, params: { from: { time: d.from }, until: d.until ? { time: d.until } : null } });
  // each finding's own work order is among the warning's linked incidents (children)
  for (const f of d.findings ?? [])
    fact('findings', { key: `${K}.fact.finding`, params: { location: f.location, issue: f.issue, orderRef: f.orderRef } });
  return out;
}
