// Simulator factory: one simulator per device class, built from a fleet entry.
import type { DevicePort } from '../sdk.js';
import type { Simulator, SimulatorOptions } from './base.js';
import { ElevatorSim, type ElevatorOptions } from './elevator.js';
import { FirePanelSim, type FirePanelOptions } from './fire-panel.js';
import { IntercomSim, type IntercomOptions } from './intercom.js';
import { PowerSim, type PowerOptions } from './power.js';
import { WaterSim, type WaterOptions } from './water.js';

export { Simulator, defaultFloors, type SimulatorOptions, type SimulatorEvents } from './base.js';
export { ElevatorSim, type ElevatorMode, type ElevatorOptions } from './elevator.js';
export { FirePanelSim, zoneIdForFloor, type Detector, type FirePanelOptions, type Zone } from './fire-panel.js';
export { PowerSim, type AtsMode, type PowerOptions } from './power.js';
export { IntercomSim, type Call, type IntercomOptions } from './intercom.js';
export { WaterSim, type WaterOptions, type WaterRole } from './water.js';

export type AnySimulator = ElevatorSim | FirePanelSim | PowerSim | IntercomSim | WaterSim;

export interface SimulatorConfig extends SimulatorOptions {
  elevator?: ElevatorOptions;
  'fire-panel'?: FirePanelOptions;
  power?: PowerOptions;
  intercom?: IntercomOptions;
  water?: WaterOptions;
}

/** Build the simulator for `port`'s device class; class-specific options override the shared ones. */
export function createSimulator(port: DevicePort, config: SimulatorConfig = {}): AnySimulator {
  const shared: SimulatorOptions = {
    ...(config.seed === undefined ? {} : { seed: config.seed }),
    ...(config.traffic === undefined ? {} : { traffic: config.traffic }),
  };
  switch (port.identity.class) {
    case 'elevator':
      return new ElevatorSim(port, { ...shared, ...config.elevator });
    case 'fire-panel':
      return new FirePanelSim(port, { ...shared, ...config['fire-panel'] });
    case 'power':
      return new PowerSim(port, { ...shared, ...config.power });
    case 'intercom':
      return new IntercomSim(port, { ...shared, ...config.intercom });
    case 'water':
      return new WaterSim(port, { ...shared, ...config.water });
  }
}

export function isSimulator(s: unknown): s is Simulator {
  return typeof s === 'object' && s !== null && 'telemetry' in s && 'port' in s;
}
