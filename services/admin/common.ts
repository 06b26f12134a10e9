// What every admin service shares: who is acting (and within which buildings), and the audit
// row written in the same transaction as the change it records (who, what, before/after).
import type { Prisma } from '../../prisma/generated/client.js';
import { bi } from '../../contracts/records.js';
import { errors } from '../core/errors.js';

export type Tx = Prisma.TransactionClient;

/**
 * The actor of an admin change: "user:<id>" for staff, "system:demo" for the demo seed.
 * `buildings` is the actor's building scope: empty = every building.
 */
export interface AdminActor {
  ref: string;
  buildings: readonly string[];
}

export const SYSTEM_DEMO: AdminActor = { ref: 'system:demo', buildings: [] };

export function actorOf(user: { id: string; buildings?: readonly string[] | undefined }): AdminActor {
  return { ref: `user:${user.id}`, buildings: user.buildings ?? [] };
}

export const scoped = (a: AdminActor): boolean => a.buildings.length > 0;
export const inScope = (a: AdminActor, building: string): boolean => !scoped(a) || a.buildings.includes(building);

/** Estate-wide changes (a new site or building, settings) need an admin without a building scope. */
export function requireUnscoped(a: AdminActor): void {
  if (scoped(a)) throw errors.forbidden(bi('仅限不限楼栋的管理员操作', 'only an administrator without a building scope may do this'));
}

/** A building outside the actor's scope looks like a missing one (no probing of other estates). */
export function requireInScope(a: AdminActor, building: string): void {
  if (!inScope(a, building)) throw errors.notFound(bi(`没有楼栋 ${building}`, `no building ${building}`));
}

/** Only the fields that changed, each side (audit rows stay small and say what happened). */
export function changes<T extends Record<string, unknown>>(before: T, after: Partial<T>): { before: Partial<T>; after: Partial<T> } | null {
  const b: Partial<T> = {};
  const a: Partial<T> = {};
  for (const k of Object.keys(after) as Array<keyof T>) {
    if (after[k] === undefined) continue;
    if (JSON.stringify(before[k]) !== JSON.stringify(after[k])) {
      b[k] = before[k];
      a[k] = after[k];
    }
  }
  return Object.keys(a).length ? { before: b, after: a } : null;
}

export async function audit(tx: Tx, actor: AdminActor, action: string, target: string, data: Record<string, unknown>): Promise<void> {
  await tx.auditLog.create({ data: { actor: actor.ref, action, target, data: data as Prisma.InputJsonValue } });
}

/** Prisma's unique-violation code: a duplicate id raced past the existence check. */
export function isUniqueViolation(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: string }).code === 'P2002';
}
