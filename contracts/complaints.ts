// HTTP shapes of complaints 投诉 (PROCEDURES.md §9; routes in services/complaint/routes.ts,
// documented in docs/contract.md). A complaint is an incident of kind `complaint` (same id): its
// actions are the incident actions (`POST /api/incidents/:id/actions/:action`); these are the
// board, registration, the owner's contact (a logged personal-data read) and the monthly report.
import { z } from 'zod';
import { QueryBool } from './common.js';
import { Text } from './messages.js';

const Label = z.tuple([z.string(), z.string()]);

// the procedure's lists (services/complaint/machine.ts takes them from here: one source)
export const COMPLAINT_CATEGORY_LIST = ['facilities', 'environment', 'safety', 'service'] as const;
export const COMPLAINT_CHANNEL_LIST = ['phone', 'visit', 'online', 'letter', 'other'] as const;
export const COMPLAINT_STATE_LIST = ['registered', 'handling', 'awaiting_followup', 'closed', 'invalid'] as const;

export const ComplaintQuery = z.object({
  /** `open` = every state in which something is still owed (registered, handling, awaiting_followup) */
  state: z.enum(['open', 'all', ...COMPLAINT_STATE_LIST]).default('open'),
  building: z.string().min(1).max(64).optional(),
  category: z.enum(COMPLAINT_CATEGORY_LIST).optional(),
  channel: z.enum(COMPLAINT_CHANNEL_LIST).optional(),
  /** only complaints that missed a target (2 h reply, 24 h response, 72 h solution, 回访) */
  overdue: QueryBool.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(200),
});
export type ComplaintQuery = z.infer<typeof ComplaintQuery>;

/** One complaint on the board. Holds no name or phone (those are in the incident, masked/logged). */
export const ComplaintView = z.object({
  id: z.string(),
  number: z.number().int(),
  state: z.enum(COMPLAINT_STATE_LIST),
  open: z.boolean(),
  building: z.string(),
  title: Text,
  category: z.enum(COMPLAINT_CATEGORY_LIST),
  channel: z.enum(COMPLAINT_CHANNEL_LIST),
  complainantType: z.enum(['resident', 'outside']),
  unit: z.string().nullable(),
  location: z.string(),
  description: z.string(),
  valid: z.boolean().nullable(),
  openedAt: z.number(),
  firstReplyAt: z.number().nullable(),
  /** the next reply time agreed with the complainant (seed 001 §四.4), while not solved */
  nextReplyAt: z.number().nullable(),
  respondedAt: z.number().nullable(),
  solvedAt: z.number().nullable(),
  followedUpAt: z.number().nullable(),
  closedAt: z.number().nullable(),
  replyDueAt: z.number().nullable(),
  responseDueAt: z.number().nullable(),
  solutionDueAt: z.number().nullable(),
  followupDueAt: z.number().nullable(),
  /** the department it was last handed to */
  department: z.string().nullable(),
  /** repair work orders opened from it (their parentId is this complaint) */
  workOrderIds: z.array(z.string()),
  /** a missed target stays recorded (the board's filter, the monthly on-time rates) */
  overdue: z.object({ reply: z.boolean(), response: z.boolean(), solution: z.boolean(), followup: z.boolean() }),
});
export type ComplaintView = z.infer<typeof ComplaintView>;

export const ComplaintCreateBody = z.object({
  building: z.string().min(1).max(64),
  complainantType: z.enum(['resident', 'outside']),
  unit: z.string().trim().min(1).max(32).optional(),
  complainantName: z.string().trim().max(64).default(''),
  complainantPhone: z.string().trim().max(32).default(''),
  channel: z.enum(COMPLAINT_CHANNEL_LIST),
  category: z.enum(COMPLAINT_CATEGORY_LIST),
  location: z.string().trim().max(200).default(''),
  description: z.string().trim().min(1).max(2000),
});
export type ComplaintCreateBody = z.infer<typeof ComplaintCreateBody>;

export const ComplaintReportQuery = z.object({
  /** the month, local YYYY-MM (default this month) */
  month: z
    .string()
    .regex(/^\d{4}-(0[1-9]|1[0-2])$/)
    .optional(),
  building: z.string().min(1).max(64).optional(),
  format: z.enum(['json', 'html', 'csv']).default('json'),
  lang: z.enum(['zh-CN', 'en']).optional(),
});

const Rate = z.object({ measured: z.number().int(), onTime: z.number().int(), rate: z.number().nullable() });

/**
 * The monthly complaint report 部门客户投诉工作月报 (seed 001 §七 forms; seed 002 §5.1.3 (6) 每月总结):
 * complaints registered in the month, by category and channel, valid/invalid, the on-time rate
 * of each target and the 回访 rate of valid complaints (seed 001 §四.6: 100 %).
 */
export const ComplaintMonthReport = z.object({
  month: z.string(),
  from: z.number(),
  to: z.number(),
  building: z.string().nullable(),
  generatedAt: z.number(),
  total: z.number().int(),
  valid: z.number().int(),
  invalid: z.number().int(),
  undecided: z.number().int(),
  stillOpen: z.number().int(),
  byCategory: z.array(
    z.object({ category: z.string(), label: Label, total: z.number().int(), valid: z.number().int(), invalid: z.number().int() }),
  ),
  byChannel: z.array(z.object({ channel: z.string(), label: Label, total: z.number().int() })),
  /** 2 h reply (every complaint), 24 h response and 72 h solution (valid ones) */
  reply: Rate,
  response: Rate,
  solution: Rate,
  /** valid complaints whose solution was replied: how many were followed up (and in time) */
  followup: z.object({ due: z.number().int(), done: z.number().int(), onTime: z.number().int(), rate: z.number().nullable() }),
  workOrders: z.number().int(),
});
export type ComplaintMonthReport = z.infer<typeof ComplaintMonthReport>;
