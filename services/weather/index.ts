// The severe-weather procedure as the hub registers it (services/hub/procedures.ts).
import type { ProcedureModule } from '../incidents/module.js';
import { labels } from './labels.js';
import { weatherProcedure, type WeatherTypes } from './machine.js';
import { weatherFacts } from './views.js';

export const weatherModule: ProcedureModule<WeatherTypes> = {
  definition: weatherProcedure,
  labels,
  facts: weatherFacts,
};
