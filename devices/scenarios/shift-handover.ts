// Shift handover drill 交接班 (PROCEDURES.md "Shifts, duty log, handover"; seed 004 篇3 §1–§2;
// seed 000 §2.1.7). The people's side only, so it needs `--hub`: the outgoing operator closes the
// shift's duty log with an entry (a supervisor may not sign a shift that has not ended), leaves
// a pending item (a repair work order), and opens the handover with the equipment check (√/×) —
// the hub must list the open incidents and the pending item and refuse an incomplete check;
// the outgoing operator cannot accept their own handover; the incoming person (the supervisor
// login) accepts and then holds the desk. Exit 4 when the hub does not answer as the manual says.
import type { HandoverResponse, OnDutyView } from '../hub-client.js';
import { registerScenario, ScenarioError } from './registry.js';

registerScenario({
  name: 'shift-handover',
  title: '交接班 shift handover',
  description:
    'Needs --hub with an operator (outgoing) and a supervisor (incoming). The operator writes the closing duty-log entry (checks a supervisor cannot sign a running shift), registers a work order to hand over, reads the handover draft (checks it lists every open incident, the order and the equipment check), signs the handover with the equipment check (checks an incomplete check is refused and one × is kept), cannot accept it; the incoming supervisor accepts and holds the desk. Once per shift; the drill cancels its work order at the end.',
  needs: [],
  options: {
    failed: { type: 'string', description: 'equipment item marked × in the check (default: the first configured)' },
  },
  async run(ctx) {
    const hub = ctx.hub;
    if (!hub || !hub.has('operator') || !hub.has('supervisor'))
      throw new ScenarioError('shift-handover needs --hub with --user (the outgoing operator) and --supervisor-user (the incoming person)');
    const out = hub.session('operator');
    const inc = hub.session('supervisor');
    const building = ctx.str('building') ?? ctx.devices[0]?.identity.building;
    if (!building) throw new ScenarioError('give --building (the building of the work order handed over)');

    // 1. the shift by the clock and who holds the desk
    const before = await out.onDuty();
    ctx.log(
      '1 当班 on duty',
      `shift ${before.shift.id} ${before.shift.name} (${before.shift.status}); desk held by ${before.onDuty?.displayName ?? 'nobody yet'}${
        before.pendingHandover
          ? `; ended shift ${before.pendingHandover.shiftId} waits for its handover (${before.pendingHandover.state})`
          : ''
      }`,
    );
    if (!before.pendingHandover && before.shift.handover?.state === 'accepted')
      throw new ScenarioError(`shift ${before.shift.id} was handed over already: run the drill in the next shift`);

    // 2. the outgoing operator closes the shift's log; a running shift cannot be signed
    const text = `交班前巡查完毕,设备运行正常 (drill ${new Date(ctx.clock.now()).toISOString()})`;
    const log = await out.addShiftLog(text);
    ctx.logAs('◆', '值班记录 Duty-log entry', `${hub.person(out)}: ${text}`);
    ctx.check(
      log.shift.id === before.shift.id && log.entries.some((e) => e.text.includes(text)),
      'the closing entry is in the current shift’s duty log',
      `${log.entries.length} entries in shift ${log.shift.id}`,
    );
    const early = await inc.trySignShift(before.shift.id, 'drill');
    ctx.check(
      !early.ok && early.status === 400,
      'a supervisor cannot sign a shift’s log before the shift ends',
      early.ok ? 'signed' : `refused ${early.status}: ${early.message}`,
    );

    // 3. a pending item to hand over: a repair work order (PROCEDURES.md §8)
    const order = await out.registerWorkOrder({
      building,
      category: 'public_facilities',
      area: 'common',
      location: '大堂 (drill)',
      description: '大堂灯具不亮 (交接班演练 drill)',
      source: 'staff',
    });
    hub.done('登记报修 Register a work order', out, order, `#${order.number} to hand over`);

    try {
      // 4. the handover draft lists open incidents, pending items, devices and the equipment check
      const draft = await out.handoverDraft();
      const listed = new Set([...draft.openItems.map((i) => i.id), ...draft.pending.map((p) => p.id)]);
      const open = await out.incidents({ state: 'open', limit: 500 });
      const missing = open.filter((i) => !listed.has(i.id));
      ctx.check(
        missing.length === 0 && listed.has(order.id),
        'the handover lists every open incident and the pending work order',
        `${draft.openItems.length} open item(s), ${draft.pending.length} pending, ${draft.devices.length} device(s) down${
          missing.length ? `; missing #${missing.map((i) => i.number).join(', #')}` : ''
        }`,
      );
      if (!ctx.check(draft.equipment.length > 0, 'the equipment check list is configured', `${draft.equipment.length} item(s)`))
        return { ok: false, summary: 'no equipment check list' };

      // 5. the outgoing operator signs with the equipment check (seed 004 篇3 §2.1: every item)
      const failed = ctx.str('failed') ?? draft.equipment[0]!.id;
      if (!draft.equipment.some((e) => e.id === failed)) throw new ScenarioError(`--failed ${failed} is not an equipment item`);
      const checks = draft.equipment.map((e) => ({
        item: e.id,
        ok: e.id !== failed,
        ...(e.id === failed ? { note: '演练:故障待修 drill' } : {}),
      }));
      const partial = await out.tryHandover({ notes: 'drill', checks: checks.slice(1) });
      ctx.check(
        !partial.ok && partial.status === 400,
        'a handover whose equipment check leaves an item out is refused',
        partial.ok ? 'accepted' : `refused ${partial.status}`,
      );
      const signed = await out.tryHandover({
        notes: `交接:报修工单 #${order.number} 待派单;${failed} 检查异常 (drill)`,
        incomingUsername: inc.user.username,
        checks,
      });
      if (!signed.ok)
        return {
          ok: ctx.check(false, 'the outgoing operator signed the handover', `${signed.status}: ${signed.message}`),
          summary: 'no handover',
        };
      let h: HandoverResponse = signed.value;
      ctx.logAs(
        '◆',
        '交班签字 Sign the handover',
        `${hub.person(out)} → ${h.state}, ${h.openItems.length} item(s), incoming ${inc.user.username}`,
      );
      ctx.check(
        h.state === 'open' &&
          h.checks.length === draft.equipment.length &&
          h.checks
            .filter((c) => !c.ok)
            .map((c) => c.item)
            .join() === failed,
        'the handover keeps the equipment check with its × item',
        h.checks.map((c) => `${c.ok ? '√' : '×'} ${c.label}`).join(', '),
      );
      ctx.check(
        h.openItems.some((i) => i.id === order.id),
        'the signed handover carries the pending work order',
        `${h.openItems.length} item(s)`,
      );
      if (before.pendingHandover) {
        // seed 004 篇3 §1.5: the outgoing operator stays on duty until the incoming one accepts
        const waiting = await out.onDuty();
        ctx.check(
          waiting.overtime && waiting.onDuty?.id === out.user.id,
          'the outgoing operator stays on duty until the handover is accepted',
          `desk held by ${waiting.onDuty?.displayName ?? 'nobody'}`,
        );
      }

      // 6. acceptance: never by the outgoing operator; the incoming one accepts and holds the desk
      const own = await out.tryAcceptHandover(h.id);
      ctx.check(
        !own.ok && own.status === 403,
        'the outgoing operator cannot accept their own handover',
        own.ok ? 'accepted' : `refused ${own.status}`,
      );
      const accepted = await inc.tryAcceptHandover(h.id, '已核对,接班 (drill)');
      if (!accepted.ok)
        return {
          ok: ctx.check(false, 'the incoming person accepted the handover', `${accepted.status}: ${accepted.message}`),
          summary: 'not accepted',
        };
      h = accepted.value;
      ctx.logAs('◆', '接班 Accept the handover', `${hub.person(inc)} → ${h.state}`);
      const after: OnDutyView = await out.onDuty();
      ctx.check(
        h.state === 'accepted' && after.onDuty?.id === inc.user.id && after.pendingHandover === null,
        'accepted: the incoming person holds the desk',
        `desk held by ${after.onDuty?.displayName ?? 'nobody'}; ${after.pendingHandover ? 'a handover still pending' : 'nothing pending'}`,
      );
      // the acceptance closes the handed-over shift's log (docs/records.md), not the next one's
      const logged = await out.shiftLog(h.shiftId ?? undefined);
      ctx.check(
        logged.entries.some((e) => e.key.endsWith('handover_accepted')),
        'the acceptance is in the handed-over shift’s duty log',
        `${logged.entries.length} entries in shift ${logged.shift.id}`,
      );
    } finally {
      // the drill's own work order is withdrawn (kept, never deleted), whatever happened above
      const left = await out.incident(order.id);
      if (left.open) await hub.act(left, 'cancel', { reason: '交接班演练结束 drill over' });
    }
    return {
      ok: ctx.failures.length === 0,
      summary: `handover of shift ${before.pendingHandover?.shiftId ?? before.shift.id} accepted by ${inc.user.username}; work order #${order.number} withdrawn`,
    };
  },
});
