// The details panel of a device fault (IncidentView.facts): what was reported and the cause.
import type { Fact } from '../../contracts/messages.js';
import type { IncidentSnapshot } from '../core/procedure/index.js';
import type { FaultData } from './machine.js';

const K = 'device_fault';

export function faultFacts(_s: IncidentSnapshot, d: FaultData): Fact[] {
  const out: Fact[] = [];
  if (d.description) out.push({ key: 'description', label: { key: `${K}.fact.description` }, value: { text: d.description } });
  out.push({ key: 'cause', label: { key: `${K}.fact.cause` }, value: { key: `${K}.value.${d.cause}` } });
  if (d.rule) {
    // a telemetry-rule fault (PROCEDURES.md "Device health"): which rule, its limit, the values
    const r = d.rule;
    const metric = { key: `${K}.value.metric_${r.metric}` };
    const limit =
      r.comparison === 'outside'
        ? { key: `${K}.value.limit_outside`, params: { metric, low: String(r.low), high: String(r.high) } }
        : { key: `${K}.value.limit_${r.comparison}`, params: { metric, threshold: String(r.threshold) } };
    out.push({ key: 'rule', label: { key: `${K}.fact.rule` }, value: { text: r.name } });
    out.push({
      key: 'limit',
      label: { key: `${K}.fact.limit` },
      value: { key: `${K}.value.limit_for`, params: { limit, seconds: String(r.durationSeconds), hysteresis: String(r.hysteresis) } },
    });
    out.push({ key: 'rule_severity', label: { key: `${K}.fact.rule_severity` }, value: { key: `${K}.value.severity_${r.severity}` } });
    out.push({ key: 'breach_value', label: { key: `${K}.fact.breach_value` }, value: { text: String(r.value) } });
    if (d.clearedValue != null)
      out.push({ key: 'cleared_value', label: { key: `${K}.fact.cleared_value` }, value: { text: String(d.clearedValue) } });
  }
  return out;
}
