// The demo's simulated devices: the same SDK and simulators as `npm run simulate`, connected
// to this hub's broker over real TCP with their provisioned secrets.
//
// A drill run with `npm run simulate` against the demo (issue 14) connects the same device ids.
// MQTT lets the newer connection take the id over [MQTT-3.1.4-2]; a demo device that simply
// reconnected would take it back a couple of seconds later, and the two would fight for as long
// as the drill runs (the panel tile read 0 zones in alarm during the drill's alarm, recall
// commands went to whichever client held the id). So a demo device whose connection is taken
// over hands the id over: it stops, and starts again only once the other client has gone.
import { startDevices, stopDevices, type StartedDevice } from '../../devices/runtime.js';
import { parseFleet } from '../../devices/fleet.js';
import type { DeviceIdentity } from '../../devices/sdk.js';
import type { FleetEntry } from './demo.js';
import type { Hub } from './hub.js';

export interface DemoFleet {
  /** the demo devices running now (a handed-over device is not among them until it is back) */
  devices: StartedDevice[];
  /** ids handed over to another client and not yet taken back */
  readonly handedOver: ReadonlySet<string>;
  stop(): Promise<void>;
}

export async function startDemoFleet(hub: Hub, fleet: FleetEntry[], intervalMs = 2000): Promise<DemoFleet> {
  const opts = { url: `mqtt://127.0.0.1:${hub.mqttPort}`, intervalMs, keepalive: 15 };
  const identities = new Map(parseFleet(fleet, 'demo fleet').map((d) => [d.id, d]));
  const devices = await startDevices([...identities.values()], opts);
  /** handed-over id → the other client's live connection, once up (its end returns the id) */
  const away = new Map<string, object | null>();
  const owner = {};
  let stopped = false;
  let detach = () => undefined as void;
  const log = hub.log.child({ mod: 'demo-fleet' });
  const result: DemoFleet = {
    devices,
    handedOver: new Set<string>(),
    async stop() {
      stopped = true;
      hub.bus.removeListeners(owner);
      detach();
      await stopDevices(result.devices);
    },
  };
  const handed = result.handedOver as Set<string>;

  hub.bus.on('device.takeover', owner, async ({ device }) => {
    const mine = result.devices.find((d) => d.identity.id === device.deviceId);
    // only when our connection is the one being replaced: while our client is itself
    // (re)connecting, it is the newcomer and the other client's connection is the old one
    if (!mine || !mine.client.connected || stopped) return;
    result.devices = result.devices.filter((d) => d !== mine);
    away.set(device.deviceId, null);
    handed.add(device.deviceId);
    log.info({ deviceId: device.deviceId }, 'demo device handed over to another client with its id (a drill?); back when it disconnects');
    await stopDevices([mine], 'kill');
  });

  // The other client's own connection ending gives the id back. Watched on aedes itself: the
  // closing of our replaced connection ends before the other client is registered, and a
  // device's `offline` status message comes before its connection really ends.
  const aedes = hub.broker.aedes;
  const onReady = (client: { id: string }) => {
    // the newest connection of the id: a third client taking it over holds it now
    if (away.has(client.id)) away.set(client.id, client);
  };
  const onGone = (client: { id: string }) => {
    if (away.get(client.id) !== client || stopped) return;
    away.delete(client.id);
    void comeBack(client.id).catch((err: Error) => {
      // the broker is going away (hub stopping) or refused: the id stays handed over
      log.warn({ deviceId: client.id, err: err.message }, 'demo device could not come back');
    });
  };
  const comeBack = async (id: string) => {
    const [back] = await startDevices([identities.get(id) as DeviceIdentity], opts);
    if (stopped) return stopDevices([back!]);
    handed.delete(id);
    result.devices = [...result.devices, back!];
    log.info({ deviceId: id }, 'demo device back');
  };
  aedes.on('clientReady', onReady);
  aedes.on('clientDisconnect', onGone);
  detach = () => {
    aedes.removeListener('clientReady', onReady);
    aedes.removeListener('clientDisconnect', onGone);
  };
  return result;
}
