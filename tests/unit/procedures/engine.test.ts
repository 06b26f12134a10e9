import { describe, expect, it } from 'vitest';
import { INCIDENT_KINDS } from '../../../contracts/domain.js';
import {
  TIMELINE_TYPES,
  addWorkingDays,
  changedRows,
  dueTimers,
  isWorkingDay,
  nextDueAt,
  ProcedureRegistry,
  type Ctx,
  type IncidentSnapshot,
  type Input,
} from '../../../services/core/procedure/index.js';
import type { ElevatorTypes } from '../../../services/elevator/machine.js';
import { elevatorModule } from '../../../services/elevator/index.js';
import {
  Sim,
  T0,
  SEC,
  MIN,
  deviceTrigger,
  ev,
  expectErr,
  frontdesk,
  must,
  operator,
  supervisor,
  decide,
  open,
  engine,
  registry,
  dutyText,
} from './helpers.js';

const cst = (y: number, m: number, d: number, h: number, min = 0) => Date.UTC(y, m - 1, d, h - 8, min);
const endOfDayCst = (y: number, m: number, d: number) => Date.UTC(y, m - 1, d, 15, 59, 59, 999);
const entrapment = () => deviceTrigger('lift-a1', 'elevator', ev('elevator.entrapment', { car: 'A1', floor: 7 }));

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object') {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}

describe('working days (seed 001 §五: 回访 ≤ 2 working days)', () => {
  it('counts Monday–Friday in China Standard Time', () => {
    expect(addWorkingDays(cst(2025, 1, 6, 10), 2)).toBe(endOfDayCst(2025, 1, 8)); // Mon → Wed
    expect(addWorkingDays(cst(2025, 1, 9, 16), 2)).toBe(endOfDayCst(2025, 1, 13)); // Thu → Mon
    expect(addWorkingDays(cst(2025, 1, 10, 15), 2)).toBe(endOfDayCst(2025, 1, 14)); // Fri → Tue
    expect(addWorkingDays(cst(2025, 1, 11, 9), 2)).toBe(endOfDayCst(2025, 1, 14)); // Sat → Tue
    expect(addWorkingDays(cst(2025, 1, 12, 22), 2)).toBe(endOfDayCst(2025, 1, 14)); // Sun → Tue
    expect(addWorkingDays(cst(2025, 1, 10, 15), 1)).toBe(endOfDayCst(2025, 1, 13)); // Fri → Mon
  });

  it('uses the local date, not UTC (Monday 07:00 CST is still Sunday in UTC)', () => {
    expect(addWorkingDays(cst(2025, 1, 13, 7), 2)).toBe(endOfDayCst(2025, 1, 15));
    expect(isWorkingDay(cst(2025, 1, 13, 7))).toBe(true);
    expect(isWorkingDay(cst(2025, 1, 12, 23))).toBe(false);
  });

  it('skips listed holidays and counts 调休 make-up days', () => {
    // 2025-01-28..2025-02-04 Spring Festival; Sunday 2025-01-26 is a make-up working day
    const holidays = ['2025-01-28', '2025-01-29', '2025-01-30', '2025-01-31', '2025-02-03', '2025-02-04'];
    expect(addWorkingDays(cst(2025, 1, 27, 10), 2, { holidays })).toBe(endOfDayCst(2025, 2, 6));
    expect(addWorkingDays(cst(2025, 1, 25, 10), 1, { extraWorkdays: ['2025-01-26'] })).toBe(endOfDayCst(2025, 1, 26));
  });

  it('honours another time zone', () => {
    // Friday 23:30 in UTC+0 is Friday → Tuesday end of day UTC
    expect(addWorkingDays(Date.UTC(2025, 0, 10, 23, 30), 2, { tzOffsetMinutes: 0 })).toBe(Date.UTC(2025, 0, 14, 23, 59, 59, 999));
  });
});

describe('engine — purity and generic rules', () => {
  it('never mutates the snapshot it is given; JSON round-trips decide the same', () => {
    const sim = new Sim('elevator_entrapment', entrapment());
    const frozen = deepFreeze(structuredClone(sim.s));
    const input: Input = { type: 'action', action: 'acknowledge', actor: operator, payload: {} };
    const a = must(decide(frozen, input, T0 + 5 * SEC));
    const b = must(decide(JSON.parse(JSON.stringify(frozen)) as IncidentSnapshot, input, T0 + 5 * SEC));
    expect(a).toEqual(b);
    expect(frozen.state).toBe('awaiting_ack');
    expect(JSON.parse(JSON.stringify(a.next))).toEqual(a.next);
  });

  it('validates role, then state, then payload', () => {
    const sim = new Sim('elevator_entrapment', entrapment());
    expectErr(sim.tryAct(frontdesk, 'confirm_release', { headcount: 'x' }), 'HUB_ERR_FORBIDDEN');
    expectErr(sim.tryAct(operator, 'confirm_release', { headcount: 'x' }), 'HUB_ERR_CONFLICT');
    sim.act(operator, 'acknowledge', {});
    expectErr(sim.tryAct(operator, 'confirm_release', { headcount: 'x' }), 'HUB_ERR_BAD_REQUEST');
  });

  it('refuses system inputs for actions that need a person', () => {
    const sim = new Sim('elevator_entrapment', entrapment());
    expectErr(sim.try({ type: 'system', action: 'acknowledge', payload: {} }), 'HUB_ERR_FORBIDDEN');
  });

  it('every accepted input leaves at least one timeline entry with who and when', () => {
    const sim = new Sim('elevator_entrapment', entrapment());
    const inputs: Input[] = [
      { type: 'action', action: 'acknowledge', actor: operator, payload: {} },
      { type: 'device_event', deviceId: 'lift-a1', event: ev('elevator.fault', { code: 'E1' }) },
      { type: 'action', action: 'recontact', actor: operator, payload: {} },
      { type: 'command_result', corr: 'unrelated', ok: true },
      { type: 'repeat_trigger', trigger: entrapment() },
      { type: 'action', action: 'add_note', actor: frontdesk, payload: { text: 'hi' } },
    ];
    for (const input of inputs) {
      sim.now += SEC;
      const r = sim.apply(input);
      expect(r.timeline.length, input.type).toBeGreaterThan(0);
      for (const t of r.timeline) {
        expect(t.at).toBe(sim.now);
        expect(t.actor).toBeTruthy();
        expect(TIMELINE_TYPES).toContain(t.type);
      }
    }
    expect(sim.timeline.find((t) => t.type === 'note')).toMatchObject({ actorType: 'user', actor: 'fd-1', reason: { text: 'hi' } });
    expect(sim.timeline.find((t) => t.type === 'device_event')).toMatchObject({ actorType: 'device', actor: 'lift-a1' });
  });

  it('skip_step: operators skip optional steps; supervisors may waive required ones, never unskippable ones', () => {
    const sim = new Sim('elevator_entrapment', entrapment());
    expectErr(sim.tryAct(operator, 'skip_step', { step: 'nope', reason: 'x' }), 'HUB_ERR_BAD_REQUEST');
    expectErr(sim.tryAct(operator, 'skip_step', { step: 'call_120' }), 'HUB_ERR_BAD_REQUEST');
    sim.act(operator, 'skip_step', { step: 'call_120', reason: '无人受伤' });
    expect(sim.step('call_120')).toMatchObject({ status: 'skipped', notes: '无人受伤', doneBy: 'user:op-1' });
    expectErr(sim.tryAct(operator, 'skip_step', { step: 'call_120', reason: 'again' }), 'HUB_ERR_CONFLICT');
    expectErr(sim.tryAct(operator, 'skip_step', { step: 'dispatch_security', reason: 'x' }), 'HUB_ERR_FORBIDDEN');
    sim.act(supervisor, 'skip_step', { step: 'dispatch_security', reason: '保安全部在火警现场' });
    expect(sim.timelineOf('step_skipped').at(-1)?.data).toEqual({ step: 'dispatch_security', required: true });
    expectErr(sim.tryAct(supervisor, 'skip_step', { step: 'release', reason: 'x' }), 'HUB_ERR_CONFLICT', /cannot be skipped/);
  });

  it('closed incidents refuse everything except notes', () => {
    const sim = new Sim('device_fault', {
      source: 'link',
      siteId: 's',
      buildingId: 'b',
      deviceId: 'p',
      deviceClass: 'fire-panel',
      cause: 'offline',
      since: T0,
    });
    sim.act(operator, 'acknowledge', {});
    sim.apply({ type: 'device_status', deviceId: 'p', state: 'online' });
    sim.act(operator, 'close', { resolution: 'ok' });
    expectErr(sim.tryAct(operator, 'dispatch_maintenance', { party: 'vendor' }), 'HUB_ERR_CONFLICT', /closed/);
    expectErr(sim.try({ type: 'device_status', deviceId: 'p', state: 'lost' }), 'HUB_ERR_CONFLICT');
    expectErr(sim.try({ type: 'command_result', corr: 'c', ok: true }), 'HUB_ERR_CONFLICT');
    expect(sim.act(operator, 'add_note', { text: 'post-mortem done' }).timeline[0]?.type).toBe('note');
  });

  it('a late repeating timer fires once and re-arms in the future (no burst after a restart)', () => {
    const sim = new Sim('elevator_entrapment', entrapment());
    sim.act(operator, 'acknowledge', {});
    sim.now = T0 + 23 * MIN; // hub was down; due at +5 min
    expect(dueTimers(sim.s, sim.now)).toEqual(['recontact']);
    const r = sim.apply({ type: 'timer', key: 'recontact' });
    expect(r.timeline[0]?.data).toMatchObject({ timer: 'recontact', overdueMs: 18 * MIN });
    expect(sim.timer('recontact')?.dueAt).toBe(T0 + 28 * MIN);
    expect(dueTimers(sim.s, sim.now)).toEqual([]);
    expect(nextDueAt(sim.s)).toBe(T0 + 28 * MIN);
  });

  it('changedRows lists only steps and timers that changed', () => {
    const sim = new Sim('elevator_entrapment', entrapment());
    const before = sim.s;
    sim.act(operator, 'acknowledge', {});
    const rows = changedRows(before, sim.s);
    expect(rows.steps.map((s) => s.key)).toEqual(['acknowledge']);
    expect(rows.timers.map((t) => [t.key, t.status])).toEqual([
      ['ack', 'cancelled'],
      ['recontact', 'running'],
    ]);
  });

  it('bad configuration overrides are refused; corr ids stay within 64 characters', () => {
    expectErr(open('elevator_entrapment', entrapment(), T0, { id: 'x', config: { ackMs: -5 } }), 'HUB_ERR_BAD_REQUEST');
    const id = '123e4567-e89b-12d3-a456-426614174000';
    const r = must(
      open(
        'fire_alarm',
        deviceTrigger('p', 'fire-panel', ev('fire.alarm', { zone: 'z', floor: 1, detector: 'heat' }), { elevators: [{ deviceId: 'l1' }] }),
        T0,
        { id },
      ),
    );
    // a panel alarm recalls the cars at open (ASME A17.1 §2.27.3.2); the general alarm sends nothing more
    const s = must(decide(r.next, { type: 'timer', key: 'ack' }, T0 + 15 * SEC));
    expect(s.effects.filter((e) => e.type === 'send_command')).toEqual([]);
    const corrs = r.effects.flatMap((e) => (e.type === 'send_command' ? [e.corr] : []));
    expect(corrs).toHaveLength(1);
    for (const corr of corrs) {
      expect(corr.length).toBeLessThanOrEqual(64);
      expect(corr).toContain(id);
    }
  });
});

describe('i18n — zh-CN and en for everything', () => {
  const catalog = registry.catalog;
  const chinese = (zh: string) => /[\u4e00-\u9fff]/.test(zh.replace(/\{\w+\}/g, ''));

  it('labels every state, step, action and timer of every procedure', () => {
    for (const kind of registry.kinds()) {
      const d = engine.describe(kind);
      const check = (table: string, keys: readonly string[]) => {
        for (const k of keys) {
          const key = catalog.first(`${kind}.${table}.${k}`, `engine.${table}.${k}`);
          expect(key, `${kind} ${table} ${k}`).not.toBeNull();
          const [zh, en] = catalog.labels[key!]!;
          expect(en.length, `${key} en`).toBeGreaterThan(0);
          expect(chinese(zh), `${key} zh is Chinese`).toBe(true);
        }
      };
      check('state', d.states);
      check(
        'step',
        d.steps.map((s) => s.key),
      );
      check('timer', d.timers);
      check(
        'action',
        d.actions.map((a) => a.action),
      );
    }
  });

  it('every label in the catalog has Chinese first and English second', () => {
    for (const [key, [zh, en]] of Object.entries(catalog.labels)) {
      expect(en.length, `${key} en`).toBeGreaterThan(0);
      // templates that are only parameters and punctuation ("{text}", "{from} – {to}") carry no words of their own
      if (!/\p{L}/u.test(zh.replace(/\{\w+\}/g, ''))) continue;
      expect(chinese(zh) || /^[A-Z0-9 /().:·-]+$/.test(zh), `${key} zh: ${zh}`).toBe(true);
    }
    for (const t of TIMELINE_TYPES) expect(catalog.has(`engine.timeline.${t}`), t).toBe(true);
  });

  it('renders timeline entries in both locales with localized parameters', () => {
    const head = catalog.timelineMsg('elevator_entrapment', 'state_changed', { from: 'awaiting_ack', to: 'in_progress' });
    expect(catalog.render(head, 'zh-CN')).toBe('状态变更:待接警 → 救援中');
    expect(catalog.render(head, 'en')).toBe('State: Awaiting acknowledgement → Rescue in progress');
    const title = { key: 'elevator_entrapment.title', params: { device: 'lift-a1', car: 'A1', floor: 7 } };
    const escalated = { key: 'engine.duty.escalated', params: { kind: 'elevator_entrapment', title, reason: 'ack_overdue' } };
    expect(dutyText(escalated, 'zh-CN')).toBe('【电梯困人】电梯困人 · lift-a1 · A1号梯 · 7层 已上报主管:超时未接警');
    expect(dutyText(escalated, 'en')).toBe(
      '[Elevator entrapment] Elevator entrapment · lift-a1 · car A1 · 7F escalated: Not acknowledged in time',
    );
    // a general alarm's cause is a code in the data, words in the duty log
    const general = { key: 'fire_alarm.duty.general_alarm', params: { kind: 'fire_alarm', title: { text: 'F1' }, reason: 'ack_timeout' } };
    expect(dutyText(general, 'zh-CN')).toBe('【火警】F1 启动全面火警:15秒内无人接警');
    expect(dutyText(general, 'en')).toBe('[Fire alarm] F1 general alarm: not acknowledged within 15 s');
  });

  it('optional parts of a title disappear when their parameter is empty', () => {
    expect(catalog.render({ key: 'elevator_entrapment.title', params: { device: 'lift-a1', car: null, floor: null } }, 'zh-CN')).toBe(
      '电梯困人 · lift-a1',
    );
    expect(catalog.render({ key: 'fire_alarm.title', params: { location: '地下车库' } }, 'en')).toBe('Fire alarm · 地下车库');
  });

  it('refusals carry a key and read in Chinese for zh-CN readers', () => {
    const sim = new Sim('elevator_entrapment', entrapment());
    const r = sim.tryAct(frontdesk, 'confirm_release', {});
    // the English text (logs, API clients) names the codes; the reader's message names things
    expectErr(r, 'HUB_ERR_FORBIDDEN', /role frontdesk may not confirm_release/);
    if (r.ok) return;
    expect(r.msg.key).toBe('engine.error.role_forbidden');
    expect(catalog.render(r.msg, 'zh-CN')).toBe('客服前台不能执行「确认解救」');
    sim.act(operator, 'acknowledge', {});
    const bad = sim.tryAct(operator, 'confirm_release', { headcount: 'x' });
    expectErr(bad, 'HUB_ERR_BAD_REQUEST');
    if (bad.ok) return;
    const zh = catalog.render(bad.msg, 'zh-CN');
    expect(zh).toContain('「确认解救」的填写有误');
    // zod's own message, in its zh-CN locale: no English words in the Chinese text
    expect(zh).not.toMatch(/expected|Invalid/i);
  });

  it('every procedure is registered once per incident kind', () => {
    expect(registry.kinds().sort()).toEqual([...INCIDENT_KINDS].sort());
    expect(() => new ProcedureRegistry([elevatorModule, elevatorModule])).toThrow(/twice/);
  });

  it('a transition to a state the machine does not declare is a type error, and refused at run time', () => {
    const typed = (ctx: Ctx<ElevatorTypes>) => {
      // @ts-expect-error 'rescued' is not a state of the elevator procedure
      ctx.to('rescued');
      // @ts-expect-error a timer the procedure does not declare
      ctx.startTimer('coffee_break', 1000);
      // @ts-expect-error a reason without a label
      ctx.to('released', 'because');
    };
    expect(typed).toBeTypeOf('function');
    // a machine that builds a state name at run time is stopped by the engine
    const broken = {
      ...elevatorModule,
      definition: { ...elevatorModule.definition, open: (ctx: Ctx<ElevatorTypes>) => ctx.to(['res', 'cued'].join('') as 'released') },
    };
    const e = new (engine.constructor as typeof import('../../../services/core/procedure/index.js').ProcedureEngine)(
      new ProcedureRegistry([broken]),
    );
    expect(() => e.open('elevator_entrapment', entrapment(), T0, { id: 'x' })).toThrow(/no state rescued/);
  });
});
