// Device-health drill 设备健康 (PROCEDURES.md "Device health"): a connected meter goes silent
// (its heartbeat passes: a `silent` device fault) and talks again (recovered); then its supply
// sags below the voltage band of a telemetry rule long enough to open a rule fault with its
// repair work order, and comes back inside the band by the hysteresis (recovered, close
// suggested). With --hub the drill checks each of the hub's responses and the control room
// acknowledges and closes both faults (exit 4 when the hub does not do what the manual says).
import type { IncidentDetail } from '../hub-client.js';
import type { PowerSim } from '../simulators/power.js';
import { registerScenario, ScenarioError } from './registry.js';

registerScenario({
  name: 'device-health',
  title: '设备健康 device health',
  description:
    'A power meter stays connected but stops reporting (silent past its heartbeat), then reports again; then its voltage sags out of the telemetry rule’s band (default 300 V) until the rule’s duration passes, and comes back to nominal. With --hub: checks the silent fault opens and recovers, the rule fault opens with a linked repair work order and clears with the hysteresis (close suggested); acknowledges and closes both. Needs a voltage rule on the hub (the demo estate seeds one: 353–407 V for 10 s).',
  needs: ['power'],
  options: {
    meter: { type: 'string', description: 'power meter device id (default: first, or first in --building)' },
    voltage: { type: 'string', description: 'the sagged voltage the meter measures', default: '300' },
    'silent-wait': { type: 'string', description: 'how long to wait for the silent fault (heartbeat + scan)', default: '120s' },
    'breach-wait': { type: 'string', description: 'how long to keep the voltage out of band waiting for the fault', default: '60s' },
    'silent-for': { type: 'string', description: 'without --hub: how long the meter stays silent', default: '45s' },
  },
  async run(ctx) {
    const meters = ctx.find('power', ctx.str('building'));
    const wanted = ctx.str('meter');
    const meter = wanted ? meters.find((m) => m.identity.id === wanted) : meters[0];
    if (!meter) throw new ScenarioError(`no power meter${wanted ? ` ${wanted}` : ''} in the fleet`);
    const sim = meter.sim as PowerSim;
    const id = meter.identity.id;
    const hub = ctx.hub;
    if (hub && !hub.has('operator')) throw new ScenarioError('device-health with --hub needs an operator login: --user/--password');
    const volts = Number(ctx.str('voltage', '300'));
    if (!Number.isFinite(volts) || volts <= 0) throw new ScenarioError('--voltage must be a positive number');

    // ---- 1 silent: connected, says nothing
    sim.stop();
    ctx.log('1 静默 silent', `${id}: connected, telemetry stopped (the hub's heartbeat for power meters decides when it is silent)`);
    let silent: IncidentDetail | null = null;
    if (hub) {
      silent = await hub.awaitIncident('device_fault', (i) => i.deviceId === id && i.open && i.data.cause === 'silent', {
        timeoutMs: ctx.duration('silent-wait', 120_000),
      });
      if (!ctx.check(silent !== null, 'a connected meter that stopped reporting opened a silent device fault'))
        return { ok: false, summary: 'no silent fault' };
    } else await ctx.wait(ctx.duration('silent-for', 45_000));
    sim.start();
    await sim.sendTelemetry();
    ctx.log('2 恢复上报 talking again', `${id}: telemetry again`);
    if (hub && silent) {
      const rec = await hub.waitFor(silent, 15_000, (d) => d.state === 'recovered');
      ctx.check(rec !== null, 'reporting again recovered the silent fault (close suggested)', rec ? hub.stateText(rec) : 'still open');
      if (rec) silent = rec;
    }

    // ---- 2 voltage out of the rule's band for its duration
    sim.setVoltage(volts);
    ctx.log('3 电压越限 voltage sag', `${id}: measuring ≈ ${volts} V, reported every second until the hub raises the fault`);
    let rule: IncidentDetail | null = null;
    const beat = setInterval(() => void sim.sendTelemetry(), 1000);
    try {
      await sim.sendTelemetry();
      if (hub) {
        rule = await hub.awaitIncident('device_fault', (i) => i.deviceId === id && i.open && i.data.cause === 'rule', {
          timeoutMs: ctx.duration('breach-wait', 60_000),
        });
      } else await ctx.wait(ctx.duration('breach-wait', 15_000));
    } finally {
      clearInterval(beat);
    }
    if (hub && !ctx.check(rule !== null, 'the lasting voltage breach opened a telemetry-rule device fault'))
      return { ok: false, summary: 'no rule fault' };
    if (rule) {
      const since = (rule.data as { since?: number }).since ?? rule.openedAt;
      const r = (rule.data as { rule?: { name: string; durationSeconds: number } }).rule;
      ctx.check(
        r !== undefined && rule.openedAt - since >= r.durationSeconds * 1000,
        'raised only once the breach had lasted the rule’s duration',
        r
          ? `rule “${r.name}”, ${r.durationSeconds} s; opened ${((rule.openedAt - since) / 1000).toFixed(1)} s after the breach began`
          : 'no rule in the fault',
      );
      // one open repair order per device (services/repair/machine.ts): the silent fault's order,
      // if still open, takes this fault in too
      const faultId = rule.id;
      const order = await hub!.awaitIncident(
        'repair',
        (i) => i.deviceId === id && i.open && ((i.data as { faultIds?: string[] }).faultIds ?? []).includes(faultId),
      );
      ctx.check(order !== null, 'the fault opened a linked repair work order', order ? `work order #${order.number}` : 'none');
    }

    // ---- 3 back to nominal: inside the band by more than the hysteresis
    sim.setVoltage(null);
    await sim.sendTelemetry();
    ctx.log('4 电压恢复 voltage normal', `${id}: back to nominal`);
    if (!hub || !rule || !silent) return { ok: true, summary: `${id}: silent, then a voltage sag to ${volts} V, both over` };
    const cleared = await hub.waitFor(rule, 15_000, (d) => d.state === 'recovered');
    ctx.check(
      cleared !== null && cleared.timeline.some((e) => e.type === 'hint' && e.data.hint === 'close_suggested'),
      'back inside the band by the hysteresis: recovered, close suggested',
      cleared ? hub.stateText(cleared) : 'still open',
    );
    if (cleared) rule = cleared;

    // ---- 4 the control room takes both on and closes them
    for (let inc of [silent, rule]) {
      inc = await hub.act(inc, 'acknowledge', { notes: '设备健康演练 (drill)' });
      inc = await hub.act(inc, 'close', { resolution: '演练结束,设备已恢复 (drill)' });
      ctx.check(!inc.open, `device fault #${inc.number} closed`, hub.stateText(inc));
    }
    return { ok: ctx.failures.length === 0, summary: `${id}: silent fault #${silent.number} and rule fault #${rule.number} closed` };
  },
});
