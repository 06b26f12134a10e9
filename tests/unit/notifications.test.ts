// Pure parts of notifications: chain timing, the per-kind "acknowledged" rule, the rota,
// ack-link tokens, secret encryption, message composition.
import { describe, expect, it } from 'vitest';
import { INCIDENT_KINDS } from '../../contracts/domain.js';
import type { IncidentView } from '../../contracts/incidents.js';
import { NOTIFY_KINDS } from '../../contracts/notifications.js';
import { compose, type DeliveryPayload } from '../../services/notifications/compose.js';
import { NotifyKeys } from '../../services/notifications/keys.js';
import { onCallAt, occurrenceAt, startsBetween, type Shift } from '../../services/notifications/oncall.js';
import { ackAction, DEFAULT_POLICIES, dueAt, isAcknowledged, nextStep } from '../../services/notifications/policy.js';
import { aliyunPercentEncode } from '../../services/notifications/signing.js';

const H = 3600_000;
const DAY = 24 * H;

describe('notification kinds', () => {
  it('every incident kind once, each with a default policy', () => {
    expect(new Set(NOTIFY_KINDS).size).toBe(NOTIFY_KINDS.length);
    for (const k of INCIDENT_KINDS) expect(NOTIFY_KINDS).toContain(k);
    for (const k of NOTIFY_KINDS) expect(DEFAULT_POLICIES[k], k).toBeDefined();
  });
});

describe('escalation chain timing', () => {
  const fire = DEFAULT_POLICIES.fire_alarm;
  it('follows PROCEDURES.md for fire: operators at 0 s, supervisor at 15 s, manager at 60 s, then every 60 s', () => {
    expect(fire.levels.map((l) => l.afterSeconds)).toEqual([0, 15, 60]);
    expect(fire.levels[1]!.targets).toEqual([{ onCall: 'supervisor' }]);
    expect(DEFAULT_POLICIES.elevator_entrapment.levels[1]!.afterSeconds).toBe(30);
    const t0 = 1_000_000;
    const steps = [{ level: 0, round: 0, at: dueAt(fire, t0, 0, 0)! }];
    for (let i = 0; i < 4; i++) steps.push(nextStep(fire, t0, steps.at(-1)!.level, steps.at(-1)!.round)!);
    expect(steps.map((s) => [s.level, s.round, (s.at - t0) / 1000])).toEqual([
      [0, 0, 0],
      [1, 0, 15],
      [2, 0, 60],
      [2, 1, 120],
      [2, 2, 180],
    ]);
  });
  it('ends after the last level when there is no repeat', () => {
    const p = DEFAULT_POLICIES.device_fault;
    expect(nextStep(p, 0, 0, 0)).toMatchObject({ level: 1, round: 0, at: 600_000 });
    expect(nextStep(p, 0, 1, 0)).toBeNull();
  });
  it('has a default for every kind, the new ones included', () => {
    for (const k of ['water_leak', 'medical_emergency', 'severe_weather', 'repair', 'complaint'] as const)
      expect(DEFAULT_POLICIES[k].levels.length).toBeGreaterThan(0);
  });
});

describe('acknowledged rule (from the public view only)', () => {
  const view = (kind: string, steps: Array<[string, 'pending' | 'done' | 'skipped', string?]>, open = true) =>
    ({ kind, open, state: 'x', steps: steps.map(([key, status, by]) => ({ key, status, doneBy: by ?? null })) }) as unknown as IncidentView;
  it('acknowledge step done or skipped; closed counts as acknowledged', () => {
    expect(isAcknowledged(view('fire_alarm', [['acknowledge', 'pending']]))).toBe(false);
    expect(isAcknowledged(view('fire_alarm', [['acknowledge', 'done']]))).toBe(true);
    expect(isAcknowledged(view('power_outage', [['acknowledge', 'skipped']]))).toBe(true);
    expect(isAcknowledged(view('fire_alarm', [['acknowledge', 'pending']], false))).toBe(true);
  });
  it('visitor: the desk contacting the owner; unknown kinds: any step a person completed', () => {
    expect(isAcknowledged(view('visitor_approval', [['contact_owner', 'pending']]))).toBe(false);
    expect(isAcknowledged(view('visitor_approval', [['contact_owner', 'done']]))).toBe(true);
    expect(isAcknowledged(view('repair', [['accept', 'done', 'system']]))).toBe(false);
    expect(isAcknowledged(view('repair', [['accept', 'done', 'user:1']]))).toBe(true);
  });
  it('complaint: registered by a person, answered by the reply to the complainant (2 h, seed 001 §四.4)', () => {
    const registered = view('complaint', [
      ['register', 'done', 'user:1'],
      ['reply', 'pending'],
    ]);
    expect(isAcknowledged(registered)).toBe(false);
    expect(
      isAcknowledged(
        view('complaint', [
          ['register', 'done', 'user:1'],
          ['reply', 'done', 'user:1'],
        ]),
      ),
    ).toBe(true);
    // no acknowledge step: a notification about a complaint carries no ack link
    expect(ackAction('complaint')).toBeNull();
    expect(ackAction('fire_alarm')).toBe('acknowledge');
  });
});

describe('on-call rota', () => {
  const base = Date.UTC(2030, 0, 1);
  const s = (o: Partial<Shift>): Shift => ({
    id: 'a',
    userId: 'u1',
    role: 'supervisor',
    from: base,
    to: base + 12 * H,
    buildings: [],
    repeatEveryDays: null,
    until: null,
    override: false,
    ...o,
  });
  it('a rotation repeats every N days until `until`', () => {
    const r = s({ repeatEveryDays: 2, until: base + 10 * DAY });
    expect(occurrenceAt(r, base + 2 * DAY + H)).toEqual({ from: base + 2 * DAY, to: base + 2 * DAY + 12 * H });
    expect(occurrenceAt(r, base + DAY + H)).toBeNull();
    expect(occurrenceAt(r, base + 10 * DAY + H)).toBeNull();
    expect(startsBetween(r, base, base + 5 * DAY)).toEqual([base + 2 * DAY, base + 4 * DAY]);
  });
  it('an override replaces the regular shift of its role and building; buildings filter', () => {
    const reg = s({ id: 'r', userId: 'u1', repeatEveryDays: 1 });
    const ov = s({ id: 'o', userId: 'u2', from: base + DAY, to: base + DAY + 4 * H, override: true });
    const other = s({ id: 'b', userId: 'u3', buildings: ['b2'], repeatEveryDays: 1 });
    expect(onCallAt([reg, ov, other], base + DAY + H, 'supervisor', 'b1').map((x) => x.shift.userId)).toEqual(['u2']);
    expect(onCallAt([reg, ov, other], base + DAY + 5 * H, 'supervisor', 'b1').map((x) => x.shift.userId)).toEqual(['u1']);
    expect(
      onCallAt([reg, ov, other], base + 2 * DAY + H, 'supervisor', 'b2')
        .map((x) => x.shift.userId)
        .sort(),
    ).toEqual(['u1', 'u3']);
  });
});

describe('keys', () => {
  const k = new NotifyKeys(Buffer.alloc(32, 7));
  it('ack tokens: signed, expiring, tamper-evident', () => {
    const tok = k.signLink('abcdefghijklmnopqrstuvwx', 2_000_000_000_000);
    expect(k.verifyLink(tok, 1_000)).toEqual({ id: 'abcdefghijklmnopqrstuvwx', expiresAt: 2_000_000_000_000 });
    expect(k.verifyLink(tok, 2_000_000_000_001)).toEqual({ error: 'expired' });
    expect(k.verifyLink(tok.replace('abcdefgh', 'abcdefgX'), 1_000)).toEqual({ error: 'invalid' });
    expect(new NotifyKeys(Buffer.alloc(32, 8)).verifyLink(tok, 1_000)).toEqual({ error: 'invalid' });
  });
  it('secrets round-trip through AES-GCM and do not appear in the stored text', () => {
    const enc = k.encrypt({ secret: 'SEC-very-secret' });
    expect(enc).not.toContain('SEC-very-secret');
    expect(k.decrypt(enc)).toEqual({ secret: 'SEC-very-secret' });
    expect(() => k.decrypt(enc.slice(0, -4) + 'AAAA')).toThrow();
  });
});

describe('message composition', () => {
  const p = (n: number, kind: string, severity: number): DeliveryPayload => ({
    incident: { id: `i${n}`, number: n, kind, severity, building: 'b1', buildingName: '1 号楼', title: `t${n}` },
    level: 0,
    round: 0,
    reason: 'opened',
    ackUrl: `https://hub/ack/${n}`,
    mentions: [{ name: '张伟', phone: '139', ackUrl: null }],
    at: n,
  });
  it('a grouped message lists every incident, most severe first, and keeps the contract fields', () => {
    const m = compose('m1', [p(1, 'device_fault', 40), p(2, 'fire_alarm', 100)], 5);
    expect(m.title).toContain('2 起事件');
    expect(m.payload.incident.id).toBe('i2');
    expect(m.payload.items.map((i) => i.incident.id)).toEqual(['i2', 'i1']);
    expect(m.payload.ackUrl).toBe('https://hub/ack/2');
    expect(m.mentions).toEqual([{ name: '张伟', phone: '139' }]);
    expect(m.text).toContain('火警 Fire alarm');
  });
  it('Alibaba Cloud percent-encoding per RFC 3986', () => {
    expect(aliyunPercentEncode("a b*c~d!'()")).toBe('a%20b%2Ac~d%21%27%28%29');
    expect(aliyunPercentEncode('停电')).toBe('%E5%81%9C%E7%94%B5');
  });
});
