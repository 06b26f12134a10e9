// Users and sessions. Passwords are scrypt-hashed; a session is a random bearer token whose
// sha256 is the Session row id, so a database leak does not leak usable tokens. The same token
// authenticates HTTP (Authorization: Bearer or the `bops_session` cookie) and socket.io.
import { randomBytes } from 'node:crypto';
import type { Role } from '../../contracts/domain.js';
import type { SessionView } from '../../contracts/api.js';
import { hashPassword, newSecret, sha256, verifyPassword } from '../core/crypto.js';
import type { EventBus } from '../core/bus.js';
import type { Db } from '../core/db.js';
import { errors } from '../core/errors.js';
import type { SessionEndReason } from '../../contracts/socket.js';

export interface AuthUser {
  id: string;
  username: string;
  role: Role;
  displayName: string;
  /** building scope (issue 8): empty = every building */
  buildings: string[];
  /** the user's preferred locale (User.locale): what API responses render in without Accept-Language */
  locale?: string;
}

/** A verified session: who, which session (sha256 of the token) and until when. */
export interface AuthSession {
  user: AuthUser;
  sessionId: string;
  expiresAt: number;
}

/** A real scrypt hash to compare against for unknown users, so timing does not reveal who exists. */
const DUMMY = hashPassword(randomBytes(16).toString('hex'));

export class AuthService {
  private readonly cache = new Map<string, { user: AuthUser; expiresAt: number; checkedAt: number }>();

  constructor(
    private readonly db: Db,
    /** how long a session lasts from login (HUB_SESSION_TTL_H) */
    readonly ttlMs: number,
    private readonly now: () => number = Date.now,
    /** told when sessions end, so live connections holding them are closed at once */
    private readonly bus: EventBus | null = null,
  ) {}

  async login(username: string, password: string): Promise<SessionView & { token: string }> {
    const u = await this.db.user.findUnique({ where: { username } });
    const ok = await verifyPassword(password, u?.passwordHash ?? (await DUMMY));
    if (!u || !ok || !u.enabled) {
      await this.db.auditLog.create({
        data: { actor: `anon:${username.slice(0, 64)}`, action: 'login.failed', target: `user:${username.slice(0, 64)}` },
      });
      throw errors.unauthenticated('wrong username or password');
    }
    const token = newSecret(32);
    const expiresAt = this.now() + this.ttlMs;
    await this.db.$transaction([
      this.db.session.create({ data: { id: sha256(token), userId: u.id, expiresAt: new Date(expiresAt) } }),
      this.db.auditLog.create({ data: { actor: `user:${u.id}`, action: 'login', target: `user:${u.id}` } }),
    ]);
    const user = { id: u.id, username: u.username, role: u.role as Role, displayName: u.displayName, buildings: u.buildings };
    return { token, user, expiresAt };
  }

  async logout(token: string): Promise<void> {
    const id = sha256(token);
    this.cache.delete(id);
    await this.db.session.deleteMany({ where: { id } });
    this.bus?.emit('auth.sessions_ended', { userId: null, sessionId: id, reason: 'logout' });
  }

  /**
   * Scale-out: sessions ended through another instance (its `auth.sessions_ended`): drop them from
   * this instance's 30-s cache so the next request here is refused too.
   */
  forget(ended: { userId: string | null; sessionId: string | null }): void {
    if (ended.sessionId) this.cache.delete(ended.sessionId);
    if (ended.userId) for (const [id, c] of this.cache) if (c.user.id === ended.userId) this.cache.delete(id);
  }

  /**
   * End every session of a user now (disabled, role or password changed): HTTP requests with
   * its tokens fail from the next request on, and open live connections are closed.
   */
  async endSessions(userId: string, reason: SessionEndReason): Promise<void> {
    for (const [id, c] of this.cache) if (c.user.id === userId) this.cache.delete(id);
    await this.db.session.deleteMany({ where: { userId } });
    this.bus?.emit('auth.sessions_ended', { userId, sessionId: null, reason });
  }

  /** Resolve a bearer token; cached for 30 s so each request does not cost a query. */
  async verify(token: string | undefined): Promise<AuthUser | null> {
    return (await this.verifySession(token))?.user ?? null;
  }

  /** Like verify, with the session's id and expiry (live connections end when it does). */
  async verifySession(token: string | undefined): Promise<AuthSession | null> {
    if (!token) return null;
    const id = sha256(token);
    const t = this.now();
    const c = this.cache.get(id);
    if (c && c.expiresAt > t && t - c.checkedAt < 30_000) return { user: c.user, sessionId: id, expiresAt: c.expiresAt };
    const s = await this.db.session.findUnique({ where: { id }, include: { user: true } });
    if (!s || s.expiresAt.getTime() <= t || !s.user.enabled) {
      this.cache.delete(id);
      return null;
    }
    const user = {
      id: s.user.id,
      username: s.user.username,
      role: s.user.role as Role,
      displayName: s.user.displayName,
      buildings: s.user.buildings,
      locale: s.user.locale,
    };
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(id, { user, expiresAt: s.expiresAt.getTime(), checkedAt: t });
    return { user, sessionId: id, expiresAt: s.expiresAt.getTime() };
  }

  async createUser(username: string, password: string, role: Role, displayName: string): Promise<AuthUser> {
    const u = await this.db.user.create({
      data: { username, role, displayName, passwordHash: await hashPassword(password) },
    });
    return { id: u.id, username: u.username, role, displayName, buildings: u.buildings };
  }

  /**
   * First start: create `admin` with HUB_ADMIN_PASSWORD, or a random password returned so the
   * caller prints it once. Later starts leave existing users alone.
   */
  async ensureAdmin(password: string | undefined): Promise<{ created: boolean; password: string | null }> {
    const existing = await this.db.user.findUnique({ where: { username: 'admin' } });
    if (existing) return { created: false, password: null };
    const pw = password ?? newSecret(12);
    try {
      await this.createUser('admin', pw, 'admin', '系统管理员 Administrator');
    } catch (e) {
      // two hubs starting together on a new database: the other one created it first
      if ((e as { code?: string }).code === 'P2002') return { created: false, password: null };
      throw e;
    }
    return { created: true, password: pw };
  }
}
