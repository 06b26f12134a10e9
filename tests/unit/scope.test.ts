// Building scope helper and live-push rooms (services/auth/scope.ts, dashboard/rooms.ts): pure.
import { describe, expect, it } from 'vitest';
import { ALL_BUILDINGS, buildingRooms, roleRooms, roomsOf } from '../../dashboard/rooms.js';
import { Scope } from '../../services/auth/scope.js';
import { errors } from '../../services/core/errors.js';

describe('Scope', () => {
  it('an empty scope is every building: no filter, everything allowed', () => {
    const s = Scope.of({ buildings: [] });
    expect(s).toBe(Scope.ALL);
    expect(s.limited).toBe(false);
    expect(s.where('buildingId')).toEqual({});
    expect(s.whereRequested('buildingId', 'b-1')).toEqual({ buildingId: 'b-1' });
    expect(s.allows('anything')).toBe(true);
    expect(Scope.of(null).limited).toBe(false);
  });

  it('a limited scope filters lists, answers other buildings with an empty filter and refuses single records as not found', () => {
    const s = Scope.of({ buildings: ['b-2', 'a-1', 'a-1'] });
    expect(s.buildings).toEqual(['a-1', 'b-2']);
    expect(s.where('buildingId')).toEqual({ buildingId: { in: ['a-1', 'b-2'] } });
    expect(s.whereRequested('buildingId', 'a-1')).toEqual({ buildingId: 'a-1' });
    expect(s.whereRequested('buildingId', 'c-9')).toEqual({ buildingId: { in: [] } });
    expect(s.whereRequested('buildingId', undefined)).toEqual({ buildingId: { in: ['a-1', 'b-2'] } });
    expect(s.allows('a-1')).toBe(true);
    expect(s.allows('c-9')).toBe(false);
    expect(s.allows(null)).toBe(false);
    expect(() => s.check('c-9', () => errors.notFound('no incident x'))).toThrow(expect.objectContaining({ statusCode: 404 }));
    expect(() => s.check('a-1', () => errors.notFound('no incident x'))).not.toThrow();
    expect(() => s.requireAll()).toThrow(expect.objectContaining({ statusCode: 403 }));
    expect(() => Scope.ALL.requireAll()).not.toThrow();
  });
});

describe('live-push rooms', () => {
  it('a scoped socket joins its buildings’ rooms; an unscoped one the all-buildings room', () => {
    const scoped = roomsOf({ id: 'u1', role: 'operator', buildings: ['a-1'] }, 's1');
    expect(scoped).toEqual(
      expect.arrayContaining(['session:s1', 'user:u1', 'role:operator', 'building:a-1', 'role:operator@building:a-1']),
    );
    expect(scoped).not.toContain(ALL_BUILDINGS);
    const all = roomsOf({ id: 'u2', role: 'admin', buildings: [] }, 's2');
    expect(all).toEqual(expect.arrayContaining([ALL_BUILDINGS, `role:admin@${ALL_BUILDINGS}`]));
    expect(all.some((r) => r.startsWith('building:') && r !== ALL_BUILDINGS)).toBe(false);
  });

  it('a push about a building reaches its room and the all-buildings room only', () => {
    const to = buildingRooms('b-1');
    expect(to).toEqual(['building:b-1', ALL_BUILDINGS]);
    const scopedA = roomsOf({ id: 'u1', role: 'operator', buildings: ['a-1'] }, 's1');
    expect(to.some((r) => scopedA.includes(r))).toBe(false);
    const notice = roleRooms(['operator', 'admin', 'operator'], 'a-1');
    expect(notice).toEqual([
      'role:operator@building:a-1',
      `role:operator@${ALL_BUILDINGS}`,
      'role:admin@building:a-1',
      `role:admin@${ALL_BUILDINGS}`,
    ]);
    expect(notice.some((r) => scopedA.includes(r))).toBe(true);
    // a supervisor of a-1 is not an operator: a notice for operators does not reach it
    const supA = roomsOf({ id: 'u3', role: 'supervisor', buildings: ['a-1'] }, 's3');
    expect(notice.some((r) => supA.includes(r))).toBe(false);
  });
});
