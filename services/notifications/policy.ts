// Escalation policies (pure): the defaults that follow PROCEDURES.md, the per-kind rule for
// "acknowledged" (from the public incident view only — the procedures are being moved, so this
// module depends on contracts/incidents.ts, never on a machine), and the chain arithmetic.
import type { IncidentView } from '../../contracts/incidents.js';
import type { Level, NotifyKind, PolicyView } from '../../contracts/notifications.js';

export interface Policy {
  levels: Level[];
  repeatEverySeconds: number | null;
  enabled: boolean;
}

const op = { role: 'operator' } as const;
const desk = { role: 'frontdesk' } as const;
const sup = { onCall: 'supervisor' } as const;
const mgr = { onCall: 'manager' } as const;

/**
 * Defaults (an admin edits them with PUT /api/escalation-policies/:kind):
 * - fire_alarm: operators at 0 s, the supervisor on call at 15 s (NFPA 72 positive alarm
 *   sequence: acknowledge within 15 s), the duty manager at 60 s (119 needs the manager's
 *   approval, seed 000 §2.1.2.5); repeated every 60 s until acknowledged.
 * - elevator_entrapment: supervisor at 30 s (PROCEDURES.md §1.1, A17.1 §2.27.1.1 rolls an
 *   unanswered car call over in 30 s), manager at 5 min; repeat every 2 min.
 * - water_leak: supervisor at 60 s (§5.1 ack target), manager at 15 min (§5.2 on-site target).
 * - power_outage: supervisor at 60 s, manager at 5 min (standby power is expected in 10 s, §3.2).
 * - medical_emergency: supervisor at 30 s, manager at 2 min (an injured person waits).
 * - device_fault: operators at 0 s, supervisor at 10 min; no repeat (not life-safety by itself).
 * - visitor_approval: front desk at 60 s (registration ≤ 60 s, seed 001 §一), supervisor at 3 min.
 * - severe_weather: operators, front desk and the supervisor at 0 s (a declared warning is news).
 * - repair: supervisor at 0 s, manager at 24 h (response within 24 h, seed 002 §5.1.1).
 * - complaint: front desk at 0 s, supervisor at 2 h (reply within 2 h, seed 001 §四.4).
 */
export const DEFAULT_POLICIES: Record<NotifyKind, Policy> = {
  fire_alarm: {
    levels: [
      { afterSeconds: 0, targets: [op] },
      { afterSeconds: 15, targets: [sup] },
      { afterSeconds: 60, targets: [mgr] },
    ],
    repeatEverySeconds: 60,
    enabled: true,
  },
  elevator_entrapment: {
    levels: [
      { afterSeconds: 0, targets: [op] },
      { afterSeconds: 30, targets: [sup] },
      { afterSeconds: 300, targets: [mgr] },
    ],
    repeatEverySeconds: 120,
    enabled: true,
  },
  power_outage: {
    levels: [
      { afterSeconds: 0, targets: [op] },
      { afterSeconds: 60, targets: [sup] },
      { afterSeconds: 300, targets: [mgr] },
    ],
    repeatEverySeconds: 300,
    enabled: true,
  },
  device_fault: {
    levels: [
      { afterSeconds: 0, targets: [op] },
      { afterSeconds: 600, targets: [sup] },
    ],
    repeatEverySeconds: null,
    enabled: true,
  },
  visitor_approval: {
    levels: [
      { afterSeconds: 60, targets: [desk] },
      { afterSeconds: 180, targets: [sup] },
    ],
    repeatEverySeconds: null,
    enabled: true,
  },
  water_leak: {
    levels: [
      { afterSeconds: 0, targets: [op] },
      { afterSeconds: 60, targets: [sup] },
      { afterSeconds: 900, targets: [mgr] },
    ],
    repeatEverySeconds: 300,
    enabled: true,
  },
  medical_emergency: {
    levels: [
      { afterSeconds: 0, targets: [op] },
      { afterSeconds: 30, targets: [sup] },
      { afterSeconds: 120, targets: [mgr] },
    ],
    repeatEverySeconds: 120,
    enabled: true,
  },
  severe_weather: {
    levels: [{ afterSeconds: 0, targets: [op, desk, sup] }],
    repeatEverySeconds: null,
    enabled: true,
  },
  repair: {
    levels: [
      { afterSeconds: 0, targets: [sup] },
      { afterSeconds: 86_400, targets: [mgr] },
    ],
    repeatEverySeconds: null,
    enabled: true,
  },
  complaint: {
    levels: [
      { afterSeconds: 0, targets: [desk] },
      { afterSeconds: 7200, targets: [sup] },
    ],
    repeatEverySeconds: null,
    enabled: true,
  },
};

type View = Pick<IncidentView, 'kind' | 'open' | 'steps' | 'state'>;
const stepDone = (v: View, key: string) => {
  const s = v.steps.find((x) => x.key === key);
  return s !== undefined && s.status !== 'pending';
};

/**
 * Per-kind "someone has it" rule (the chain stops for everyone). Kinds with an `acknowledge`
 * step: that step is done (or skipped, e.g. a planned outage). The visitor procedure has no
 * acknowledge step: the desk contacting the owner (or a decision) is the answer. A kind this
 * module does not know yet (added later): any step a person has completed.
 */
export const ACKNOWLEDGED: Record<string, (v: View) => boolean> = {
  visitor_approval: (v) => stepDone(v, 'contact_owner') || stepDone(v, 'owner_decision') || stepDone(v, 'register'),
  // a complaint is registered by a person, so "a step done" would stop the chain at once: the
  // answer the supervisor's 2 h level waits for is the reply to the complainant (seed 001 §四.4)
  complaint: (v) => stepDone(v, 'reply'),
};

export function isAcknowledged(v: View): boolean {
  if (!v.open) return true;
  const rule = ACKNOWLEDGED[v.kind];
  if (rule) return rule(v);
  if (v.steps.some((s) => s.key === 'acknowledge')) return stepDone(v, 'acknowledge');
  return v.steps.some((s) => s.status === 'done' && (s.doneBy ?? '').startsWith('user:'));
}

/** The action an ack link performs (the procedures' own `acknowledge`). */
export function ackAction(kind: string): string | null {
  // no acknowledge step: answered by contacting the owner (visitor) or replying (complaint)
  return kind === 'visitor_approval' || kind === 'complaint' ? null : 'acknowledge';
}

export function policyView(
  kind: NotifyKind,
  row: { levels: unknown; repeatEverySeconds: number | null; enabled: boolean; updatedAt: Date; updatedBy: string } | null,
): PolicyView {
  if (!row) {
    const d = DEFAULT_POLICIES[kind];
    return {
      kind,
      levels: d.levels,
      repeatEverySeconds: d.repeatEverySeconds,
      enabled: d.enabled,
      isDefault: true,
      updatedAt: null,
      updatedBy: null,
      updatedByName: null,
    };
  }
  return {
    kind,
    levels: row.levels as Level[],
    repeatEverySeconds: row.repeatEverySeconds,
    enabled: row.enabled,
    isDefault: false,
    updatedAt: row.updatedAt.getTime(),
    updatedBy: row.updatedBy,
    updatedByName: null,
  };
}

/** Position in a chain: level index and round (0 = first time; 1… = repeats of the last level). */
export interface ChainStep {
  level: number;
  round: number;
  at: number;
}

/** When the given level/round is due. Repeats follow the last level every repeatEverySeconds. */
export function dueAt(p: Policy, openedAt: number, level: number, round: number): number | null {
  const last = p.levels.length - 1;
  if (level > last) return null;
  if (round === 0) return openedAt + p.levels[level]!.afterSeconds * 1000;
  if (level !== last || !p.repeatEverySeconds) return null;
  return openedAt + p.levels[last]!.afterSeconds * 1000 + round * p.repeatEverySeconds * 1000;
}

/** The step after (level, round), or null when the chain has ended. */
export function nextStep(p: Policy, openedAt: number, level: number, round: number): ChainStep | null {
  const last = p.levels.length - 1;
  const [l, r] = level < last ? [level + 1, 0] : [last, round + 1];
  const at = dueAt(p, openedAt, l, r);
  return at === null ? null : { level: l, round: r, at };
}
