// The fire-alarm procedure as the hub registers it (services/hub/procedures.ts).
import type { ProcedureModule } from '../incidents/module.js';
import { fireContext } from './context.js';
import { labels } from './labels.js';
import { fireProcedure, type FireTypes } from './machine.js';
import { fireFacts } from './views.js';

export const fireModule: ProcedureModule<FireTypes> = {
  definition: fireProcedure,
  labels,
  context: fireContext,
  facts: fireFacts,
};
