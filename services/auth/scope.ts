// Building scope (issue 8 item 3): a user may be confined to some buildings — an operator of
// estate A does not see estate B's incidents, devices, visitors or records. The scope travels
// with the authenticated principal (AuthUser.buildings, read with the session) and every
// service query that returns or changes a building's data goes through this one helper:
//  - lists filter with `scope.where('buildingId')` (a Prisma `where` fragment) or `scope.allows(b)`;
//  - a single record outside the scope is "not found" (404, the same answer as a missing id), so
//    a scoped user cannot probe which ids exist in other buildings (docs/security.md);
//  - an action on such a record is refused the same way (404) before anything is decided.
// An empty scope means every building. Which routes are building-scoped, and how the others are
// decided, is the route-scope registry (./route-scope.ts).
import type { FastifyRequest } from 'fastify';
import { bi } from '../../contracts/records.js';
import { errors, type HubError } from '../core/errors.js';

/** the refusal of an estate-wide change to a user confined to some buildings */
export const UNSCOPED_ONLY = () => bi('仅限不限楼栋的用户操作', 'only a user without a building scope may do this');

export class Scope {
  /** every building: unscoped users and the hub itself (timers, devices, live push fan-out) */
  static readonly ALL = new Scope([]);

  /** sorted, de-duplicated; empty = every building */
  readonly buildings: readonly string[];
  private readonly set: ReadonlySet<string>;

  private constructor(buildings: readonly string[]) {
    this.buildings = [...new Set(buildings)].sort();
    this.set = new Set(this.buildings);
  }

  static of(user: { buildings?: readonly string[] | undefined } | null | undefined): Scope {
    const b = user?.buildings ?? [];
    return b.length === 0 ? Scope.ALL : new Scope(b);
  }

  /** confined to some buildings (false = sees every building) */
  get limited(): boolean {
    return this.buildings.length > 0;
  }

  /** May this scope see data of `building`? */
  allows(building: string | null | undefined): boolean {
    if (!this.limited) return true;
    return building != null && this.set.has(building);
  }

  /** A Prisma `where` fragment on a building-id field: `{}` for every building. */
  where<K extends string>(field: K): Partial<Record<K, { in: string[] }>> {
    return this.limited ? ({ [field]: { in: [...this.buildings] } } as Partial<Record<K, { in: string[] }>>) : {};
  }

  /**
   * A building filter asked for by the client (`?building=`) combined with the scope: the
   * requested building if it is in scope, an impossible filter otherwise (an empty list, not an
   * error: a list of another estate's building is simply empty for this user).
   */
  whereRequested<K extends string>(field: K, requested: string | undefined): Partial<Record<K, string | { in: string[] }>> {
    if (requested === undefined) return this.where(field);
    return { [field]: this.allows(requested) ? requested : { in: [] } } as Partial<Record<K, string | { in: string[] }>>;
  }

  /** Throw `notFound()` unless `building` is in scope (single reads and actions: 404, never 403). */
  check(building: string | null | undefined, notFound: () => HubError): void {
    if (!this.allows(building)) throw notFound();
  }

  /** An estate-wide change (settings, channels, other users' shifts …) needs an unscoped user. */
  requireAll(): void {
    if (this.limited) throw errors.forbidden(UNSCOPED_ONLY());
  }
}

/** The requesting user's scope (no user: every building — such routes are public by policy). */
export function scopeOf(req: FastifyRequest): Scope {
  return Scope.of(req.user);
}
