// The water-leak procedure as the hub registers it (services/hub/procedures.ts).
import type { ProcedureModule } from '../incidents/module.js';
import { waterContext } from './context.js';
import { labels } from './labels.js';
import { waterProcedure, type WaterTypes } from './machine.js';
import { waterFacts } from './views.js';

export const waterModule: ProcedureModule<WaterTypes> = {
  definition: waterProcedure,
  labels,
  context: waterContext,
  facts: waterFacts,
};
