// The notification service (PROCEDURES.md "Reaching people 通知与升级"; CONTRACT.md "Notifications"):
// escalation chains per incident, the on-call rota, channels, resident notices and ack links.
//
// Coupling to incidents is deliberately thin (the procedures are being reorganised): the bus
// events 'incident.opened' / 'incident.updated' (payload = the public IncidentView) and the
// incident service's public `get`, `list` and `act`. Whether an incident is acknowledged is
// decided from the view alone (policy.ts isAcknowledged).
//
// Chains are rows (NotificationChain: next level/round and when), like the incident timers, and
// no instance keeps them in memory: every tick claims the due ones with FOR UPDATE SKIP LOCKED
// and a lease (claimDueChains), re-reads the incident, and moves the chain on in the same
// transaction that queues its deliveries, only if the step is still the one it claimed — so a
// step fires once on one of N instances, and a chain whose instance died (or an instance that
// restarts) is carried on by whoever ticks next (docs/scale-out.md "Failure modes").
// Deliveries go through the durable outbox (outbox.ts, pg-boss).
import type pg from 'pg';
import { Prisma } from '../../prisma/generated/client.js';
import type { Role } from '../../contracts/domain.js';
import type { IncidentDetail, IncidentView } from '../../contracts/incidents.js';
import {
  CHANNEL_CONFIGS,
  GROUP_CHANNEL_KINDS,
  NOTIFY_KINDS,
  ONCALL_ROLES,
  SECRET_FIELDS,
  type ChannelKind,
  type ChannelView,
  type DeliveryView,
  type Level,
  type NoticeView,
  type NotifyKind,
  type OnCallRole,
  type OnCallShiftView,
  type PolicyBody,
  type PolicyView,
  type Target,
} from '../../contracts/notifications.js';
import type { BusEvents, EventBus } from '../core/bus.js';
import { DeadlineHeap } from '../core/deadlines.js';
import type { Db } from '../core/db.js';
import type { MessageCatalog } from '../core/messages.js';
import { errors, HubError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { snoozedUntil } from '../core/procedure/snooze.js';
import { adapterFor, SendError } from './channels.js';
import { compose, KIND_TEXT, type DeliveryPayload } from './compose.js';
import { NotifyKeys } from './keys.js';
import { onCallAt, startsBetween, type Shift } from './oncall.js';
import { bi } from '../../contracts/records.js';
import { Scope } from '../auth/scope.js';
import { Outbox, type ChannelRuntime, type NewDelivery, type OutboxConfig } from './outbox.js';
import { ackAction, DEFAULT_POLICIES, dueAt, isAcknowledged, nextStep, policyView, type Policy } from './policy.js';

export interface NotifyConfig extends Omit<OutboxConfig, 'databaseUrl'> {
  /** base of ack links (HUB_PUBLIC_URL); default: this hub's own address */
  publicUrl: string | null;
  /** HUB_NOTIFY_KEY (base64, 32 bytes) */
  masterKey: string | null;
  linkTtlMs: number;
  /** repeats of a flapping device within this window become one summary */
  flapWindowMs: number;
}

/** What the service needs from the incident service (its public methods only). */
export interface IncidentsPort {
  get(id: string): Promise<IncidentDetail>;
  /** the labels of the procedures' messages (notices, titles) */
  readonly engine: { readonly catalog: MessageCatalog };
  list(q: { state: 'open' | 'closed' | 'all'; limit: number }): Promise<IncidentView[]>;
  act(id: string, action: string, payload: unknown, user: { id: string; role: Role }): Promise<IncidentDetail>;
}

export interface NotificationServiceOptions {
  db: Db;
  pool: pg.Pool;
  databaseUrl: string;
  bus: EventBus;
  incidents: IncidentsPort;
  log: Logger;
  now: () => number;
  config: NotifyConfig;
  /** the hub's own base URL once it listens (ack links when HUB_PUBLIC_URL is unset) */
  selfUrl: () => string;
  /** optional delivery counters (ops' Metrics) */
  count?: (channelKind: string, outcome: 'sent' | 'failed' | 'retry') => void;
  /**
   * scale-out (REDIS_URL): this instance's id and the claim lease (HUB_CLUSTER_LEASE_S). Without
   * it the single hub claims as "local" with a 30-s lease (a crashed run's claims are released
   * at start).
   */
  cluster?: { instanceId: string; leaseMs: number } | null;
}

/** A due chain step this instance claimed. */
interface ChainRow {
  incidentId: string;
  kind: string;
  buildingId: string;
  policy: unknown;
  openedAt: Date;
  nextLevel: number;
  nextRound: number;
  nextAt: Date | null;
}

/**
 * Claim due chain steps, each for one instance (the incident timers' rule, scheduler.ts
 * claimDueTimers): `FOR UPDATE SKIP LOCKED` lets every instance claim at once without waiting on
 * the others; the claim is a lease, so a step claimed by an instance that died before firing it
 * is claimed again by another when the lease is over.
 */
export async function claimDueChains(
  db: { $queryRawUnsafe<T>(sql: string, ...values: unknown[]): Promise<T> },
  instanceId: string,
  now: number,
  leaseMs: number,
  limit = 100,
): Promise<ChainRow[]> {
  return db.$queryRawUnsafe<ChainRow[]>(
    `UPDATE "NotificationChain" AS c
        SET "claimedBy" = $1, "claimedUntil" = $2
       FROM (SELECT "incidentId" FROM "NotificationChain"
              WHERE "stoppedAt" IS NULL AND "nextAt" <= $3 AND ("claimedUntil" IS NULL OR "claimedUntil" < $3)
              ORDER BY "nextAt" LIMIT $4
              FOR UPDATE SKIP LOCKED) AS due
      WHERE c."incidentId" = due."incidentId"
  RETURNING c."incidentId", c.kind, c."buildingId", c.policy, c."openedAt", c."nextLevel", c."nextRound", c."nextAt"`,
    instanceId,
    new Date(now + leaseMs),
    new Date(now),
    limit,
  );
}

/** The chain's step moved on (or was stopped) elsewhere: this transaction queues nothing. */
class StepTaken extends Error {}

export interface Staff {
  id: string;
  role: Role;
  /** building scope (AuthUser.buildings): empty or absent = every building */
  buildings?: readonly string[];
}

/**
 * Building scope of people and shifts (services/auth/scope.ts): a user or shift serving every
 * building (empty list) or one of the reader's is visible to it; a scoped supervisor may change
 * only those confined to (a subset of) its own buildings — the rule services/admin/users.ts uses.
 */
const servesScope = (scope: Scope, buildings: readonly string[]) =>
  !scope.limited || buildings.length === 0 || buildings.some((b) => scope.allows(b));
const withinScope = (scope: Scope, buildings: readonly string[]) =>
  !scope.limited || (buildings.length > 0 && buildings.every((b) => scope.allows(b)));

interface ChainState {
  incidentId: string;
  kind: string;
  building: string;
  policy: Policy;
  openedAt: number;
  next: { level: number; round: number; at: number } | null;
}

interface Person {
  id: string;
  name: string;
  role: Role;
  phone: string;
  email: string;
  channels: string[];
  /** the policy target's own channel order */
  via?: string[] | undefined;
}

/** screen notices that are urgent enough for phones too (the rest are reminders for the board) */
const FORWARDED_NOTICES = new Set(['approval_119_needed', 'general_alarm', 'recall_unconfirmed', 'unlock_failed']);

/** device_fault repeats are summarised; life-safety kinds are never held back (each fire alarm is news). */
const FLAP_KINDS = new Set(['device_fault']);
const MANAGER_FALLBACK_ROLES: Record<OnCallRole, Role[]> = {
  operator: ['operator'],
  frontdesk: ['frontdesk'],
  supervisor: ['supervisor'],
  manager: ['admin'],
};
const MASK = '••••••';

export class NotificationService {
  private keys!: NotifyKeys;
  readonly outbox: Outbox;
  /** the earliest next step this instance wrote (a wake-up hint only: the rows are the truth) */
  private dueHint: number | null = null;
  /** the last tick's claim failed (logged once per failure streak) */
  private claimFailing = false;
  private readonly views = new Map<string, IncidentView>();
  private readonly flaps = new Map<string, { windowEnd: number; count: number; last: IncidentView }>();
  /**
   * Each flap window's end, for the scheduler: an outage opens a fault per device and so a
   * window per device; scanning them all on every incident event made a storm quadratic
   * (bench/incident-storm.ts, issue 12).
   */
  private readonly flapEnds = new DeadlineHeap<string>();
  /** incidents whose chain this process has already stopped (updates after an acknowledgement are many) */
  private readonly stoppedIds = new Set<string>();
  private shifts: Shift[] = [];
  private shiftsLoadedAt = 0;
  private lastShiftCheck = 0;
  private channelCache = new Map<string, { at: number; ch: ChannelRuntime | null }>();
  /** short-lived read caches (5 s): an incident storm must not re-read the same rows per incident */
  private readonly cache = new Map<string, { at: number; v: unknown }>();
  private queue: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(private readonly o: NotificationServiceOptions) {
    this.outbox = new Outbox(
      o.pool,
      { ...o.config, databaseUrl: o.databaseUrl },
      {
        channel: (id) => this.runtimeChannel(id),
        fallback: (d) => this.fallback(d),
        settled: (_d, notices) => this.noticesSettled(notices),
        ...(o.count ? { count: o.count } : {}),
      },
      o.log.child({ mod: 'outbox' }),
      o.now,
    );
  }

  async start(): Promise<void> {
    this.keys = new NotifyKeys(Buffer.from(this.o.config.masterKey ?? (await this.storedKey()), 'base64'));
    await this.outbox.start();
    const { bus } = this.o;
    bus.on('incident.opened', this, (v) => this.enqueue(() => this.onIncident(v as unknown as IncidentView, true)));
    bus.on('incident.updated', this, (v) => this.enqueue(() => this.onIncident(v as unknown as IncidentView, false)));
    bus.on('incident.notify', this, (n) => this.enqueue(() => this.onProcedureNotice(n)));
    await this.enqueue(async () => {
      for (const v of await this.o.incidents.list({ state: 'open', limit: 500 })) this.views.set(v.id, v);
      // steps this instance id claimed in an earlier run that died are free again at once
      await this.o.db.notificationChain.updateMany({
        where: { claimedBy: this.instanceId },
        data: { claimedBy: null, claimedUntil: null },
      });
      const rows = await this.o.db.notificationChain.findMany({
        where: { incidentId: { in: [...this.views.keys()] } },
        select: { incidentId: true },
      });
      const has = new Set(rows.map((r) => r.incidentId));
      // incidents opened while no hub was listening get their chain now
      for (const v of this.views.values()) if (!has.has(v.id)) await this.openChain(v);
      await this.loadShifts();
      this.lastShiftCheck = this.o.now() - 5 * 60_000;
    });
    await this.tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.o.bus.removeListeners(this);
    if (this.timer) clearTimeout(this.timer);
    await this.queue.catch(() => undefined);
    await this.outbox.stop();
  }

  private enqueue<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch((err: unknown) => this.o.log.error({ err }, 'notification task failed'));
    return run;
  }

  private async storedKey(): Promise<string> {
    const existing = await this.o.db.notifyKey.findUnique({ where: { id: 'master' } });
    if (existing) return existing.value;
    await this.o.db.notifyKey.createMany({ data: [{ id: 'master', value: NotifyKeys.generate() }], skipDuplicates: true });
    return (await this.o.db.notifyKey.findUniqueOrThrow({ where: { id: 'master' } })).value;
  }

  // ------------------------------------------------------------------ incidents → chains

  private async onIncident(v: IncidentView, opened: boolean): Promise<void> {
    if (!v || typeof v.id !== 'string' || !Array.isArray(v.steps)) return;
    this.views.set(v.id, v);
    if (opened) await this.openChain(v);
    if (isAcknowledged(v) && !this.stoppedIds.has(v.id)) {
      await this.stopChain(v.id, v.open ? 'acknowledged' : 'closed');
      if (this.stoppedIds.size > 10_000) this.stoppedIds.clear();
      this.stoppedIds.add(v.id);
    }
    if (!v.open) this.views.delete(v.id);
    this.schedule();
  }

  private readonly changeListeners: Array<() => void> = [];

  /**
   * Called after a change through this instance to what the 5-s caches hold (channels, escalation
   * policies, people's contact profiles). Scale-out: the other instances drop their copies —
   * without it an incident opened on another instance within 5 s of a policy change escalated
   * by the old policy (found by tests/integration/scale-out.test.ts).
   */
  onChanged(fn: () => void): void {
    this.changeListeners.push(fn);
  }

  /** Another instance changed channels, policies or profiles: read them again when next needed. */
  forgetCached(): void {
    this.cache.clear();
    this.channelCache.clear();
  }

  /** after a committed change: this instance's copies go, and the others are told */
  private changed(): void {
    this.forgetCached();
    for (const fn of this.changeListeners) fn();
  }

  private async cached<T>(key: string, load: () => Promise<T>): Promise<T> {
    const hit = this.cache.get(key);
    if (hit && this.o.now() - hit.at < 5000) return hit.v as T;
    const v = await load();
    this.cache.set(key, { at: this.o.now(), v });
    return v;
  }

  /**
   * The procedures' own escalations and alarms (contractor overdue, 119 waiting for approval,
   * generator failure, recall not confirmed…) reach the people in `to` outside the dashboard too:
   * the duty supervisor/manager by the rota, operators and desk by role, and the kind's level-0
   * group channels. Reminders meant for the screen only (re-contact, visitor waiting) stay there.
   */
  private async onProcedureNotice(n: BusEvents['incident.notify']): Promise<void> {
    const head = n.key.slice(0, n.key.indexOf('.'));
    if (head !== 'escalated' && head !== 'flag' && !FORWARDED_NOTICES.has(n.key)) return;
    // the notice's own message (key + params), in both languages for channels outside the hub
    const catalog = this.o.incidents.engine.catalog;
    const label = [catalog.render(n.msg, 'zh-CN'), catalog.render(n.msg, 'en')] as const;
    const v = this.views.get(n.incidentId);
    const policy = await this.policyFor(n.kind);
    if (!v || !policy) return;
    const targets: Target[] = policy.levels[0]!.targets.filter((t) => 'channelId' in t);
    for (const r of n.to) {
      if (r === 'supervisor') targets.push({ onCall: 'supervisor' });
      else if (r === 'operator' || r === 'frontdesk' || r === 'admin') targets.push({ role: r });
    }
    if (!targets.length) return;
    const list = await this.plan(v, { afterSeconds: 0, targets }, 0, 0, 'procedure', `${label[0]} ${label[1]}`, `:n:${n.key}:${n.at}`);
    if (list.length) await this.outbox.tx((tx) => this.outbox.enqueue(tx, list));
  }

  private bilingual(m: IncidentView['titleMsg']): string {
    const c = this.o.incidents.engine.catalog;
    const zh = c.render(m, 'zh-CN');
    const en = c.render(m, 'en');
    return zh === en ? zh : `${zh} / ${en}`;
  }

  private async policyFor(kind: string): Promise<Policy | null> {
    if (!(NOTIFY_KINDS as readonly string[]).includes(kind)) return null;
    const row = await this.cached(`policy:${kind}`, () => this.o.db.escalationPolicy.findUnique({ where: { kind } }));
    const p = row
      ? { levels: row.levels as unknown as Level[], repeatEverySeconds: row.repeatEverySeconds, enabled: row.enabled }
      : DEFAULT_POLICIES[kind as NotifyKind];
    return p.enabled ? p : null;
  }

  private async openChain(v: IncidentView): Promise<void> {
    if (isAcknowledged(v)) return;
    const policy = await this.policyFor(v.kind);
    if (!policy) return;
    const at0 = dueAt(policy, v.openedAt, 0, 0)!;
    const now = this.o.now();
    // level 0 at open goes at once from here, not at the next timer turn (latency: PROCEDURES.md
    // wants people reached now): claimed at creation, so no other instance fires it meanwhile
    const fireNow = at0 <= now;
    const c: ChainState = {
      incidentId: v.id,
      kind: v.kind,
      building: v.building,
      policy,
      openedAt: v.openedAt,
      next: { level: 0, round: 0, at: at0 },
    };
    const created = await this.o.db.notificationChain.createMany({
      data: [
        {
          incidentId: v.id,
          kind: v.kind,
          buildingId: v.building,
          policy: policy as unknown as Prisma.InputJsonValue,
          openedAt: new Date(v.openedAt),
          nextLevel: 0,
          nextRound: 0,
          nextAt: new Date(at0),
          ...(fireNow ? { claimedBy: this.instanceId, claimedUntil: new Date(now + this.leaseMs) } : {}),
        },
      ],
      skipDuplicates: true,
    });
    if (created.count === 0) return; // another instance (or an earlier run) has it
    if (fireNow) await this.advance(c, v);
    else this.hint(at0);
  }

  private async stopChain(incidentId: string, reason: string): Promise<void> {
    const now = new Date(this.o.now());
    await this.o.db.notificationChain.updateMany({
      where: { incidentId, stoppedAt: null },
      data: { stoppedAt: now, stopReason: reason, nextAt: null, claimedBy: null, claimedUntil: null },
    });
    // an acknowledgement anywhere stops the chain for everyone: what is still queued is not sent
    await this.o.db.notificationDelivery.updateMany({
      where: { incidentId, state: { in: ['queued', 'sent'] } },
      data: { state: 'acknowledged' },
    });
  }

  /** A claimed step: fire it from the incident as committed now (it may have been acknowledged anywhere). */
  private async fireClaimed(r: ChainRow): Promise<void> {
    const c: ChainState = {
      incidentId: r.incidentId,
      kind: r.kind,
      building: r.buildingId,
      policy: r.policy as Policy,
      openedAt: new Date(r.openedAt).getTime(),
      next: r.nextAt ? { level: r.nextLevel, round: r.nextRound, at: new Date(r.nextAt).getTime() } : null,
    };
    let v: IncidentView | null = null;
    try {
      v = await this.o.incidents.get(r.incidentId);
    } catch (err) {
      if (!(err instanceof HubError && err.statusCode === 404)) throw err;
    }
    if (v?.open) this.views.set(v.id, v);
    await this.advance(c, v);
  }

  /**
   * Fire the chain's due step(s) and move it on. The deliveries are queued in the transaction
   * that moves the chain, and only if the chain is still at the step this instance claimed: a
   * step another instance fired meanwhile (its lease ran out while this one was slow) queues
   * nothing here.
   */
  private async advance(c: ChainState, v: IncidentView | null): Promise<void> {
    const now = this.o.now();
    while (c.next && c.next.at <= now) {
      const step = c.next;
      let following = nextStep(c.policy, c.openedAt, step.level, step.round);
      // after downtime, only the latest overdue repeat is sent (each level still reaches its own people)
      if (step.round > 0)
        while (following && following.round > 0 && following.at <= now)
          following = nextStep(c.policy, c.openedAt, following.level, following.round);
      if (!v || !v.open || isAcknowledged(v)) {
        await this.stopChain(c.incidentId, v?.open ? 'acknowledged' : 'closed');
        return;
      }
      // snoozed (issue 14): the step waits until the snooze's limit, then goes out (once: the
      // chain is stored, so a restart during the snooze loses nothing)
      const until = snoozedUntil(v.data, now);
      if (until !== null) {
        await this.o.db.$executeRaw`UPDATE "NotificationChain" SET "nextAt" = ${new Date(until)} WHERE "incidentId" = ${c.incidentId}`;
        c.next = { ...step, at: until };
        return;
      }
      const list = await this.plan(v, c.policy.levels[step.level]!, step.level, step.round);
      try {
        await this.outbox.tx(async (tx) => {
          if (list.length) await this.outbox.enqueue(tx, list);
          const moved = await tx.query(
            `UPDATE "NotificationChain" SET "nextLevel" = $2, "nextRound" = $3, "nextAt" = $4, "claimedBy" = NULL, "claimedUntil" = NULL
              WHERE "incidentId" = $1 AND "stoppedAt" IS NULL AND "nextLevel" = $5 AND "nextRound" = $6`,
            [
              c.incidentId,
              following?.level ?? step.level,
              following?.round ?? step.round,
              following ? new Date(following.at) : null,
              step.level,
              step.round,
            ],
          );
          if (moved.rowCount !== 1) throw new StepTaken();
        });
      } catch (err) {
        if (err instanceof StepTaken) return;
        throw err;
      }
      c.next = following;
      if (following) this.hint(following.at);
    }
  }

  private hint(at: number): void {
    if (this.dueHint === null || at < this.dueHint) this.dueHint = at;
  }

  private get instanceId(): string {
    return this.o.cluster?.instanceId ?? 'local';
  }

  private get leaseMs(): number {
    return this.o.cluster?.leaseMs ?? 30_000;
  }

  /** Deliveries for one level of one incident: one per person (their first channel) and one per group channel. */
  private async plan(
    v: IncidentView,
    level: Level,
    levelIdx: number,
    round: number,
    reason?: string,
    text?: string,
    keySuffix?: string,
  ): Promise<NewDelivery[]> {
    const now = this.o.now();
    const why = reason ?? (round > 0 ? 'repeat' : levelIdx > 0 || level.afterSeconds > 0 ? 'escalated' : 'opened');
    // flapping device: the first incident is sent, the repeats in the window become one summary
    if (!reason && levelIdx === 0 && round === 0 && v.deviceId && FLAP_KINDS.has(v.kind)) {
      const k = `${v.kind}|${v.deviceId}`;
      const f = this.flaps.get(k);
      if (f && now < f.windowEnd) {
        f.count++;
        f.last = v;
        this.schedule();
        return [];
      }
      this.flaps.set(k, { windowEnd: now + this.o.config.flapWindowMs, count: 0, last: v });
      this.flapEnds.set(k, now + this.o.config.flapWindowMs);
    }
    const { persons, channels } = await this.resolve(level.targets, v.building);
    const b = await this.cached(`building:${v.building}`, () =>
      this.o.db.building.findUnique({ where: { id: v.building }, select: { name: true } }),
    );
    const incident = {
      id: v.id,
      number: v.number,
      kind: v.kind,
      severity: v.severity,
      building: v.building,
      buildingName: b?.name ?? v.building,
      // a message sent outside the hub is text: the incident's title in both languages
      title: this.bilingual(v.titleMsg),
    };
    const expiresAt = now + this.o.config.linkTtlMs;
    const canAck = ackAction(v.kind) !== null;
    const links = new Map<string, string | null>();
    const linkRows: Prisma.AckLinkCreateManyInput[] = [];
    for (const p of persons) {
      if (!canAck) {
        links.set(p.id, null);
        continue;
      }
      const id = this.keys.linkIdFor(`${v.id}|${levelIdx}|${round}|${p.id}|${why}`);
      links.set(p.id, `${this.baseUrl()}/ack/${this.keys.signLink(id, expiresAt)}`);
      linkRows.push({ id, incidentId: v.id, userId: p.id, deliveryId: `${v.id}:${levelIdx}.${round}`, expiresAt: new Date(expiresAt) });
    }
    const base = (ackUrl: string | null, mentions: DeliveryPayload['mentions']): DeliveryPayload => ({
      incident,
      level: levelIdx,
      round,
      reason: why,
      ackUrl,
      mentions,
      ...(text ? { text } : {}),
      at: now,
    });
    const keyBase = `inc:${v.id}:L${levelIdx}.${round}${keySuffix ?? (why === 'summary' ? `:s${now}` : '')}`;
    const out: NewDelivery[] = [];
    const mentions = persons.map((p) => ({ name: p.name, phone: p.phone || null, ackUrl: links.get(p.id) ?? null }));
    for (const chId of channels) {
      const chain = await this.groupChain(chId);
      if (!chain.length) continue;
      out.push({
        key: `${keyBase}:channel:${chId}:${chain[0]}`,
        incidentId: v.id,
        noticeId: null,
        reason: why,
        level: levelIdx,
        round,
        channelId: chain[0]!,
        target: `channel:${chId}`,
        address: '',
        chain: chain.slice(1),
        fallbackOf: null,
        payload: base(null, mentions),
      });
    }
    for (const p of persons) {
      const chain = await this.personalChain(p);
      if (!chain.length) continue; // reached (if at all) through the group robots' @-mentions
      out.push({
        key: `${keyBase}:user:${p.id}:${chain[0]!.channelId}`,
        incidentId: v.id,
        noticeId: null,
        reason: why,
        level: levelIdx,
        round,
        channelId: chain[0]!.channelId,
        target: `user:${p.id}`,
        address: chain[0]!.address,
        chain: chain.slice(1).map((x) => x.channelId),
        fallbackOf: null,
        payload: base(links.get(p.id) ?? null, [{ name: p.name, phone: p.phone || null, ackUrl: null }]),
      });
    }
    // links only for people a message will actually carry (no channel → no rows written at all)
    const group = out.some((d) => d.target.startsWith('channel:'));
    const used = new Set(out.filter((d) => d.target.startsWith('user:')).map((d) => d.target.slice(5)));
    const needed = linkRows.filter((l) => group || used.has(l.userId));
    if (needed.length) await this.o.db.ackLink.createMany({ data: needed, skipDuplicates: true });
    return out;
  }

  /** Targets → people (deduplicated: one message per person per level) and group channels. */
  private async resolve(targets: Target[], building: string): Promise<{ persons: Person[]; channels: string[] }> {
    const channels = new Set<string>();
    const wanted = new Map<string, string[] | undefined>();
    const roleUsers = async (roles: Role[]) =>
      (
        await this.cached(`role:${roles.join(',')}`, () =>
          this.o.db.user.findMany({ where: { role: { in: roles }, enabled: true }, select: { id: true } }),
        )
      ).map((u) => u.id);
    for (const t of targets) {
      if ('channelId' in t) channels.add(t.channelId);
      else if ('userId' in t) wanted.set(t.userId, wanted.get(t.userId) ?? t.via);
      else if ('role' in t) for (const id of await roleUsers([t.role])) wanted.set(id, wanted.get(id) ?? t.via);
      else {
        await this.maybeReloadShifts();
        let ids = onCallAt(this.shifts, this.o.now(), t.onCall, building).map((x) => x.shift.userId);
        // nobody on the rota: the people holding that role (the duty manager → administrators), not nobody
        if (!ids.length) ids = await roleUsers(MANAGER_FALLBACK_ROLES[t.onCall]);
        for (const id of ids) wanted.set(id, wanted.get(id) ?? t.via);
      }
    }
    if (!wanted.size) return { persons: [], channels: [...channels] };
    const ids = [...wanted.keys()].sort();
    const { users, profiles } = await this.cached(`people:${ids.join(',')}`, async () => {
      const users = await this.o.db.user.findMany({ where: { id: { in: ids }, enabled: true } });
      const profiles = await this.o.db.notifyProfile.findMany({ where: { userId: { in: users.map((u) => u.id) } } });
      return { users, profiles };
    });
    // building scope (docs/security.md): a person confined to other buildings is not told about
    // this building's incident, whichever target named them ('' = no building: personal reminders)
    const persons = users
      .filter((u) => !building || servesScope(Scope.of(u), [building]))
      .map((u) => {
        const p = profiles.find((x) => x.userId === u.id);
        return {
          id: u.id,
          name: u.displayName || u.username,
          role: u.role as Role,
          phone: p?.phone ?? '',
          email: p?.email ?? '',
          channels: p?.channels ?? [],
          via: wanted.get(u.id),
        };
      });
    return { persons: persons.sort((a, b) => a.name.localeCompare(b.name)), channels: [...channels] };
  }

  /** A person's personal channels in order: the target's `via`, else their profile, else every enabled SMS then e-mail channel. */
  private async personalChain(p: Person): Promise<Array<{ channelId: string; address: string }>> {
    let ids = p.via?.length ? p.via : p.channels;
    if (!ids.length) {
      const all = await this.o.db.notificationChannel.findMany({
        where: { enabled: true, kind: { in: ['sms', 'email'] } },
        orderBy: { createdAt: 'asc' },
      });
      ids = [...all.filter((c) => c.kind === 'sms'), ...all.filter((c) => c.kind === 'email')].map((c) => c.id);
    }
    const out: Array<{ channelId: string; address: string }> = [];
    for (const id of ids) {
      const ch = await this.runtimeChannel(id);
      if (!ch || !ch.enabled) continue;
      const address = ch.kind === 'email' ? p.email : ch.kind === 'sms' || ch.kind === 'voice' ? p.phone : '';
      // a group channel in a person's list: the message goes to the group with the person @-mentioned
      if (!address && !GROUP_CHANNEL_KINDS.includes(ch.kind)) continue;
      out.push({ channelId: id, address });
    }
    return out;
  }

  /** A group channel then its configured fallbacks (at most 3 hops, no loops). */
  private async groupChain(id: string): Promise<string[]> {
    const out: string[] = [];
    let cur: string | null = id;
    while (cur && !out.includes(cur) && out.length < 4) {
      const ch = await this.runtimeChannel(cur);
      if (!ch) break;
      if (ch.enabled) out.push(cur);
      cur = ch.fallbackChannelId;
    }
    return out;
  }

  private async fallback(d: {
    target: string;
    chain: string[];
    address: string;
  }): Promise<{ channelId: string; address: string; chain: string[] } | null> {
    let chain = d.chain;
    while (chain.length) {
      const [id, ...rest] = chain as [string, ...string[]];
      chain = rest;
      const ch = await this.runtimeChannel(id);
      if (!ch || !ch.enabled) continue;
      let address = '';
      if (d.target.startsWith('user:')) {
        const p = await this.o.db.notifyProfile.findUnique({ where: { userId: d.target.slice(5) } });
        address = ch.kind === 'email' ? (p?.email ?? '') : ch.kind === 'sms' || ch.kind === 'voice' ? (p?.phone ?? '') : '';
        if (!address && !GROUP_CHANNEL_KINDS.includes(ch.kind)) continue;
      } else if (d.target.startsWith('unit:')) {
        if (ch.kind !== 'sms' && ch.kind !== 'voice') continue;
        address = d.address;
      }
      return { channelId: id, address, chain };
    }
    return null;
  }

  // ------------------------------------------------------------------ scheduler

  async tick(): Promise<void> {
    await this.enqueue(async () => {
      const now = this.o.now();
      if (this.dueHint !== null && this.dueHint <= now) this.dueHint = null;
      // every tick asks PostgreSQL (one indexed query): a chain opened on another instance, or
      // left by one that died, is due here as much as anywhere
      // a database outage fails every tick: one line when it starts failing, one when it works again
      const due = await claimDueChains(this.o.db, this.instanceId, now, this.leaseMs).then(
        (rows) => {
          if (this.claimFailing) this.o.log.warn('claiming due escalation steps works again');
          this.claimFailing = false;
          return rows;
        },
        (err: unknown) => {
          if (!this.claimFailing) this.o.log.error({ err }, 'claiming due escalation steps failed; retried every tick');
          this.claimFailing = true;
          return [];
        },
      );
      for (const r of due) {
        // a failed step keeps its claim until the lease ends, then it is tried again (here or elsewhere)
        await this.fireClaimed(r).catch((err: unknown) => this.o.log.error({ err, incident: r.incidentId }, 'escalation step failed'));
      }
      for (const k of this.flapEnds.takeDue(now)) {
        const f = this.flaps.get(k);
        if (!f) continue;
        this.flaps.delete(k);
        if (f.count > 0) await this.summary(f.last, f.count).catch((err: unknown) => this.o.log.error({ err }, 'flap summary failed'));
      }
      await this.shiftStarts(now).catch((err: unknown) => this.o.log.error({ err }, 'on-call start notices failed'));
    });
    this.schedule();
  }

  private schedule(): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    let next = this.o.now() + 30_000; // rota starts are checked at least twice a minute
    if (this.dueHint !== null && this.dueHint < next) next = this.dueHint;
    const flapEnd = this.flapEnds.next();
    if (flapEnd !== null && flapEnd < next) next = flapEnd;
    // capped at 1 s so a clock jump is noticed (as the incident timers do)
    const wait = Math.min(Math.max(0, next - this.o.now()), 1000);
    this.timer = setTimeout(() => void this.tick().catch((err: unknown) => this.o.log.error({ err }, 'notify tick failed')), wait);
    this.timer.unref();
  }

  private async summary(v: IncidentView, count: number): Promise<void> {
    const policy = await this.policyFor(v.kind);
    if (!policy) return;
    const minutes = Math.round(this.o.config.flapWindowMs / 60_000);
    const text = `设备 ${v.deviceId ?? ''} 在 ${minutes} 分钟内又报 ${count} 次 / device ${v.deviceId ?? ''} repeated ${count} more times in ${minutes} min`;
    const list = await this.plan(v, policy.levels[0]!, 0, 0, 'summary', text);
    await this.outbox.tx((tx) => this.outbox.enqueue(tx, list));
  }

  // ------------------------------------------------------------------ channels

  async runtimeChannel(id: string): Promise<ChannelRuntime | null> {
    const hit = this.channelCache.get(id);
    if (hit && this.o.now() - hit.at < 5000) return hit.ch;
    const r = await this.o.db.notificationChannel.findUnique({ where: { id } });
    const ch = r
      ? {
          id: r.id,
          kind: r.kind as ChannelKind,
          enabled: r.enabled,
          fallbackChannelId: r.fallbackChannelId,
          config: { ...(r.config as Record<string, unknown>), ...this.keys.decrypt(r.secrets) },
        }
      : null;
    this.channelCache.set(id, { at: this.o.now(), ch });
    return ch;
  }

  private channelView(r: Awaited<ReturnType<Db['notificationChannel']['findMany']>>[number]): ChannelView {
    const secrets = this.keys.decrypt(r.secrets);
    return {
      id: r.id,
      name: r.name,
      kind: r.kind as ChannelKind,
      enabled: r.enabled,
      fallbackChannelId: r.fallbackChannelId,
      config: r.config as Record<string, unknown>,
      secretsSet: Object.keys(secrets).filter((k) => secrets[k]),
      createdAt: r.createdAt.getTime(),
      updatedAt: r.updatedAt.getTime(),
    };
  }

  /** Validate a kind's config; split the secret fields off (kept encrypted, never returned). */
  private splitConfig(
    kind: ChannelKind,
    raw: Record<string, unknown>,
  ): { config: Record<string, unknown>; secrets: Record<string, string> } {
    const r = CHANNEL_CONFIGS[kind].safeParse(raw);
    if (!r.success)
      throw errors.badRequest(`invalid ${kind} config: ${r.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`);
    const config: Record<string, unknown> = { ...(r.data as Record<string, unknown>) };
    const secrets: Record<string, string> = {};
    for (const f of SECRET_FIELDS[kind]) {
      if (typeof config[f] === 'string' && config[f]) secrets[f] = config[f] as string;
      delete config[f];
    }
    return { config, secrets };
  }

  async listChannels(): Promise<ChannelView[]> {
    const rows = await this.o.db.notificationChannel.findMany({ orderBy: { createdAt: 'asc' } });
    return rows.map((r) => this.channelView(r));
  }

  async createChannel(
    user: Staff,
    body: { name: string; kind: ChannelKind; config: Record<string, unknown>; enabled: boolean; fallbackChannelId: string | null },
  ): Promise<{ id: string }> {
    const { config, secrets } = this.splitConfig(body.kind, body.config);
    if (body.fallbackChannelId && !(await this.o.db.notificationChannel.findUnique({ where: { id: body.fallbackChannelId } })))
      throw errors.badRequest(`no channel ${body.fallbackChannelId}`);
    const row = await this.o.db.$transaction(async (tx) => {
      const c = await tx.notificationChannel.create({
        data: {
          name: body.name,
          kind: body.kind,
          enabled: body.enabled,
          config: config as Prisma.InputJsonValue,
          secrets: this.keys.encrypt(secrets),
          fallbackChannelId: body.fallbackChannelId,
          createdAt: new Date(this.o.now()),
          updatedAt: new Date(this.o.now()),
        },
      });
      // the audit row names which secrets were set, never their values
      await tx.auditLog.create({
        data: {
          actor: `user:${user.id}`,
          action: 'notification_channel.create',
          target: `notification_channel:${c.id}`,
          data: { name: body.name, kind: body.kind, config: config as Prisma.InputJsonValue, secrets: Object.keys(secrets) },
        },
      });
      return c;
    });
    this.changed();
    return { id: row.id };
  }

  async patchChannel(
    user: Staff,
    id: string,
    body: {
      name?: string | undefined;
      config?: Record<string, unknown> | undefined;
      enabled?: boolean | undefined;
      fallbackChannelId?: string | null | undefined;
    },
  ): Promise<ChannelView> {
    const cur = await this.o.db.notificationChannel.findUnique({ where: { id } });
    if (!cur) throw errors.notFound(`no channel ${id}`);
    const kind = cur.kind as ChannelKind;
    let data: Prisma.NotificationChannelUpdateInput = {};
    let changedSecrets: string[] = [];
    if (body.config) {
      const old = { ...(cur.config as Record<string, unknown>), ...this.keys.decrypt(cur.secrets) };
      const incoming = Object.fromEntries(
        Object.entries(body.config).filter(([k, v]) => !(SECRET_FIELDS[kind].includes(k) && (v === MASK || v === ''))),
      );
      changedSecrets = SECRET_FIELDS[kind].filter((k) => k in incoming);
      const { config, secrets } = this.splitConfig(kind, { ...old, ...incoming });
      data = { config: config as Prisma.InputJsonValue, secrets: this.keys.encrypt(secrets) };
    }
    if (body.fallbackChannelId === id) throw errors.badRequest('a channel cannot fall back to itself');
    const row = await this.o.db.$transaction(async (tx) => {
      const r = await tx.notificationChannel.update({
        where: { id },
        data: {
          ...data,
          ...(body.name !== undefined ? { name: body.name } : {}),
          ...(body.enabled !== undefined ? { enabled: body.enabled } : {}),
          ...(body.fallbackChannelId !== undefined ? { fallbackChannelId: body.fallbackChannelId } : {}),
          updatedAt: new Date(this.o.now()),
        },
      });
      await tx.auditLog.create({
        data: {
          actor: `user:${user.id}`,
          action: 'notification_channel.update',
          target: `notification_channel:${id}`,
          data: {
            name: body.name ?? null,
            enabled: body.enabled ?? null,
            config: (data.config ?? null) as Prisma.InputJsonValue,
            secretsChanged: changedSecrets,
          },
        },
      });
      return r;
    });
    this.changed();
    return this.channelView(row);
  }

  /** "Send test": a real message through the adapter, answered at once. */
  async testChannel(user: Staff, id: string, to: string | undefined): Promise<{ ok: boolean; detail: string }> {
    const ch = await this.runtimeChannel(id);
    if (!ch) throw errors.notFound(`no channel ${id}`);
    const adapter = adapterFor(ch.kind);
    let address: string | null = to ?? null;
    if (adapter.personal && !address) {
      const p = await this.o.db.notifyProfile.findUnique({ where: { userId: user.id } });
      address = (ch.kind === 'email' ? p?.email : p?.phone) || null;
    }
    const me = await this.o.db.user.findUnique({ where: { id: user.id } });
    const msg = compose(
      `test-${Date.now()}`,
      [
        {
          level: 0,
          round: 0,
          reason: 'test',
          ackUrl: null,
          mentions: [],
          text: `测试消息:楼宇运营中枢通知通道「${ch.id.slice(0, 8)}」工作正常 / Test message: the Building Operations Hub can reach this channel (${me?.displayName ?? ''})`,
          at: this.o.now(),
        },
      ],
      this.o.now(),
    );
    let result: { ok: boolean; detail: string };
    try {
      result = {
        ok: true,
        detail: await adapter.send(
          ch.config as never,
          msg,
          { address, name: me?.displayName ?? '' },
          { now: this.o.now, timeoutMs: this.o.config.sendTimeoutMs },
        ),
      };
    } catch (err) {
      result = { ok: false, detail: err instanceof SendError ? err.message : (err as Error).message };
    }
    await this.o.db.auditLog.create({
      data: { actor: `user:${user.id}`, action: 'notification_channel.test', target: `notification_channel:${id}`, data: result },
    });
    return result;
  }

  // ------------------------------------------------------------------ policies

  /** who edited, by name (never a raw id on screen) */
  private async named(views: PolicyView[]): Promise<PolicyView[]> {
    const ids = [...new Set(views.map((v) => v.updatedBy?.replace(/^user:/, '')).filter((x): x is string => !!x))];
    const users = ids.length
      ? await this.o.db.user.findMany({ where: { id: { in: ids } }, select: { id: true, displayName: true, username: true } })
      : [];
    return views.map((v) => {
      const u = users.find((x) => `user:${x.id}` === v.updatedBy);
      return { ...v, updatedByName: u ? u.displayName || u.username : null };
    });
  }

  async listPolicies(): Promise<PolicyView[]> {
    const rows = await this.o.db.escalationPolicy.findMany();
    return this.named(NOTIFY_KINDS.map((k) => policyView(k, rows.find((r) => r.kind === k) ?? null)));
  }

  async getPolicy(kind: NotifyKind): Promise<PolicyView> {
    return (await this.named([policyView(kind, await this.o.db.escalationPolicy.findUnique({ where: { kind } }))]))[0]!;
  }

  async putPolicy(user: Staff, kind: NotifyKind, body: PolicyBody): Promise<PolicyView> {
    await this.checkTargets(body.levels);
    const data = {
      levels: body.levels as unknown as Prisma.InputJsonValue,
      repeatEverySeconds: body.repeatEverySeconds ?? null,
      enabled: body.enabled,
      updatedAt: new Date(this.o.now()),
      updatedBy: `user:${user.id}`,
    };
    const row = await this.o.db.$transaction(async (tx) => {
      const r = await tx.escalationPolicy.upsert({ where: { kind }, create: { kind, ...data }, update: data });
      await tx.auditLog.create({
        data: {
          actor: `user:${user.id}`,
          action: 'escalation_policy.put',
          target: `escalation_policy:${kind}`,
          data: { levels: data.levels, repeatEverySeconds: data.repeatEverySeconds, enabled: body.enabled },
        },
      });
      return r;
    });
    this.changed();
    return (await this.named([policyView(kind, row)]))[0]!;
  }

  async resetPolicy(user: Staff, kind: NotifyKind): Promise<PolicyView> {
    await this.o.db.$transaction(async (tx) => {
      await tx.escalationPolicy.deleteMany({ where: { kind } });
      await tx.auditLog.create({
        data: { actor: `user:${user.id}`, action: 'escalation_policy.reset', target: `escalation_policy:${kind}`, data: {} },
      });
    });
    this.changed();
    return policyView(kind, null);
  }

  private async checkTargets(levels: Level[]): Promise<void> {
    const ch = new Set<string>();
    const us = new Set<string>();
    for (const l of levels)
      for (const t of l.targets) {
        if ('channelId' in t) ch.add(t.channelId);
        if ('userId' in t) us.add(t.userId);
        if ('via' in t) for (const v of t.via ?? []) ch.add(v);
      }
    const foundCh = await this.o.db.notificationChannel.count({ where: { id: { in: [...ch] } } });
    if (foundCh !== ch.size) throw errors.badRequest('a target names an unknown channel');
    const foundUs = await this.o.db.user.count({ where: { id: { in: [...us] } } });
    if (foundUs !== us.size) throw errors.badRequest('a target names an unknown user');
  }

  // ------------------------------------------------------------------ on-call rota

  private async loadShifts(): Promise<void> {
    const rows = await this.o.db.onCallShift.findMany({ where: { deletedAt: null } });
    this.shifts = rows.map((r) => ({
      id: r.id,
      userId: r.userId,
      role: r.role as OnCallRole,
      from: r.startsAt.getTime(),
      to: r.endsAt.getTime(),
      buildings: r.buildings,
      repeatEveryDays: r.repeatEveryDays,
      until: r.until?.getTime() ?? null,
      override: r.override,
    }));
    this.shiftsLoadedAt = this.o.now();
  }

  private async maybeReloadShifts(): Promise<void> {
    // other instances may have edited the rota
    if (this.o.now() - this.shiftsLoadedAt > 30_000) await this.loadShifts();
  }

  async createShift(
    user: Staff,
    b: {
      userId: string;
      role: OnCallRole;
      from: number;
      to: number;
      buildings: string[];
      repeatEveryDays: number | null;
      until: number | null;
      override: boolean;
      note: string;
    },
  ): Promise<OnCallShiftView> {
    const scope = Scope.of(user);
    if (!withinScope(scope, b.buildings))
      throw errors.forbidden(bi('只能为您管辖的楼栋排班', 'you may only add shifts for buildings within your scope'));
    const u = await this.o.db.user.findUnique({ where: { id: b.userId } });
    if (!u || !u.enabled || !servesScope(scope, u.buildings)) throw errors.badRequest(`no active user ${b.userId}`);
    const row = await this.o.db.$transaction(async (tx) => {
      const r = await tx.onCallShift.create({
        data: {
          userId: b.userId,
          role: b.role,
          startsAt: new Date(b.from),
          endsAt: new Date(b.to),
          buildings: b.buildings,
          repeatEveryDays: b.repeatEveryDays,
          until: b.until === null ? null : new Date(b.until),
          override: b.override,
          note: b.note,
          createdBy: `user:${user.id}`,
        },
      });
      await tx.auditLog.create({ data: { actor: `user:${user.id}`, action: 'oncall.create', target: `oncall:${r.id}`, data: { ...b } } });
      return r;
    });
    await this.enqueue(() => this.loadShifts());
    return { ...this.shiftView(row), displayName: u.displayName };
  }

  async deleteShift(user: Staff, id: string): Promise<void> {
    const shift = await this.o.db.onCallShift.findUnique({ where: { id }, select: { buildings: true } });
    // another estate's shift is "not found" for a scoped supervisor
    if (shift && !withinScope(Scope.of(user), shift.buildings)) throw errors.notFound(`no shift ${id}`);
    const r = await this.o.db.onCallShift.updateMany({ where: { id, deletedAt: null }, data: { deletedAt: new Date(this.o.now()) } });
    if (!r.count) throw errors.notFound(`no shift ${id}`);
    await this.o.db.auditLog.create({ data: { actor: `user:${user.id}`, action: 'oncall.delete', target: `oncall:${id}`, data: {} } });
    await this.enqueue(() => this.loadShifts());
  }

  private shiftView(r: Awaited<ReturnType<Db['onCallShift']['findMany']>>[number]): OnCallShiftView {
    return {
      id: r.id,
      userId: r.userId,
      displayName: '',
      role: r.role as OnCallRole,
      from: r.startsAt.getTime(),
      to: r.endsAt.getTime(),
      buildings: r.buildings,
      repeatEveryDays: r.repeatEveryDays,
      until: r.until?.getTime() ?? null,
      override: r.override,
      note: r.note,
      createdBy: r.createdBy,
    };
  }

  async onCall(q: { at?: number | undefined; role?: OnCallRole | undefined; building?: string | undefined }, reader?: Staff) {
    await this.maybeReloadShifts();
    const at = q.at ?? this.o.now();
    const scope = Scope.of(reader);
    const rows = (await this.o.db.onCallShift.findMany({ where: { deletedAt: null }, orderBy: { startsAt: 'asc' } })).filter((r) =>
      servesScope(scope, r.buildings),
    );
    const users = await this.o.db.user.findMany({
      where: { id: { in: [...new Set(rows.map((r) => r.userId))] } },
      select: { id: true, displayName: true, username: true },
    });
    const name = (id: string) => {
      const u = users.find((x) => x.id === id);
      return u?.displayName || u?.username || id;
    };
    const roles = q.role ? [q.role] : [...ONCALL_ROLES];
    // another building's rota is empty for a scoped reader; without ?building= only shifts serving its buildings
    const asked = q.building !== undefined && !scope.allows(q.building) ? [] : this.shifts;
    const now = roles.flatMap((r) =>
      onCallAt(asked, at, r, q.building ?? null)
        .filter((x) => servesScope(scope, x.shift.buildings))
        .map((x) => ({
          role: x.shift.role,
          userId: x.shift.userId,
          displayName: name(x.shift.userId),
          buildings: x.shift.buildings,
          shiftId: x.shift.id,
          override: x.shift.override,
          from: x.from,
          to: x.to,
        })),
    );
    return { at, onCall: now, shifts: rows.map((r) => ({ ...this.shiftView(r), displayName: name(r.userId) })) };
  }

  /**
   * A reminder that belongs to no incident (the duty shift's unsigned logs and pending handovers,
   * services/records/shift-service.ts): the on-call people of each role (the rota, else the role's
   * holders) on their personal channels. `key` makes it idempotent (the outbox refuses a second
   * delivery with the same key, so a restart does not send it twice). Returns the deliveries queued.
   */
  async remind(key: string, roles: readonly OnCallRole[], text: string): Promise<number> {
    return this.enqueue(async () => {
      const now = this.o.now();
      const { persons } = await this.resolve(
        roles.map((r) => ({ onCall: r })),
        '',
      );
      const list: NewDelivery[] = [];
      for (const p of persons) {
        const chain = await this.personalChain(p);
        if (!chain.length) continue;
        list.push({
          key: `remind:${key}:${p.id}:${chain[0]!.channelId}`,
          incidentId: null,
          noticeId: null,
          reason: 'reminder',
          level: 0,
          round: 0,
          channelId: chain[0]!.channelId,
          target: `user:${p.id}`,
          address: chain[0]!.address,
          chain: chain.slice(1).map((x) => x.channelId),
          fallbackOf: null,
          payload: {
            level: 0,
            round: 0,
            reason: 'reminder',
            ackUrl: null,
            mentions: [{ name: p.name, phone: p.phone || null, ackUrl: null }],
            text,
            at: now,
          },
        });
      }
      if (list.length) await this.outbox.tx((tx) => this.outbox.enqueue(tx, list));
      return list.length;
    });
  }

  /** "Your on-call shift starts now" to each person whose shift occurrence began since the last check. */
  private async shiftStarts(now: number): Promise<void> {
    await this.maybeReloadShifts();
    const after = this.lastShiftCheck;
    this.lastShiftCheck = now;
    const list: NewDelivery[] = [];
    for (const s of this.shifts) {
      for (const from of startsBetween(s, after, now)) {
        const [p] = (await this.resolve([{ userId: s.userId }], s.buildings[0] ?? '')).persons;
        if (!p) continue;
        const chain = await this.personalChain(p);
        if (!chain.length) continue;
        const role = {
          operator: '监控中心值班 control room',
          frontdesk: '客服前台 front desk',
          supervisor: '值班主管 supervisor',
          manager: '值班经理 duty manager',
        }[s.role];
        const until = new Date(from + (s.to - s.from) + 8 * 3600_000).toISOString().slice(0, 16).replace('T', ' ');
        list.push({
          key: `oncall:${s.id}:${from}:${chain[0]!.channelId}`,
          incidentId: null,
          noticeId: null,
          reason: 'oncall',
          level: 0,
          round: 0,
          channelId: chain[0]!.channelId,
          target: `user:${p.id}`,
          address: chain[0]!.address,
          chain: chain.slice(1).map((x) => x.channelId),
          fallbackOf: null,
          payload: {
            level: 0,
            round: 0,
            reason: 'oncall',
            ackUrl: null,
            mentions: [{ name: p.name, phone: p.phone || null, ackUrl: null }],
            text: `${p.name}:您的值班(${role})现在开始,至 ${until}(北京时间) / your on-call shift (${role}) starts now, until ${until} CST`,
            at: now,
          },
        });
      }
    }
    if (list.length) await this.outbox.tx((tx) => this.outbox.enqueue(tx, list));
  }

  // ------------------------------------------------------------------ profiles

  async profiles(reader?: Staff) {
    const scope = Scope.of(reader);
    const users = (await this.o.db.user.findMany({ where: { enabled: true }, orderBy: { username: 'asc' } })).filter(
      (u) => u.id === reader?.id || servesScope(scope, u.buildings),
    );
    const ps = await this.o.db.notifyProfile.findMany();
    return users.map((u) => {
      const p = ps.find((x) => x.userId === u.id);
      return {
        userId: u.id,
        username: u.username,
        displayName: u.displayName || u.username,
        role: u.role as Role,
        phone: p?.phone ?? '',
        email: p?.email ?? '',
        channels: p?.channels ?? [],
      };
    });
  }

  async putProfile(
    user: Staff,
    userId: string,
    b: { phone?: string | undefined; email?: string | undefined; channels?: string[] | undefined },
  ) {
    if (user.id !== userId && user.role !== 'supervisor' && user.role !== 'admin')
      throw errors.forbidden('only your own profile (or a supervisor)');
    const target = await this.o.db.user.findUnique({ where: { id: userId } });
    // someone else outside a scoped supervisor's buildings is "not found", as in the user admin
    if (!target || (user.id !== userId && !withinScope(Scope.of(user), target.buildings))) throw errors.notFound(`no user ${userId}`);
    if (
      b.channels?.length &&
      (await this.o.db.notificationChannel.count({ where: { id: { in: b.channels } } })) !== new Set(b.channels).size
    )
      throw errors.badRequest('unknown channel');
    const data = {
      ...(b.phone !== undefined ? { phone: b.phone } : {}),
      ...(b.email !== undefined ? { email: b.email } : {}),
      ...(b.channels ? { channels: b.channels } : {}),
      updatedAt: new Date(this.o.now()),
    };
    await this.o.db.$transaction(async (tx) => {
      await tx.notifyProfile.upsert({ where: { userId }, create: { userId, ...data }, update: data });
      await tx.auditLog.create({
        data: {
          actor: `user:${user.id}`,
          action: 'notify_profile.put',
          target: `user:${userId}`,
          data: { phone: b.phone !== undefined, email: b.email !== undefined, channels: b.channels ?? null },
        },
      });
    });
    this.changed();
    return (await this.profiles()).find((p) => p.userId === userId)!;
  }

  // ------------------------------------------------------------------ deliveries

  async deliveries(
    q: {
      incident?: string | undefined;
      notice?: string | undefined;
      state?: string | undefined;
      limit: number;
    },
    reader?: Staff,
  ): Promise<DeliveryView[]> {
    const scope = Scope.of(reader);
    // a scoped reader sees deliveries about its buildings' incidents and notices, and its own
    // personal ones (shift reminders). Deliveries have no relation to join on, and an id list of
    // every incident in the scope would outgrow PostgreSQL's 65,535 bind parameters over the
    // years: the page is chosen in SQL with joins, the rows then read by id.
    const limit = scope.limited
      ? {
          id: {
            in: (
              await this.o.db.$queryRaw<Array<{ id: string }>>`
                SELECT d."id" FROM "NotificationDelivery" d
                LEFT JOIN "Incident" i ON i."id" = d."incidentId"
                LEFT JOIN "ResidentNotice" n ON n."id" = d."noticeId"
                WHERE (i."buildingId" = ANY(${[...scope.buildings]}::text[])
                       OR n."buildingId" = ANY(${[...scope.buildings]}::text[])
                       OR (d."incidentId" IS NULL AND d."noticeId" IS NULL AND d."target" = ${`user:${reader!.id}`}))
                  ${q.incident ? Prisma.sql`AND d."incidentId" = ${q.incident}` : Prisma.empty}
                  ${q.notice ? Prisma.sql`AND d."noticeId" = ${q.notice}` : Prisma.empty}
                  ${q.state ? Prisma.sql`AND d."state" = ${q.state}` : Prisma.empty}
                ORDER BY d."createdAt" DESC LIMIT ${q.limit}`
            ).map((r) => r.id),
          },
        }
      : {};
    const rows = await this.o.db.notificationDelivery.findMany({
      where: {
        ...limit,
        ...(q.incident ? { incidentId: q.incident } : {}),
        ...(q.notice ? { noticeId: q.notice } : {}),
        ...(q.state ? { state: q.state } : {}),
      },
      orderBy: { createdAt: 'desc' },
      take: q.limit,
    });
    const chs = await this.o.db.notificationChannel.findMany({
      where: {
        id: { in: [...new Set(rows.flatMap((r) => [r.channelId, r.target.startsWith('channel:') ? r.target.slice(8) : r.channelId]))] },
      },
    });
    const uids = [...new Set(rows.filter((r) => r.target.startsWith('user:')).map((r) => r.target.slice(5)))];
    const users = uids.length
      ? await this.o.db.user.findMany({ where: { id: { in: uids } }, select: { id: true, displayName: true, username: true } })
      : [];
    const unitIds = [...new Set(rows.filter((r) => r.target.startsWith('unit:')).map((r) => r.target.slice(5)))];
    const units = unitIds.length
      ? await this.o.db.unit.findMany({ where: { id: { in: unitIds } }, select: { id: true, number: true, buildingId: true } })
      : [];
    return rows.map((r) => {
      const ch = chs.find((c) => c.id === r.channelId);
      const [type, id] = [r.target.slice(0, r.target.indexOf(':')), r.target.slice(r.target.indexOf(':') + 1)];
      const targetName =
        type === 'user'
          ? (users.find((u) => u.id === id)?.displayName ?? id)
          : type === 'channel'
            ? (chs.find((c) => c.id === id)?.name ?? id)
            : // owners are named by unit only (personal data stays out of the delivery list)
              (() => {
                const u = units.find((x) => x.id === id);
                return u ? `${u.buildingId} ${u.number}` : id;
              })();
      return {
        id: r.id,
        incidentId: r.incidentId,
        level: r.level,
        round: r.round,
        channelId: r.channelId,
        channelName: ch?.name ?? r.channelId,
        channelKind: (ch?.kind ?? 'webhook') as ChannelKind,
        target: r.target,
        targetName,
        state: r.state as DeliveryView['state'],
        attempts: r.attempts,
        ...(r.lastError ? { lastError: r.lastError } : {}),
        at: r.createdAt.getTime(),
        sentAt: r.sentAt?.getTime() ?? null,
        reason: r.reason,
        messageId: r.messageId,
        fallbackOf: r.fallbackOf,
        noticeId: r.noticeId,
      };
    });
  }

  // ------------------------------------------------------------------ resident notices

  async createNotice(
    user: Staff,
    b: {
      kind: NoticeView['kind'];
      building: string;
      floors: number[];
      text: string;
      channelId: string;
      plannedOutageId?: string | undefined;
    },
  ): Promise<NoticeView> {
    const ch = await this.runtimeChannel(b.channelId);
    if (!ch || (ch.kind !== 'sms' && ch.kind !== 'voice')) throw errors.badRequest('resident notices go by SMS: choose an SMS channel');
    if (!(await this.o.db.building.findUnique({ where: { id: b.building } })) || !Scope.of(user).allows(b.building))
      throw errors.badRequest(`no building ${b.building}`);
    if (b.plannedOutageId) {
      const po = await this.o.db.plannedOutage.findUnique({ where: { id: b.plannedOutageId } });
      if (!po || po.buildingId !== b.building) throw errors.badRequest('the planned outage is not in this building');
    }
    const units = await this.o.db.unit.findMany({
      where: { buildingId: b.building, ...(b.floors.length ? { floor: { in: b.floors } } : {}), ownerPhone: { not: '' } },
    });
    const now = this.o.now();
    const chain = (await this.groupChain(b.channelId)).filter(Boolean);
    const notice = await this.o.db.$transaction(async (tx) => {
      const n = await tx.residentNotice.create({
        data: {
          kind: b.kind,
          buildingId: b.building,
          floors: b.floors,
          text: b.text,
          channelId: b.channelId,
          plannedOutageId: b.plannedOutageId ?? null,
          createdBy: `user:${user.id}`,
          createdAt: new Date(now),
        },
      });
      // owners' phones are personal data: the read is logged with its reason (seed 000 §2.1.6.2)
      await tx.personalDataAccess.create({
        data: { userId: user.id, subject: `units:${b.building}`, reason: `resident notice ${n.id} (${units.length} owners)` },
      });
      await tx.auditLog.create({
        data: {
          actor: `user:${user.id}`,
          action: 'resident_notice.create',
          target: `resident_notice:${n.id}`,
          data: { kind: b.kind, building: b.building, floors: b.floors, recipients: units.length },
        },
      });
      return n;
    });
    const list: NewDelivery[] = units.map((u) => ({
      key: `notice:${notice.id}:unit:${u.id}:${chain[0] ?? b.channelId}`,
      incidentId: null,
      noticeId: notice.id,
      reason: 'notice',
      level: 0,
      round: 0,
      channelId: chain[0] ?? b.channelId,
      target: `unit:${u.id}`,
      address: u.ownerPhone,
      chain: chain.slice(1),
      fallbackOf: null,
      payload: { level: 0, round: 0, reason: 'notice', ackUrl: null, mentions: [], text: b.text, at: now },
    }));
    await this.outbox.tx((tx) => this.outbox.enqueue(tx, list));
    if (!list.length) await this.noticesSettled([notice.id]);
    return (await this.notices({ limit: 1, id: notice.id }))[0]!;
  }

  /** When no owner's message is still queued, the notice counts as sent (the planned outage's notice time). */
  private async noticesSettled(ids: string[]): Promise<void> {
    for (const id of ids) {
      const rows = await this.o.db.notificationDelivery.findMany({
        where: { noticeId: id },
        select: { state: true, sentAt: true, target: true },
      });
      if (rows.some((r) => r.state === 'queued')) continue;
      const sent = rows.filter((r) => r.state === 'sent' && r.sentAt).map((r) => r.sentAt!.getTime());
      const at = new Date(sent.length ? Math.max(...sent) : this.o.now());
      // the notice and its planned outage's notice time change together (one transaction)
      await this.o.db.$transaction(async (tx) => {
        const n = await tx.residentNotice.updateMany({ where: { id, sentAt: null }, data: { sentAt: at } });
        if (!n.count) return;
        const notice = await tx.residentNotice.findUnique({ where: { id } });
        if (notice?.plannedOutageId && sent.length)
          await tx.plannedOutage.updateMany({ where: { id: notice.plannedOutageId, noticeSentAt: null }, data: { noticeSentAt: at } });
      });
    }
  }

  async notices(q: { building?: string | undefined; limit: number; id?: string }, reader?: Staff): Promise<NoticeView[]> {
    const rows = await this.o.db.residentNotice.findMany({
      where: { ...Scope.of(reader).whereRequested('buildingId', q.building), ...(q.id ? { id: q.id } : {}) },
      orderBy: { createdAt: 'desc' },
      take: q.limit,
    });
    const counts = await this.o.db.notificationDelivery.groupBy({
      by: ['noticeId', 'state'],
      where: { noticeId: { in: rows.map((r) => r.id) }, fallbackOf: null },
      _count: true,
    });
    const fbCounts = await this.o.db.notificationDelivery.groupBy({
      by: ['noticeId', 'state'],
      where: { noticeId: { in: rows.map((r) => r.id) }, NOT: { fallbackOf: null } },
      _count: true,
    });
    const outages = await this.o.db.plannedOutage.findMany({
      where: { id: { in: rows.map((r) => r.plannedOutageId).filter((x): x is string => !!x) } },
    });
    return rows.map((r) => {
      const c = (s: string, list = counts) => list.filter((x) => x.noticeId === r.id && x.state === s).reduce((a, x) => a + x._count, 0);
      const po = outages.find((o) => o.id === r.plannedOutageId);
      const required = po ? (po.residentsMustPrepare ? 72 : 48) : 0;
      const sentAt = r.sentAt?.getTime() ?? null;
      const hours = po && sentAt !== null ? Math.floor(((po.startsAt.getTime() - sentAt) / 3600_000) * 10) / 10 : null;
      return {
        id: r.id,
        kind: r.kind as NoticeView['kind'],
        building: r.buildingId,
        floors: r.floors,
        text: r.text,
        channelId: r.channelId,
        plannedOutageId: r.plannedOutageId,
        createdBy: r.createdBy,
        createdAt: r.createdAt.getTime(),
        recipients: counts.filter((x) => x.noticeId === r.id).reduce((a, x) => a + x._count, 0),
        // a failed first channel that a fallback then delivered counts as sent
        sent: c('sent') + c('sent', fbCounts),
        failed: Math.max(0, c('failed') - c('sent', fbCounts) - c('queued', fbCounts)),
        queued: c('queued') + c('queued', fbCounts),
        sentAt,
        outage: po
          ? {
              startsAt: po.startsAt.getTime(),
              requiredNoticeHours: required,
              noticeHours: hours,
              meetsRule: hours === null ? null : hours >= required,
            }
          : null,
      };
    });
  }

  // ------------------------------------------------------------------ ack links

  private baseUrl(): string {
    return (this.o.config.publicUrl ?? this.o.selfUrl()).replace(/\/+$/, '');
  }

  /** What the confirm page shows. A GET never acknowledges (link previews open links too). */
  async ackInfo(
    token: string,
  ): Promise<
    | { ok: true; incident: { number: number; kind: string; title: string; building: string; acknowledged: boolean }; person: string }
    | { ok: false; reason: 'invalid' | 'expired' | 'used' }
  > {
    const v = this.keys.verifyLink(token, this.o.now());
    if ('error' in v) return { ok: false, reason: v.error };
    const link = await this.o.db.ackLink.findUnique({ where: { id: v.id } });
    if (!link) return { ok: false, reason: 'invalid' };
    if (link.usedAt) return { ok: false, reason: 'used' };
    const d = await this.o.incidents.get(link.incidentId);
    const u = await this.o.db.user.findUnique({ where: { id: link.userId } });
    return {
      ok: true,
      incident: { number: d.number, kind: d.kind, title: d.title, building: d.building, acknowledged: isAcknowledged(d) },
      person: u?.displayName ?? '',
    };
  }

  /** Confirm: the link is spent (once, atomically) and the incident acknowledged as that person, on the timeline. */
  async ackConfirm(
    token: string,
  ): Promise<
    { ok: true; already: boolean; number: number } | { ok: false; reason: 'invalid' | 'expired' | 'used' | 'refused'; detail?: string }
  > {
    const v = this.keys.verifyLink(token, this.o.now());
    if ('error' in v) return { ok: false, reason: v.error };
    const spent = await this.o.db.ackLink.updateMany({ where: { id: v.id, usedAt: null }, data: { usedAt: new Date(this.o.now()) } });
    if (!spent.count)
      return (await this.o.db.ackLink.findUnique({ where: { id: v.id } }))
        ? { ok: false, reason: 'used' }
        : { ok: false, reason: 'invalid' };
    const link = (await this.o.db.ackLink.findUnique({ where: { id: v.id } }))!;
    const u = await this.o.db.user.findUnique({ where: { id: link.userId } });
    if (!u || !u.enabled) return { ok: false, reason: 'refused', detail: 'user disabled' };
    const d = await this.o.incidents.get(link.incidentId);
    await this.o.db.auditLog.create({
      data: {
        actor: `user:${u.id}`,
        action: 'notification.ack_link',
        target: `incident:${d.id}`,
        data: { link: link.id, already: isAcknowledged(d) },
      },
    });
    if (isAcknowledged(d)) return { ok: true, already: true, number: d.number };
    const action = ackAction(d.kind);
    if (!action) return { ok: false, reason: 'refused', detail: 'this kind has no acknowledge step' };
    try {
      const after = await this.o.incidents.act(
        d.id,
        action,
        { notes: '通过通知消息中的确认链接 / acknowledged from the notification link' },
        { id: u.id, role: u.role as Role },
      );
      return { ok: true, already: false, number: after.number };
    } catch (err) {
      if (err instanceof HubError) {
        const now = await this.o.incidents.get(d.id);
        if (isAcknowledged(now)) return { ok: true, already: true, number: d.number };
        return { ok: false, reason: 'refused', detail: err.message };
      }
      throw err;
    }
  }

  kindText(kind: string): readonly [string, string] {
    return KIND_TEXT[kind] ?? [kind, kind];
  }
}
