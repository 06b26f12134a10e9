// The device-fault procedure as the hub registers it (services/hub/procedures.ts): machine,
// labels, view and the life-safety link guard that opens faults from link states.
import type { ProcedureModule } from '../incidents/module.js';
import { labels } from './labels.js';
import { heartbeatWatcher, type HeartbeatPolicy } from './heartbeat.js';
import { linkWatcher, type SharedLinkGuards } from './link-watcher.js';
import type { RuleEvaluator } from './rule-watcher.js';
import { deviceFaultProcedure, type FaultTypes, type LinkPolicy } from './machine.js';
import { faultFacts } from './views.js';

export function deviceFaultModule(
  opts: { linkPolicy?: LinkPolicy; heartbeat?: HeartbeatPolicy; rules?: RuleEvaluator; linkGuards?: SharedLinkGuards } = {},
): ProcedureModule<FaultTypes> {
  return {
    definition: deviceFaultProcedure,
    labels,
    facts: faultFacts,
    // a device in maintenance mode raises no faults (PROCEDURES.md "Device health"); a person's
    // report still opens one
    suppressOpen: (deps, t) =>
      (t.source === 'device' || t.source === 'link' || t.source === 'rule') && deps.registry.maintenanceOf(t.deviceId, deps.now()) !== null,
    watchers: (api) => [
      linkWatcher(api, opts.linkPolicy, opts.linkGuards),
      ...(opts.heartbeat
        ? [heartbeatWatcher(api, opts.heartbeat, (id) => api.deps.registry.maintenanceOf(id, api.deps.now()) !== null)]
        : []),
      // telemetry rules (PROCEDURES.md "Device health"): breaches found on the ingest path, faults opened here
      ...(opts.rules ? [opts.rules.watcher(api)] : []),
    ],
  };
}
