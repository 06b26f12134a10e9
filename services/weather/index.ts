// The severe-weather procedure as the hub registers it (services/hub/procedures.ts): machine,
// labels, the site's buildings at open (where an inspection finding may be) and the details panel.
import type { ProcedureModule } from '../incidents/module.js';
import { weatherContext } from './context.js';
import { labels } from './labels.js';
import { weatherProcedure, type WeatherTypes } from './machine.js';
import { weatherFacts } from './views.js';

export const weatherModule: ProcedureModule<WeatherTypes> = {
  definition: weatherProcedure,
  labels,
  context: weatherContext,
  facts: weatherFacts,
};
