// The visitor-approval procedure as the hub registers it (services/hub/procedures.ts):
// machine, labels, the facts it loads at open, the Visit row it keeps in step, its view.
import type { ProcedureModule } from '../incidents/module.js';
import { visitorContext } from './context.js';
import { visitorFacts } from './facts.js';
import { labels } from './labels.js';
import { visitorProcedure, type VisitorTypes } from './machine.js';
import { persistVisit } from './persist.js';

export const visitorModule: ProcedureModule<VisitorTypes> = {
  definition: visitorProcedure,
  labels,
  context: visitorContext,
  persist: persistVisit,
  facts: visitorFacts,
  // seed 002 §3.1.2: a visitor's name is personal data; the Visit row has the incident's id
  personal: { keys: ['visitorName'], subject: (id) => `visit:${id}` },
};
