// People's steps shared by several scenarios (the entrapment procedure runs on its own and
// as the child of an outage), plus small readers of an incident view. Action names and
// payloads: docs/procedures.md, services/*/machine.ts.
import type { IncidentDetail, IncidentView } from '../hub-client.js';
import type { Typed } from '../runtime.js';
import type { ControlRoom } from './control-room.js';
import type { ScenarioContext } from './registry.js';

export function stepStatus(inc: Pick<IncidentView, 'steps'>, key: string): string | undefined {
  return inc.steps.find((s) => s.key === key)?.status;
}

export function timerStatus(inc: Pick<IncidentView, 'timers'>, key: string): string | undefined {
  return inc.timers.find((t) => t.key === key)?.status;
}

export function timer(inc: Pick<IncidentView, 'timers'>, key: string): IncidentView['timers'][number] | undefined {
  return inc.timers.find((t) => t.key === key);
}

export function escalations(inc: IncidentDetail, reason?: string): IncidentDetail['timeline'] {
  return inc.timeline.filter((e) => e.type === 'escalated' && (reason === undefined || e.data.reason === reason));
}

/** The fire incident's per-car recall record (`data.recall.cars`). */
export function recallCars(inc: Pick<IncidentView, 'data'>): Array<{ deviceId: string; status: string }> {
  const r = inc.data.recall as { cars?: Array<{ deviceId: string; status: string }> } | undefined;
  return r?.cars ?? [];
}

export function localTime(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
}

export interface EntrapmentPeople {
  passengers: number;
  company: string;
  person: string;
  security: string;
}

/**
 * Entrapment, before the release (PROCEDURES.md §1): acknowledge within 30 s (talk to and
 * reassure the passengers), record them, dispatch the contractor (30-min arrival timer) and
 * security.
 */
export async function entrapmentBeforeRelease(
  ctx: ScenarioContext,
  hub: ControlRoom,
  inc: IncidentDetail,
  p: EntrapmentPeople,
): Promise<IncidentDetail> {
  const ackTimer = timer(inc, 'ack');
  inc = await hub.act(
    inc,
    'acknowledge',
    { notes: '已接通轿厢对讲,安抚乘客 talking to the passengers, reassured (drill)' },
    { note: 'two-way talk with the car open' },
  );
  if (ackTimer)
    ctx.check(
      timerStatus(inc, 'ack') === 'cancelled',
      'acknowledged within the 30 s target',
      `ack timer ${timerStatus(inc, 'ack')}; ${timerStatus(inc, 'recontact') === 'running' ? '5-min re-contact reminder running' : 'no re-contact reminder'}`,
    );
  inc = await hub.act(
    inc,
    'record_passengers',
    { count: p.passengers, vulnerable: [] },
    { note: `${p.passengers} 人 passengers, none vulnerable` },
  );
  inc = await hub.act(inc, 'dispatch_contractor', { company: p.company, person: p.person }, { note: `${p.company} ${p.person}` });
  const due = timer(inc, 'contractor_arrival');
  ctx.check(
    due?.status === 'running',
    'contractor arrival timer running',
    due ? `due ${localTime(due.dueAt)}` : 'no contractor_arrival timer',
  );
  inc = await hub.act(inc, 'dispatch_security', { person: p.security }, { note: `${p.security} keeps voice contact at the car` });
  return inc;
}

/**
 * Entrapment, after the car reported doors open: a person confirms the release with the
 * headcount; the car stays out of service until a supervisor records the contractor's
 * sign-off; the 回访 follow-up is scheduled; report; close. With `closeIt: false` it stops
 * after the release (no supervisor account).
 */
export async function entrapmentAfterRelease(
  ctx: ScenarioContext,
  hub: ControlRoom,
  inc: IncidentDetail,
  car: Typed<'elevator'> | undefined,
  p: EntrapmentPeople,
  o: { arrivedBeforeRelease?: boolean } = {},
): Promise<{ inc: IncidentDetail; closed: boolean }> {
  if (!o.arrivedBeforeRelease && stepStatus(inc, 'contractor_arrived') === 'pending') {
    inc = await hub.act(inc, 'record_contractor_arrival', {}, { note: `${p.person} on site` });
  }
  const hinted = await hub.waitFor(inc, 5000, (d) => d.timeline.some((e) => e.type === 'hint' && e.data.hint === 'release_suggested'));
  ctx.check(
    hinted !== null,
    'doors open reported by the car is only a hint: a person confirms the release',
    hinted ? `state still ${hinted.state}` : 'no release hint from the hub',
  );
  inc = await hub.act(
    inc,
    'confirm_release',
    { headcount: p.passengers, releasedBy: `${p.company} ${p.person}` },
    { note: `headcount ${p.passengers}, all out` },
  );
  ctx.check(inc.state === 'released', 'released: passengers out, headcount confirmed', hub.stateText(inc));
  const deviceId = inc.deviceId;
  if (deviceId) {
    const dev = await hub.session('operator').device(deviceId);
    ctx.check(
      Boolean(dev.meta.outOfService),
      `${deviceId} out of service until signed fit`,
      dev.meta.outOfService ? JSON.stringify(dev.meta.outOfService) : 'the hub still lists it in service',
    );
  }
  const follow = await hub.session('operator').followUps({ incidentId: inc.id });
  const fu = follow[0];
  ctx.check(
    fu !== undefined && fu.dueAt > ctx.clock.now(),
    '回访 follow-up scheduled (within 2 working days)',
    fu ? `"${fu.subject}" due ${localTime(fu.dueAt)}` : 'no follow-up task for this incident',
  );
  if (!hub.has('supervisor')) {
    ctx.log(
      'note',
      `incident #${inc.number} left at "${inc.state}": signing the car fit and closing need a supervisor (--supervisor-user)`,
    );
    return { inc, closed: false };
  }
  await hub.expectRefused(
    inc,
    'sign_fit',
    { contractorCompany: p.company, contractorPerson: p.person },
    [403],
    'an operator cannot sign the car fit (supervisor only)',
  );
  inc = await hub.act(
    inc,
    'sign_fit',
    { contractorCompany: p.company, contractorPerson: p.person },
    { as: 'supervisor', note: `contractor ${p.company} ${p.person} signed the car fit` },
  );
  if (deviceId) {
    const dev = await hub.session('operator').device(deviceId);
    ctx.check(!dev.meta.outOfService, `${deviceId} back in service in the hub`, hub.stateText(inc));
  }
  if (car) {
    await car.sim.returnToService();
    ctx.log('恢复运行 back in service', `${car.identity.id} running normally again`);
  }
  inc = await hub.act(
    inc,
    'file_report',
    {
      summary: `${p.passengers} 人被困,${p.company} ${p.person} 到场解救,无人受伤 (drill) / ${p.passengers} trapped, released by the contractor, nobody hurt`,
    },
    { note: '特别事件报告 special incident report' },
  );
  inc = await hub.act(inc, 'close', { notes: '结案 drill complete' }, { as: 'supervisor' });
  const closed = ctx.check(
    !inc.open && inc.state === 'closed',
    `entrapment #${inc.number} closed`,
    `${hub.stateText(inc)} after ${(((inc.closedAt ?? ctx.clock.now()) - inc.openedAt) / 1000).toFixed(1)}s`,
  );
  return { inc, closed };
}
