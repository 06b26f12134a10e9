// services/incidents/live-index.ts: the live incidents indexed by the device whose status they
// follow, by building, and by their next timer (issue 12, incident storm) — with real procedure
// snapshots from the pure engine under a fake clock, and the engine's routing fed the narrowed
// list giving the same plans as the full one.
import { describe, expect, it } from 'vitest';
import type { IncidentSnapshot, Trigger } from '../../services/core/procedure/index.js';
import { LiveSnapshots } from '../../services/incidents/live-index.js';
import { MIN, Sim, T0, engine, operator } from './procedures/helpers.js';

const link = (deviceId: string, buildingId = 'bldg-a'): Trigger => ({
  source: 'link',
  siteId: 'site-1',
  buildingId,
  deviceId,
  deviceClass: 'elevator',
  cause: 'offline',
  since: T0,
});
const workOrder = (fault: Sim): Sim =>
  new Sim('repair', {
    source: 'linked',
    siteId: 'site-1',
    buildingId: fault.s.buildingId,
    parentId: fault.s.id,
    parentKind: 'device_fault',
    deviceId: fault.s.deviceId!,
    payload: { cause: 'offline', code: null, zone: null, deviceClass: 'elevator', description: '' },
  });
const ids = (list: IncidentSnapshot[]) => list.map((s) => s.id).sort();
const routed = (deviceId: string, list: IncidentSnapshot[]) =>
  engine
    .routeDeviceStatus(deviceId, 'online', list)
    .map((p) => (p.op === 'decide' ? p.incidentId : null))
    .sort();

describe('live incidents indexed for status routing', () => {
  it('a device followed by two incidents (its fault and its work order) gets both; another device none', () => {
    const live = new LiveSnapshots();
    const fault = new Sim('device_fault', link('lift-a1'));
    const order = workOrder(fault);
    const other = new Sim('device_fault', link('lift-a2'));
    for (const s of [fault.s, order.s, other.s]) live.set(s);
    expect(ids(live.following('lift-a1'))).toEqual([fault.s.id, order.s.id].sort());
    expect(live.following('lift-zz')).toEqual([]);
    // the narrowed list routes exactly as the full list of live incidents did
    expect(routed('lift-a1', live.following('lift-a1'))).toEqual([fault.s.id, order.s.id].sort());
    expect(routed('lift-a1', live.values())).toEqual(routed('lift-a1', live.following('lift-a1')));
    expect(routed('lift-a2', live.following('lift-a2'))).toEqual([other.s.id]);
  });

  it('an incident that closes leaves the status index at once; it stays in its building until forgotten', () => {
    const live = new LiveSnapshots();
    const fault = new Sim('device_fault', link('lift-a1'));
    live.set(fault.s);
    fault.act(operator, 'acknowledge', { notes: '已通知维保' });
    live.set(fault.s);
    expect(ids(live.following('lift-a1'))).toEqual([fault.s.id]);
    fault.apply({ type: 'device_status', deviceId: 'lift-a1', state: 'online' });
    fault.act(operator, 'close', { resolution: '供电恢复' });
    expect(fault.s.open).toBe(false);
    live.set(fault.s);
    expect(live.following('lift-a1')).toEqual([]);
    expect(engine.routeDeviceStatus('lift-a1', 'online', live.following('lift-a1'))).toEqual([]);
    // closed within the flapping window: still live for the building's dedup
    expect(ids(live.inBuilding('bldg-a'))).toEqual([fault.s.id]);
    live.delete(fault.s.id);
    expect(live.inBuilding('bldg-a')).toEqual([]);
    expect(live.size).toBe(0);
  });

  it('the next timer follows each incident: set when it starts, taken when due, gone when it is cancelled', () => {
    const live = new LiveSnapshots();
    const a = new Sim('device_fault', link('lift-a1'));
    const b = new Sim('device_fault', link('lift-a2'));
    live.set(a.s);
    live.set(b.s);
    expect(live.nextDueAt()).toBeNull(); // an open link fault has no running timer
    // back online: the fault is recovered and its settle timer runs
    a.apply({ type: 'device_status', deviceId: 'lift-a1', state: 'online' });
    live.set(a.s);
    const settleA = a.timer('settle')!.dueAt;
    expect(live.nextDueAt()).toBe(settleA);
    b.now = T0 + 5 * MIN;
    b.apply({ type: 'device_status', deviceId: 'lift-a2', state: 'online' });
    live.set(b.s);
    const settleB = b.timer('settle')!.dueAt;
    expect(settleB).toBeGreaterThan(settleA);
    expect(live.nextDueAt()).toBe(settleA);
    // lift-a1 drops again: its settle timer is cancelled, so b's is next
    a.apply({ type: 'device_status', deviceId: 'lift-a1', state: 'lost' });
    live.set(a.s);
    expect(live.nextDueAt()).toBe(settleB);
    expect(live.takeDue(settleB - 1)).toEqual([]);
    expect(live.takeDue(settleB)).toEqual([b.s.id]);
    // not fired (say the transition failed): retime puts the same deadline back
    live.retime(b.s.id);
    expect(live.nextDueAt()).toBe(settleB);
    // fired: the fault closes by itself, nothing is due any more
    b.advance(settleB - b.now);
    expect(b.s.open).toBe(false);
    live.set(b.s);
    expect(live.nextDueAt()).toBeNull();
  });

  it('keeps the order incidents became live in, across updates (routing picks the first adopting parent)', () => {
    const live = new LiveSnapshots();
    const sims = ['lift-1', 'lift-2', 'lift-3'].map((d) => new Sim('device_fault', link(d)));
    for (const s of sims) live.set(s.s);
    sims[0]!.act(operator, 'acknowledge', { notes: '收到' });
    live.set(sims[0]!.s);
    expect(live.inBuilding('bldg-a').map((s) => s.id)).toEqual(sims.map((s) => s.s.id));
    expect(live.values().map((s) => s.id)).toEqual(sims.map((s) => s.s.id));
  });
});
