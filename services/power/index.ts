// The power-outage procedure as the hub registers it (services/hub/procedures.ts): machine,
// labels, the facts it loads when it opens, its elevator sweep query and its view.
import type { ProcedureModule } from '../incidents/module.js';
import { elevatorSweep, powerContext } from './context.js';
import { labels } from './labels.js';
import { powerProcedure, type PowerTypes } from './machine.js';
import { powerFacts } from './views.js';

export const powerModule: ProcedureModule<PowerTypes> = {
  definition: powerProcedure,
  labels,
  context: (deps, at) => powerContext(deps, { buildingId: at.buildingId, trigger: at.trigger as never }),
  queries: { elevator_sweep: elevatorSweep },
  facts: powerFacts,
};
