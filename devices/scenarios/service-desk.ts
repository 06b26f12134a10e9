// Service-desk drills (PROCEDURES.md §8): a device fault ends in a repair work order someone is
// accountable for. The fire panel reports a trouble; the hub opens a device fault and, linked
// under it, a repair work order. With --hub the control room dispatches the repair, records the
// response, the panel resets (the hub suggests completion), the repair is completed and staff
// accept it for the common area; the drill checks the order closed and 回访 was scheduled.
import { registerScenario, ScenarioError } from './registry.js';

registerScenario({
  name: 'repair-order',
  title: '报修工单 repair work order from a device fault',
  description:
    'A fire panel reports a trouble (fire.trouble), later resets (fire.reset). With --hub: the hub opens a device fault and its linked repair work order; the operator dispatches it, records the response, completes it after the reset suggests so, staff accept it; checks the order closed and 回访 is scheduled.',
  needs: ['fire-panel'],
  options: {
    panel: { type: 'string', description: 'fire panel device id (default: first, or first in --building)' },
    zone: { type: 'string', description: 'zone in trouble', default: 'Z4' },
    'reset-after': { type: 'string', description: 'time until the panel resets', default: '1s' },
  },
  async run(ctx) {
    const panels = ctx.find('fire-panel', ctx.str('building'));
    const wanted = ctx.str('panel');
    const panel = wanted ? panels.find((p) => p.identity.id === wanted) : panels[0];
    if (!panel) throw new ScenarioError(`no fire panel${wanted ? ` ${wanted}` : ''} in the fleet`);
    const zone = ctx.str('zone', 'Z4');
    const hub = ctx.hub;
    if (hub && !hub.has('operator')) throw new ScenarioError('the service-desk steps need an operator login: --user/--password');
    const e = await panel.sim.trouble(zone, 'E-OPEN');
    ctx.log('1 故障 trouble', `${panel.identity.id} zone ${zone}: fire.trouble (event ${e.id})`);
    if (!hub) {
      await ctx.wait(ctx.duration('reset-after', 1000));
      await panel.sim.reset();
      ctx.log('2 复位 reset', `${panel.identity.id}: fire.reset`);
      return { ok: true, summary: `trouble raised and reset on ${panel.identity.id}` };
    }
    const fault = await hub.awaitIncident('device_fault', (i) => i.deviceId === panel.identity.id && i.open);
    let order = await hub.awaitIncident('repair', (i) => i.deviceId === panel.identity.id && i.open);
    if (!ctx.check(fault !== null && order !== null, 'the fault opened a device fault and its repair work order'))
      return { ok: false, summary: 'no work order for the fault' };
    ctx.check(order!.parentId === fault!.id && fault!.children.includes(order!.id), 'the work order and the fault are linked both ways');
    order = await hub.act(order!, 'dispatch', { party: '消防维保单位', phone: '400-800-1190' }, { note: 'dispatched to the contractor' });
    order = await hub.act(order, 'record_response', { notes: '维保单位已接单' });
    await ctx.wait(ctx.duration('reset-after', 1000));
    await panel.sim.reset();
    ctx.log('2 复位 reset', `${panel.identity.id}: fire.reset — the hub should suggest completion`);
    const hinted = await hub.waitFor(order, 5000, (d) => d.timeline.some((x) => x.type === 'hint'));
    ctx.check(hinted !== null, 'the panel reset suggested the repair is done');
    order = await hub.act(order, 'complete', { workDone: '更换故障模块' });
    order = await hub.act(order, 'accept', { signedBy: 'staff', signerName: '工程部 王工', satisfied: true });
    ctx.check(
      order.state === 'closed' && typeof (order.data as { followupDueAt?: unknown }).followupDueAt === 'number',
      `work order #${order.number} closed, 回访 follow-up scheduled`,
    );
    return { ok: order.state === 'closed', summary: `repair work order #${order.number} ${order.state}` };
  },
});

// ---------------------------------------------------------------- complaint 投诉
// PROCEDURES.md §9: a resident's complaint from registration to 回访. The desk (or the operator at
// night) registers it, confirms it valid, replies within 2 h with the next reply time agreed,
// opens a repair work order for it (linked both ways), records the response and the solution
// replied to the resident, and the 回访 closes it; an outside person's invalid complaint is
// closed with its explanation. With a supervisor login the drill reads the monthly report.
registerScenario({
  name: 'complaint',
  title: '投诉 complaint from registration to 回访',
  description:
    'Needs --hub. A resident complains about a broken corridor light: registered, confirmed valid, replied (next reply agreed), a repair work order opened for it (checks the link both ways), response, solution replied, 回访 closes it (checks it cannot be waived); an outside person’s complaint is marked invalid with an explanation. With --supervisor-user: the monthly complaint report counts both.',
  needs: [],
  options: {
    building: { type: 'string', description: 'building id (default: the first device’s building)' },
    unit: { type: 'string', description: 'the resident’s unit (must be in the owner file)', default: '1203' },
  },
  async run(ctx) {
    const hub = ctx.hub;
    if (!hub || !hub.has('operator')) throw new ScenarioError('complaint needs --hub with an operator login (--user/--password)');
    const building = ctx.str('building') ?? ctx.devices[0]?.identity.building;
    if (!building) throw new ScenarioError('complaint needs --building (or a fleet to take it from)');
    const unit = ctx.str('unit', '1203');
    // the front desk registers complaints; the control room takes the calls at night
    const who = hub.has('desk') ? ('desk' as const) : ('operator' as const);
    const s = hub.session(who);

    let c = await s.registerComplaint({
      building,
      complainantType: 'resident',
      unit,
      channel: 'phone',
      category: 'facilities',
      location: '12楼走廊 (drill)',
      description: '走廊灯坏了三天没人修 (drill)',
    });
    hub.done('投诉登记 Register a complaint', s, c, `unit ${unit}, phone, facilities`);
    c = await hub.act(c, 'accept_valid', {}, { as: who });
    c = await hub.act(
      c,
      'record_reply',
      { text: '已安排工程部,今天下班前回复 (drill)', nextReplyAt: ctx.clock.now() + 2 * 3_600_000 },
      { as: who },
    );
    ctx.check(typeof (c.data as { firstReplyAt?: unknown }).firstReplyAt === 'number', 'replied within 2 h, next reply time agreed');
    c = await hub.act(
      c,
      'open_work_order',
      { repairCategory: 'electrical', area: 'common', location: '12楼走廊', description: '走廊灯不亮 (drill)' },
      { as: who },
    );
    const order = await hub.awaitIncident('repair', (i) => i.parentId === c.id, { as: who, building });
    ctx.check(
      order !== null && (await hub.refresh(c, who)).children.includes(order.id),
      'the complaint and its repair work order are linked both ways',
    );
    c = await hub.act(c, 'record_response', { notes: '工程部已接单 (drill)' }, { as: who });
    c = await hub.act(c, 'record_solution', { solution: '已更换灯管,已电话告知业主 (drill)' }, { as: who });
    ctx.check(c.state === 'awaiting_followup', 'the solution was replied: 回访 is owed', hub.stateText(c));
    if (hub.has('supervisor'))
      await hub.expectRefused(
        c,
        'skip_step',
        { step: 'followup', reason: 'drill' },
        [409],
        'nobody waives the 回访 of a valid complaint',
        'supervisor',
      );
    c = await hub.act(c, 'record_followup', { satisfied: true, notes: '业主满意 (drill)' }, { as: who });
    ctx.check(!c.open && c.state === 'closed', `complaint #${c.number} closed after 回访`, hub.stateText(c));

    let inv = await s.registerComplaint({
      building,
      complainantType: 'outside',
      complainantName: '路人 (drill)',
      channel: 'visit',
      category: 'service',
      description: '要求物业代收私人快递 (drill)',
    });
    hub.done('投诉登记 Register a complaint', s, inv, 'outside person, visit, service');
    inv = await hub.act(
      inv,
      'mark_invalid',
      { reason: '不属物业服务范围 (drill)', explanation: '已说明快递需本人签收 (drill)' },
      { as: who },
    );
    ctx.check(inv.state === 'invalid' && !inv.open, `complaint #${inv.number} invalid, closed with its explanation`);

    if (hub.has('supervisor')) {
      const r = await hub.session('supervisor').complaintReport({ building });
      ctx.check(
        r.valid >= 1 && r.invalid >= 1 && r.followup.done >= 1,
        `monthly complaint report ${r.month}: ${r.total} registered, ${r.valid} valid, ${r.invalid} invalid, 回访 ${r.followup.done}/${r.followup.due}`,
      );
    }
    return { ok: ctx.failures.length === 0, summary: `complaint #${c.number} ${c.state}, complaint #${inv.number} ${inv.state}` };
  },
});
