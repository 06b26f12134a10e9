// The durable outbox: deliveries and messages are rows in PostgreSQL, and every message is a
// pg-boss job created in the SAME transaction (pg-boss `send({db})`), so a delivery is never
// recorded without its job nor the other way round; kill -9 and restart loses nothing. pg-boss
// gives the retries with exponential backoff, the expiry of jobs a crashed process held, and
// archiving. The idempotency key per delivery (incident+level+round+recipient+channel) is a
// unique index: re-planning after a restart inserts nothing twice.
//
// Grouping ("no spam"): deliveries to the same place (channel + target, the "mailbox") that
// arrive within the grouping window go out as ONE message, and a mailbox sends at most one
// message per window — a storm of incidents becomes a few messages per person, not hundreds.
//
// Sending is at-least-once: a process killed after the provider accepted a message but before
// the row says "sent" sends it again after restart. Every request carries the message id as
// Idempotency-Key (webhook) / X-Bops-Message-Id (e-mail) so receivers can drop that rare repeat.
import type pg from 'pg';
import PgBoss from 'pg-boss';
import type { ChannelKind } from '../../contracts/notifications.js';
import type { Logger } from '../core/logger.js';
import { adapterFor, SendError, type Recipient } from './channels.js';
import { compose, type DeliveryPayload } from './compose.js';

export const SEND_QUEUE = 'bops-notify-send';

/**
 * Providers' own rate limits per robot: DingTalk and WeCom group robots take 20 messages a
 * minute (more are refused: DingTalk errcode 130101, WeCom 45009), Feishu custom bots 5 a second.
 * A mailbox of such a channel never sends faster; what comes meanwhile is grouped.
 */
const MIN_SPACING_MS: Partial<Record<ChannelKind, number>> = { dingtalk: 3000, wecom: 3000, feishu: 250 };

export interface OutboxConfig {
  databaseUrl: string;
  groupWindowMs: number;
  retryLimit: number;
  retryDelaySeconds: number;
  jobExpireSeconds: number;
  maintenanceSeconds: number;
  pollMs: number;
  concurrency: number;
  sendTimeoutMs: number;
}

export interface NewDelivery {
  key: string;
  incidentId: string | null;
  noticeId: string | null;
  reason: string;
  level: number;
  round: number;
  channelId: string;
  target: string;
  address: string;
  chain: string[];
  fallbackOf: string | null;
  payload: DeliveryPayload;
}

export interface ChannelRuntime {
  id: string;
  kind: ChannelKind;
  enabled: boolean;
  config: Record<string, unknown>;
  fallbackChannelId: string | null;
}

export interface OutboxHooks {
  channel(id: string): Promise<ChannelRuntime | null>;
  /** the next channel and address for a failed delivery, or null when the chain is exhausted */
  fallback(d: {
    target: string;
    chain: string[];
    address: string;
  }): Promise<{ channelId: string; address: string; chain: string[] } | null>;
  /** a message reached its final state (sent / failed) */
  settled(deliveryIds: string[], noticeIds: string[], incidentIds: string[]): Promise<void>;
  /** delivery counters, e.g. Prometheus */
  count?(channelKind: string, outcome: 'sent' | 'failed' | 'retry'): void;
}

type Tx = pg.PoolClient;
export type DeliveryRow = {
  id: string;
  key: string;
  incidentId: string | null;
  noticeId: string | null;
  channelId: string;
  target: string;
  address: string;
  chain: string[];
  payload: DeliveryPayload;
  attempts: number;
};

/** advisory-lock key for setting up the send queue: "bopn" in ASCII (retention uses "bops") */
const QUEUE_SETUP_LOCK_KEY = 0x626f706e;

export class Outbox {
  private boss: PgBoss | null = null;
  private running = false;
  private inflight = 0;
  private wake: (() => void) | null = null;
  /** a kick that came while the loop was busy: do not sleep on it */
  private kicked = false;
  private wakeTimer: NodeJS.Timeout | null = null;
  private wakeAt = Infinity;
  private loopDone: Promise<void> = Promise.resolve();

  constructor(
    private readonly pool: pg.Pool,
    private readonly cfg: OutboxConfig,
    private readonly hooks: OutboxHooks,
    private readonly log: Logger,
    private readonly now: () => number,
  ) {}

  async start(): Promise<void> {
    const boss = new PgBoss({
      connectionString: this.cfg.databaseUrl,
      schema: 'pgboss',
      max: 3,
      application_name: 'bops-notify',
      // no cron schedules: their clock-skew monitor is not needed
      schedule: false,
      supervise: true,
      maintenanceIntervalSeconds: this.cfg.maintenanceSeconds,
    });
    boss.on('error', (err) => this.log.warn({ err }, 'pg-boss error'));
    await boss.start();
    const queue = {
      name: SEND_QUEUE,
      policy: 'standard' as const,
      retryLimit: this.cfg.retryLimit,
      retryDelay: this.cfg.retryDelaySeconds,
      retryBackoff: true,
      expireInSeconds: this.cfg.jobExpireSeconds,
    };
    // Two hubs starting together on one database both saw no queue and both created it: pg-boss's
    // createQueue takes row and partition locks in an order that deadlocks (seen in CI). One hub at a
    // time sets the queue up, under a session advisory lock on our own pool.
    const c = await this.pool.connect();
    try {
      await c.query('SELECT pg_advisory_lock($1)', [QUEUE_SETUP_LOCK_KEY]);
      if (await boss.getQueue(SEND_QUEUE)) await boss.updateQueue(SEND_QUEUE, queue);
      else await boss.createQueue(SEND_QUEUE, queue);
    } finally {
      await c.query('SELECT pg_advisory_unlock($1)', [QUEUE_SETUP_LOCK_KEY]).catch(() => undefined);
      c.release();
    }
    this.boss = boss;
    this.running = true;
    this.loopDone = this.loop();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.kick();
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    await this.loopDone.catch(() => undefined);
    // let in-flight sends finish (bounded by the send timeout)
    const end = Date.now() + this.cfg.sendTimeoutMs + 1000;
    while (this.inflight > 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    await this.boss?.stop({ graceful: false, wait: true, timeout: 5000 }).catch(() => undefined);
    this.boss = null;
  }

  /**
   * Insert deliveries (idempotent on `key`) and put each new one into its mailbox's open message,
   * or a new message + pg-boss job. Runs inside the caller's transaction. Returns the new ids.
   */
  async enqueue(tx: Tx, list: NewDelivery[]): Promise<string[]> {
    const ids: string[] = [];
    for (const d of list) {
      const r = await tx.query<{ id: string }>(
        `INSERT INTO "NotificationDelivery" (id, key, "incidentId", "noticeId", reason, level, round, "channelId", target, address, chain, "fallbackOf", payload, "createdAt")
         VALUES (gen_random_uuid()::text, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
         ON CONFLICT (key) DO NOTHING RETURNING id`,
        [
          d.key,
          d.incidentId,
          d.noticeId,
          d.reason,
          d.level,
          d.round,
          d.channelId,
          d.target,
          d.address,
          d.chain,
          d.fallbackOf,
          JSON.stringify(d.payload),
          new Date(this.now()),
        ],
      );
      const id = r.rows[0]?.id;
      if (!id) continue; // planned before (restart, second instance): nothing twice
      await this.attach(tx, id, d.channelId, d.target);
      ids.push(id);
    }
    return ids;
  }

  private async attach(tx: Tx, deliveryId: string, channelId: string, target: string): Promise<void> {
    const mailbox = `${channelId}|${target}`;
    // an open (not yet sending) message of this mailbox takes it: the storm is grouped
    const open = await tx.query<{ id: string }>(
      `SELECT id FROM "NotificationMessage" WHERE mailbox = $1 AND state = 'queued' ORDER BY "createdAt" DESC LIMIT 1 FOR UPDATE`,
      [mailbox],
    );
    let messageId = open.rows[0]?.id;
    if (!messageId) {
      const last = await tx.query<{ at: Date | null }>(`SELECT max("sentAt") AS at FROM "NotificationMessage" WHERE mailbox = $1`, [
        mailbox,
      ]);
      const now = this.now();
      const w = this.cfg.groupWindowMs;
      const kind = (await this.hooks.channel(channelId))?.kind;
      const spacing = Math.max(w, (kind && MIN_SPACING_MS[kind]) || 0);
      const notBefore = Math.max(now + w, (last.rows[0]?.at?.getTime() ?? 0) + spacing);
      const m = await tx.query<{ id: string }>(
        `INSERT INTO "NotificationMessage" (id, "channelId", mailbox, target, state, "notBefore", "createdAt")
         VALUES (gen_random_uuid()::text, $1, $2, $3, 'queued', $4, $5) RETURNING id`,
        [channelId, mailbox, target, new Date(notBefore), new Date(now)],
      );
      messageId = m.rows[0]!.id;
      const db = { executeSql: (text: string, values: unknown[]) => tx.query(text, values) };
      await this.boss!.send(SEND_QUEUE, { messageId }, { startAfter: new Date(notBefore), db });
      this.wakeAtTime(notBefore);
    }
    await tx.query(`UPDATE "NotificationDelivery" SET "messageId" = $1 WHERE id = $2`, [messageId, deliveryId]);
  }

  /** Run `fn` in one transaction on the pool. */
  async tx<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    const c = await this.pool.connect();
    try {
      await c.query('BEGIN');
      const r = await fn(c);
      await c.query('COMMIT');
      return r;
    } catch (err) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      c.release();
    }
  }

  /** wake the dispatcher at `t` (a message's grouping window ends) */
  wakeAtTime(t: number): void {
    if (t >= this.wakeAt && this.wakeTimer) return;
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    this.wakeAt = t;
    this.wakeTimer = setTimeout(
      () => {
        this.wakeTimer = null;
        this.wakeAt = Infinity;
        this.kick();
      },
      Math.max(0, t - this.now()) + 5,
    );
    this.wakeTimer.unref();
  }

  private kick(): void {
    const w = this.wake;
    this.wake = null;
    if (w) w();
    else this.kicked = true;
  }

  private async loop(): Promise<void> {
    while (this.running) {
      const free = this.cfg.concurrency - this.inflight;
      let got = 0;
      if (free > 0 && this.boss) {
        try {
          const jobs = await this.boss.fetch<{ messageId: string }>(SEND_QUEUE, { batchSize: free, includeMetadata: true });
          got = jobs.length;
          for (const job of jobs) {
            this.inflight++;
            void this.handle(job).finally(() => {
              this.inflight--;
              this.kick();
            });
          }
        } catch (err) {
          if (this.running) this.log.warn({ err }, 'outbox fetch failed');
        }
      }
      if (got > 0 && got === free) continue;
      if (this.kicked) {
        this.kicked = false;
        continue;
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, this.cfg.pollMs);
        t.unref();
        this.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
  }

  private async handle(job: PgBoss.JobWithMetadata<{ messageId: string }>): Promise<void> {
    const boss = this.boss;
    if (!boss) return;
    const last = job.retryCount >= job.retryLimit;
    try {
      await this.send(job.data.messageId, last);
      await boss.complete(SEND_QUEUE, job.id);
    } catch (err) {
      await boss.fail(SEND_QUEUE, job.id, { message: (err as Error).message }).catch(() => undefined);
    }
  }

  /** Send one message. Throws to have pg-boss retry it (with backoff); returns when it is settled. */
  private async send(messageId: string, lastAttempt: boolean): Promise<void> {
    const claimed = await this.tx(async (tx) => {
      const m = await tx.query<{ state: string; channelId: string; target: string }>(
        `SELECT state, "channelId", target FROM "NotificationMessage" WHERE id = $1 FOR UPDATE`,
        [messageId],
      );
      const row = m.rows[0];
      if (!row || ['sent', 'failed', 'cancelled'].includes(row.state)) return null;
      await tx.query(`UPDATE "NotificationMessage" SET state = 'sending', attempts = attempts + 1 WHERE id = $1`, [messageId]);
      const d = await tx.query<DeliveryRow>(
        `SELECT id, key, "incidentId", "noticeId", "channelId", target, address, chain, payload, attempts
           FROM "NotificationDelivery" WHERE "messageId" = $1 AND state = 'queued' ORDER BY "createdAt"`,
        [messageId],
      );
      return { ...row, deliveries: d.rows };
    });
    if (!claimed) return;
    if (!claimed.deliveries.length) {
      // everything in it was acknowledged meanwhile: nothing to say
      await this.pool.query(`UPDATE "NotificationMessage" SET state = 'cancelled' WHERE id = $1`, [messageId]);
      return;
    }
    const ch = await this.hooks.channel(claimed.channelId);
    const ids = claimed.deliveries.map((d) => d.id);
    let error: SendError;
    try {
      if (!ch) throw new SendError('channel deleted', false);
      if (!ch.enabled) throw new SendError('channel disabled', false);
      const first = claimed.deliveries[0]!;
      const to: Recipient = {
        address: claimed.target.startsWith('channel:') ? null : first.address || null,
        name: first.payload.mentions[0]?.name ?? '',
      };
      const msg = compose(
        messageId,
        claimed.deliveries.map((d) => d.payload),
        this.now(),
      );
      const detail = await adapterFor(ch.kind).send(ch.config as never, msg, to, { now: this.now, timeoutMs: this.cfg.sendTimeoutMs });
      const at = new Date(this.now());
      await this.tx(async (tx) => {
        await tx.query(`UPDATE "NotificationMessage" SET state = 'sent', "sentAt" = $2, "lastError" = NULL WHERE id = $1`, [messageId, at]);
        await tx.query(
          `UPDATE "NotificationDelivery" SET state = 'sent', attempts = attempts + 1, "sentAt" = $2, "lastError" = NULL WHERE id = ANY($1) AND state = 'queued'`,
          [ids, at],
        );
      });
      this.hooks.count?.(ch.kind, 'sent');
      this.log.debug({ messageId, channel: ch.id, deliveries: ids.length, detail }, 'notification sent');
      await this.settled(claimed.deliveries);
      return;
    } catch (err) {
      error = err instanceof SendError ? err : new SendError((err as Error).message);
    }
    const msgText = error.message.slice(0, 500);
    if (error.retryable && !lastAttempt) {
      await this.tx(async (tx) => {
        await tx.query(`UPDATE "NotificationMessage" SET state = 'retry', "lastError" = $2 WHERE id = $1`, [messageId, msgText]);
        await tx.query(
          `UPDATE "NotificationDelivery" SET attempts = attempts + 1, "lastError" = $2 WHERE id = ANY($1) AND state = 'queued'`,
          [ids, msgText],
        );
      });
      this.hooks.count?.(ch?.kind ?? 'unknown', 'retry');
      throw error;
    }
    // retries used up (or pointless): this channel failed; each delivery falls back to its next channel
    this.log.warn({ messageId, channel: claimed.channelId, err: msgText }, 'notification failed; falling back');
    await this.tx(async (tx) => {
      await tx.query(`UPDATE "NotificationMessage" SET state = 'failed', "lastError" = $2 WHERE id = $1`, [messageId, msgText]);
      await tx.query(
        `UPDATE "NotificationDelivery" SET state = 'failed', attempts = attempts + 1, "lastError" = $2 WHERE id = ANY($1) AND state = 'queued'`,
        [ids, msgText],
      );
      const next: NewDelivery[] = [];
      for (const d of claimed.deliveries) {
        const fb = await this.hooks.fallback({ target: d.target, chain: d.chain, address: d.address });
        if (!fb) continue;
        next.push({
          key: `${d.key}>${fb.channelId}`,
          incidentId: d.incidentId,
          noticeId: d.noticeId,
          reason: d.payload.reason,
          level: d.payload.level,
          round: d.payload.round,
          channelId: fb.channelId,
          target: d.target,
          address: fb.address,
          chain: fb.chain,
          fallbackOf: d.id,
          payload: d.payload,
        });
      }
      if (next.length) await this.enqueue(tx, next);
    });
    this.hooks.count?.(ch?.kind ?? 'unknown', 'failed');
    await this.settled(claimed.deliveries);
  }

  private async settled(ds: DeliveryRow[]): Promise<void> {
    await this.hooks
      .settled(
        ds.map((d) => d.id),
        [...new Set(ds.map((d) => d.noticeId).filter((x): x is string => !!x))],
        [...new Set(ds.map((d) => d.incidentId).filter((x): x is string => !!x))],
      )
      .catch((err: unknown) => this.log.warn({ err }, 'settle hook failed'));
  }
}
