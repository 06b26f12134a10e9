// The accident / medical-emergency procedure as the hub registers it (services/hub/procedures.ts).
import type { ProcedureModule } from '../incidents/module.js';
import { medicalContext } from './context.js';
import { labels } from './labels.js';
import { medicalProcedure, type MedicalTypes } from './machine.js';
import { medicalFacts } from './views.js';

export const medicalModule: ProcedureModule<MedicalTypes> = {
  definition: medicalProcedure,
  labels,
  context: medicalContext,
  facts: medicalFacts,
};
