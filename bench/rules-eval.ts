// The telemetry-rule evaluator alone, in-process (`npx tsx bench/rules-eval.ts`): the ingest
// path's cost of N rules (services/devices/rule-watcher.ts onTelemetry) on the same rule set and
// payload as `npm run bench:rules` (bench/run.ts createRules, bench/load.ts telemetryPayload),
// without broker, store or scheduler. Alternates none / N twice; µs per message.
import os from 'node:os';
import { RuleEvaluator } from '../services/devices/rule-watcher.js';
import type { Rule } from '../services/devices/rules.js';
import { createLogger } from '../services/core/logger.js';
const rules: Rule[] = [];
for (let i = 0; i < 100; i++) {
  const metric = ['floor', 'load_kg', 'moving', 'door_open'][i % 4]!;
  const base = {
    id: `r${i}`,
    name: `r${i}`,
    deviceClass: 'elevator' as const,
    deviceId: null,
    metric,
    durationMs: 3_600_000,
    hysteresis: 0,
    severity: 'medium' as const,
    threshold: null,
    low: null,
    high: null,
  };
  rules.push(
    metric === 'floor'
      ? { ...base, comparison: 'gt', threshold: i % 8 === 0 ? 28 : 100 + i }
      : metric === 'load_kg'
        ? { ...base, comparison: 'outside', low: -1 - i, high: 5000 + i }
        : { ...base, comparison: 'gte', threshold: 2 + i },
  );
}
const ev = new RuleEvaluator({ now: Date.now, log: createLogger('silent'), suppressed: () => false });
ev.watcher({ reschedule() {}, deps: {} } as never);
const devs = Array.from({ length: 100 }, (_, i) => ({ deviceId: `d${i}`, site: 's', building: 'b', class: 'elevator' as const }));
const N = 1_000_000;
console.log(
  `${rules.length} rules on the elevator class, ${N.toLocaleString('en-US')} messages from 100 devices; load average ${os
    .loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')}`,
);
for (const withRules of [false, true, false, true]) {
  ev.load(withRules ? rules : []);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i++) {
    // the bench's payload, parsed as the broker hands it over
    const m = { floor: i % 30, load_kg: 60 + (i % 900), moving: i % 2 === 0, door_open: i % 3 === 0 };
    ev.onTelemetry(devs[i % 100]!, m);
  }
  const ns = Number(process.hrtime.bigint() - t0) / N;
  console.log(`${withRules ? 100 : 0} rules: ${(ns / 1000).toFixed(3)} µs per message`);
}
