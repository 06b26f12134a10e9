// Complaint 投诉 — pure procedure (PROCEDURES.md §9; seed 001 §四 投诉处理; seed 002 §5.1.3 物业投诉
//处理 and §3(二) its time-limit table "投诉类 24小时内响应,72小时内给出解决方案"; seed 000 §1.1.3).
// A complaint is an incident of kind `complaint`: the engine gives it timers, escalation, the
// timeline and the duty log; services/complaint/service.ts adds the board, the owner-contact read
// and the monthly complaint report on top. Imports only types from the engine.
//
// 登记 (register: who, channel, what, category) → 核实 (valid or not; an invalid one is closed with
// the explanation given to the complainant) → 2 h 回复 with the next reply time agreed → 转交
// (hand to the responsible department, or open a repair work order) → 24 h 响应 → 72 h 解决方案 and
// its reply to the complainant → 回访 (every valid complaint: it cannot close without one).
import { z } from 'zod';
import { COMPLAINT_CATEGORY_LIST, COMPLAINT_CHANNEL_LIST, COMPLAINT_STATE_LIST } from '../../contracts/complaints.js';
import { WORK_ORDER_CATEGORIES } from '../../contracts/workorders.js';
import {
  actionsOf,
  defineProcedure,
  followupCalendar,
  said,
  type Ctx as EngineCtx,
  type IncidentSnapshot,
  type ProcedureTypes,
  Notes,
} from '../core/procedure/index.js';
import type { labels } from './labels.js';

// the lists are the board's filters too (contracts/complaints.ts): one source
export const COMPLAINT_STATES = COMPLAINT_STATE_LIST;
export type ComplaintState = (typeof COMPLAINT_STATES)[number];
export const COMPLAINT_FINAL_STATES = ['closed', 'invalid'] as const;
/** states in which something is still owed to the complainant (the board's "open", the handover's "pending") */
export const COMPLAINT_OPEN_STATES = ['registered', 'handling', 'awaiting_followup'] as const;

export const COMPLAINT_STEPS = ['register', 'assess', 'reply', 'hand_off', 'respond', 'solve', 'followup'] as const;
export type ComplaintStep = (typeof COMPLAINT_STEPS)[number];

/**
 * Targets (counted from registration, seed 001 §四.4 and seed 002 §3(二)): `reply` 2 h, `response`
 * 24 h, `solution` 72 h; `followup` the 回访 window after the solution was replied; `next_reply` a
 * repeating reminder at the reply time agreed with the complainant (not a target).
 */
export const COMPLAINT_TIMERS = ['reply', 'response', 'solution', 'next_reply', 'followup'] as const;
export type ComplaintTimer = (typeof COMPLAINT_TIMERS)[number];

export const COMPLAINT_ACTIONS = [
  'accept_valid',
  'mark_invalid',
  'record_reply',
  'hand_off',
  'open_work_order',
  'record_response',
  'record_solution',
  'record_followup',
] as const;
export type ComplaintAction = (typeof COMPLAINT_ACTIONS)[number];

/** seed 002 §5.1.3 (2) 按类型分类: 设施设备维修 / 环境卫生 / 安全隐患 / 服务质量 */
export const COMPLAINT_CATEGORIES = COMPLAINT_CATEGORY_LIST;
export type ComplaintCategory = (typeof COMPLAINT_CATEGORIES)[number];
/** seed 002 §5.1.3 (1) 投诉渠道: phone, visit, online (mail, WeChat mini program), letter */
export const COMPLAINT_CHANNELS = COMPLAINT_CHANNEL_LIST;
export type ComplaintChannel = (typeof COMPLAINT_CHANNELS)[number];
/** a resident (unit in the owner file) or a person from outside (visitor, neighbour, passer-by) */
export const COMPLAINANT_TYPES = ['resident', 'outside'] as const;
/** the responsible departments a complaint is handed to (seed 002 §5.1.3 (3) 分类转交) */
export const COMPLAINT_DEPARTMENTS = ['engineering', 'security', 'cleaning', 'customer_service', 'management', 'other'] as const;
export type ComplaintDepartment = (typeof COMPLAINT_DEPARTMENTS)[number];

const H = 3_600_000;
export const ComplaintConfig = z.object({
  /** seed 001 §四.4/5: 2 小时内回复业户 (valid ones not solved on the spot, and invalid ones) */
  replyMs: z
    .number()
    .int()
    .positive()
    .default(2 * H),
  /** seed 001 §四.4 约定下次回复时间: the reminder repeats this often once the agreed time has come */
  nextReplyRepeatMs: z.number().int().positive().default(H),
  /** seed 002 §3(二): 投诉类 24 小时内响应 */
  responseMs: z
    .number()
    .int()
    .positive()
    .default(24 * H),
  /** seed 002 §3(二): 72 小时内给出解决方案 */
  solutionMs: z
    .number()
    .int()
    .positive()
    .default(72 * H),
  /** 回访 within this many working days of the solution's reply (seed 001 §五.2: 2 个工作日) */
  ...followupCalendar,
});
export type ComplaintConfig = z.infer<typeof ComplaintConfig>;

export interface Reply {
  /** what the complainant was told (their words stay as typed) */
  text: string;
  /** the next reply time agreed with the complainant (seed 001 §四.4), null when none is owed */
  nextReplyAt: number | null;
  at: number;
  by: string;
}

export interface HandOff {
  department: ComplaintDepartment;
  /** the contacts registry entry, when the party came from it */
  contactId: string | null;
  party: string;
  at: number;
  by: string;
}

export interface ComplaintData {
  cfg: ComplaintConfig;
  category: ComplaintCategory;
  channel: ComplaintChannel;
  complainantType: 'resident' | 'outside';
  /** the resident's unit (its owner's contact is read from the owner file, never copied here) */
  unit: string | null;
  unitFloor: number | null;
  /** the complainant's name / an outside person's phone: personal data (masked, reads logged) */
  complainantName: string;
  complainantPhone: string;
  location: string;
  description: string;
  valid: boolean | null;
  invalidReason: string;
  solvedOnSpot: boolean;
  replies: Reply[];
  /** the first reply to the complainant (the 2 h target) */
  firstReplyAt: number | null;
  handOffs: HandOff[];
  /** repair work orders opened from this complaint (their ids are the incident's children) */
  workOrders: number;
  respondedAt: number | null;
  solvedAt: number | null;
  solution: string;
  followupDueAt: number | null;
  followup: { at: number; by: string; satisfied: boolean; notes: string } | null;
  /** unsatisfied follow-ups sent back to handling */
  reopened: number;
  /** a missed target stays recorded after the fact (the board's "overdue", the monthly on-time rates) */
  overdue: { reply: boolean; response: boolean; solution: boolean; followup: boolean };
}

/** Facts looked up when the complaint opens (services/complaint/context.ts). */
export interface ComplaintContext {
  /** the resident's unit is in the owner file (null: no unit given) */
  unitKnown?: boolean | null;
  unitFloor?: number | null;
}

export type ComplaintTypes = ProcedureTypes<
  {
    states: typeof COMPLAINT_STATES;
    steps: typeof COMPLAINT_STEPS;
    timers: typeof COMPLAINT_TIMERS;
    actions: typeof COMPLAINT_ACTIONS;
  },
  typeof labels,
  ComplaintData,
  ComplaintContext
>;
type Ctx = EngineCtx<ComplaintTypes>;
const act = actionsOf<ComplaintTypes>();

/** seed 002 §2.2: 客服专员 register and handle complaints; the control room takes calls at night; supervisors stand in. */
export const COMPLAINT_DESK = ['frontdesk', 'operator', 'supervisor', 'admin'] as const;
const Text = z.string().trim().min(1).max(2000);

export const ComplaintReport = z
  .object({
    complainantType: z.enum(COMPLAINANT_TYPES),
    /** required for a resident (the owner file has their contact) */
    unit: z.string().trim().min(1).max(32).optional(),
    complainantName: z.string().trim().max(64).default(''),
    /** an outside person's phone (a resident's is in the owner file, never copied) */
    complainantPhone: z.string().trim().max(32).default(''),
    channel: z.enum(COMPLAINT_CHANNELS),
    category: z.enum(COMPLAINT_CATEGORIES),
    location: z.string().trim().max(200).default(''),
    description: Text,
  })
  .refine((p) => p.complainantType !== 'resident' || !!p.unit, {
    path: ['unit'],
    message: 'unit required for a resident / 业主投诉须填写房号',
  })
  .refine((p) => p.complainantType !== 'outside' || !!p.complainantName, {
    path: ['complainantName'],
    message: 'name required for an outside person / 非业主投诉须填写姓名',
  });
export type ComplaintReport = z.infer<typeof ComplaintReport>;

function setTitle(ctx: Ctx): void {
  const d = ctx.data;
  ctx.title({ category: { key: `complaint.value.${d.category}` }, unit: d.unit, location: d.location });
}

function isLate(ctx: Ctx, timer: ComplaintTimer): boolean {
  const t = ctx.s.timers.find((x) => x.key === timer);
  return t !== undefined && (t.status === 'fired' || (t.status === 'running' && ctx.now > t.dueAt));
}

/** The first reply to the complainant settles the 2 h target (seed 001 §四.4/5). */
function firstReply(ctx: Ctx): boolean {
  const d = ctx.data;
  if (d.firstReplyAt !== null) return false;
  d.firstReplyAt = ctx.now;
  const late = isLate(ctx, 'reply');
  ctx.cancelTimer('reply');
  if (late) {
    d.overdue.reply = true;
    ctx.flag('reply_late', null, { hours: hoursSince(ctx) });
  }
  return late;
}

const hoursSince = (ctx: Ctx) => Math.round(((ctx.now - ctx.s.openedAt) / H) * 10) / 10;

/** The department (or work order) has taken the complaint up: the 24 h 响应. */
function respond(ctx: Ctx, notes: string, extra: Record<string, unknown> = {}): void {
  const d = ctx.data;
  if (ctx.isDone('respond')) return;
  d.respondedAt = ctx.now;
  const late = isLate(ctx, 'response');
  ctx.cancelTimer('response');
  ctx.done('respond', { notes, data: { late, ...extra } });
  if (late) {
    d.overdue.response = true;
    ctx.flag('response_late', null, { hours: hoursSince(ctx) });
  }
}

/** The solution replied to the complainant: the 72 h target; then 回访 within N working days. */
function solve(ctx: Ctx, solution: string, notes: string): void {
  const d = ctx.data;
  d.solvedAt = ctx.now;
  d.solution = solution;
  const late = isLate(ctx, 'solution');
  ctx.cancelTimer('solution');
  ctx.cancelTimer('next_reply');
  ctx.done('solve', { redo: true, notes, data: { solution, late } });
  if (late) {
    d.overdue.solution = true;
    ctx.flag('solution_late', null, { hours: hoursSince(ctx) });
  }
  // seed 001 §四.6: 有效投诉回访率为100% — the 回访 is a step of its own, due on the calendar
  const cfg = d.cfg;
  const dueAt = ctx.addWorkingDays(ctx.now, cfg.followupWorkingDays, cfg);
  d.followupDueAt = dueAt;
  ctx.startTimerAt('followup', dueAt);
  ctx.to('awaiting_followup', said(solution));
}

const actions: Record<ComplaintAction, ReturnType<typeof act>> = {
  accept_valid: act({
    roles: COMPLAINT_DESK,
    states: ['registered'],
    step: 'assess',
    payload: z.object({
      /** solved while the complainant was still there / on the phone: no 2 h reply owed */
      solvedOnSpot: z.boolean().default(false),
      /** what was done on the spot (required when solved on the spot) */
      solution: z.string().trim().max(2000).default(''),
      notes: Notes,
    }),
    defaults: () => ({ solvedOnSpot: false }),
    run(ctx: Ctx, p) {
      const d = ctx.data;
      d.valid = true;
      ctx.done('assess', { notes: p.notes, data: { valid: true, solvedOnSpot: p.solvedOnSpot } });
      // seed 002 §3(二): the 24 h / 72 h targets apply to valid complaints, counted from registration
      ctx.startTimerAt('response', ctx.s.openedAt + d.cfg.responseMs);
      ctx.startTimerAt('solution', ctx.s.openedAt + d.cfg.solutionMs);
      if (p.solvedOnSpot) {
        if (!p.solution) ctx.fail('HUB_ERR_BAD_REQUEST', 'solution_required');
        // 当场处理: the complainant heard the answer on the spot — reply, response and solution at once
        d.solvedOnSpot = true;
        firstReply(ctx);
        d.replies.push({ text: p.solution, nextReplyAt: null, at: ctx.now, by: ctx.by });
        ctx.done('reply', { data: { onSpot: true } });
        ctx.skip('hand_off', 'solved_on_spot');
        respond(ctx, '', { onSpot: true });
        solve(ctx, p.solution, p.notes);
        return;
      }
      ctx.to('handling', 'valid');
    },
  }),
  mark_invalid: act({
    roles: COMPLAINT_DESK,
    states: ['registered'],
    step: 'assess',
    payload: z.object({
      /** why it is not a valid complaint (recorded) */
      reason: Text,
      /** what the complainant was told (seed 001 §四.5: 确认无效投诉后 2 小时内回复业户) */
      explanation: Text,
    }),
    run(ctx: Ctx, p) {
      const d = ctx.data;
      d.valid = false;
      d.invalidReason = p.reason;
      const late = firstReply(ctx);
      d.replies.push({ text: p.explanation, nextReplyAt: null, at: ctx.now, by: ctx.by });
      ctx.done('assess', { notes: p.reason, data: { valid: false } });
      ctx.done('reply', { notes: p.explanation, data: { late, invalid: true } });
      // an invalid complaint is closed with its explanation: no hand-off, response, solution or 回访
      for (const k of ['hand_off', 'respond', 'solve', 'followup'] as const) ctx.skip(k, 'invalid');
      ctx.close('invalid', said(p.reason));
      ctx.dutyLog('invalid', { reason: { text: p.reason } });
    },
  }),
  record_reply: act({
    roles: COMPLAINT_DESK,
    states: ['handling'],
    step: 'reply',
    payload: z.object({
      /** what the complainant was told */
      text: Text,
      /** seed 001 §四.4: 约定下次回复时间 — required while the complaint is not solved */
      nextReplyAt: z.number().int().positive(),
      notes: Notes,
    }),
    defaults: (_s, data) => ({ nextReplyAt: (data.replies.at(-1)?.at ?? _s.openedAt) + 24 * H }),
    run(ctx: Ctx, p) {
      const d = ctx.data;
      if (p.nextReplyAt <= ctx.now) ctx.fail('HUB_ERR_BAD_REQUEST', 'next_reply_past');
      const late = firstReply(ctx);
      d.replies.push({ text: p.text, nextReplyAt: p.nextReplyAt, at: ctx.now, by: ctx.by });
      // the step's notes are what the complainant was told (read on the checklist and the timeline)
      ctx.done('reply', {
        redo: true,
        notes: p.notes ? `${p.text}\n${p.notes}` : p.text,
        data: { nextReplyAt: p.nextReplyAt, late, times: d.replies.length },
      });
      // a reminder at the agreed time, repeating until the next reply or the solution is recorded
      ctx.startTimerAt('next_reply', p.nextReplyAt, d.cfg.nextReplyRepeatMs);
    },
  }),
  hand_off: act({
    roles: COMPLAINT_DESK,
    states: ['handling'],
    step: 'hand_off',
    payload: z.object({
      department: z.enum(COMPLAINT_DEPARTMENTS),
      contactId: z.string().trim().min(1).max(64).optional(),
      party: z.string().trim().max(120).default(''),
      notes: Notes,
    }),
    run(ctx: Ctx, p) {
      // seed 002 §5.1.3 (3) 分类转交: to the department responsible (contacts registry, or by name)
      const d = ctx.data;
      d.handOffs.push({ department: p.department, contactId: p.contactId ?? null, party: p.party, at: ctx.now, by: ctx.by });
      ctx.done('hand_off', {
        redo: true,
        notes: p.notes,
        data: { department: p.department, party: p.party, contactId: p.contactId ?? null, times: d.handOffs.length },
      });
      ctx.log('note', { handedTo: p.department }, { key: 'handed_to', params: { department: { key: `complaint.value.${p.department}` } } });
    },
  }),
  open_work_order: act({
    roles: COMPLAINT_DESK,
    states: ['handling'],
    step: 'hand_off',
    payload: z.object({
      repairCategory: z.enum(WORK_ORDER_CATEGORIES),
      /** the repair is in the complainant's unit (the owner accepts it) or in a common area */
      area: z.enum(['unit', 'common']),
      location: z.string().trim().max(200).default(''),
      description: Text,
      notes: Notes,
    }),
    defaults: (_s, data) => ({
      area: data.unit ? 'unit' : 'common',
      location: data.location,
      description: data.description,
      repairCategory: 'public_facilities',
    }),
    run(ctx: Ctx, p) {
      const d = ctx.data;
      if (p.area === 'unit' && !d.unit) ctx.fail('HUB_ERR_BAD_REQUEST', 'no_unit');
      d.workOrders++;
      // a facilities complaint becomes a repair work order (PROCEDURES.md §8), linked both ways:
      // the order's parentId is this complaint, this complaint lists it among its children
      ctx.effect({
        type: 'open_linked_incident',
        kind: 'repair',
        dedupKey: `complaint:${ctx.s.id}:${d.workOrders}`,
        parentId: ctx.s.id,
        trigger: {
          source: 'linked',
          siteId: ctx.s.siteId,
          buildingId: ctx.s.buildingId,
          parentId: ctx.s.id,
          parentKind: 'complaint',
          payload: {
            category: p.repairCategory,
            area: p.area,
            unit: p.area === 'unit' ? d.unit : null,
            location: p.location,
            description: p.description,
          },
        },
      });
      d.handOffs.push({ department: 'engineering', contactId: null, party: '', at: ctx.now, by: ctx.by });
      ctx.done('hand_off', { redo: true, notes: p.notes, data: { department: 'engineering', workOrder: d.workOrders } });
    },
  }),
  record_response: act({
    roles: COMPLAINT_DESK,
    states: ['handling'],
    step: 'respond',
    available: (s) => s.steps.find((x) => x.key === 'respond')?.status === 'pending',
    // shown disabled with the reason until the complaint was handed to someone who can respond
    blocked: (s) => (s.steps.find((x) => x.key === 'hand_off')?.status === 'pending' ? 'hand_off_first' : null),
    payload: z.object({ notes: Notes }),
    run(ctx: Ctx, p) {
      // seed 002 §3(二) 24 小时内响应: the responsible department has taken it up / contacted the complainant
      if (!ctx.isDone('hand_off')) ctx.fail('HUB_ERR_CONFLICT', 'hand_off_first');
      respond(ctx, p.notes);
    },
  }),
  record_solution: act({
    roles: COMPLAINT_DESK,
    states: ['handling'],
    step: 'solve',
    payload: z.object({
      /** the solution and what the complainant was told (处理反馈) */
      solution: Text,
      notes: Notes,
    }),
    run(ctx: Ctx, p) {
      const d = ctx.data;
      // replying with the solution counts as the first reply when none was given before
      firstReply(ctx);
      d.replies.push({ text: p.solution, nextReplyAt: null, at: ctx.now, by: ctx.by });
      if (!ctx.isDone('reply')) ctx.done('reply', { data: { withSolution: true } });
      if (!ctx.isSettled('hand_off')) ctx.skip('hand_off', 'solved_by_desk');
      respond(ctx, '', { withSolution: true });
      solve(ctx, p.solution, p.notes);
    },
  }),
  record_followup: act({
    roles: COMPLAINT_DESK,
    states: ['awaiting_followup'],
    step: 'followup',
    payload: z.object({ satisfied: z.boolean(), notes: Notes }),
    defaults: () => ({ satisfied: true }),
    run(ctx: Ctx, p) {
      const d = ctx.data;
      const late = isLate(ctx, 'followup');
      if (late) d.overdue.followup = true;
      ctx.cancelTimer('followup');
      if (!p.satisfied) {
        // seed 002 §5.1.3 (3) 跟踪回访 "确保问题得到彻底解决": not solved → back to handling
        d.reopened++;
        ctx.log('outcome', { followup: 'unsatisfied', reopened: d.reopened }, p.notes ? said(p.notes) : null);
        d.solvedAt = null;
        d.followupDueAt = null;
        ctx.to('handling', 'unsatisfied');
        ctx.notify(['frontdesk', 'supervisor'], 'unsatisfied', { number: d.reopened });
        return;
      }
      d.followup = { at: ctx.now, by: ctx.by, satisfied: true, notes: p.notes };
      ctx.done('followup', { notes: p.notes, data: { satisfied: true, late } });
      ctx.close('closed', 'followed_up');
      ctx.dutyLog('closed_after_followup', {});
    },
  }),
};

/** Is something still owed to this complainant? */
export const isPending = (s: Pick<IncidentSnapshot, 'open' | 'state'>) =>
  s.open && (COMPLAINT_OPEN_STATES as readonly string[]).includes(s.state);

export const complaintProcedure = defineProcedure<ComplaintTypes>({
  kind: 'complaint',
  states: COMPLAINT_STATES,
  finalStates: COMPLAINT_FINAL_STATES,
  steps: COMPLAINT_STEPS.map((key) => ({ key, required: true })),
  timers: COMPLAINT_TIMERS,
  // seed 001 §四.6: 有效投诉回访率 100 % — nobody waives the 回访 or the validity decision
  unskippable: ['assess', 'reply', 'solve', 'followup'],
  actions,
  config: ComplaintConfig,
  manual: { roles: COMPLAINT_DESK, payload: ComplaintReport },
  // every complaint is its own record (two residents complaining about one thing are two complaints)
  dedupKeyFor: () => null,

  open(ctx: Ctx, t) {
    const cfg = ctx.config;
    if (t.source !== 'manual') ctx.fail('HUB_ERR_BAD_REQUEST', 'cannot_open');
    const p = t.payload as ComplaintReport;
    const c = t.context ?? {};
    if (p.complainantType === 'resident' && c.unitKnown === false) ctx.fail('HUB_ERR_BAD_REQUEST', 'unknown_unit', { unit: p.unit ?? '' });
    const data: ComplaintData = {
      cfg,
      category: p.category,
      channel: p.channel,
      complainantType: p.complainantType,
      unit: p.complainantType === 'resident' ? (p.unit ?? null) : null,
      unitFloor: c.unitFloor ?? null,
      complainantName: p.complainantName,
      // minimum collection (seed 002 §2.2.1): a resident's phone stays in the owner file
      complainantPhone: p.complainantType === 'outside' ? p.complainantPhone : '',
      location: p.location,
      description: p.description,
      valid: null,
      invalidReason: '',
      solvedOnSpot: false,
      replies: [],
      firstReplyAt: null,
      handOffs: [],
      workOrders: 0,
      respondedAt: null,
      solvedAt: null,
      solution: '',
      followupDueAt: null,
      followup: null,
      reopened: 0,
      overdue: { reply: false, response: false, solution: false, followup: false },
    };
    ctx.init(data);
    if (data.unitFloor !== null) ctx.s.floor = data.unitFloor;
    // seed 002 §5.1.3 (1) 投诉记录: who, when, what — the clocks start at registration
    ctx.done('register', {
      data: { category: data.category, channel: data.channel, complainantType: data.complainantType, unit: data.unit },
    });
    ctx.startTimer('reply', cfg.replyMs);
    setTitle(ctx);
    ctx.notify(['frontdesk', 'supervisor'], 'incident_opened', {
      kind: 'complaint',
      category: { key: `complaint.value.${data.category}` },
    });
  },

  onTimer(ctx: Ctx, key) {
    const d = ctx.data;
    if (key === 'reply') {
      // seed 001 §四.4: no reply within 2 h → the supervisor hears of it
      d.overdue.reply = true;
      ctx.escalate('reply_overdue', { hours: d.cfg.replyMs / H });
    } else if (key === 'response') {
      d.overdue.response = true;
      ctx.escalate('response_overdue', { hours: d.cfg.responseMs / H });
    } else if (key === 'solution') {
      d.overdue.solution = true;
      ctx.escalate('solution_overdue', { hours: d.cfg.solutionMs / H });
    } else if (key === 'followup') {
      d.overdue.followup = true;
      ctx.escalate('followup_overdue', { days: d.cfg.followupWorkingDays });
    } else if (key === 'next_reply') {
      // the reply time agreed with the complainant has come (seed 001 §四.4)
      const agreed = d.replies.at(-1)?.nextReplyAt ?? null;
      ctx.log('reminder', { reminder: 'next_reply' });
      ctx.notify(['frontdesk'], 'next_reply_due', { at: agreed === null ? '' : { time: agreed } });
    }
  },
});
