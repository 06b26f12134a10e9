// The procedure engine's public surface (services/core imports no procedure: they are
// registered in the composition root, services/hub/procedures.ts).
export * from './types.js';
export * from './engine.js';
export * from './registry.js';
export * from './workdays.js';
export * from './payloads.js';
export { ENGINE_LABELS, ENGINE_ERRORS, engineCatalog, type EngineError } from './labels.js';
export * from './snooze.js';
