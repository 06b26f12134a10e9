// Staff accounts (issue 8 §3): create (a generated password is shown once), disable, change
// role, reset a password, change one's own, building scope. Disabling, a role change, a
// scope change and a password reset end that user's sessions at once — HTTP and socket.io —
// through AuthService.endSessions. The last active admin can be neither disabled nor demoted.
//
// Password policy (NIST SP 800-63B §5.1.1.2: a minimum length and a check against
// context-specific words, no composition rules): at least 10 characters (issue 8), not
// containing the username. It applies to HUB_ADMIN_PASSWORD on first start too (ensureAdmin).
import type { Role } from '../../contracts/domain.js';
import { PASSWORD_MIN, type UserCreateBody, type UserPatch, type UserView } from '../../contracts/admin.js';
import { bi } from '../../contracts/records.js';
import type { AuthService } from '../auth/service.js';
import { hashPassword, newSecret, verifyPassword } from '../core/crypto.js';
import type { Db } from '../core/db.js';
import { errors, HubError } from '../core/errors.js';
import type { SessionEndReason } from '../../contracts/socket.js';
import { audit, changes, isUniqueViolation, scoped, type AdminActor, type Tx } from './common.js';

/** Why a password is refused, or null when it is acceptable. */
export function passwordProblem(username: string, password: string): string | null {
  if (Array.from(password).length < PASSWORD_MIN)
    return bi(`密码至少 ${PASSWORD_MIN} 位`, `password must be at least ${PASSWORD_MIN} characters`);
  if (username && password.toLowerCase().includes(username.toLowerCase()))
    return bi('密码不能包含用户名', 'password must not contain the username');
  return null;
}

/** 16 characters of base64url (96 bits): readable aloud, and never containing the username. */
export function generatePassword(username: string): string {
  for (;;) {
    const p = newSecret(12);
    if (!passwordProblem(username, p)) return p;
  }
}

type UserRow = Awaited<ReturnType<Db['user']['findUniqueOrThrow']>>;

const view = (u: UserRow): UserView => ({
  id: u.id,
  username: u.username,
  displayName: u.displayName,
  role: u.role as Role,
  disabled: !u.enabled,
  buildings: u.buildings,
  createdAt: u.createdAt.getTime(),
  passwordChangedAt: u.passwordChangedAt?.getTime() ?? null,
});

/** A scoped admin manages only users confined to (a subset of) its own buildings. */
function manageable(actor: AdminActor, buildings: readonly string[]): boolean {
  return !scoped(actor) || (buildings.length > 0 && buildings.every((b) => actor.buildings.includes(b)));
}

export class UserAdminService {
  constructor(
    private readonly db: Db,
    private readonly auth: AuthService,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * First start: the `admin` account with HUB_ADMIN_PASSWORD (checked against the policy) or a
   * generated one, returned so the caller prints it once. Later starts change nothing.
   */
  async ensureAdmin(password: string | undefined): Promise<{ created: boolean; password: string | null }> {
    if (await this.db.user.findUnique({ where: { username: 'admin' } })) return { created: false, password: null };
    const problem = password === undefined ? null : passwordProblem('admin', password);
    if (problem) throw new HubError('HUB_ERR_CONFIG', `HUB_ADMIN_PASSWORD: ${problem}`, 500);
    return this.auth.ensureAdmin(password ?? generatePassword('admin'));
  }

  async list(actor: AdminActor): Promise<UserView[]> {
    const rows = await this.db.user.findMany({ orderBy: [{ role: 'asc' }, { username: 'asc' }] });
    return rows.filter((u) => manageable(actor, u.buildings)).map(view);
  }

  private async checkBuildings(tx: Tx, actor: AdminActor, buildings: readonly string[]): Promise<void> {
    if (!manageable(actor, buildings))
      throw errors.forbidden(bi('只能分配您管辖范围内的楼栋', 'you may only assign buildings within your own scope'));
    if (buildings.length === 0) return;
    const found = new Set((await tx.building.findMany({ where: { id: { in: [...buildings] } }, select: { id: true } })).map((b) => b.id));
    const missing = buildings.filter((b) => !found.has(b));
    if (missing.length) throw errors.badRequest(bi(`楼栋不存在:${missing.join(', ')}`, `unknown buildings: ${missing.join(', ')}`));
  }

  async create(actor: AdminActor, body: UserCreateBody): Promise<{ id: string; password?: string }> {
    const generated = body.password === undefined;
    const password = body.password ?? generatePassword(body.username);
    const problem = passwordProblem(body.username, password);
    if (problem) throw errors.badRequest(problem);
    const buildings = [...new Set(body.buildings ?? [])];
    const passwordHash = await hashPassword(password);
    const exists = () => errors.conflict(bi(`用户名 ${body.username} 已被使用`, `username ${body.username} is taken`));
    try {
      const id = await this.db.$transaction(async (tx) => {
        await this.checkBuildings(tx, actor, buildings);
        if (await tx.user.findUnique({ where: { username: body.username } })) throw exists();
        const u = await tx.user.create({
          data: {
            username: body.username,
            displayName: body.displayName,
            role: body.role,
            passwordHash,
            buildings,
            passwordChangedAt: new Date(this.now()),
          },
        });
        await audit(tx, actor, 'user.create', `user:${u.id}`, {
          after: { username: u.username, displayName: u.displayName, role: u.role, buildings, passwordGenerated: generated },
        });
        return u.id;
      });
      return generated ? { id, password } : { id };
    } catch (e) {
      if (isUniqueViolation(e)) throw exists();
      throw e;
    }
  }

  /**
   * One lock for every change that could remove an active admin, so two admins disabling
   * each other at the same moment cannot leave none.
   */
  private lockAdmins(tx: Tx): Promise<unknown> {
    return tx.$executeRawUnsafe(`SELECT pg_advisory_xact_lock(hashtext('bops:user-admins'))`);
  }

  private async load(tx: Tx, actor: AdminActor, id: string): Promise<UserRow> {
    const u = await tx.user.findUnique({ where: { id } });
    // someone outside the actor's scope is "not found", as for buildings
    if (!u || !manageable(actor, u.buildings)) throw errors.notFound(bi(`没有用户 ${id}`, `no user ${id}`));
    return u;
  }

  async patch(actor: AdminActor, id: string, patch: UserPatch): Promise<UserView> {
    const { row, ended } = await this.db.$transaction(async (tx) => {
      await this.lockAdmins(tx);
      const u = await this.load(tx, actor, id);
      const buildings = patch.buildings ? [...new Set(patch.buildings)] : undefined;
      if (buildings) await this.checkBuildings(tx, actor, buildings);
      const before = { role: u.role as Role, displayName: u.displayName, disabled: !u.enabled, buildings: u.buildings };
      const after = {
        ...(patch.role !== undefined ? { role: patch.role } : {}),
        ...(patch.displayName !== undefined ? { displayName: patch.displayName } : {}),
        ...(patch.disabled !== undefined ? { disabled: patch.disabled } : {}),
        ...(buildings ? { buildings } : {}),
      };
      const diff = changes(before, after);
      if (!diff) return { row: u, ended: null };
      const losesAdmin = u.role === 'admin' && u.enabled && ((after.role ?? 'admin') !== 'admin' || after.disabled === true);
      if (losesAdmin) {
        const others = await tx.user.count({ where: { role: 'admin', enabled: true, id: { not: id } } });
        if (others === 0)
          throw errors.conflict(
            bi('这是最后一个有效的管理员,不能停用或降级', 'this is the last active administrator: it cannot be disabled or demoted'),
          );
      }
      const row = await tx.user.update({
        where: { id },
        data: {
          ...(after.role ? { role: after.role } : {}),
          ...(after.displayName ? { displayName: after.displayName } : {}),
          ...(after.disabled !== undefined ? { enabled: !after.disabled } : {}),
          ...(buildings ? { buildings } : {}),
        },
      });
      const ended: SessionEndReason | null =
        diff.after.disabled === true ? 'disabled' : diff.after.role ? 'role_changed' : diff.after.buildings ? 'scope_changed' : null;
      const action = diff.after.disabled === true ? 'user.disable' : diff.after.disabled === false ? 'user.enable' : 'user.update';
      await audit(tx, actor, action, `user:${id}`, { ...diff, ...(ended ? { sessionsEnded: ended } : {}) });
      return { row, ended };
    });
    // after the commit: sessions end with the change already visible to a re-login
    if (ended) await this.auth.endSessions(id, ended);
    return view(row);
  }

  async resetPassword(actor: AdminActor, id: string, password: string | undefined): Promise<{ id: string; password?: string }> {
    const u = await this.db.$transaction((tx) => this.load(tx, actor, id));
    const pw = password ?? generatePassword(u.username);
    const problem = passwordProblem(u.username, pw);
    if (problem) throw errors.badRequest(problem);
    const passwordHash = await hashPassword(pw);
    await this.db.$transaction(async (tx) => {
      await tx.user.update({ where: { id }, data: { passwordHash, passwordChangedAt: new Date(this.now()) } });
      await audit(tx, actor, 'user.password_reset', `user:${id}`, {
        passwordGenerated: password === undefined,
        sessionsEnded: 'password_changed',
      });
    });
    await this.auth.endSessions(id, 'password_changed');
    return password === undefined ? { id, password: pw } : { id };
  }

  /** Change one's own password: the old one is required; every session of the user ends. */
  async changeOwn(userId: string, oldPassword: string, newPassword: string): Promise<void> {
    const u = await this.db.user.findUnique({ where: { id: userId } });
    if (!u || !u.enabled) throw errors.unauthenticated('login required');
    const actor: AdminActor = { ref: `user:${userId}`, buildings: u.buildings };
    if (!(await verifyPassword(oldPassword, u.passwordHash))) {
      await this.db.$transaction((tx) => audit(tx, actor, 'user.password_change_failed', `user:${userId}`, {}));
      // 400, not 401: the session is fine, only the old password is wrong
      throw errors.badRequest(bi('原密码不正确', 'the current password is wrong'));
    }
    const problem = passwordProblem(u.username, newPassword);
    if (problem) throw errors.badRequest(problem);
    if (oldPassword === newPassword)
      throw errors.badRequest(bi('新密码不能与原密码相同', 'the new password must differ from the current one'));
    const passwordHash = await hashPassword(newPassword);
    await this.db.$transaction(async (tx) => {
      await tx.user.update({ where: { id: userId }, data: { passwordHash, passwordChangedAt: new Date(this.now()) } });
      await audit(tx, actor, 'user.password_change', `user:${userId}`, { sessionsEnded: 'password_changed' });
    });
    await this.auth.endSessions(userId, 'password_changed');
  }

  /** Display names for audit views: "user:<id>" → name. */
  async names(refs: readonly string[]): Promise<Map<string, string>> {
    const ids = [...new Set(refs.filter((r) => r.startsWith('user:')).map((r) => r.slice(5)))];
    if (!ids.length) return new Map();
    const rows = await this.db.user.findMany({ where: { id: { in: ids } }, select: { id: true, displayName: true } });
    return new Map(rows.map((r) => [`user:${r.id}`, r.displayName]));
  }
}
