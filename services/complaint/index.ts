// The complaint procedure as the hub registers it (services/hub/procedures.ts): machine, labels,
// the unit lookup at open, the details panel, and the complainant's name and phone as personal
// data (seed 002 §4.1.3: masked for roles without desk duties, unmasked reads logged).
import type { ProcedureModule } from '../incidents/module.js';
import { complaintContext } from './context.js';
import { labels } from './labels.js';
import { complaintProcedure, type ComplaintTypes } from './machine.js';
import { complaintFacts } from './views.js';

export const complaintModule: ProcedureModule<ComplaintTypes> = {
  definition: complaintProcedure,
  labels,
  context: complaintContext,
  facts: complaintFacts,
  personal: { keys: ['complainantName', 'complainantPhone'], subject: (id) => `complaint:${id}` },
};
