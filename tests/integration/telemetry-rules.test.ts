// Telemetry rules through the real broker and PostgreSQL (PROCEDURES.md "Device health"): an
// admin configures a rule (validated, audited); a device publishing telemetry over MQTT that
// stays outside the limits for the duration opens a device fault with a repair work order; it
// clears only when back inside by the hysteresis margin; maintenance mode suppresses it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import type { IncidentDetail, IncidentView } from '../../contracts/incidents.js';
import type { TelemetryRuleView } from '../../contracts/rules.js';
import { api, connectDevice, login, provision, seedPlace, startTestHub, waitFor, type Provisioned, type TestHub } from '../helpers/hub.js';

let t: TestHub;
const clients: MqttClient[] = [];
beforeAll(async () => {
  t = await startTestHub();
  await seedPlace(t);
});
afterAll(async () => {
  for (const c of clients) c.end(true);
  await t?.close();
});

const faults = async () => (await api<IncidentView[]>(t, 'GET', '/api/incidents?state=all&kind=device_fault')).body;
const detail = async (id: string) => (await api<IncidentDetail>(t, 'GET', `/api/incidents/${id}`)).body;
const rules = async () => (await api<TelemetryRuleView[]>(t, 'GET', '/api/telemetry-rules')).body;

async function device(id: string, cls: Provisioned['class']) {
  const d = await provision(t, id, cls);
  const c = await connectDevice(t, d);
  clients.push(c);
  const topic = `bops/v1/${d.site}/${d.building}/${cls}/${d.id}/telemetry`;
  return {
    d,
    send: (metrics: Record<string, number | boolean>) =>
      new Promise<void>((res, rej) =>
        c.publish(topic, JSON.stringify({ v: 1, ts: Date.now(), metrics }), { qos: 0 }, (e) => (e ? rej(e) : res())),
      ),
  };
}

describe('telemetry rules API', () => {
  it('validates (coded 400s), is admin only, and audits create / change / disable / delete', async () => {
    await provision(t, 'lift-v', 'elevator');
    await t.hub.auth.createUser('op-r', 'op-r-password', 'operator', '值班员');
    const op = (await login(t, 'op-r', 'op-r-password')).token;
    const good = {
      name: '电压越限',
      deviceClass: 'power',
      metric: 'voltage_v',
      comparison: 'outside',
      low: 198,
      high: 242,
      durationSeconds: 10,
    };
    const bad = async (body: unknown) => {
      const r = await api<{ code: string; message: string }>(t, 'POST', '/api/telemetry-rules', body);
      expect(r.status).toBe(400);
      expect(r.body.code).toBe('HUB_ERR_BAD_REQUEST');
      return r.body.message;
    };
    expect(await bad({ ...good, deviceClass: undefined })).toMatch(/either a device class or one device/);
    expect(await bad({ ...good, high: 150 })).toMatch(/high must be above low/);
    expect(await bad({ ...good, metric: 'water_level_cm' })).toMatch(/no metric water_level_cm/);
    expect(await bad({ ...good, deviceClass: undefined, deviceId: 'lift-v' })).toMatch(/no metric voltage_v/);
    expect(await bad({ ...good, deviceClass: undefined, deviceId: 'nope' })).toMatch(/no device nope/);
    expect(await bad({ ...good, comparison: 'between' })).toBeTruthy();
    expect((await api(t, 'POST', '/api/telemetry-rules', good, op)).status).toBe(403);
    expect((await api(t, 'GET', '/api/telemetry-rules', undefined, op)).status).toBe(403);

    const created = await api<TelemetryRuleView>(t, 'POST', '/api/telemetry-rules', good);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      name: '电压越限',
      deviceClass: 'power',
      deviceId: null,
      threshold: null,
      low: 198,
      high: 242,
      enabled: true,
    });
    const id = created.body.id;
    const target = `telemetry_rule:${id}`;
    const p = await api<TelemetryRuleView>(t, 'PATCH', `/api/telemetry-rules/${id}`, { durationSeconds: 20, hysteresis: 2 });
    expect(p.body).toMatchObject({ durationSeconds: 20, hysteresis: 2 });
    expect((await api(t, 'PATCH', `/api/telemetry-rules/${id}`, { hysteresis: 30 })).status).toBe(400);
    expect((await api<TelemetryRuleView>(t, 'PATCH', `/api/telemetry-rules/${id}`, { enabled: false })).body.enabled).toBe(false);
    expect((await api(t, 'DELETE', `/api/telemetry-rules/${id}`)).status).toBe(204);
    expect((await api(t, 'DELETE', `/api/telemetry-rules/${id}`)).status).toBe(404);
    const audit = await t.hub.db.auditLog.findMany({ where: { target }, orderBy: { seq: 'asc' } });
    expect(audit.map((a) => a.action)).toEqual([
      'telemetry_rule.create',
      'telemetry_rule.update',
      'telemetry_rule.disable',
      'telemetry_rule.delete',
    ]);
    expect(audit[1]!.data).toEqual({ before: { durationSeconds: 10, hysteresis: 0 }, after: { durationSeconds: 20, hysteresis: 2 } });
    expect(audit.every((a) => a.actor.startsWith('user:'))).toBe(true);

    const doc = await api<{ paths: Record<string, Record<string, unknown>> }>(t, 'GET', '/api/openapi.json');
    expect(Object.keys(doc.body.paths['/api/telemetry-rules'] ?? {}).sort()).toEqual(['get', 'post']);
    expect(Object.keys(doc.body.paths['/api/telemetry-rules/{id}'] ?? {}).sort()).toEqual(['delete', 'patch']);
  });
});

describe('telemetry rules on the live stream', () => {
  it('a breach that lasts its duration opens a fault with a work order; it clears only inside the hysteresis margin', async () => {
    const rule = (
      await api<TelemetryRuleView>(t, 'POST', '/api/telemetry-rules', {
        name: '配电电压越限',
        deviceClass: 'power',
        metric: 'voltage_v',
        comparison: 'outside',
        low: 198,
        high: 242,
        durationSeconds: 1,
        hysteresis: 3,
        severity: 'high',
      })
    ).body;
    const m = await device('pm-rule', 'power');
    await m.send({ voltage_v: 220 });
    // outside the range, repeatedly (as a meter reports), until the fault opens
    const beat = setInterval(() => void m.send({ voltage_v: 251 }), 100);
    let f: IncidentView;
    try {
      f = await waitFor(async () => (await faults()).find((i) => i.deviceId === 'pm-rule'), 8000, 'rule fault');
    } finally {
      clearInterval(beat);
    }
    expect(f).toMatchObject({ open: true, state: 'open', severity: 48, data: expect.objectContaining({ cause: 'rule' }) });
    // opened only once the breach had lasted the rule's duration
    expect(f.openedAt - (f.data as { since: number }).since).toBeGreaterThanOrEqual(1000);
    const d = await detail(f.id);
    expect(d.facts.find((x) => x.key === 'rule')?.value).toEqual({ text: '配电电压越限' });
    const repair = await waitFor(async () => (await detail(f.id)).children?.length, 5000, 'linked repair order');
    expect(repair).toBe(1);
    // the admin screen sees the device in breach
    const listed = (await rules()).find((r) => r.id === rule.id)!;
    expect(listed.breaches).toEqual([expect.objectContaining({ deviceId: 'pm-rule', phase: 'raised', value: 251 })]);

    // 240 V is inside the range but not by the 3 V margin; 238 V is: only that clears it
    await m.send({ voltage_v: 240 });
    await m.send({ voltage_v: 238 });
    const rec = await waitFor(
      async () => {
        const x = await detail(f.id);
        return x.state === 'recovered' ? x : null;
      },
      5000,
      'recovered',
    );
    expect(rec.facts.find((x) => x.key === 'cleared_value')?.value).toEqual({ text: '238' });
    expect(rec.timeline.some((e) => e.type === 'hint' && e.data.hint === 'close_suggested')).toBe(true);
    expect((await rules()).find((r) => r.id === rule.id)!.breaches).toEqual([]);
    await api(t, 'DELETE', `/api/telemetry-rules/${rule.id}`);
  });

  it('a per-device rule overrides the class rule; a device in maintenance raises no fault', async () => {
    const deep = await device('pit-deep', 'water');
    const shallow = await device('pit-shallow', 'water');
    const mnt = await device('pit-mnt', 'water');
    const cls = (
      await api<TelemetryRuleView>(t, 'POST', '/api/telemetry-rules', {
        name: '集水坑水位高',
        deviceClass: 'water',
        metric: 'water_level_cm',
        comparison: 'gt',
        threshold: 50,
        hysteresis: 5,
      })
    ).body;
    const own = (
      await api<TelemetryRuleView>(t, 'POST', '/api/telemetry-rules', {
        name: '深坑水位高',
        deviceId: 'pit-deep',
        metric: 'water_level_cm',
        comparison: 'gt',
        threshold: 120,
      })
    ).body;
    expect(own).toMatchObject({ deviceClass: null, deviceId: 'pit-deep' });
    expect((await api(t, 'PUT', '/api/devices/pit-mnt/maintenance', { reason: '清淤', until: Date.now() + 600_000 })).status).toBe(200);

    await deep.send({ water_level_cm: 80 }); // above the class's 50 cm, below its own 120 cm
    await mnt.send({ water_level_cm: 90 });
    await shallow.send({ water_level_cm: 60 });
    const f = await waitFor(async () => (await faults()).find((i) => i.deviceId === 'pit-shallow'), 5000, 'class rule fault');
    expect(f.data).toMatchObject({ cause: 'rule' });
    // the maintenance device's breach is known, and held back
    const held = await waitFor(
      async () => (await rules()).find((r) => r.id === cls.id)?.breaches.find((b) => b.deviceId === 'pit-mnt'),
      5000,
      'suppressed breach',
    );
    expect(held.phase).toBe('suppressed');
    // the deep pit's own rule fires at its own limit
    await deep.send({ water_level_cm: 130 });
    const g = await waitFor(async () => (await faults()).find((i) => i.deviceId === 'pit-deep'), 5000, 'own rule fault');
    expect((await detail(g.id)).facts.find((x) => x.key === 'rule')?.value).toEqual({ text: '深坑水位高' });
    const all = await faults();
    expect(all.filter((i) => i.deviceId === 'pit-deep')).toHaveLength(1);
    expect(all.filter((i) => i.deviceId === 'pit-mnt')).toHaveLength(0);
    // ends the maintenance: the next breaching sample raises it
    expect((await api(t, 'DELETE', '/api/devices/pit-mnt/maintenance')).status).toBe(200);
    await mnt.send({ water_level_cm: 91 });
    await waitFor(async () => (await faults()).find((i) => i.deviceId === 'pit-mnt'), 5000, 'fault after maintenance');
  });
});
