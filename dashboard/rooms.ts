// socket.io rooms: the one place that says which room a live connection joins and which rooms a
// push goes to. Rooms are plain names, so the same wiring works with a cluster adapter (Redis):
// a push addressed to rooms reaches the matching sockets on every instance.
//
// Building scope (issue 8 item 3; docs/security.md "Building scope"): a socket joins one room
// per building of its user's scope, or the all-buildings room when unscoped; a push about a
// building goes to that building's room and the all-buildings room only. Notices for roles go to
// role-and-building rooms, so "the supervisors of building A" is one room. The rooms are fixed
// at connect: a change of the user's scope ends its sessions (AuthService.endSessions,
// 'scope_changed'), and the reconnected socket joins the new rooms.
import type { Role } from '../contracts/domain.js';
import { Scope } from '../services/auth/scope.js';

export const ALL_BUILDINGS = 'building:*';
const buildingRoom = (b: string) => `building:${b}`;

/** Every room a connection of this session joins. */
export function roomsOf(user: { id: string; role: Role; buildings?: readonly string[] }, sessionId: string): string[] {
  const scope = Scope.of(user);
  const buildings = scope.limited ? scope.buildings.map(buildingRoom) : [ALL_BUILDINGS];
  return [
    // per-session and per-user rooms let a logout, a disabled user or a role change end exactly their connections
    `session:${sessionId}`,
    `user:${user.id}`,
    `role:${user.role}`,
    ...buildings,
    ...buildings.map((b) => `role:${user.role}@${b}`),
  ];
}

/** The rooms of everyone who may see `building`'s data. */
export function buildingRooms(building: string): string[] {
  return [buildingRoom(building), ALL_BUILDINGS];
}

/** The rooms of the given roles among those who may see `building`'s data. */
export function roleRooms(roles: readonly string[], building: string): string[] {
  return [...new Set(roles)].flatMap((r) => buildingRooms(building).map((b) => `role:${r}@${b}`));
}

/** The room of one building alone (a burst split by building; unscoped sockets get it whole). */
export function onlyBuildingRoom(building: string): string {
  return buildingRoom(building);
}

export const sessionRoom = (sessionId: string) => `session:${sessionId}`;
export const userRoom = (userId: string) => `user:${userId}`;
