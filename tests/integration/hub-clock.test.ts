// One clock: a hub judges sessions, maintenance windows and out-of-service times by its own
// clock (HubStartOptions.now — the tests' fake clock; in production the real one). Here the
// hub's clock stands 18 months behind the real one. Before, the live connection ended the
// moment it opened (its expiry timer counted from the real clock) and a running maintenance
// window was shown as over — a hub whose clock was off said one thing and did another.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeviceView } from '../../contracts/api.js';
import { api, provision, seedPlace, socket, startTestHub, type TestHub } from '../helpers/hub.js';

const clock = Date.parse('2025-06-01T02:00:00Z');
let t: TestHub;

beforeAll(async () => {
  t = await startTestHub({ now: () => clock });
  await seedPlace(t);
  await provision(t, 'el-clock', 'elevator');
});
afterAll(async () => {
  await t?.close();
});

describe('the hub on its own clock', () => {
  it('a live connection with a session the hub just issued stays open; sync tells the hub’s time', async () => {
    const s = await socket(t, '/control-room', t.token);
    try {
      const ended: unknown[] = [];
      s.on('session:ended', (e: unknown) => ended.push(e));
      const ack = (await s.timeout(5000).emitWithAck('sync')) as { ok: boolean; at: number };
      expect(ack).toMatchObject({ ok: true, at: clock });
      expect(ended).toEqual([]);
      expect(s.connected).toBe(true);
    } finally {
      s.close();
    }
  });

  it('a maintenance window ending an hour after the hub’s now is shown while it runs; out of service since the hub’s now', async () => {
    const on = await api<DeviceView>(t, 'PUT', '/api/devices/el-clock/maintenance', { reason: '年检', until: clock + 3_600_000 });
    expect(on.status).toBe(200);
    expect(on.body.maintenance).toMatchObject({ reason: '年检', until: clock + 3_600_000 });
    expect((await api<DeviceView>(t, 'GET', '/api/devices/el-clock')).body.maintenance?.reason).toBe('年检');
    await t.hub.registry.setService('el-clock', false, 'entrapment');
    const d = (await api<DeviceView>(t, 'GET', '/api/devices/el-clock')).body;
    expect(d.meta.outOfService).toMatchObject({ reason: 'entrapment', since: clock });
  });
});
