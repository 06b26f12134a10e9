// Data lifecycle (issue 15, PROCEDURES.md "Privacy"): visitor personal data erased after
// HUB_VISITOR_DATA_DAYS while visits and incidents stay; audit rows older than
// HUB_AUDIT_RETENTION_DAYS (never under 183 days) deleted; telemetry retention configurable.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IncidentDetail, VisitView } from '../../contracts/incidents.js';
import { topics } from '../../contracts/mqtt.js';
import type { PurgeResultView, RetentionView } from '../../contracts/ops.js';
import { loadConfig } from '../../services/core/config.js';
import { ADMIN_PASSWORD, api, connectDevice, login, provision, seedPlace, startTestHub, waitFor, type TestHub } from '../helpers/hub.js';

const DAY = 86_400_000;
let offset = 0;
let t: TestHub;

beforeAll(async () => {
  t = await startTestHub({ now: () => Date.now() + offset });
  await seedPlace(t);
  await t.hub.db.unit.create({ data: { buildingId: 'bldg-1', number: '1203', floor: 12, ownerName: '陈建国' } });
});
afterAll(async () => {
  await t?.close();
});

const visits = async () => (await api<VisitView[]>(t, 'GET', '/api/visits?state=all')).body;

async function walkIn(name: string, idNumber: string): Promise<IncidentDetail> {
  const r = await api<IncidentDetail>(t, 'POST', '/api/visits', { building: 'bldg-1', unit: '1203', visitorName: name, idNumber });
  expect(r.status).toBe(201);
  return r.body;
}

/** Everything stored about an incident, as text: the name must appear nowhere in it. */
async function incidentText(id: string): Promise<string> {
  const i = await t.hub.db.incident.findUniqueOrThrow({ where: { id }, include: { steps: true, timeline: true } });
  // the duty log names the incident by its title too
  const duty = await t.hub.db.dutyLogEntry.findMany({ where: { incidentId: id } });
  return JSON.stringify({ i, duty }, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v));
}

describe('retention job', () => {
  it('erases visitor personal data after HUB_VISITOR_DATA_DAYS, keeps visits and incidents, trims the audit', async () => {
    // a walk-in, refused (its incident closes), the name also in the desk's notes
    const a = await walkIn('欧阳明', '110101199001011234');
    expect((await api(t, 'POST', `/api/visits/${a.id}/deny`, { channel: 'phone', notes: '业主不认识欧阳明' })).status).toBe(200);
    // an intercom call: the door panel's event carries the name too
    const ic = await provision(t, 'ic-ret', 'intercom');
    const c = await connectDevice(t, ic);
    await c.publishAsync(
      topics.event(ic),
      JSON.stringify({ v: 1, id: 'call-ret-1', ts: Date.now(), type: 'intercom.call', data: { unit: '1203', visitorName: '司马光' } }),
      { qos: 1 },
    );
    await c.endAsync();
    const b = await waitFor(async () => (await visits()).find((v) => v.visitorName === '司马光'), 5000, 'intercom visit');
    expect((await api(t, 'POST', `/api/visits/${b.id}/deny`, { channel: 'phone' })).status).toBe(200);
    // a visit still being handled (incident open): left alone however old
    const open = await walkIn('诸葛亮', '110101198001015678');
    const pre = await api<{ id: string }>(t, 'POST', '/api/preauthorizations', {
      building: 'bldg-1',
      unit: '1203',
      visitorName: '上官婉',
      idNumber: '110101199203034321',
      validFrom: Date.now() - 60_000,
      validTo: Date.now() + 3_600_000,
    });
    expect(pre.status).toBe(201);
    // audit rows of various ages (relative to the moment the job will run)
    const runAt = Date.now() + 181 * DAY;
    await t.hub.db.auditLog.createMany({
      data: [
        { at: new Date(runAt - 400 * DAY), actor: 'user:x', action: 'test.old', target: 'retention-test' },
        { at: new Date(runAt - 200 * DAY), actor: 'user:x', action: 'test.kept', target: 'retention-test' },
      ],
    });
    await t.hub.db.personalDataAccess.create({ data: { at: new Date(runAt - 400 * DAY), userId: 'x', subject: 'unit:1', reason: 'old' } });

    // nothing is old enough yet
    const early = await api<PurgeResultView>(t, 'POST', '/api/ops/retention/run');
    expect(early.status).toBe(200);
    expect(early.body).toMatchObject({ skipped: false, visitsPurged: 0, preAuthorizationsPurged: 0 });

    offset = 181 * DAY; // default HUB_VISITOR_DATA_DAYS is 180
    t.token = (await login(t, 'admin', ADMIN_PASSWORD)).token; // the session expired with the clock
    const r = await api<PurgeResultView>(t, 'POST', '/api/ops/retention/run');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ skipped: false, visitsPurged: 2, preAuthorizationsPurged: 1, personalDataAccessDeleted: 1 });
    expect(r.body.auditDeleted).toBe(1);

    for (const [id, name, idPart] of [
      [a.id, '欧阳明', '1234'],
      [b.id, '司马光', null],
    ] as const) {
      const v = await t.hub.db.visit.findUniqueOrThrow({ where: { id } });
      expect(v).toMatchObject({ visitorName: '', idMasked: '', state: 'denied' }); // the visit itself stays
      const text = await incidentText(id);
      expect(text).not.toContain(name);
      if (idPart) expect(text).not.toContain(`***${idPart}`);
      expect(text).toContain('"kind":"visitor_approval"');
    }
    // the title is a message: its visitorName param blanked, so it renders without the name
    expect((await t.hub.db.incident.findUniqueOrThrow({ where: { id: a.id } })).title).toMatchObject({
      key: 'visitor_approval.title',
      params: { unit: '1203', visitorName: '' },
    });
    expect(await t.hub.db.dutyLogEntry.count({ where: { incidentId: a.id } })).toBeGreaterThan(0);
    const ev = await t.hub.db.deviceEvent.findFirstOrThrow({ where: { deviceId: 'ic-ret', eventId: 'call-ret-1' } });
    expect(ev.data).toMatchObject({ unit: '1203', visitorName: '' });
    expect((await t.hub.db.visit.findUniqueOrThrow({ where: { id: open.id } })).visitorName).toBe('诸葛亮');
    expect(await t.hub.db.preAuthorization.findUniqueOrThrow({ where: { id: pre.body.id } })).toMatchObject({
      visitorName: '',
      idMasked: '',
    });
    const audit = await t.hub.db.auditLog.findMany({ where: { target: 'retention-test' } });
    expect(audit.map((x) => x.action)).toEqual(['test.kept']);
    const admin = await t.hub.db.user.findUniqueOrThrow({ where: { username: 'admin' } });
    const purge = await t.hub.db.auditLog.findFirstOrThrow({ where: { action: 'retention.purge' }, orderBy: { seq: 'desc' } });
    expect(purge.actor).toBe(`user:${admin.id}`);
    expect(purge.data).toMatchObject({ visitsPurged: 2, auditDays: 365, visitorDataDays: 180 });

    // idempotent: a second run finds nothing
    expect((await api<PurgeResultView>(t, 'POST', '/api/ops/retention/run')).body).toMatchObject({ visitsPurged: 0, auditDeleted: 0 });
    const view = await api<RetentionView>(t, 'GET', '/api/ops/retention');
    expect(view.body).toMatchObject({ auditDays: 365, visitorDataDays: 180, telemetry: { backend: 'embedded-pg', retentionDays: 7 } });
    expect(view.body.last?.visitsPurged).toBe(0);
  });

  it('lets one hub at a time run it (another holding the lock → this round skipped)', async () => {
    const holder = new pg.Client({ connectionString: t.db.url });
    await holder.connect();
    try {
      await holder.query('SELECT pg_advisory_lock(1651470195)');
      expect((await api<PurgeResultView>(t, 'POST', '/api/ops/retention/run')).body.skipped).toBe(true);
    } finally {
      await holder.end();
    }
    expect((await api<PurgeResultView>(t, 'POST', '/api/ops/retention/run')).body.skipped).toBe(false);
  });

  it('is for admins only', async () => {
    await t.hub.auth.createUser('sup-ret', 'sup-ret-password', 'supervisor', '主管');
    const { token } = await login(t, 'sup-ret', 'sup-ret-password');
    expect(token).toBeTruthy();
    expect((await api(t, 'POST', '/api/ops/retention/run', undefined, token)).status).toBe(403);
    expect((await api(t, 'GET', '/api/ops/retention', undefined, 'no-such-token')).status).toBe(401);
  });

  it('sweeps embedded telemetry older than TELEMETRY_RETENTION_DAYS at start: whole day partitions dropped', async () => {
    // rows of the former one-row-per-metric table are moved into telemetry.msg (one day partition each) at start
    await t.hub.db.telemetryPoint.createMany({
      data: [
        { deviceId: 'ic-ret', metric: 'm', ts: new Date(Date.now() - 2 * DAY), value: 1 },
        { deviceId: 'ic-ret', metric: 'm', ts: new Date(Date.now() - 3600_000), value: 2 },
      ],
    });
    const pool = new pg.Pool({ connectionString: t.db.url, max: 1 });
    const stored = async () =>
      (
        await pool.query<{ v: number; part: string }>(
          `SELECT (m->>'m')::float8 AS v, tableoid::regclass::text AS part FROM telemetry.msg WHERE device_id = 'ic-ret' ORDER BY ts`,
        )
      ).rows;
    try {
      await t.restart();
      await waitFor(async () => (await stored()).length === 2, 10_000, 'legacy rows moved');
      const oldPartition = (await stored())[0]!.part;
      await t.restart({ TELEMETRY_RETENTION_DAYS: '1' });
      await waitFor(async () => (await stored()).length === 1, 10_000, 'sweep');
      expect((await stored())[0]!.v).toBe(2);
      // the expired day went as a partition, not row by row
      const left = await pool.query(`SELECT to_regclass($1) AS r`, [oldPartition]);
      expect(left.rows[0].r).toBeNull();
    } finally {
      await pool.end();
    }
  });
});

describe('retention settings', () => {
  it('refuse an audit retention under 6 months (PROCEDURES.md "Privacy")', () => {
    expect(() => loadConfig({ HUB_AUDIT_RETENTION_DAYS: '100' })).toThrow(/HUB_AUDIT_RETENTION_DAYS must be at least 183/);
    expect(loadConfig({ HUB_AUDIT_RETENTION_DAYS: '183' }).retention.auditDays).toBe(183);
    expect(loadConfig({}).retention).toEqual({ auditDays: 365, visitorDataDays: 180, intervalMs: 24 * 3600_000 });
    expect(loadConfig({ HUB_VISITOR_DATA_DAYS: '30', TELEMETRY_RETENTION_DAYS: '90' })).toMatchObject({
      retention: { visitorDataDays: 30 },
      telemetry: { retentionMs: 90 * DAY },
    });
  });
});
