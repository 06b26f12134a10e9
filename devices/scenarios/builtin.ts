// Built-in device-side scenarios. Each plays the field side of a procedure in
// docs PROCEDURES.md and waits for the hub to do its part (recall, unlock), narrating every
// step, so an operator or a test can watch the hub react to realistic device traffic.
import type { Typed } from '../runtime.js';
import type { AtsMode, Detector } from '../simulators/index.js';
import { registerScenario, ScenarioError, type ScenarioContext } from './registry.js';

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
  return v ? v.split(',').map((s) => s.trim()).filter(Boolean) : [];
}

// ---------------------------------------------------------------- fire drill 消防演习
registerScenario({
  name: 'fire-drill',
  title: '消防演习 fire drill',
  description:
    'Fire alarm on a panel; every elevator in that building must receive the hub’s recall, travel to the recall floor and confirm. Then silence, reset and return cars to service one by one.',
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
  },
  async run(ctx) {
    const building = ctx.str('building');
    const panel = pickOne(ctx.find('fire-panel', building), ctx.str('panel'), 'fire panel');
    const b = panel.identity.building;
    const cars = ctx.find('elevator', b);
    const ignored = new Set(csv(ctx.str('ignore-recall')));
    for (const id of ignored) if (!cars.some((c) => c.identity.id === id)) throw new ScenarioError(`--ignore-recall ${id}: no elevator ${id} in building ${b}`);
    for (const c of cars) c.sim.ignoreRecall = ignored.has(c.identity.id);
    const floor = ctx.int('floor', 5);
    const detector = ctx.str('detector', 'smoke') as Detector;
    if (!['smoke', 'heat', 'manual'].includes(detector)) throw new ScenarioError('--detector must be smoke, heat or manual');
    const zone = ctx.str('zone') ?? panel.sim.zoneForFloor(floor).id;
    const timeout = ctx.duration('timeout', 90_000);
    ctx.log('1 准备 setup', `panel ${panel.identity.id}, building ${b}, cars: ${cars.map((c) => c.identity.id + (ignored.has(c.identity.id) ? ' (ignores recall)' : '')).join(', ') || 'none'}`);

    // Watch before the alarm: the hub may answer faster than we can look.
    const watches = cars.map((c) => ({ car: c, w: ctx.watchCommands(c, 'recall') }));
    const alarm = await panel.sim.alarm(zone, floor, detector);
    ctx.log('2 火警报警 fire alarm', `zone ${zone}, floor ${floor}, ${detector} detector (event ${alarm.id})`);
    if (cars.length === 0) ctx.log('3 电梯迫降 elevator recall', `no elevators in building ${b}: nothing to recall`);
    else ctx.log('3 等待消防联动 waiting for recall', `hub should recall ${cars.length} car(s) within ${timeout / 1000}s`);

    const deadline = ctx.clock.now() + timeout;
    const outcome = await Promise.all(
      watches.map(async ({ car, w }) => {
        const id = car.identity.id;
        for (;;) {
          const rec = await w.next(Math.max(0, deadline - ctx.clock.now()));
          if (!rec) {
            ctx.log('3 电梯迫降 elevator recall', `${id}: ${ignored.has(id) ? 'ignored recall as instructed (hub should flag it)' : 'NO recall confirmed before timeout'}`);
            return ignored.has(id);
          }
          if (rec.status === 'no_reply') {
            ctx.log('3 电梯迫降 elevator recall', `${id}: recall ${rec.corr} received and ignored (drill) — hub should flag the car after 60 s`);
            return true;
          }
          if (rec.result?.ok) {
            ctx.log('3 电梯迫降 elevator recall', `${id}: 已迫降 recalled to floor ${String(rec.result.data.floor)} and confirmed (corr ${rec.corr})`);
            return true;
          }
          ctx.log('3 电梯迫降 elevator recall', `${id}: recall ${rec.corr} refused: ${String(rec.result?.data.reason ?? rec.status)}`);
          // keep waiting: the hub may retry with a fresh command
        }
      }),
    );
    for (const { w } of watches) w.stop();
    const confirmed = outcome.filter(Boolean).length;
    const ok = confirmed === cars.length;

    if (!ctx.flag('no-reset')) {
      await ctx.wait(ctx.duration('reset-after', 3000));
      await panel.sim.silence();
      ctx.log('4 消音 silence', 'sounders silenced at the panel');
      await panel.sim.reset();
      ctx.log('5 复位 reset', 'panel reset, all zones normal');
      for (const c of cars) {
        if (c.sim.mode !== 'recall') continue;
        await c.sim.returnToService();
        ctx.log('6 恢复运行 back in service', `${c.identity.id} returned to service`);
      }
    }
    return { ok, summary: `${confirmed}/${cars.length} car(s) behaved as expected` };
  },
});

// ---------------------------------------------------------------- entrapment 电梯困人
registerScenario({
  name: 'entrapment',
  title: '电梯困人 elevator entrapment',
  description: 'A car stops out of level with passengers inside; optional alarm button; released after a delay (elevator.normal, doors open).',
  needs: ['elevator'],
  options: {
    car: { type: 'string', description: 'elevator device id (default: first, or first in --building)' },
    passengers: { type: 'string', description: 'people trapped', default: '2' },
    'alarm-button': { type: 'boolean', description: 'also press the in-car alarm button' },
    'release-after': { type: 'string', description: 'time until the passengers are released', default: '30s' },
  },
  async run(ctx) {
    const car = pickOne(ctx.find('elevator', ctx.str('building')), ctx.str('car'), 'elevator');
    const passengers = ctx.int('passengers', 2);
    const releaseAfter = ctx.duration('release-after', 30_000);
    ctx.log('1 准备 setup', `car ${car.identity.id} in building ${car.identity.building}`);
    const recalls = ctx.watchCommands(car, 'recall');
    const e = await car.sim.trap({ passengers });
    ctx.log('2 困人 entrapment', `car ${car.sim.car} stopped near floor ${car.sim.floor}, ${passengers} inside (event ${e.id})`);
    if (ctx.flag('alarm-button')) {
      await car.sim.pressAlarmButton();
      ctx.log('2 警铃 alarm button', 'passenger pressed the in-car alarm button');
    }
    ctx.log('3 等待救援 awaiting rescue', `release in ${releaseAfter / 1000}s (hub: acknowledge ≤30 s, dispatch contractor, re-contact every 5 min)`);
    await ctx.wait(releaseAfter);
    const rel = await car.sim.release();
    ctx.log('4 放人 released', `doors open at floor ${car.sim.floor} (event ${rel.id}); a person must confirm the release in the hub`);
    recalls.stop();
    if (recalls.received.length > 0) ctx.log('note', `${recalls.received.length} recall command(s) arrived during the entrapment and were refused`);
    return { ok: true, summary: `entrapment ${e.id} raised and released after ${releaseAfter / 1000}s` };
  },
});

// ---------------------------------------------------------------- outage 停电
registerScenario({
  name: 'outage',
  title: '停电 power outage',
  description:
    'Mains lost on a feeder; the ATS transfers to the generator (or fails / never reports, for drills); cars stop — one trapped out of level — then return to the lobby one at a time; mains restored.',
  needs: ['power'],
  options: {
    meter: { type: 'string', description: 'power device id (default: first, or first in --building)' },
    ats: { type: 'string', description: 'transfer | fail | none', default: 'transfer' },
    'ats-delay': { type: 'string', description: 'generator start + transfer time', default: '4s' },
    'trap-car': { type: 'string', description: 'elevator id trapped by the outage, or "none" (default: first car in the building)' },
    passengers: { type: 'string', description: 'people in the trapped car', default: '3' },
    'release-after': { type: 'string', description: 'time until the trapped passengers are released', default: '15s' },
    'restore-after': { type: 'string', description: 'time from the loss until mains returns', default: '30s' },
  },
  async run(ctx) {
    const meter = pickOne(ctx.find('power', ctx.str('building')), ctx.str('meter'), 'power meter');
    const b = meter.identity.building;
    const cars = ctx.find('elevator', b);
    const ats = ctx.str('ats', 'transfer') as AtsMode;
    if (!['transfer', 'fail', 'none'].includes(ats)) throw new ScenarioError('--ats must be transfer, fail or none');
    const atsDelay = ctx.duration('ats-delay', 4000);
    const trapId = ctx.str('trap-car') ?? cars[0]?.identity.id ?? 'none';
    if (trapId !== 'none' && !cars.some((c) => c.identity.id === trapId)) throw new ScenarioError(`--trap-car ${trapId}: no elevator ${trapId} in building ${b}`);
    const releaseAfter = ctx.duration('release-after', 15_000);
    const restoreAfter = ctx.duration('restore-after', 30_000);
    const t0 = ctx.clock.now();
    ctx.log('1 准备 setup', `meter ${meter.identity.id} feeder ${meter.sim.feeder}, building ${b}, cars: ${cars.map((c) => c.identity.id).join(', ') || 'none'}`);

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
        ctx.log('3 电梯困人 car stopped', `${c.identity.id} stopped out of level near floor ${c.sim.floor} with ${passengers} inside — hub should open a linked entrapment`);
      } else {
        await c.sim.powerLoss({ trap: false });
        ctx.log('3 电梯停运 car stopped', `${c.identity.id} stopped at floor ${c.sim.floor}`);
      }
    }

    const first = await Promise.race(standby.map((w) => w.next(atsDelay + 5000)));
    standby.forEach((w) => w.stop());
    if (first?.type === 'power.ats_transferred') {
      ctx.log('4 备用电源 standby power', `generator started, ATS transferred after ${((first.ts - lost.ts) / 1000).toFixed(1)}s`);
      for (const c of cars) if (c !== trapped) c.sim.powerRestored();
      // A17.1 §2.27.2: on emergency power, cars return to the lobby one at a time.
      for (const c of cars) {
        if (c === trapped) continue;
        const ok = await c.sim.returnToLobby();
        ctx.log('5 逐台归位 car to lobby', `${c.identity.id} ${ok ? `at lobby floor ${c.sim.lobby}, doors open` : 'could not return'}`);
      }
    } else if (first?.type === 'power.generator_failed') {
      ctx.log('4 备用电源 standby power', 'GENERATOR FAILED — hub should escalate');
    } else {
      ctx.log('4 备用电源 standby power', `no transfer reported (ATS mode ${ats}) — hub should escalate after 10 s`);
    }

    if (trapped) {
      const wait = Math.max(0, t0 + releaseAfter - ctx.clock.now());
      await ctx.wait(wait);
      trapped.sim.powered = true;
      const rel = await trapped.sim.release();
      ctx.log('6 放人 released', `${trapped.identity.id}: passengers out at floor ${trapped.sim.floor} (event ${rel.id})`);
    }
    await ctx.wait(Math.max(0, t0 + restoreAfter - ctx.clock.now()));
    const restored = await meter.sim.restoreMains();
    ctx.log('7 市电恢复 mains restored', `feeder ${meter.sim.feeder} (event ${restored.id})`);
    for (const c of cars) {
      c.sim.powerRestored();
      await c.sim.returnToService();
      ctx.log('8 恢复运行 back in service', `${c.identity.id}`);
    }
    return { ok: true, summary: `outage of ${((restored.ts - lost.ts) / 1000).toFixed(0)}s, standby: ${first?.type ?? 'none'}, trapped car: ${trapped?.identity.id ?? 'none'}` };
  },
});

// ---------------------------------------------------------------- visitor 访客
registerScenario({
  name: 'visitor',
  title: '访客 visitor at the door',
  description:
    'A visitor calls a unit from the door panel; optionally the owner answers from the in-unit station; the panel waits for the hub’s unlock, opens and confirms with the corr (or stays locked: --never-confirm).',
  needs: ['intercom'],
  options: {
    intercom: { type: 'string', description: 'intercom device id (default: first, or first in --building)' },
    unit: { type: 'string', description: 'unit called', default: '1203' },
    visitor: { type: 'string', description: 'visitor name given at the panel', default: '王先生' },
    owner: { type: 'string', description: 'approve | deny | none (owner answers from the in-unit station)', default: 'none' },
    'owner-after': { type: 'string', description: 'owner answers after', default: '3s' },
    'never-confirm': { type: 'boolean', description: 'fail-closed drill: the panel ignores unlock and never confirms' },
    timeout: { type: 'string', description: 'how long to wait for the unlock command', default: '120s' },
  },
  async run(ctx) {
    const panel = pickOne(ctx.find('intercom', ctx.str('building')), ctx.str('intercom'), 'intercom');
    const unit = ctx.str('unit', '1203');
    const visitor = ctx.str('visitor', '王先生');
    const owner = ctx.str('owner', 'none');
    if (!['approve', 'deny', 'none'].includes(owner)) throw new ScenarioError('--owner must be approve, deny or none');
    const neverConfirm = ctx.flag('never-confirm');
    panel.sim.neverConfirm = neverConfirm;
    const timeout = ctx.duration('timeout', 120_000);
    ctx.log('1 准备 setup', `door panel ${panel.identity.id} (building ${panel.identity.building})${neverConfirm ? ', never-confirm drill' : ''}`);

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

    const deadline = ctx.clock.now() + timeout;
    try {
      for (;;) {
        const rec = await unlocks.next(Math.max(0, deadline - ctx.clock.now()));
        if (!rec) {
          ctx.log('4 未收到开门指令 no unlock', 'timed out; door stays locked');
          return { ok: false, summary: 'no unlock command received' };
        }
        if (rec.status === 'no_reply') {
          ctx.log('4 门保持锁闭 door stays locked', `unlock ${rec.corr} received; never-confirm drill, no answer sent — hub must show the request failed`);
          return { ok: true, summary: 'fail-closed drill: unlock swallowed, nothing confirmed' };
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
          return { ok: true, summary: `visitor let in by unlock ${rec.corr}` };
        }
        ctx.log('4 开门失败 unlock refused', `${rec.corr}: ${String(rec.result?.data.reason ?? rec.status)}`);
      }
    } finally {
      unlocks.stop();
      closed.stop();
    }
  },
});

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
