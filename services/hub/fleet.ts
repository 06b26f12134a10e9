// The demo's simulated devices: the same SDK and simulators as `npm run simulate`, connected
// to this hub's broker over real TCP with their provisioned secrets.
import { startDevices, stopDevices, type StartedDevice } from '../../devices/runtime.js';
import { parseFleet } from '../../devices/fleet.js';
import type { FleetEntry } from './demo.js';
import type { Hub } from './hub.js';

export interface DemoFleet {
  devices: StartedDevice[];
  stop(): Promise<void>;
}

export async function startDemoFleet(hub: Hub, fleet: FleetEntry[], intervalMs = 2000): Promise<DemoFleet> {
  const devices = await startDevices(parseFleet(fleet, 'demo fleet'), {
    url: `mqtt://127.0.0.1:${hub.mqttPort}`,
    intervalMs,
    keepalive: 15,
  });
  return { devices, stop: () => stopDevices(devices) };
}
