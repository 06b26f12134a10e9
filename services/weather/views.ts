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
  if (d.findings) fact('findings', { text: d.findings.map((f) => `${f.location}: ${f.issue} (${f.orderRef ?? '—'})`).join('; ') });
  return out;
}
