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
