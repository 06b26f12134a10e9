// The repair work-order procedure as the hub registers it (services/hub/procedures.ts):
// machine, labels, the unit lookup at open, the details panel, and the reporter's name as
// personal data (seed 002 §4.1.3: masked for roles without desk duties, unmasked reads logged).
import type { ProcedureModule } from '../incidents/module.js';
import { repairContext } from './context.js';
import { labels } from './labels.js';
import { repairProcedure, type RepairTypes } from './machine.js';
import { repairFacts } from './views.js';

export const repairModule: ProcedureModule<RepairTypes> = {
  definition: repairProcedure,
  labels,
  context: repairContext,
  facts: repairFacts,
  personal: { keys: ['reporterName'], subject: (id) => `repair:${id}` },
};
