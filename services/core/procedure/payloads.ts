// Action payload pieces every procedure uses the same way (one definition, so the dashboard's
// forms built from the served schemas look and validate alike across procedures).
import { z } from 'zod';

/** Free text a person adds to an action; kept as typed ({text}), never translated. */
export const Notes = z.string().trim().max(2000).default('');

/** The special incident report 特别事件报告 (seed 000 §2.1.7): a summary and its photos/files. */
export const SpecialReportPayload = z.object({
  summary: z.string().trim().min(1).max(10_000),
  attachmentIds: z.array(z.string().min(1).max(64)).max(50).default([]),
});

/** Who works the control room's side of a procedure (监控中心值班员 and above, PROCEDURES.md roles). */
export const CONTROL_ROLES = ['operator', 'supervisor', 'admin'] as const;
/** Who approves, closes and signs off (主管 and above). */
export const MANAGER_ROLES = ['supervisor', 'admin'] as const;
