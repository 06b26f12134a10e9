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
