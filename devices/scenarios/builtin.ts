// Built-in scenarios. Each plays the field side of a procedure in docs PROCEDURES.md and
// waits for the hub to do its part (recall, unlock), narrating every step, so an operator or
// a test can watch the hub react to realistic device traffic. With `--hub URL` (ctx.hub) the
// scenario also plays the control room: it logs in, performs the people's steps of the
// procedure over HTTP and checks the hub's incident state, timers and outcome (exit 4 when
// the hub does not do what the procedure says).
import type { DeviceEvent } from '../../contracts/mqtt.js';
import type { IncidentDetail } from '../hub-client.js';
import type { Typed } from '../runtime.js';
import type { CommandRecord } from '../sdk.js';
import type { AtsMode, Detector } from '../simulators/index.js';
import {
  entrapmentAfterRelease,
  entrapmentBeforeRelease,
  escalations,
  localTime,
  recallCars,
  stepStatus,
  timer,
  timerStatus,
  type EntrapmentPeople,
} from './procedures.js';
import type { ControlRoom } from './control-room.js';
import { registerScenario, ScenarioError, type ScenarioContext, type ScenarioResult, type Watcher } from './registry.js';

function pickOne<T extends { identity: { id: string } }>(list: T[], id: string | undefined, what: string): T {
  if (id) {
    const d = list.find((x) => x.identity.id === id);
    if (!d) throw new ScenarioError(`no ${what} with id ${id} (have: ${list.map((x) => x.identity.id).join(', ') || 'none'})`);
    return d;
  }
  const d = list[0];
  if (!d) throw new ScenarioError(`no ${what} in the fleet`);
  return d;
}

function csv(v: string | undefined): string[] {
  return v
    ? v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : [];
}

// ---------------------------------------------------------------- fire drill 消防演习
registerScenario({
  name: 'fire-drill',
  title: '消防演习 fire drill',
  description:
    'Fire alarm on a panel; every elevator in that building must receive the hub’s recall, travel to the recall floor and confirm. Then silence, reset and return cars to service one by one. With --hub: acknowledge, verify as a false alarm with its cause (or --outcome serious_fire: 119 only after the supervisor approves, evacuation, scene sealed, report with photo), wait for the panel reset, return the cars one by one, check only that building’s cars were recalled and the incident closed.',
  needs: ['fire-panel'],
  options: {
    panel: { type: 'string', description: 'fire-panel device id (default: first panel, or first in --building)' },
    zone: { type: 'string', description: 'zone in alarm (default: the zone of --floor)' },
    floor: { type: 'string', description: 'floor of the alarm', default: '5' },
    detector: { type: 'string', description: 'smoke | heat | manual', default: 'smoke' },
    'ignore-recall': { type: 'string', description: 'comma-separated elevator ids that ignore recall (non-confirming car drill)' },
    timeout: { type: 'string', description: 'how long to wait for every car to confirm', default: '90s' },
    'reset-after': { type: 'string', description: 'pause after the recall before silence + reset', default: '3s' },
    'no-reset': { type: 'boolean', description: 'leave the panel in alarm and cars recalled' },
    outcome: {
      type: 'string',
      description: '--hub: what the on-site check finds: false_alarm | serious_fire (119 with supervisor approval, evacuation, report)',
      default: 'false_alarm',
    },
    cause: {
      type: 'string',
      description: '--hub: false-alarm cause recorded at verification',
      default: '厨房油烟触发烟感 cooking fumes (drill)',
    },
    burning: {
      type: 'string',
      description: '--hub, serious_fire: what is burning, told to 119',
      default: '电气线路 electrical wiring (drill)',
    },
    'verified-by': { type: 'string', description: '--hub: who checked on site', default: '保安 security (drill)' },
  },
  async run(ctx) {
    const building = ctx.str('building');
    const panel = pickOne(ctx.find('fire-panel', building), ctx.str('panel'), 'fire panel');
    const b = panel.identity.building;
    const cars = ctx.find('elevator', b);
    const ignored = new Set(csv(ctx.str('ignore-recall')));
    for (const id of ignored)
      if (!cars.some((c) => c.identity.id === id)) throw new ScenarioError(`--ignore-recall ${id}: no elevator ${id} in building ${b}`);
    for (const c of cars) c.sim.ignoreRecall = ignored.has(c.identity.id);
    const floor = ctx.int('floor', 5);
    const detector = ctx.str('detector', 'smoke') as Detector;
    if (!['smoke', 'heat', 'manual'].includes(detector)) throw new ScenarioError('--detector must be smoke, heat or manual');
    const zone = ctx.str('zone') ?? panel.sim.zoneForFloor(floor).id;
    const timeout = ctx.duration('timeout', 90_000);
    const hub = ctx.hub;
    if (hub && !hub.has('operator'))
      throw new ScenarioError('the control-room steps need an operator (or supervisor) login: --user/--password');
    const verdict = ctx.str('outcome', 'false_alarm');
    if (!['false_alarm', 'serious_fire'].includes(verdict)) throw new ScenarioError('--outcome must be false_alarm or serious_fire');
    if (hub && verdict === 'serious_fire' && !hub.has('supervisor'))
      throw new ScenarioError(
        '--outcome serious_fire needs --supervisor-user: only a supervisor approves 119, declares the fire out and closes',
      );
    ctx.log(
      '1 准备 setup',
      `panel ${panel.identity.id}, building ${b}, cars: ${cars.map((c) => c.identity.id + (ignored.has(c.identity.id) ? ' (ignores recall)' : '')).join(', ') || 'none'}`,
    );

    // Watch before the alarm: the hub may answer faster than we can look.
    const watches = cars.map((c) => ({ car: c, w: ctx.watchCommands(c, 'recall') }));
    // cars of other buildings in the fleet must not be recalled (消防联动 is per building)
    const others = ctx.find('elevator').filter((c) => c.identity.building !== b);
    const stray = others.map((c) => ({ car: c, w: ctx.watchCommands(c, 'recall') }));
    const alarm = await panel.sim.alarm(zone, floor, detector);
    ctx.log('2 火警报警 fire alarm', `zone ${zone}, floor ${floor}, ${detector} detector (event ${alarm.id})`);
    if (cars.length === 0) ctx.log('3 电梯迫降 elevator recall', `no elevators in building ${b}: nothing to recall`);
    else ctx.log('3 等待消防联动 waiting for recall', `hub should recall ${cars.length} car(s) within ${timeout / 1000}s`);

    const deadline = ctx.clock.now() + timeout;
    const recalled = Promise.all(
      watches.map(async ({ car, w }) => {
        const id = car.identity.id;
        for (;;) {
          const rec = await w.next(Math.max(0, deadline - ctx.clock.now()));
          if (!rec) {
            ctx.log(
              '3 电梯迫降 elevator recall',
              `${id}: ${ignored.has(id) ? 'ignored recall as instructed (hub should flag it)' : 'NO recall confirmed before timeout'}`,
            );
            return ignored.has(id);
          }
          if (rec.status === 'no_reply') {
            ctx.log(
              '3 电梯迫降 elevator recall',
              `${id}: recall ${rec.corr} received and ignored (drill) — hub should flag the car after 60 s`,
            );
            return true;
          }
          if (rec.result?.ok) {
            ctx.log(
              '3 电梯迫降 elevator recall',
              `${id}: 已迫降 recalled to floor ${String(rec.result.data.floor)} and confirmed (corr ${rec.corr})`,
            );
            return true;
          }
          ctx.log('3 电梯迫降 elevator recall', `${id}: recall ${rec.corr} refused: ${String(rec.result?.data.reason ?? rec.status)}`);
          // keep waiting: the hub may retry with a fresh command
        }
      }),
    );

    // Control room: the incident, acknowledged inside the 15 s target while the cars come down.
    let inc: IncidentDetail | null = null;
    if (hub) {
      inc = await hub.awaitIncident('fire_alarm', (i) => i.deviceId === panel.identity.id, { building: b });
      if (
        !ctx.check(
          inc !== null,
          'the alarm opened a fire incident',
          inc ? undefined : `no fire_alarm incident for ${panel.identity.id} within 10 s`,
        )
      ) {
        await recalled;
        return { ok: false, summary: 'the hub opened no fire incident' };
      }
      inc = await hub.act(
        inc!,
        'acknowledge',
        { notes: '已接警,派人核实 acknowledged, sending someone to check (drill)' },
        { note: 'alarm acknowledged' },
      );
      ctx.check(
        timerStatus(inc, 'ack') === 'cancelled' && timerStatus(inc, 'verify') === 'running',
        'acknowledged inside 15 s; the 180 s verification window runs',
        hub.timersText(inc),
      );
    }

    const outcome = await recalled;
    for (const { w } of watches) w.stop();
    const confirmed = outcome.filter(Boolean).length;
    let ok = confirmed === cars.length;

    if (hub && inc) {
      // the hub's own record of the recall: every car of this building, and only those
      const hubCars = (await hub.session('operator').devices({ building: b, class: 'elevator' })).map((d) => d.id).sort();
      const seen = await hub.waitFor(inc, 5000, (d) => {
        const rc = recallCars(d);
        return (
          rc.length >= hubCars.length &&
          rc.every((c) => c.status === 'confirmed' || ignored.has(c.deviceId) || !cars.some((x) => x.identity.id === c.deviceId))
        );
      });
      inc = seen ?? (await hub.refresh(inc));
      const targets = [...new Set(inc.commands.filter((c) => c.name === 'recall').map((c) => c.deviceId))].sort();
      ctx.check(
        targets.length > 0 && targets.join(',') === hubCars.join(','),
        `recall sent to every car of building ${b} and only to them`,
        `recalled: ${targets.join(', ') || 'none'}; cars of ${b} in the hub: ${hubCars.join(', ') || 'none'}`,
      );
      const strayHits = stray.filter(({ w }) => w.received.length > 0).map(({ car }) => car.identity.id);
      if (others.length > 0)
        ctx.check(
          strayHits.length === 0,
          'no car of another building was recalled',
          strayHits.length
            ? `recalled by mistake: ${strayHits.join(', ')}`
            : `untouched: ${others.map((c) => `${c.identity.id} (${c.identity.building})`).join(', ')}`,
        );
      const mine = recallCars(inc).filter((c) => cars.some((x) => x.identity.id === c.deviceId));
      ctx.check(
        mine.length === cars.length && mine.every((c) => c.status === 'confirmed' || ignored.has(c.deviceId)),
        'the hub tracked each car’s recall confirmation',
        recallCars(inc)
          .map((c) => `${c.deviceId} ${c.status}`)
          .join(', ') || 'no cars in the recall record',
      );
      if (ignored.size > 0) {
        // PROCEDURES.md §2.5: a car that does not confirm within 60 s is flagged
        const due = timer(inc, 'recall_confirm');
        const wait = due ? Math.max(0, due.dueAt - ctx.clock.now()) + 5000 : 5000;
        ctx.log(
          '3 未确认电梯 silent car(s)',
          `${[...ignored].join(', ')} never answered; the hub should flag ${ignored.size > 1 ? 'them' : 'it'} (recall_confirm ${due ? `due in ${((due.dueAt - ctx.clock.now()) / 1000).toFixed(0)}s` : 'timer missing'})`,
        );
        const silent = (d: IncidentDetail, id: string) =>
          d.timeline.some(
            (e) =>
              e.type === 'flagged' && e.data.deviceId === id && (e.data.code === 'recall_unconfirmed' || e.data.code === 'recall_failed'),
          );
        const flagged = await hub.waitFor(inc, wait, (d) => [...ignored].every((id) => silent(d, id)));
        ctx.check(
          flagged !== null,
          `the hub flagged the non-confirming car(s): ${[...ignored].join(', ')}`,
          flagged ? undefined : `no recall_unconfirmed flag within ${(wait / 1000).toFixed(0)}s`,
        );
        inc = flagged ?? inc;
      }
      if (verdict === 'false_alarm') {
        // on-site check: false alarm, and GB 25201 §5.3 wants its cause
        const cause = ctx.str('cause', '厨房油烟触发烟感 cooking fumes (drill)');
        await hub.expectRefused(
          inc,
          'verify',
          { outcome: 'false_alarm' },
          [400],
          'a false alarm without its cause is refused (GB 25201 §5.3)',
        );
        // after a general alarm (ack or verification missed), only a supervisor stands it down as false
        const stander = inc.state === 'general_alarm' && hub.has('supervisor') ? 'supervisor' : 'operator';
        inc = await hub.act(
          inc,
          'verify',
          { outcome: 'false_alarm', cause, verifiedBy: ctx.str('verified-by', '保安 security (drill)') },
          { as: stander, note: `误报 false alarm, cause: ${cause}` },
        );
        ctx.check(inc.state === 'false_alarm', 'verdict recorded: false alarm, awaiting the panel reset', hub.stateText(inc));
      } else {
        inc = await seriousFire(ctx, hub, inc, { floor, zone });
      }
    }
    for (const { w } of stray) w.stop();

    if (!ctx.flag('no-reset')) {
      await ctx.wait(ctx.duration('reset-after', 3000));
      await panel.sim.silence();
      ctx.log('4 消音 silence', 'sounders silenced at the panel');
      await panel.sim.reset();
      ctx.log('5 复位 reset', 'panel reset, all zones normal');
      if (hub && inc) {
        const reset = await hub.waitFor(inc, 10_000, (d) => stepStatus(d, 'panel_reset') === 'done');
        ctx.check(
          reset !== null,
          'the hub recorded the panel reset (fire.reset)',
          reset ? hub.stateText(reset) : `panel_reset still ${stepStatus(inc, 'panel_reset')}`,
        );
        inc = reset ?? inc;
        // PROCEDURES.md §2.7: back to service one by one, only after the reset
        for (const rc of recallCars(inc)) {
          if (rc.status === 'returned') continue;
          inc = await hub.act(
            inc,
            'return_elevator',
            { deviceId: rc.deviceId, notes: `${rc.deviceId} 恢复运行 (drill)` },
            { note: `${rc.deviceId} back in service` },
          );
          const c = cars.find((x) => x.identity.id === rc.deviceId);
          if (c && c.sim.mode === 'recall') {
            await c.sim.returnToService();
            ctx.log('6 恢复运行 back in service', `${c.identity.id} returned to service`);
          }
        }
        for (const c of cars) {
          if (c.sim.mode !== 'recall') continue;
          await c.sim.returnToService();
          ctx.log('6 恢复运行 back in service', `${c.identity.id} returned to service (not in the hub's recall list)`);
        }
        if (verdict === 'serious_fire') {
          inc = await hub.act(inc, 'close', { notes: '火灾处置完毕,结案 fire handled, closed (drill)' }, { as: 'supervisor' });
        }
        const closed = inc.open ? await hub.waitFor(inc, 5000, (d) => !d.open) : inc;
        inc = closed ?? inc;
        const how =
          verdict === 'false_alarm'
            ? `cause "${String(inc.data.cause ?? '')}"`
            : `119 called: ${JSON.stringify((inc.data.call119 as { reference?: unknown } | undefined)?.reference ?? null)}`;
        ok =
          ctx.check(
            !inc.open && inc.state === 'closed',
            `fire incident #${inc.number} closed${verdict === 'false_alarm' ? ' as a false alarm' : ' after the serious-fire procedure'}`,
            `${hub.stateText(inc)}; ${how}; ${(((inc.closedAt ?? ctx.clock.now()) - inc.openedAt) / 1000).toFixed(1)}s from alarm to close${
              inc.open
                ? `; pending: ${inc.steps
                    .filter((x) => x.required && x.status === 'pending')
                    .map((x) => x.key)
                    .join(', ')}`
                : ''
            }`,
          ) && ok;
      } else {
        for (const c of cars) {
          if (c.sim.mode !== 'recall') continue;
          await c.sim.returnToService();
          ctx.log('6 恢复运行 back in service', `${c.identity.id} returned to service`);
        }
      }
    } else if (hub && inc) {
      ctx.log('note', `--no-reset: incident #${inc.number} left open in ${hub.stateText(inc)}`);
    }
    return { ok, summary: `${confirmed}/${cars.length} car(s) behaved as expected${inc ? `; incident #${inc.number} ${inc.state}` : ''}` };
  },
});

/** A 1×1 PNG: the "scene photo" a serious-fire report must carry. */
const SCENE_PHOTO = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';

/**
 * Serious fire (PROCEDURES.md §2; seed 000 §2.1.2.5 d): general alarm, 119 only after the
 * supervisor approves (call details recorded), interlocks, evacuation by the fire stairs, scene
 * sealed, fire declared out, special report with a photo. Ends in `recovery`.
 */
async function seriousFire(
  ctx: ScenarioContext,
  hub: ControlRoom,
  inc: IncidentDetail,
  o: { floor: number; zone: string },
): Promise<IncidentDetail> {
  const where = `${o.floor}F ${o.zone}`;
  inc = await hub.act(
    inc,
    'verify',
    { outcome: 'serious_fire', location: where, verifiedBy: ctx.str('verified-by', '保安 security (drill)') },
    { note: `严重火情 serious fire at ${where}` },
  );
  // (the timeline entry's `reason` is the general alarm's cause, e.g. serious_fire)
  const esc = escalations(inc).at(-1);
  ctx.check(
    inc.state === 'general_alarm' && esc !== undefined,
    'general alarm sounded and escalated to the supervisor',
    `${hub.stateText(inc)}${esc ? `; escalated: ${String(esc.data.reason)}` : ''}`,
  );
  const call = {
    address: String(inc.data.address ?? inc.building),
    fireLocation: where,
    burning: ctx.str('burning', '电气线路 electrical wiring (drill)'),
  };
  await hub.expectRefused(
    inc,
    'record_119_call',
    call,
    [400, 409],
    '119 is not called before the supervisor approves (seed 000 §2.1.2.5 d)',
  );
  await hub.expectRefused(inc, 'approve_119', {}, [403], 'an operator cannot approve the 119 call');
  inc = await hub.act(
    inc,
    'approve_119',
    { notes: '同意报警 approved (drill)' },
    { as: 'supervisor', note: 'manager approves calling 119' },
  );
  inc = await hub.act(
    inc,
    'record_119_call',
    { ...call, reference: `119-drill-${ctx.clock.now() % 100_000}` },
    { note: `119: ${call.address}, ${call.fireLocation}, burning ${call.burning}` },
  );
  inc = await hub.act(inc, 'confirm_interlocks_auto', {}, { note: 'fire interlocks in AUTO' });
  inc = await hub.act(
    inc,
    'record_evacuation',
    { announcement: true, viaFireStairs: true },
    { note: 'announcement made, evacuation by the fire stairs' },
  );
  inc = await hub.act(
    inc,
    'record_scene_sealed',
    { posts: '各楼梯口及大堂 stair doors and lobby (drill)' },
    { note: 'posts kept, scene sealed' },
  );
  inc = await hub.act(inc, 'declare_fire_out', { notes: '明火已扑灭 fire out (drill)' }, { as: 'supervisor', note: 'fire declared out' });
  const photo = await hub.session('operator').attach(inc.id, { filename: 'scene-drill.png', mime: 'image/png', dataBase64: SCENE_PHOTO });
  ctx.logAs('◆', '上传现场照片 attach a scene photo', `${hub.person(hub.session('operator'))}: ${photo.filename} (${photo.size} B)`);
  inc = await hub.act(
    inc,
    'file_report',
    {
      summary: `${where} 起火,经批准报119,疏散完毕,无人员伤亡 (drill) / fire at ${where}, 119 called with approval, evacuated, nobody hurt`,
      attachmentIds: [photo.id],
    },
    { note: '特别事件报告 special report with photo' },
  );
  return inc;
}

// ---------------------------------------------------------------- entrapment 电梯困人
const CONTRACTOR_OPTIONS = {
  contractor: { type: 'string', description: '--hub: elevator contractor company dispatched', default: '奥的斯维保 Otis service' },
  'contractor-person': { type: 'string', description: '--hub: contractor technician', default: '刘师傅 Liu' },
  security: { type: 'string', description: '--hub: security guard sent to the car', default: '保安 小赵 Zhao' },
} as const;

function people(ctx: ScenarioContext, passengers: number): EntrapmentPeople {
  return {
    passengers,
    company: ctx.str('contractor', '奥的斯维保 Otis service'),
    person: ctx.str('contractor-person', '刘师傅 Liu'),
    security: ctx.str('security', '保安 小赵 Zhao'),
  };
}

registerScenario({
  name: 'entrapment',
  title: '电梯困人 elevator entrapment',
  description:
    'A car stops out of level with passengers inside; optional alarm button; released after a delay (elevator.normal, doors open). With --hub: acknowledge, record passengers, dispatch contractor and security, confirm the release with the headcount, supervisor signs the car fit, report, close; checks the follow-up (回访) is scheduled.',
  needs: ['elevator'],
  options: {
    car: { type: 'string', description: 'elevator device id (default: first, or first in --building)' },
    passengers: { type: 'string', description: 'people trapped', default: '2' },
    'alarm-button': { type: 'boolean', description: 'also press the in-car alarm button' },
    'release-after': { type: 'string', description: 'time until the passengers are released', default: '30s' },
    ...CONTRACTOR_OPTIONS,
  },
  async run(ctx) {
    const car = pickOne(ctx.find('elevator', ctx.str('building')), ctx.str('car'), 'elevator');
    const passengers = ctx.int('passengers', 2);
    const releaseAfter = ctx.duration('release-after', 30_000);
    const hub = ctx.hub;
    if (hub && !hub.has('operator'))
      throw new ScenarioError('the control-room steps need an operator (or supervisor) login: --user/--password');
    if (hub && !hub.has('supervisor'))
      throw new ScenarioError(
        'entrapment with --hub needs --supervisor-user/--supervisor-password: only a supervisor signs the car fit and closes',
      );
    const who = people(ctx, passengers);
    ctx.log('1 准备 setup', `car ${car.identity.id} in building ${car.identity.building}`);
    const recalls = ctx.watchCommands(car, 'recall');
    const e = await car.sim.trap({ passengers });
    ctx.log('2 困人 entrapment', `car ${car.sim.car} stopped near floor ${car.sim.floor}, ${passengers} inside (event ${e.id})`);
    if (ctx.flag('alarm-button')) {
      await car.sim.pressAlarmButton();
      ctx.log('2 警铃 alarm button', 'passenger pressed the in-car alarm button');
    }
    const releaseAt = ctx.clock.now() + releaseAfter;
    let inc: IncidentDetail | null = null;
    if (hub) {
      inc = await hub.awaitIncident('elevator_entrapment', (i) => i.deviceId === car.identity.id, { building: car.identity.building });
      if (
        !ctx.check(
          inc !== null,
          'the car opened an entrapment incident',
          inc ? undefined : `no elevator_entrapment incident for ${car.identity.id} within 10 s`,
        )
      ) {
        recalls.stop();
        return { ok: false, summary: 'the hub opened no entrapment incident' };
      }
      inc = await entrapmentBeforeRelease(ctx, hub, inc!, who);
    }
    const left = hub ? (Math.max(0, releaseAt - ctx.clock.now()) / 1000).toFixed(1) : String(releaseAfter / 1000);
    ctx.log('3 等待救援 awaiting rescue', `release in ${left}s (hub: acknowledge ≤30 s, dispatch contractor, re-contact every 5 min)`);
    await ctx.wait(Math.max(0, releaseAt - ctx.clock.now()));
    if (hub && inc) inc = await hub.act(inc, 'record_contractor_arrival', {}, { note: `${who.person} on site, opening the doors` });
    const rel = await car.sim.release();
    ctx.log('4 放人 released', `doors open at floor ${car.sim.floor} (event ${rel.id}); a person must confirm the release in the hub`);
    recalls.stop();
    if (recalls.received.length > 0)
      ctx.log('note', `${recalls.received.length} recall command(s) arrived during the entrapment and were refused`);
    if (hub && inc) {
      const r = await entrapmentAfterRelease(ctx, hub, inc, car, who, { arrivedBeforeRelease: true });
      return {
        ok: r.closed,
        summary: `entrapment #${r.inc.number} ${r.inc.state}: released after ${releaseAfter / 1000}s, headcount ${passengers}`,
      };
    }
    return { ok: true, summary: `entrapment ${e.id} raised and released after ${releaseAfter / 1000}s` };
  },
});

// ---------------------------------------------------------------- outage 停电
type SweepCar = { deviceId: string; floor?: number; atLevel: boolean; entrapment?: boolean };
const sweepCars = (inc: IncidentDetail): SweepCar[] => (inc.data.sweep as { cars?: SweepCar[] } | null | undefined)?.cars ?? [];
function sweepOf(inc: IncidentDetail, id: string): string {
  const c = sweepCars(inc).find((x) => x.deviceId === id);
  return c ? `floor ${c.floor ?? '?'}, ${c.atLevel ? 'at level' : 'out of level'}${c.entrapment ? ', entrapment' : ''}` : 'not swept';
}

registerScenario({
  name: 'outage',
  title: '停电 power outage',
  description:
    'Mains lost on a feeder; the ATS transfers to the generator (or fails / never reports, for drills); cars stop — one trapped out of level — then return to the lobby one at a time; mains restored. With --hub: acknowledge, scope, emergency lighting, utility and residents; checks the generator-failure escalation within the standby target (--ats none|fail) or the hub’s one-at-a-time lobby return (--ats transfer), and that the trapped car opened an entrapment linked to the outage, which is then run to closure; verify restoration and close.',
  needs: ['power'],
  options: {
    meter: { type: 'string', description: 'power device id (default: first, or first in --building)' },
    ats: { type: 'string', description: 'transfer | fail | none', default: 'transfer' },
    'ats-delay': { type: 'string', description: 'generator start + transfer time', default: '4s' },
    'trap-car': { type: 'string', description: 'elevator id trapped by the outage, or "none" (default: first car in the building)' },
    passengers: { type: 'string', description: 'people in the trapped car', default: '3' },
    'release-after': { type: 'string', description: 'time until the trapped passengers are released', default: '15s' },
    'restore-after': { type: 'string', description: 'time from the loss until mains returns', default: '30s' },
    ...CONTRACTOR_OPTIONS,
  },
  async run(ctx) {
    const meter = pickOne(ctx.find('power', ctx.str('building')), ctx.str('meter'), 'power meter');
    const b = meter.identity.building;
    const cars = ctx.find('elevator', b);
    const ats = ctx.str('ats', 'transfer') as AtsMode;
    if (!['transfer', 'fail', 'none'].includes(ats)) throw new ScenarioError('--ats must be transfer, fail or none');
    const atsDelay = ctx.duration('ats-delay', 4000);
    const trapId = ctx.str('trap-car') ?? cars[0]?.identity.id ?? 'none';
    if (trapId !== 'none' && !cars.some((c) => c.identity.id === trapId))
      throw new ScenarioError(`--trap-car ${trapId}: no elevator ${trapId} in building ${b}`);
    const releaseAfter = ctx.duration('release-after', 15_000);
    const restoreAfter = ctx.duration('restore-after', 30_000);
    const hub = ctx.hub;
    if (hub && !hub.has('operator'))
      throw new ScenarioError('the control-room steps need an operator (or supervisor) login: --user/--password');
    const t0 = ctx.clock.now();
    ctx.log(
      '1 准备 setup',
      `meter ${meter.identity.id} feeder ${meter.sim.feeder}, building ${b}, cars: ${cars.map((c) => c.identity.id).join(', ') || 'none'}`,
    );

    // --hub and standby power: the hub sends the cars to the lobby one at a time (A17.1 §2.27.2)
    const lobbyTrips: Array<{ id: string; receivedAt: number; doneAt: number; ok: boolean }> = [];
    const offs = hub
      ? cars.map((c) =>
          c.client.on('command', (r) => {
            if (r.name !== 'recall') return;
            lobbyTrips.push({ id: c.identity.id, receivedAt: r.receivedAt, doneAt: ctx.clock.now(), ok: Boolean(r.result?.ok) });
            ctx.log(
              '5 逐台归位 car to lobby',
              `${c.identity.id}: hub recall ${r.corr} → ${r.result?.ok ? `at floor ${String(r.result.data.floor)}, doors open` : `not done (${String(r.result?.data.reason ?? r.status)})`}`,
            );
          }),
        )
      : [];
    const standby = [ctx.watchEvents(meter, 'power.ats_transferred'), ctx.watchEvents(meter, 'power.generator_failed')];
    const lost = await meter.sim.loseMains({ ats, atsDelayMs: atsDelay });
    ctx.log('2 市电中断 mains lost', `feeder ${meter.sim.feeder}, floors ${meter.sim.floors.join(',')} (event ${lost.id})`);
    let trapped: Typed<'elevator'> | undefined;
    const passengers = ctx.int('passengers', 3);
    for (const c of cars) {
      if (c.identity.id === trapId) {
        await c.sim.trap({ passengers });
        c.sim.powered = false;
        trapped = c;
        ctx.log(
          '3 电梯困人 car stopped',
          `${c.identity.id} stopped out of level near floor ${c.sim.floor} with ${passengers} inside — hub should open a linked entrapment`,
        );
      } else {
        await c.sim.powerLoss({ trap: false });
        ctx.log('3 电梯停运 car stopped', `${c.identity.id} stopped at floor ${c.sim.floor}`);
      }
    }

    // Control room: acknowledge, scope, the steps people take while the power is off.
    let out: IncidentDetail | null = null;
    let ent: IncidentDetail | null = null;
    const who = people(ctx, passengers);
    if (hub) {
      out = await hub.awaitIncident('power_outage', (i) => i.deviceId === meter.identity.id && i.building === b, { building: b });
      if (
        !ctx.check(
          out !== null,
          'the mains loss opened a power-outage incident',
          out ? undefined : `no power_outage incident for ${meter.identity.id} within 10 s`,
        )
      ) {
        offs.forEach((f) => f());
        standby.forEach((w) => w.stop());
        return { ok: false, summary: 'the hub opened no outage incident' };
      }
      const sweep = sweepCars(out!);
      if (sweep.length)
        ctx.logAs(
          '·',
          `中心 hub #${out!.number}`,
          `电梯巡查 elevator sweep: ${sweep.map((c) => `${c.deviceId} ${sweepOf(out!, c.deviceId)}`).join('; ')}`,
        );
      const target = timer(out!, 'standby_power');
      ctx.check(
        target !== undefined || out!.state === 'planned_in_progress',
        'standby-power timer started',
        target ? `due ${((target.dueAt - out!.openedAt) / 1000).toFixed(1)}s after opening` : hub.stateText(out!),
      );
      if (out!.state === 'planned_in_progress')
        ctx.log('note', 'inside a registered planned outage: a low-severity record, no escalation expected');
      out = await hub.act(out!, 'acknowledge', { notes: '已接警 outage acknowledged (drill)' });
      const scope = out.data.scope as { buildingIds?: string[] } | undefined;
      out = await hub.act(
        out,
        'confirm_scope',
        { buildingIds: scope?.buildingIds ?? [b], floors: meter.sim.floors },
        { note: `buildings ${(scope?.buildingIds ?? [b]).join(', ')}, floors ${meter.sim.floors[0]}–${meter.sim.floors.at(-1)}` },
      );
      out = await hub.act(out, 'confirm_emergency_lighting', { notes: '应急照明已开启 (drill)' }, { note: 'emergency lighting on' });
      out = await hub.act(
        out,
        'record_utility_contact',
        { party: 'utility', reference: `95598-${new Date(t0).toISOString().slice(0, 10).replaceAll('-', '')}-drill` },
        { note: 'utility called, reference recorded' },
      );
      out = await hub.act(
        out,
        'record_resident_notice',
        { channel: 'notice_board', notes: '停电公告已张贴 (drill)' },
        { note: 'notice posted for residents' },
      );
      if (trapped) {
        ent = await hub.awaitIncident('elevator_entrapment', (i) => i.deviceId === trapped!.identity.id && i.open);
        if (
          ctx.check(
            ent !== null,
            `the stuck car ${trapped.identity.id} opened an entrapment`,
            ent ? undefined : 'no open elevator_entrapment incident within 10 s',
          )
        ) {
          ctx.check(
            ent!.parentId === out.id,
            'the entrapment is linked to the outage (parentId = the outage)',
            `entrapment #${ent!.number} parentId ${ent!.parentId ?? 'null'}, outage #${out.number} ${out.id}`,
          );
          out = await hub.refresh(out);
          ctx.check(
            out.children.includes(ent!.id),
            `outage #${out.number} lists the entrapment as its child`,
            `children: ${out.children.join(', ') || 'none'}`,
          );
          ent = await entrapmentBeforeRelease(ctx, hub, ent!, who);
        }
      }
    }

    let first: Awaited<ReturnType<(typeof standby)[number]['next']>> = null;
    if (!(hub && ats === 'none'))
      first = await Promise.race(
        standby.map((w) => w.next(hub ? Math.max(0, lost.ts + atsDelay + 5000 - ctx.clock.now()) : atsDelay + 5000)),
      );
    standby.forEach((w) => w.stop());
    if (first?.type === 'power.ats_transferred') {
      ctx.log('4 备用电源 standby power', `generator started, ATS transferred after ${((first.ts - lost.ts) / 1000).toFixed(1)}s`);
      for (const c of cars) if (c !== trapped) c.sim.powerRestored();
      if (hub && out) {
        const on = await hub.waitFor(out, 5000, (d) => stepStatus(d, 'standby_power') === 'done');
        ctx.check(
          on !== null,
          'the hub recorded standby power in time, no escalation',
          on ? `standby_power done; escalations: ${escalations(on).length}` : `standby_power ${stepStatus(out, 'standby_power')}`,
        );
        out = on ?? out;
        ctx.log('5 逐台归位 lobby return', 'hub sends the cars to the lobby one at a time (A17.1 §2.27.2)');
        const restoreAt = t0 + restoreAfter;
        const back = await hub.waitFor(
          out,
          Math.max(0, restoreAt - 1000 - ctx.clock.now()),
          (d) => stepStatus(d, 'lobby_return') !== 'pending',
        );
        if (back) {
          out = back;
          const overlap = lobbyTrips.some((t, i) => i > 0 && t.receivedAt < lobbyTrips[i - 1]!.doneAt - 50);
          ctx.check(
            !overlap,
            'cars sent to the lobby one at a time',
            lobbyTrips.map((t) => `${t.id} ${t.ok ? 'ok' : 'failed'}`).join(' → ') || `lobby_return ${stepStatus(back, 'lobby_return')}`,
          );
          const away = cars.filter((c) => c !== trapped && c.sim.floor !== c.sim.lobby);
          ctx.check(
            away.length === 0,
            'every car that is not trapped reached the lobby on standby power',
            away.length
              ? away
                  .map((c) => `${c.identity.id} still at floor ${c.sim.floor} (hub swept it as ${sweepOf(back, c.identity.id)})`)
                  .join('; ')
              : `${cars.filter((c) => c !== trapped).length} car(s) at the lobby`,
          );
        } else
          ctx.log(
            'note',
            `lobby return still running when the mains come back (${lobbyTrips.length} car(s) done) — the hub skips the rest`,
          );
      } else {
        // A17.1 §2.27.2: on emergency power, cars return to the lobby one at a time.
        for (const c of cars) {
          if (c === trapped) continue;
          const ok = await c.sim.returnToLobby();
          ctx.log('5 逐台归位 car to lobby', `${c.identity.id} ${ok ? `at lobby floor ${c.sim.lobby}, doors open` : 'could not return'}`);
        }
      }
    } else if (first?.type === 'power.generator_failed') {
      ctx.log('4 备用电源 standby power', 'GENERATOR FAILED — hub should escalate');
    } else if (ats !== 'none' || !hub) {
      ctx.log('4 备用电源 standby power', `no transfer reported (ATS mode ${ats}) — hub should escalate after 10 s`);
    } else {
      ctx.log('4 备用电源 standby power', 'no transfer (ATS mode none) — hub should escalate as generator failure at the standby target');
    }
    if (hub && out && ats !== 'transfer' && out.state !== 'planned_in_progress') {
      const cfg = out.data.cfg as { standbyMs?: number } | undefined;
      const standbyMs = cfg?.standbyMs ?? 10_000;
      const esc = await hub.waitFor(
        out,
        Math.max(1000, out.openedAt + standbyMs + 5000 - ctx.clock.now()),
        (d) => escalations(d, 'generator_failure').length > 0,
      );
      const at = esc ? escalations(esc, 'generator_failure')[0]!.at - esc.openedAt : null;
      ctx.check(
        at !== null && at <= standbyMs + 1500,
        `generator_failure escalated within the standby target (${standbyMs / 1000} s)`,
        at === null
          ? `no escalation within ${(standbyMs + 5000) / 1000}s of opening`
          : `escalated ${(at / 1000).toFixed(1)}s after opening${ats === 'none' ? `; standby_power timer ${timerStatus(esc!, 'standby_power')}` : ' (power.generator_failed)'}`,
      );
      if (esc) out = esc;
      if (ats === 'none' && esc)
        ctx.check(timerStatus(esc, 'standby_power') === 'fired', 'the standby-power timer fired', hub.timersText(esc));
    }

    if (trapped) {
      const wait = Math.max(0, t0 + releaseAfter - ctx.clock.now());
      await ctx.wait(wait);
      if (hub && ent)
        ent = await hub.act(ent, 'record_contractor_arrival', {}, { note: `${who.person} on site, hand-winding the car to a floor` });
      trapped.sim.powered = true;
      const rel = await trapped.sim.release();
      ctx.log('6 放人 released', `${trapped.identity.id}: passengers out at floor ${trapped.sim.floor} (event ${rel.id})`);
      if (hub && ent) ent = (await entrapmentAfterRelease(ctx, hub, ent, undefined, who, { arrivedBeforeRelease: true })).inc;
    }
    await ctx.wait(Math.max(0, t0 + restoreAfter - ctx.clock.now()));
    const restored = await meter.sim.restoreMains();
    ctx.log('7 市电恢复 mains restored', `feeder ${meter.sim.feeder} (event ${restored.id})`);
    if (hub && out) {
      const r = await hub.waitState(out, ['restored', 'closed'], 10_000);
      ctx.check(r !== null, 'the hub saw the mains return', r ? hub.stateText(r) : `still ${hub.stateText(out)}`);
      out = r ?? out;
    }
    for (const c of cars) {
      c.sim.powerRestored();
      await c.sim.returnToService();
      ctx.log('8 恢复运行 back in service', `${c.identity.id}`);
    }
    offs.forEach((f) => f());
    let ok = true;
    if (hub && out) {
      if (out.state === 'restored')
        out = await hub.act(
          out,
          'verify_restoration',
          { systemsOk: true, elevatorsInService: true, notes: '来电后核查正常 systems and cars checked (drill)' },
          { note: 'systems and elevators checked' },
        );
      ok = ctx.check(
        !out.open && out.state === 'closed',
        `outage #${out.number} closed`,
        `${hub.stateText(out)}${
          out.open
            ? `; pending: ${out.steps
                .filter((s) => s.required && s.status === 'pending')
                .map((s) => s.key)
                .join(', ')}`
            : ''
        }`,
      );
      if (ent && ent.open) ctx.log('note', `linked entrapment #${ent.number} still open (${hub.stateText(ent)})`);
    }
    return {
      ok,
      summary: `outage of ${((restored.ts - lost.ts) / 1000).toFixed(0)}s, standby: ${first?.type ?? 'none'}, trapped car: ${trapped?.identity.id ?? 'none'}${out ? `; outage #${out.number} ${out.state}` : ''}${ent ? `, entrapment #${ent.number} ${ent.state}` : ''}`,
    };
  },
});

// ---------------------------------------------------------------- visitor 访客
type DoorResult = { result: 'opened' | 'swallowed' | 'none'; corr: string | null };

/** The door side: wait for the hub's unlock, open and confirm with the corr (or swallow it: never-confirm). */
async function awaitDoor(
  ctx: ScenarioContext,
  panel: Typed<'intercom'>,
  unlocks: Watcher<CommandRecord>,
  closed: Watcher<DeviceEvent>,
  timeout: number,
): Promise<DoorResult> {
  const deadline = ctx.clock.now() + timeout;
  for (;;) {
    const rec = await unlocks.next(Math.max(0, deadline - ctx.clock.now()));
    if (!rec) {
      ctx.log('4 未收到开门指令 no unlock', 'timed out; door stays locked');
      return { result: 'none', corr: null };
    }
    if (rec.status === 'no_reply') {
      ctx.log(
        '4 门保持锁闭 door stays locked',
        `unlock ${rec.corr} received; never-confirm drill, no answer sent — hub must show the request failed`,
      );
      return { result: 'swallowed', corr: rec.corr };
    }
    if (rec.status === 'expired') {
      ctx.log('4 指令过期 expired unlock', `unlock ${rec.corr} arrived after its expiry: refused, door stays locked`);
      continue;
    }
    if (rec.result?.ok) {
      const secs = Number((rec.data as { seconds?: number } | undefined)?.seconds ?? 5);
      ctx.log('4 开门 door opened', `unlock ${rec.corr} for ${secs}s confirmed with intercom.door_opened {corr}`);
      const c = await closed.next(secs * panel.sim.doorSecondMs + 5000);
      ctx.log('5 关门 door closed', c ? `locked again (event ${c.id})` : 'no door_closed seen');
      return { result: 'opened', corr: rec.corr };
    }
    ctx.log('4 开门失败 unlock refused', `${rec.corr}: ${String(rec.result?.data.reason ?? rec.status)}`);
  }
}

const VISITOR_FLOWS = ['approve', 'deny', 'unreachable', 'never-confirm', 'preauth', 'overstay'] as const;
type VisitorFlow = (typeof VISITOR_FLOWS)[number];

registerScenario({
  name: 'visitor',
  title: '访客 visitor at the door',
  description:
    'A visitor calls a unit from the door panel; optionally the owner answers from the in-unit station; the panel waits for the hub’s unlock, opens and confirms with the corr (or stays locked: --never-confirm). With --hub the front desk plays --flow: approve (register, owner agrees by phone, door confirms, departure), deny, unreachable (owner does not answer → keep trying → message), never-confirm (fail closed), preauth (owner’s advance notice, walk-in), overstay (--planned-minutes 1: waits ~65 s for the reminder).',
  needs: ['intercom'],
  options: {
    intercom: { type: 'string', description: 'intercom device id (default: first, or first in --building)' },
    unit: { type: 'string', description: 'unit called (must exist in the hub for --flow preauth)', default: '1203' },
    visitor: { type: 'string', description: 'visitor name given at the panel', default: '王先生' },
    owner: { type: 'string', description: 'approve | deny | none (owner answers from the in-unit station)', default: 'none' },
    'owner-after': { type: 'string', description: 'owner answers after', default: '3s' },
    'never-confirm': { type: 'boolean', description: 'fail-closed drill: the panel ignores unlock and never confirms' },
    timeout: { type: 'string', description: 'how long to wait for the unlock command', default: '120s' },
    flow: { type: 'string', description: `--hub: ${VISITOR_FLOWS.join(' | ')}`, default: 'approve' },
    'planned-minutes': { type: 'string', description: '--hub: registered length of the visit, minutes (default 60; --flow overstay: 1)' },
    'id-number': {
      type: 'string',
      description: '--hub: visitor ID number given at registration (the hub stores it masked)',
      default: '110101199001011234',
    },
  },
  async run(ctx) {
    const panel = pickOne(ctx.find('intercom', ctx.str('building')), ctx.str('intercom'), 'intercom');
    const unit = ctx.str('unit', '1203');
    const visitor = ctx.str('visitor', '王先生');
    const owner = ctx.str('owner', 'none');
    if (!['approve', 'deny', 'none'].includes(owner)) throw new ScenarioError('--owner must be approve, deny or none');
    if (ctx.hub) return visitorWithHub(ctx, ctx.hub, panel, { unit, visitor, owner });
    if (ctx.str('flow') !== undefined)
      throw new ScenarioError(
        '--flow is played by the front desk: give --hub URL and a front-desk (or supervisor) login; without --hub use --owner / --never-confirm',
      );
    const neverConfirm = ctx.flag('never-confirm');
    panel.sim.neverConfirm = neverConfirm;
    const timeout = ctx.duration('timeout', 120_000);
    ctx.log(
      '1 准备 setup',
      `door panel ${panel.identity.id} (building ${panel.identity.building})${neverConfirm ? ', never-confirm drill' : ''}`,
    );

    const unlocks = ctx.watchCommands(panel, 'unlock');
    const closed = ctx.watchEvents(panel, 'intercom.door_closed');
    const call = await panel.sim.call(unit, visitor);
    ctx.log('2 访客呼叫 visitor calls', `${visitor} → unit ${unit} (callId ${call.callId})`);

    if (owner !== 'none') {
      await ctx.wait(ctx.duration('owner-after', 3000));
      if (owner === 'approve') {
        await panel.sim.ownerApprove(call.callId);
        ctx.log('3 业主同意 owner approves', 'from the in-unit station; the hub should send unlock');
      } else {
        await panel.sim.ownerDeny(call.callId);
        ctx.log('3 业主拒绝 owner denies', 'the hub must NOT unlock; visitor politely refused');
        const stray = await unlocks.next(Math.min(timeout, 5000));
        unlocks.stop();
        closed.stop();
        if (stray) ctx.log('4 异常 unexpected unlock', `unlock ${stray.corr} arrived after the owner denied!`);
        return { ok: !stray, summary: stray ? 'unlock received after denial' : 'visit denied, door stayed locked' };
      }
    } else {
      ctx.log('3 前台联系业主 front desk contacts owner', `waiting up to ${timeout / 1000}s for the hub’s unlock`);
    }

    try {
      const door = await awaitDoor(ctx, panel, unlocks, closed, timeout);
      if (door.result === 'none') return { ok: false, summary: 'no unlock command received' };
      if (door.result === 'swallowed') return { ok: true, summary: 'fail-closed drill: unlock swallowed, nothing confirmed' };
      return { ok: true, summary: `visitor let in by unlock ${door.corr}` };
    } finally {
      unlocks.stop();
      closed.stop();
    }
  },
});

/** The front desk's side of a visit (PROCEDURES.md §4), for one --flow. */
async function visitorWithHub(
  ctx: ScenarioContext,
  hub: ControlRoom,
  panel: Typed<'intercom'>,
  o: { unit: string; visitor: string; owner: string },
): Promise<ScenarioResult> {
  const flow = ctx.str('flow', 'approve') as VisitorFlow;
  if (!VISITOR_FLOWS.includes(flow)) throw new ScenarioError(`--flow must be one of ${VISITOR_FLOWS.join(', ')}`);
  const station = o.owner !== 'none';
  if (
    station &&
    !((o.owner === 'approve' && ['approve', 'overstay', 'never-confirm'].includes(flow)) || (o.owner === 'deny' && flow === 'deny'))
  ) {
    throw new ScenarioError(`--owner ${o.owner} (the in-unit station answers) does not fit --flow ${flow}`);
  }
  if (!hub.has('desk'))
    throw new ScenarioError(
      'visitor steps are the front desk’s: give --desk-user/--desk-password (a supervisor may stand in: --supervisor-user)',
    );
  const desk = hub.session('desk');
  const { unit, visitor } = o;
  const b = panel.identity.building;
  const timeout = ctx.duration('timeout', 120_000);
  const plannedMinutes = ctx.int('planned-minutes', flow === 'overstay' ? 1 : 60);
  const idNumber = ctx.str('id-number', '110101199001011234');
  panel.sim.neverConfirm = flow === 'never-confirm' || ctx.flag('never-confirm');
  ctx.log(
    '1 准备 setup',
    `door panel ${panel.identity.id} (building ${b}), unit ${unit}, flow ${flow}${panel.sim.neverConfirm ? ' (panel never confirms)' : ''}`,
  );

  // every door panel of the building: a walk-in's unlock goes to the hub's door panel of the building
  const panels = ctx.find('intercom', b);
  const unlocks = new Map(panels.map((p) => [p.identity.id, ctx.watchCommands(p, 'unlock')]));
  const closedW = new Map(panels.map((p) => [p.identity.id, ctx.watchEvents(p, 'intercom.door_closed')]));
  const unlocksAt = (p: Typed<'intercom'>) => unlocks.get(p.identity.id)!;
  const fail = (summary: string): ScenarioResult => ({ ok: false, summary });
  const decisionLabel = (d: string) => `${hub.actionLabel('visitor_approval', 'record_owner_decision')}: ${d}`;
  try {
    let inc: IncidentDetail;
    let door: Typed<'intercom'> = panel;
    if (flow === 'preauth') {
      const now = ctx.clock.now();
      const pre = await desk.preauthorize({
        building: b,
        unit,
        visitorName: visitor,
        idNumber,
        validFrom: now - 60_000,
        validTo: now + 2 * 3_600_000,
      });
      ctx.logAs(
        '◆',
        '业主预先通知 owner’s advance notice',
        `${hub.person(desk)} records pre-authorisation ${pre.id}: ${visitor} → unit ${unit}, valid until ${localTime(pre.validTo)}, ID ${pre.idMasked}`,
      );
      ctx.log('2 访客到前台 visitor at the desk', `${visitor} shows an ID; the desk checks it against the owner’s notice`);
      inc = await desk.registerVisit({
        building: b,
        unit,
        visitorName: visitor,
        idNumber,
        plannedMinutes,
        preAuthId: pre.id,
        idVerified: true,
        startedAt: ctx.clock.now() - 15_000,
      });
      hub.done('访客登记 · 按预先通知放行 register + approve (pre-authorised)', desk, inc, `visit #${inc.number}, ${plannedMinutes} min`);
      const v = await desk.visit(inc.id);
      ctx.check(
        v.approvedBy === `preauth:${pre.id}`,
        'approval attributed to the owner’s pre-authorisation',
        `approvedBy ${v.approvedBy}, channel ${v.approvalChannel}`,
      );
      ctx.check(
        v.idMasked !== '' && v.idMasked !== idNumber && !JSON.stringify(inc).includes(idNumber),
        'ID number stored masked only (first 3 + last 4)',
        v.idMasked,
      );
      const cmd =
        inc.commands.find((c) => c.name === 'unlock') ??
        (await hub.waitFor(inc, 3000, (d) => d.commands.some((c) => c.name === 'unlock'), 'desk'))?.commands.find(
          (c) => c.name === 'unlock',
        );
      if (
        !ctx.check(
          cmd !== undefined,
          'unlock sent to the building’s door panel',
          cmd ? `${cmd.deviceId} (corr ${cmd.corr})` : `no unlock command; ${hub.stateText(inc)}`,
        )
      )
        return fail('no unlock for the pre-authorised visitor');
      const target = panels.find((p) => p.identity.id === cmd!.deviceId);
      if (!target)
        return fail(
          `the hub unlocked ${cmd!.deviceId}, a door panel this fleet does not run (have: ${panels.map((p) => p.identity.id).join(', ')})`,
        );
      door = target;
    } else {
      const call = await panel.sim.call(unit, visitor);
      ctx.log('2 访客呼叫 visitor calls', `${visitor} → unit ${unit} (callId ${call.callId})`);
      const mine = (i: { data: Record<string, unknown>; open: boolean; state: string }) =>
        i.data.callId === call.callId ||
        (i.open &&
          i.data.intercomId === panel.identity.id &&
          i.data.unit === unit &&
          (i.state === 'requested' || i.state === 'unreachable'));
      const found = await hub.awaitIncident('visitor_approval', mine, { as: 'desk', building: b });
      if (
        !ctx.check(
          found !== null,
          'the call opened a visit request at the front desk',
          found ? undefined : `no visitor_approval incident for call ${call.callId} within 10 s`,
        )
      )
        return fail('the hub opened no visit');
      inc = found!;
      if (flow !== 'deny') {
        inc = await hub.act(
          inc,
          'register',
          { visitorName: visitor, unit, plannedMinutes, idNumber },
          { as: 'desk', note: `访客登记 ${visitor}, ${plannedMinutes} min, ID checked` },
        );
        ctx.check(
          stepStatus(inc, 'register') === 'done' && timerStatus(inc, 'registration') !== 'running',
          'visitor registered, ID stored masked',
          `ID ${String(inc.data.idMasked ?? '')}`,
        );
      }
      if (flow === 'unreachable') {
        const answerMs = (inc.data.cfg as { ownerAnswerMs?: number } | undefined)?.ownerAnswerMs ?? 60_000;
        ctx.log('3 业主未接 owner does not answer', `the in-unit station rings; the hub gives up after ${answerMs / 1000}s`);
        const un = await hub.waitState(inc, ['unreachable'], Math.max(1000, inc.openedAt + answerMs + 5000 - ctx.clock.now()), 'desk');
        if (
          !ctx.check(
            un !== null,
            'owner unreachable after the answer time',
            un ? `owner_answer ${timerStatus(un, 'owner_answer')}` : hub.stateText(inc),
          )
        )
          return fail('the visit never became unreachable');
        inc = await hub.act(
          un!,
          'keep_trying',
          { method: 'phone', notes: '访客要求再联系 the visitor asks us to try again (drill)' },
          { as: 'desk', note: 'the visitor wants us to keep trying; the desk phones again' },
        );
        ctx.check(
          inc.state === 'requested' && timerStatus(inc, 'owner_answer') === 'running',
          'keep trying: waiting for the owner again',
          hub.timersText(inc),
        );
        inc = await hub.act(
          inc,
          'leave_message',
          { message: `${visitor}来访未遇,请回电 / ${visitor} called, please call back (drill)` },
          { as: 'desk', note: 'the visitor leaves a message for the owner' },
        );
        ctx.check(!inc.open && inc.state === 'message_left', 'visit closed with a message left', hub.stateText(inc));
        ctx.check(
          unlocksAt(panel).received.length === 0,
          'the door was never unlocked',
          `${unlocksAt(panel).received.length} unlock(s) received`,
        );
        return { ok: ctx.failures.length === 0, summary: `owner unreachable, message left (visit #${inc.number} ${inc.state})` };
      }
      if (flow === 'deny') {
        if (station) {
          await ctx.wait(ctx.duration('owner-after', 3000));
          await panel.sim.ownerDeny(call.callId);
          ctx.log('3 业主拒绝 owner denies', 'from the in-unit station');
          inc = (await hub.waitState(inc, ['denied'], 5000, 'desk')) ?? (await hub.refresh(inc, 'desk'));
        } else {
          inc = await desk.denyVisit(inc.id, { channel: 'phone', notes: '业主电话拒绝 owner refused by phone (drill)' });
          hub.done(decisionLabel('拒绝 denied'), desk, inc, 'the owner refuses by phone');
        }
        ctx.log('4 婉拒访客 visitor politely refused', 'the door stays locked');
        const stray = await unlocksAt(panel).next(Math.min(timeout, 2000));
        ctx.check(!stray, 'no unlock sent after the refusal', stray ? `unlock ${stray.corr} arrived!` : 'none in 2 s');
        const v = await desk.visit(inc.id);
        ctx.check(!inc.open && inc.state === 'denied', 'visit closed as denied', `${hub.stateText(inc)}; channel ${v.approvalChannel}`);
        return { ok: ctx.failures.length === 0, summary: `visit #${inc.number} denied, door stayed locked` };
      }
      // approve / overstay / never-confirm: the owner agrees
      if (station) {
        await ctx.wait(ctx.duration('owner-after', 3000));
        await panel.sim.ownerApprove(call.callId);
        ctx.log('3 业主同意 owner approves', 'from the in-unit station; the hub should send unlock');
      } else {
        inc = await desk.approveVisit(inc.id, { channel: 'phone', notes: '业主电话同意 owner agreed by phone (drill)' });
        hub.done(decisionLabel('同意 approved'), desk, inc, 'the owner agrees by phone → unlock with corr + expiry');
      }
    }

    // the door panel's side
    const res = await awaitDoor(ctx, door, unlocksAt(door), closedW.get(door.identity.id)!, timeout);
    if (flow === 'never-confirm') {
      ctx.check(
        res.result === 'swallowed',
        'the panel got the unlock and (drill) never confirmed it',
        res.corr ? `corr ${res.corr}` : res.result,
      );
      const cfg = inc.data.cfg as { unlockConfirmMs?: number } | undefined;
      const failed = await hub.waitState(inc, ['failed'], (cfg?.unlockConfirmMs ?? 30_000) + 5000, 'desk');
      if (
        !ctx.check(
          failed !== null,
          'fail-closed: no confirmation → the visit is marked failed, never opened',
          failed ? `${hub.stateText(failed)}: ${String(failed.data.failure ?? '')}` : hub.stateText(await hub.refresh(inc, 'desk')),
        )
      ) {
        return fail('the hub did not fail the unconfirmed unlock');
      }
      inc = failed!;
      const cmd = inc.commands.find((c) => c.name === 'unlock');
      ctx.check(
        inc.open && (cmd?.state === 'expired' || cmd?.state === 'failed'),
        'stays on the desk’s board; the unlock is expired/failed, not confirmed',
        `open ${inc.open}, unlock ${cmd?.state ?? 'none'}`,
      );
      const v = await desk.visit(inc.id);
      ctx.check(v.enteredAt === null, 'no entry recorded', `enteredAt ${v.enteredAt}`);
      inc = await hub.act(
        inc,
        'cancel',
        { reason: '门口机未确认开门,访客由前台另行安排 / the door did not confirm; the desk handles the visitor (drill)' },
        { as: 'desk', note: 'the desk closes the failed request' },
      );
      return {
        ok: ctx.failures.length === 0,
        summary: `fail-closed: unlock ${res.corr ?? '?'} unconfirmed, visit #${inc.number} failed then ${inc.state}`,
      };
    }
    if (!ctx.check(res.result === 'opened', 'the door panel received the unlock and confirmed it', res.result))
      return fail('the door did not open');
    const opened = await hub.waitState(inc, ['opened', 'left'], 5000, 'desk');
    if (
      !ctx.check(
        opened !== null,
        'the hub took the panel’s door_opened {corr} as the admission',
        opened
          ? `${hub.stateText(opened)}; unlock ${opened.commands.find((c) => c.name === 'unlock')?.state}`
          : hub.stateText(await hub.refresh(inc, 'desk')),
      )
    ) {
      return fail('the hub did not record the admission');
    }
    inc = opened!;
    const v = await desk.visit(inc.id);
    const expected = flow === 'preauth' ? 'preauth:' : `owner:${unit}`;
    ctx.check(
      v.approvedBy?.startsWith(expected) === true && v.enteredAt !== null,
      'approval attributed and entry recorded',
      `approvedBy ${v.approvedBy} via ${v.approvalChannel}; entered ${v.enteredAt ? localTime(v.enteredAt) : '—'}`,
    );
    if (flow === 'overstay') {
      const due = timer(inc, 'overstay');
      ctx.log(
        '6 访客在内 visitor inside',
        `registered for ${plannedMinutes} min; overstay reminder ${due ? `due ${((due.dueAt - ctx.clock.now()) / 1000).toFixed(0)}s from now` : 'not scheduled!'}`,
      );
      const wait = due ? Math.max(0, due.dueAt - ctx.clock.now()) + 10_000 : 5000;
      const rem = await hub.waitFor(
        inc,
        wait,
        (d) => d.timeline.some((e) => e.type === 'reminder' && e.data.reminder === 'overstay'),
        'desk',
      );
      ctx.check(
        rem !== null,
        'overstay reminder to the front desk past the registered time',
        rem ? hub.timersText(rem) : `none within ${(wait / 1000).toFixed(0)}s`,
      );
      const v2 = await desk.visit(inc.id);
      ctx.check(v2.overstay, 'the visit is shown as overstaying', `overstay ${v2.overstay}`);
      inc = rem ?? inc;
    }
    inc = await hub.act(
      inc,
      'record_departure',
      { notes: '访客已离开 visitor left (drill)' },
      { as: 'desk', note: 'the visitor signs out' },
    );
    ctx.check(!inc.open && inc.state === 'left', `visit #${inc.number} closed: visitor left`, hub.stateText(inc));
    return {
      ok: ctx.failures.length === 0,
      summary: `${flow}: visitor ${visitor} let in by unlock ${res.corr} and left (visit #${inc.number})`,
    };
  } finally {
    for (const w of unlocks.values()) w.stop();
    for (const w of closedW.values()) w.stop();
  }
}

// ---------------------------------------------------------------- device lost 设备离线
registerScenario({
  name: 'device-lost',
  title: '设备离线 device lost',
  description: 'Drop a device’s connection without DISCONNECT so the broker publishes its `lost` will; optionally reconnect later.',
  needs: [],
  options: {
    target: { type: 'string', description: 'device id to drop (default: first fire panel or elevator)' },
    'reconnect-after': { type: 'string', description: 'reconnect after this long (omit to stay offline)' },
  },
  async run(ctx: ScenarioContext) {
    const lifeSafety = ctx.devices.filter((d) => d.identity.class === 'fire-panel' || d.identity.class === 'elevator');
    const target = pickOne(ctx.str('target') ? ctx.devices : lifeSafety.length ? lifeSafety : ctx.devices, ctx.str('target'), 'device');
    ctx.log('1 掉线 connection dropped', `${target.identity.id}: socket destroyed without DISCONNECT; broker publishes status "lost"`);
    target.sim.stop();
    await target.client.kill();
    const after = ctx.str('reconnect-after');
    if (after === undefined) return { ok: true, summary: `${target.identity.id} left offline` };
    await ctx.wait(ctx.duration('reconnect-after', 0));
    await target.client.connect();
    target.sim.start();
    ctx.log('2 恢复连接 reconnected', `${target.identity.id} online again`);
    return { ok: true, summary: `${target.identity.id} was offline for ${after}` };
  },
});
