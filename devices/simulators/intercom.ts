// Door-entry intercom simulator (楼宇对讲门口机): visitor calls to a unit, answers from the
// owner's in-unit station, and the `unlock` command. Fail closed by design: the door opens
// only on a valid, unexpired unlock; the never-confirm drill swallows unlocks entirely.
import type { DeviceEvent } from '../../contracts/mqtt.js';
import type { TimerHandle } from '../clock.js';
import { NO_REPLY, type CommandContext, type CommandReply, type DevicePort, type Metrics, type NoReply } from '../sdk.js';
import { Simulator, type SimulatorOptions } from './base.js';

export interface IntercomOptions extends SimulatorOptions {
  /** Fail-closed drill: receive `unlock` and neither open nor answer. */
  neverConfirm?: boolean;
  /** Length of one "second" of unlock time, ms (tests shrink it). */
  doorSecondMs?: number;
  /** A call nobody answers stops ringing after this long, ms. */
  callTimeoutMs?: number;
}

export interface Call {
  callId: string;
  unit: string;
  visitorName?: string;
  at: number;
}

export class IntercomSim extends Simulator {
  readonly cls = 'intercom' as const;
  neverConfirm: boolean;
  readonly doorSecondMs: number;
  readonly callTimeoutMs: number;
  /** Calls ringing, not yet answered: `calls_waiting`. */
  readonly waiting = new Map<string, Call>();
  doorOpen = false;
  /** corr of the unlock that opened the door. */
  openedBy: string | null = null;
  private closeTimer: TimerHandle | null = null;
  private readonly callTimers = new Map<string, TimerHandle>();

  constructor(port: DevicePort, opts: IntercomOptions = {}) {
    super(port, opts);
    this.neverConfirm = opts.neverConfirm ?? false;
    this.doorSecondMs = opts.doorSecondMs ?? 1000;
    this.callTimeoutMs = opts.callTimeoutMs ?? 120_000;
    port.onCommand('unlock', (data, ctx) => this.unlock(data.seconds, ctx));
  }

  telemetry(): Metrics {
    return {
      calls_waiting: this.waiting.size,
      door_open: this.doorOpen,
      locked: !this.doorOpen,
    };
  }

  /**
   * A visitor calls `unit` (`intercom.call`). The call id is the event's id: the contract's
   * `intercom.call` data has no callId field, and the event id is already unique per device.
   */
  async call(unit: string, visitorName?: string): Promise<Call> {
    const e = await this.publish('intercom.call', visitorName === undefined ? { unit } : { unit, visitorName });
    const call: Call = { callId: e.id, unit, at: e.ts, ...(visitorName === undefined ? {} : { visitorName }) };
    this.waiting.set(call.callId, call);
    this.callTimers.set(
      call.callId,
      this.after(this.callTimeoutMs, () => {
        this.waiting.delete(call.callId);
        this.callTimers.delete(call.callId);
        this.note(`call ${call.callId} to ${unit} stopped ringing (no answer)`);
      }),
    );
    this.note(`visitor ${visitorName ?? '(unnamed)'} calls unit ${unit} (call ${call.callId})`);
    return call;
  }

  private answer(callId: string): Call {
    const call = this.waiting.get(callId);
    if (!call) throw new Error(`no waiting call ${callId}`);
    this.waiting.delete(callId);
    this.cancel(this.callTimers.get(callId));
    this.callTimers.delete(callId);
    return call;
  }

  /** The owner presses "open" on the in-unit station (`intercom.owner_approved`). */
  ownerApprove(callId: string): Promise<DeviceEvent> {
    const call = this.answer(callId);
    return this.publish('intercom.owner_approved', { unit: call.unit, callId });
  }

  /** The owner refuses from the in-unit station (`intercom.owner_denied`). */
  ownerDeny(callId: string): Promise<DeviceEvent> {
    const call = this.answer(callId);
    return this.publish('intercom.owner_denied', { unit: call.unit, callId });
  }

  /**
   * The door opens without a hub command (a resident's key card, the exit button): the panel
   * reports `intercom.door_opened` without a corr (CONTRACT.md: corr only answers an unlock).
   */
  openLocally(): Promise<DeviceEvent> {
    return this.publish('intercom.door_opened', {});
  }

  /** `unlock` handler: open, confirm with `intercom.door_opened {corr}`, relock after `seconds`. */
  async unlock(seconds: number, ctx?: Pick<CommandContext, 'corr'>): Promise<CommandReply | NoReply> {
    if (this.neverConfirm) {
      this.note(`unlock ${ctx?.corr ?? ''} received; never-confirm drill: door stays locked, no answer`);
      return NO_REPLY;
    }
    this.doorOpen = true;
    this.openedBy = ctx?.corr ?? null;
    // The visitor at the door goes in: the oldest ringing call is finished.
    const oldest = [...this.waiting.keys()][0];
    if (oldest) this.answer(oldest);
    this.cancel(this.closeTimer);
    this.closeTimer = this.after(seconds * this.doorSecondMs, () => {
      this.closeTimer = null;
      this.doorOpen = false;
      this.openedBy = null;
      this.note('door closed and locked');
      this.publishLater('intercom.door_closed', {});
    });
    const e = await this.publish('intercom.door_opened', ctx?.corr ? { corr: ctx.corr } : {});
    this.note(`door opened for ${seconds} s${ctx?.corr ? ` (corr ${ctx.corr})` : ''}`);
    return { ok: true, data: { seconds, openedAt: e.ts } };
  }
}
