// Commands to devices (recall, unlock): each gets a correlation id and an expiry, is recorded
// in DeviceCommand, and ends confirmed (device replied ok), failed (device replied not ok, or
// was not connected) or expired (no reply before `exp`). A command past `exp` is never resent
// by the hub (CONTRACT.md) — fail closed: callers treat anything but `confirmed` as not done.
//
// "Failed: device not connected" must stay true: the broker gives every device a clean session
// (broker/index.ts preConnect — a CONNECT asking for a persistent one gets a clean one), so a
// command published while the device is away is queued nowhere and can never reach it later
// (issue 7 item 1: an unlock recorded as failed opened the door 3.5 s later on reconnect).
// A result that arrives after the hub resolved its command (late, or after a restart) is not
// dropped: it is recorded on the row as `result.lateResult` and announced as a `command.updated`
// with the unchanged state, so the timeline and the front desk see what the device reports.
import { randomUUID } from 'node:crypto';
import { COMMAND_DATA, type CommandData, type CommandName, type CommandResult } from '../../contracts/mqtt.js';
import type { Broker } from '../../broker/index.js';
import type { CommandUpdate, EventBus } from '../core/bus.js';
import type { Db } from '../core/db.js';
import { errors } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { DeviceRegistry } from './registry.js';

interface Open {
  corr: string;
  deviceId: string;
  name: CommandName;
  expiresAt: number;
  incidentId: string | null;
  visitId: string | null;
  timer: NodeJS.Timeout;
}

export class CommandService {
  private readonly open = new Map<string, Open>();
  private sweeper: NodeJS.Timeout | null = null;

  constructor(
    private readonly db: Db,
    private readonly broker: Broker,
    private readonly registry: DeviceRegistry,
    private readonly bus: EventBus,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
    /**
     * Scale-out (docs/scale-out.md): other instances send commands too. A starting instance
     * must not expire theirs; a result may arrive at another instance than the sender (the
     * device's), which resolves the row; and a sender that died leaves rows that any instance
     * expires once past `exp` (every resolution is a conditional update: exactly one wins).
     */
    private readonly shared: { sweepMs: number } | null = null,
  ) {}

  async start(): Promise<void> {
    this.bus.on('device.command_result', this, ({ device, command, result }) => this.onResult(device.deviceId, command, result));
    if (this.shared) {
      await this.sweep();
      this.sweeper = setInterval(
        () => void this.sweep().catch((err: Error) => this.log.warn({ err: err.message }, 'command sweep failed')),
        this.shared.sweepMs,
      );
      this.sweeper.unref();
      return;
    }
    // Commands left open by a previous run can no longer be confirmed reliably: expire them.
    const stale = await this.db.deviceCommand.findMany({ where: { state: 'sent' } });
    for (const c of stale) {
      await this.finish(
        {
          corr: c.corr,
          deviceId: c.deviceId,
          name: c.name as CommandName,
          expiresAt: c.expiresAt.getTime(),
          incidentId: c.incidentId,
          visitId: c.visitId,
        },
        'expired',
        { reason: 'hub restarted before confirmation' },
      );
    }
  }

  /** Scale-out: expire commands past `exp` that no live instance is timing (their sender died). */
  private async sweep(): Promise<void> {
    // a second of grace: the sender's own timer normally gets there first
    const stale = await this.db.deviceCommand.findMany({ where: { state: 'sent', expiresAt: { lt: new Date(this.now() - 1000) } } });
    for (const c of stale) {
      if (this.open.has(c.corr)) continue;
      await this.finish(
        {
          corr: c.corr,
          deviceId: c.deviceId,
          name: c.name as CommandName,
          expiresAt: c.expiresAt.getTime(),
          incidentId: c.incidentId,
          visitId: c.visitId,
        },
        'expired',
        { reason: 'no confirmation before expiry' },
      );
    }
  }

  async stop(): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = null;
    this.bus.removeListeners(this);
    for (const o of this.open.values()) clearTimeout(o.timer);
    this.open.clear();
  }

  async send<N extends CommandName>(
    deviceId: string,
    name: N,
    data: CommandData<N>,
    opts: { ttlMs: number; incidentId?: string; visitId?: string; corr?: string },
  ): Promise<CommandUpdate> {
    const device = this.registry.get(deviceId);
    if (!device) throw errors.deviceUnknown(`no device ${deviceId}`);
    const parsed = COMMAND_DATA[name].safeParse(data);
    if (!parsed.success) throw errors.badRequest(`bad ${name} data: ${parsed.error.message}`);
    const corr = opts.corr ?? randomUUID();
    if (corr.length > 64) throw errors.badRequest('corr longer than 64 characters (CONTRACT.md)');
    const sentAt = this.now();
    const expiresAt = sentAt + opts.ttlMs;
    const incidentId = opts.incidentId ?? null;
    const visitId = opts.visitId ?? null;
    await this.db.deviceCommand.create({
      data: { corr, deviceId, name, data: parsed.data, incidentId, visitId, sentAt: new Date(sentAt), expiresAt: new Date(expiresAt) },
    });
    const o: Open = { corr, deviceId, name, expiresAt, incidentId, visitId, timer: setTimeout(() => void this.expire(corr), opts.ttlMs) };
    o.timer.unref();
    this.open.set(corr, o);
    const update: CommandUpdate = { corr, deviceId, name, state: 'sent', incidentId, visitId, at: sentAt, result: null };
    this.bus.emit('command.updated', update);
    const connected = await this.broker.publishCommand(device, name, { v: 1, corr, exp: expiresAt, data: parsed.data });
    if (!connected) {
      // Nobody is subscribed and sessions are clean, so aedes queued nothing: fail now, visibly.
      return (await this.finish(o, 'failed', { reason: 'device not connected' })) ?? update;
    }
    return update;
  }

  private async onResult(deviceId: string, command: string, result: CommandResult) {
    const o = this.open.get(result.corr);
    if (o && o.deviceId === deviceId && o.name === command) {
      if (this.now() <= o.expiresAt) {
        await this.finish(o, result.ok ? 'confirmed' : 'failed', result.data);
        return;
      }
      await this.expire(o.corr); // answered after exp: expired, and the answer recorded as late
    } else if (!o && this.shared) {
      // Scale-out: sent by another instance; the device answered here (where it is connected)
      const row = await this.db.deviceCommand.findUnique({ where: { corr: result.corr } });
      if (row && row.state === 'sent' && row.deviceId === deviceId && row.name === command) {
        const c = {
          corr: row.corr,
          deviceId,
          name: row.name as CommandName,
          expiresAt: row.expiresAt.getTime(),
          incidentId: row.incidentId,
          visitId: row.visitId,
        };
        if (this.now() <= c.expiresAt) {
          if (await this.finish(c, result.ok ? 'confirmed' : 'failed', result.data)) return;
        } else await this.finish(c, 'expired', { reason: 'no confirmation before expiry' });
      }
    }
    await this.late(deviceId, command, result);
  }

  /** Record a result for a command the hub has already resolved (see the header). */
  private async late(deviceId: string, command: string, result: CommandResult): Promise<void> {
    const row = await this.db.deviceCommand.findUnique({ where: { corr: result.corr } });
    if (!row || row.deviceId !== deviceId || row.name !== command) {
      this.log.warn({ deviceId, command, corr: result.corr }, 'command result for no command of this device (forged or unknown)');
      return;
    }
    if (row.state === 'sent' || row.state === 'confirmed') return; // another instance's, or a duplicate
    const previous = (row.result ?? {}) as Record<string, unknown>;
    if (previous.lateResult) return; // a redelivered late result: the first one is recorded
    const at = this.now();
    const lateResult = { ok: result.ok, ts: result.ts, receivedAt: at, data: result.data };
    const merged = { ...previous, lateResult };
    // conditional on the state we read, so a concurrent resolution is not overwritten
    const r = await this.db.deviceCommand.updateMany({ where: { corr: row.corr, state: row.state }, data: { result: merged as object } });
    if (r.count === 0) return;
    this.log.warn(
      { deviceId, command, corr: row.corr, state: row.state, ok: result.ok },
      'late command result recorded: the device answered after the hub had given up',
    );
    this.bus.emit('command.updated', {
      corr: row.corr,
      deviceId,
      name: row.name,
      state: row.state,
      incidentId: row.incidentId,
      visitId: row.visitId,
      at,
      result: merged,
    });
  }

  private async expire(corr: string) {
    const o = this.open.get(corr);
    if (o) await this.finish(o, 'expired', { reason: 'no confirmation before expiry' });
  }

  /** Resolve a command once: null when it was already resolved (by another instance). */
  private async finish(
    o: Omit<Open, 'timer'> & { timer?: NodeJS.Timeout },
    state: 'confirmed' | 'failed' | 'expired',
    result: Record<string, unknown>,
  ): Promise<CommandUpdate | null> {
    if (o.timer) clearTimeout(o.timer);
    this.open.delete(o.corr);
    const at = this.now();
    // conditional: with several instances the device's and the sender's may both try
    const r = await this.db.deviceCommand.updateMany({
      where: { corr: o.corr, state: 'sent' },
      data: { state, resolvedAt: new Date(at), result: result as object },
    });
    if (r.count !== 1) return null;
    const update: CommandUpdate = {
      corr: o.corr,
      deviceId: o.deviceId,
      name: o.name,
      state,
      incidentId: o.incidentId,
      visitId: o.visitId,
      at,
      result,
    };
    this.bus.emit('command.updated', update);
    return update;
  }
}
