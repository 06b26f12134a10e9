// Effects of a committed transition that reach outside the incident's own rows: device
// commands, linked incidents, the procedure's queries, notices to people, the elevator board.
// (Duty-log entries and follow-ups were written in the transition's transaction already.)
// A failing effect is logged and does not undo the transition; a command that cannot be sent
// is fed back to the procedure as a failed command (fail closed).
import type { EventBus } from '../core/bus.js';
import type { Logger } from '../core/logger.js';
import type { Effect, IncidentSnapshot, Input, ProcedureRegistry, RoutePlan } from '../core/procedure/index.js';
import type { CommandService } from '../devices/commands.js';
import type { DeviceRegistry } from '../devices/registry.js';
import type { ProcedureDeps, ProcedureModule } from './module.js';

export interface EffectDispatcherOptions {
  bus: EventBus;
  registry: DeviceRegistry;
  commands: CommandService;
  procedures: ProcedureRegistry<ProcedureModule>;
  deps: ProcedureDeps;
  log: Logger;
  now: () => number;
  /** the service's one write path (re-entered within the current queue turn) */
  execute(plan: RoutePlan, actor: string): Promise<string | null>;
  /** route a linked incident's trigger (context loaded, dedup, parent) into a plan */
  plan(e: Extract<Effect, { type: 'open_linked_incident' }>): Promise<RoutePlan>;
}

export class EffectDispatcher {
  constructor(private readonly o: EffectDispatcherOptions) {}

  async run(s: IncidentSnapshot, effects: Effect[]): Promise<void> {
    for (const e of effects) {
      try {
        await this.one(s, e);
      } catch (err) {
        this.o.log.error({ err, incident: s.id, effect: e.type }, 'effect failed');
      }
    }
  }

  private async one(s: IncidentSnapshot, e: Effect): Promise<void> {
    const { bus } = this.o;
    switch (e.type) {
      case 'send_command':
        return this.sendCommand(s, e);
      case 'open_linked_incident':
        // runs inside the current queue turn, after this transition committed
        await this.o.execute(await this.o.plan(e), `incident:${s.id}`);
        return;
      case 'query': {
        // answered as a system action right after this transition (e.g. the outage's elevator sweep)
        const q = this.o.procedures.get(s.kind).queries?.[e.name];
        if (!q) throw new Error(`${s.kind} has no query ${e.name}`);
        const payload = await q(this.o.deps, e.params, s);
        await this.o.execute({ op: 'decide', incidentId: e.incidentId, input: { type: 'system', action: e.answer, payload } }, 'system');
        return;
      }
      case 'escalate':
        bus.emit('incident.notify', {
          incidentId: s.id,
          kind: s.kind,
          building: s.buildingId,
          to: [e.to],
          key: `escalated.${e.reason}`,
          msg: e.msg,
          params: e.params,
          at: this.o.now(),
        });
        return;
      case 'notify':
        bus.emit('incident.notify', {
          incidentId: s.id,
          kind: s.kind,
          building: s.buildingId,
          to: e.to,
          key: e.key,
          msg: e.msg,
          params: e.params,
          at: this.o.now(),
        });
        return;
      case 'flag':
        bus.emit('incident.notify', {
          incidentId: s.id,
          kind: s.kind,
          building: s.buildingId,
          to: ['operator', 'supervisor'],
          key: `flag.${e.code}`,
          msg: e.msg,
          params: { deviceId: e.deviceId, ...e.params },
          at: this.o.now(),
        });
        return;
      case 'device_service':
        await this.o.registry.setService(e.deviceId, e.inService, e.reason);
        return;
      case 'duty_log':
      case 'create_followup':
      case 'special_report':
        return; // written in the transition's transaction / rendered on request
    }
  }

  private async sendCommand(s: IncidentSnapshot, e: Extract<Effect, { type: 'send_command' }>): Promise<void> {
    const targets =
      'deviceId' in e.target
        ? [e.target.deviceId]
        : this.o.registry
            .inBuilding(e.target.buildingId, e.target.deviceClass)
            .map((d) => d.deviceId)
            .sort();
    for (const deviceId of targets) {
      const corr = 'deviceId' in e.target ? e.corr : `${e.corr}.${deviceId}`.slice(0, 64);
      try {
        // the machine's expiresAt is authoritative; send with what is left of it
        await this.o.commands.send(deviceId, e.name, e.data as never, {
          ttlMs: Math.max(1, e.expiresAt - this.o.now()),
          incidentId: s.id,
          corr,
        });
      } catch (err) {
        // unknown device, bad data: the procedure must see it as a failed command (fail closed)
        this.o.log.warn({ err, deviceId, corr }, 'command not sent');
        const input: Input = { type: 'command_result', corr, ok: false, deviceId, data: { reason: (err as Error).message } };
        await this.o.execute({ op: 'decide', incidentId: s.id, input }, 'system');
      }
    }
  }
}
