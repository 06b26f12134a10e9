// Drills for the procedures added after the first release (PROCEDURES.md §5 water leak, §6
// medical emergency). Like builtin.ts: the devices play the field side over MQTT; with
// `--hub` the scenario also plays the control room over HTTP and checks the hub's response
// (exit 4 when the hub does not do what the procedure says).
import type { IncidentDetail } from '../hub-client.js';
import { escalations, localTime, stepStatus, timer } from './procedures.js';
import { registerScenario, ScenarioError } from './registry.js';

// ---------------------------------------------------------------- water leak 漏水
registerScenario({
  name: 'water-leak',
  title: '漏水/水浸 water leak',
  description:
    'A leak cable near the lifts gets wet (water.leak), the sump pit’s pump fails and the pit floods (water.pump_failed, water.level_high), then the cable dries (water.cleared). With --hub: acknowledge, dispatch engineering, take the cars out of service (checks each car confirms its recall), record the water stopped and the owners told, confirm cleared, return the cars, repair order, supervisor closes; checks the pump-at-high-water escalation and that the dry sensor only suggests clearing.',
  needs: ['water'],
  options: {
    detector: { type: 'string', description: 'leak detector device id (default: first leak node in --building)' },
    pit: { type: 'string', description: 'sump pit device id (default: the pit in the same building, if any)' },
    engineer: { type: 'string', description: '--hub: engineering person dispatched', default: '工程部 老周 Zhou' },
  },
  async run(ctx) {
    const water = ctx.find('water', ctx.str('building'));
    const detector = ctx.str('detector')
      ? water.find((d) => d.identity.id === ctx.str('detector'))
      : (water.find((d) => d.sim.role === 'leak' && d.identity.meta?.near?.includes('elevator')) ??
        water.find((d) => d.sim.role === 'leak'));
    if (!detector) throw new ScenarioError(`no leak detector ${ctx.str('detector') ?? ''} in the fleet`);
    const building = detector.identity.building;
    const pit = ctx.str('pit')
      ? water.find((d) => d.identity.id === ctx.str('pit'))
      : ctx.find('water', building).find((d) => d.sim.role === 'sump');
    const cars = ctx.find('elevator', building);
    const hub = ctx.hub;
    if (hub && !hub.has('supervisor'))
      throw new ScenarioError('water-leak with --hub needs --supervisor-user/--supervisor-password: a supervisor closes');
    ctx.log(
      '1 准备 setup',
      `detector ${detector.identity.id} (zone ${detector.sim.zone}, floor ${detector.sim.floor}) in ${building}; pit ${pit?.identity.id ?? 'none'}; ${cars.length} car(s)`,
    );
    const recalls = cars.map((c) => ctx.watchCommands(c, 'recall'));
    try {
      const e = await detector.sim.leak();
      ctx.log('2 漏水 leak', `water on the cable in ${detector.sim.zone} (event ${e.id})`);
      let inc: IncidentDetail | null = null;
      if (hub) {
        inc = await hub.awaitIncident('water_leak', (i) => i.open, { building });
        if (!ctx.check(inc !== null, 'the leak opened a water incident', inc ? undefined : 'no water_leak incident within 10 s'))
          return { ok: false, summary: 'the hub opened no water incident' };
        const ack = timer(inc!, 'ack');
        ctx.check(ack?.status === 'running', 'acknowledge target running (60 s)', ack ? `due ${localTime(ack.dueAt)}` : 'no ack timer');
        const near = detector.identity.meta?.near ?? '';
        if (near)
          ctx.check(
            inc!.steps.find((s) => s.key === 'protect')?.required === true,
            `water near ${near}: protection required`,
            `protect step ${stepStatus(inc!, 'protect')}`,
          );
        ctx.check(
          recalls.every((r) => r.received.length === 0),
          'the hub only proposes parking the cars: nothing sent before a person confirms',
        );
        inc = await hub.act(inc!, 'acknowledge', { notes: '监控中心已接警 (drill)' });
        inc = await hub.act(inc, 'dispatch_engineering', { person: ctx.str('engineer', '工程部 老周 Zhou') });
        if (cars.length && near.includes('elevator')) {
          inc = await hub.act(inc, 'take_cars_out_of_service', { notes: '底坑进水,电梯停到水位以上 (drill)' });
          const parked = await hub.waitFor(inc, 10_000, (d) => {
            const r = d.data.recall as { cars?: Array<{ status: string }> } | undefined;
            return Boolean(r?.cars?.length && r.cars.every((c) => c.status === 'confirmed'));
          });
          ctx.check(
            parked !== null,
            'every car confirmed its recall above the water',
            `${recalls.map((r) => r.received.length).join('+')} recall(s) received`,
          );
          if (parked) inc = parked;
        }
        inc = await hub.act(inc, 'record_engineering_on_site', {});
      }
      if (pit) {
        await pit.sim.failPump();
        await pit.sim.failPump();
        await pit.sim.flood(pit.sim.highCm + 10);
        ctx.log('3 水泵故障 pumps failed', `${pit.identity.id}: both pumps tripped, pit at ${pit.sim.levelCm} cm`);
        if (hub && inc) {
          const esc = await hub.waitFor(inc, 10_000, (d) => escalations(d, 'pump_failed_high_water').length > 0);
          ctx.check(esc !== null, 'a failed pump at high water escalates at once', esc ? `escalated in #${esc.number}` : 'no escalation');
          if (esc) inc = esc;
        }
      }
      if (hub && inc) inc = await hub.act(inc, 'record_water_stopped', { measure: 'both', location: '水管井阀门 (drill)' });
      await detector.sim.clear();
      if (pit) {
        // pumps reset by engineering; the pit below its alarm level reports dry
        pit.sim.repair();
        await pit.sim.clear();
      }
      ctx.log('4 止水 dry', `${detector.sim.zone}${pit ? ` and ${pit.sim.zone}` : ''} dry again`);
      if (!hub || !inc) return { ok: true, summary: `leak in ${detector.sim.zone} raised and cleared` };
      const hinted = await hub.waitFor(inc, 10_000, (d) =>
        d.timeline.some((x) => x.type === 'hint' && x.data.hint === 'cleared_suggested'),
      );
      ctx.check(
        hinted?.state === 'responding',
        'the dry sensor only suggests clearing: a person confirms',
        hinted ? `state ${hinted.state}` : 'no hint',
      );
      inc = await hub.act(inc, 'record_owners_notified', { floors: [], channel: 'phone', notes: '地下层,无住户受影响 (drill)' });
      inc = await hub.act(inc, 'confirm_cleared', { propertyDamaged: false });
      const r = inc.data.recall as { cars?: Array<{ deviceId: string }> } | undefined;
      for (const c of r?.cars ?? []) inc = await hub.act(inc, 'return_elevator', { deviceId: c.deviceId });
      inc = await hub.act(inc, 'record_repair_order', { cause: '排水管堵塞 (drill)' });
      // PROCEDURES.md §5.5: the cause opens a repair work order (§8), linked under the leak
      ctx.check(
        inc.children.length === 1,
        'the cause opened one repair work order, linked under the leak',
        `${inc.children.length} linked incident(s)`,
      );
      await hub.expectRefused(inc, 'close', {}, [403], 'an operator cannot close it (supervisor only)');
      inc = await hub.act(inc, 'close', { notes: '结案 drill complete' }, { as: 'supervisor' });
      const closed = ctx.check(!inc.open, `water incident #${inc.number} closed`, hub.stateText(inc));
      return { ok: closed && ctx.failures.length === 0, summary: `water incident #${inc.number} ${inc.state}` };
    } finally {
      for (const r of recalls) r.stop();
    }
  },
});

// ---------------------------------------------------------------- medical 意外事件
registerScenario({
  name: 'medical',
  title: '意外/急救 medical emergency',
  description:
    'A car traps passengers; the control room records one injured, which opens a linked medical emergency. With --hub: acknowledge, call 120, first aid, guard the zone, hold another car at the lobby for the stretcher (checks the car confirms), meet the ambulance, supervisor approves the one public statement, release the car, report, close; checks the follow-up is scheduled. Needs --hub (the link is the hub’s).',
  needs: ['elevator'],
  options: {},
  async run(ctx) {
    const hub = ctx.hub;
    if (!hub || !hub.has('supervisor'))
      throw new ScenarioError(
        'medical needs --hub with --supervisor-user/--supervisor-password (the statement is approved by a supervisor)',
      );
    const cars = ctx.find('elevator', ctx.str('building'));
    const trapped = cars[0];
    if (!trapped) throw new ScenarioError('no elevator in the fleet');
    const other = cars.find((c) => c !== trapped && c.identity.building === trapped.identity.building);
    const building = trapped.identity.building;
    await trapped.sim.trap({ passengers: 2 });
    ctx.log('1 困人 entrapment', `${trapped.identity.id}: 2 people inside, one hurt`);
    let ent = await hub.awaitIncident('elevator_entrapment', (i) => i.deviceId === trapped.identity.id && i.open, { building });
    if (!ctx.check(ent !== null, 'the car opened an entrapment')) return { ok: false, summary: 'no entrapment' };
    ent = await hub.act(ent!, 'acknowledge', { notes: '已接通对讲 (drill)' });
    ent = await hub.act(ent, 'record_passengers', { count: 2, vulnerable: [{ category: 'injured', note: '手臂出血 (drill)' }] });
    let med = await hub.awaitIncident('medical_emergency', (i) => i.parentId === ent!.id, { building });
    if (!ctx.check(med !== null, 'an injured passenger opened a medical emergency linked to the entrapment'))
      return { ok: false, summary: 'no linked medical emergency' };
    med = await hub.act(med!, 'acknowledge', {});
    med = await hub.act(med, 'record_120_call', { told: `${building} 电梯困人,一人手臂出血,意识清醒 (drill)` });
    med = await hub.act(med, 'dispatch_first_aid', { person: '秩序维护员 小刘', firstAider: true });
    med = await hub.act(med, 'record_zone_secured', { zone: '电梯厅 (drill)' });
    if (other) {
      med = await hub.act(med, 'hold_elevator', { deviceId: other.identity.id });
      const held = await hub.waitFor(med, 10_000, (d) => stepStatus(d, 'hold_elevator') === 'done');
      ctx.check(held !== null, `${other.identity.id} confirmed it waits at the lobby for the stretcher`);
      if (held) med = held;
    }
    med = await hub.act(med, 'record_ambulance_met', { gate: '南大门', person: '前台 (drill)' });
    med = await hub.act(med, 'record_handover', { outcome: 'ambulance', hospital: '仁济医院 (drill)' });
    await hub.expectRefused(med, 'approve_statement', { text: 'x' }, [403], 'only a supervisor approves the public statement');
    med = await hub.act(med, 'approve_statement', { text: '一位乘客受轻伤,已送医 (drill)' }, { as: 'supervisor' });
    if (other) med = await hub.act(med, 'release_elevator', {});
    med = await hub.act(med, 'file_report', { summary: '困人受伤,已送医 (drill)' });
    med = await hub.act(med, 'close', {}, { as: 'supervisor' });
    const fu = (await hub.session('operator').followUps({ incidentId: med.id }))[0];
    ctx.check(fu !== undefined, '回访 follow-up scheduled (2 working days)', fu ? `due ${localTime(fu.dueAt)}` : 'none');
    ctx.check(!med.open, `medical emergency #${med.number} closed`, hub.stateText(med));
    await trapped.sim.release();
    return { ok: ctx.failures.length === 0, summary: `medical emergency #${med.number} ${med.state}, linked to entrapment #${ent.number}` };
  },
});
