// The procedures this hub runs (composition root). Each one is a folder — services/<folder>/
// with machine.ts, labels.ts, its IO hooks and views — that exports one ProcedureModule;
// adding a procedure adds its line here (docs/architecture.md "How to add a procedure").
import { deviceFaultModule } from '../devices/index.js';
import { elevatorModule } from '../elevator/index.js';
import { fireModule } from '../fire/index.js';
import { medicalModule } from '../medical/index.js';
import type { HeartbeatPolicy } from '../devices/heartbeat.js';
import type { RuleEvaluator } from '../devices/rule-watcher.js';
import type { SharedLinkGuards } from '../devices/link-watcher.js';
import type { LinkPolicy } from '../devices/machine.js';
import type { ProcedureModule } from '../incidents/module.js';
import { powerModule } from '../power/index.js';
import { repairModule } from '../repair/index.js';
import { complaintModule } from '../complaint/index.js';
import { visitorModule } from '../visitors/index.js';
import { waterModule } from '../water/index.js';
import { weatherModule } from '../weather/index.js';

export interface ProcedureOptions {
  /** offline debounce / flapping thresholds for life-safety devices (device faults) */
  linkPolicy?: LinkPolicy;
  /** heartbeat per device class: silent longer → device fault (absent: not watched) */
  heartbeat?: HeartbeatPolicy;
  /** telemetry rules evaluated on the live stream → device faults (absent: none) */
  rules?: RuleEvaluator;
  /** scale-out: the link guards in Redis (services/devices/link-watcher.ts) */
  linkGuards?: SharedLinkGuards;
}

export function procedureModules(opts: ProcedureOptions = {}): ProcedureModule[] {
  return [
    fireModule as ProcedureModule,
    elevatorModule as ProcedureModule,
    powerModule as ProcedureModule,
    deviceFaultModule(opts) as ProcedureModule,
    visitorModule as ProcedureModule,
    waterModule as ProcedureModule,
    medicalModule as ProcedureModule,
    weatherModule as ProcedureModule,
    repairModule as ProcedureModule,
    complaintModule as ProcedureModule,
  ];
}
