// The elevator-entrapment procedure as the hub registers it (services/hub/procedures.ts):
// machine + labels + view. It needs no facts at open and runs no watcher.
import type { ProcedureModule } from '../incidents/module.js';
import { labels } from './labels.js';
import { elevatorProcedure, type ElevatorTypes } from './machine.js';
import { elevatorFacts } from './views.js';

export const elevatorModule: ProcedureModule<ElevatorTypes> = {
  definition: elevatorProcedure,
  labels,
  facts: elevatorFacts,
};
