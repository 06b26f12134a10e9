// zh-CN / en labels of what the engine itself says (key prefix `engine.`): timeline entry
// types, the generic actions, its refusals, the duty-log entries every procedure writes.
// A procedure's own words live in its folder (services/<folder>/labels.ts).
import { COMMAND_LABELS, EVENT_LABELS } from '../../../contracts/labels.js';
import type { CommandName, DeviceEvent } from '../../../contracts/mqtt.js';
import type { Label } from '../../../contracts/messages.js';
import type { EngineDuty, EngineNotify, TimelineType } from './types.js';

// every device event type and command has a label (contracts/labels.ts cannot import mqtt.ts)
type MissingEvents = Exclude<DeviceEvent['type'], keyof typeof EVENT_LABELS>;
type MissingCommands = Exclude<CommandName, keyof typeof COMMAND_LABELS>;
export const VOCABULARY_COMPLETE: [MissingEvents | MissingCommands] extends [never] ? true : MissingEvents | MissingCommands = true;

export const ENGINE_ERRORS = [
  'unknown_action',
  'role_forbidden',
  'needs_person',
  'closed',
  'state_forbidden',
  'unavailable',
  'bad_payload',
  'timer_not_running',
  'timer_not_due',
  'bad_config',
  'not_manual',
  'report_forbidden',
  'step_already',
  'unknown_step',
  'unskippable',
  'waive_supervisor',
  'not_on_procedure',
  'steps_pending',
  'unknown_kind',
  'no_incident',
  'no_building',
  'merged',
  'changed_concurrently',
  'not_snoozable',
  'snooze_too_long',
  'not_snoozed',
  'bulk_faults_only',
] as const;
export type EngineError = (typeof ENGINE_ERRORS)[number];

export const ENGINE_REASONS = ['not_needed'] as const;
export type EngineReason = (typeof ENGINE_REASONS)[number];

export const ENGINE_LABELS: {
  timeline: Record<TimelineType, Label>;
  actions: Record<'add_note' | 'skip_step' | 'snooze' | 'unsnooze' | 'report', Label>;
  timers: Record<'snooze', Label>;
  errors: Record<EngineError, Label>;
  reasons: Record<EngineReason, Label>;
  duty: Record<EngineDuty, Label>;
  notify: Record<EngineNotify, Label>;
  fields: Record<string, Label>;
  values: Record<string, Label>;
  other: Record<string, Label>;
} = {
  /** `{x}` is filled from the entry's data */
  timeline: {
    opened: ['立案', 'Opened'],
    state_changed: ['状态变更:{from} → {to}', 'State: {from} → {to}'],
    step_done: ['完成步骤:{step}', 'Step done: {step}'],
    step_skipped: ['跳过步骤:{step}', 'Step skipped: {step}'],
    step_required: ['步骤要求变更:{step}', 'Step requirement changed: {step}'],
    note: ['备注', 'Note'],
    action: ['操作:{action}', 'Action: {action}'],
    device_event: ['设备事件:{event}', 'Device event: {event}'],
    device_status: ['设备连接:{state}', 'Device link: {state}'],
    repeat_trigger: ['重复报警(已合并)', 'Repeated trigger (merged)'],
    retrigger_suppressed: ['结案后短时重复信号(已抑制)', 'Re-trigger after close (suppressed)'],
    timer_fired: ['计时到期:{timer}', 'Timer expired: {timer}'],
    reminder: ['提醒:{reminder}', 'Reminder: {reminder}'],
    escalated: ['已上报主管:{reason}', 'Escalated to supervisor: {reason}'],
    command_sent: ['已下发指令:{name}', 'Command sent: {name}'],
    command_result: ['指令回执', 'Command result'],
    confirmation: ['确认:{what}', 'Confirmed: {what}'],
    flagged: ['异常标记:{code}', 'Flagged: {code}'],
    hint: ['系统提示:{hint}', 'Hint: {hint}'],
    linked_incident: ['关联事件:{kind}', 'Linked incident: {kind}'],
    followup_scheduled: ['已安排回访', 'Follow-up scheduled'],
    outcome: ['处理结果', 'Outcome'],
    approval: ['已批准/同意', 'Approved'],
    denial: ['已拒绝', 'Denied'],
    closed: ['结案', 'Closed'],
    snoozed: ['已静音至 {until}', 'Snoozed until {until}'],
    unsnoozed: ['静音结束:{why}', 'Snooze ended: {why}'],
  },
  actions: {
    add_note: ['添加备注', 'Add note'],
    skip_step: ['跳过步骤', 'Skip step'],
    snooze: ['暂时静音', 'Snooze'],
    unsnooze: ['取消静音', 'End snooze'],
    /** a manual report (POST /api/incidents), named in its refusals */
    report: ['人工报告', 'Report'],
  },
  timers: {
    snooze: ['静音结束', 'Snooze ends'],
  },
  errors: {
    unknown_action: ['{kind}没有「{action}」这项操作', 'unknown action {action} for {kind}'],
    role_forbidden: ['{role}不能执行「{action}」', 'role {role} may not {action}'],
    needs_person: ['「{action}」必须由人执行', '{action} needs a person'],
    closed: ['事件已结案({state}),只能添加备注', 'incident is closed ({state})'],
    state_forbidden: ['当前状态「{state}」下不能执行「{action}」', '{action} is not allowed in state {state}'],
    unavailable: ['「{action}」现在不可用(可能已完成)', '{action} is not available now'],
    bad_payload: ['「{action}」的填写有误:{detail}', '{action}: {detail}'],
    timer_not_running: ['计时「{timer}」未在运行', 'timer {timer} is not running'],
    timer_not_due: ['计时「{timer}」尚未到期', 'timer {timer} is not due until {dueAt}'],
    bad_config: ['{kind}的配置有误:{detail}', 'bad {kind} config: {detail}'],
    not_manual: ['{kind}不能人工报告', '{kind} cannot be reported manually'],
    report_forbidden: ['{role}不能报告{kind}', 'role {role} may not report {kind}'],
    step_already: ['步骤「{step}」已经{status}', 'step {step} is already {status}'],
    unknown_step: ['没有步骤「{step}」', 'unknown step {step}'],
    unskippable: ['步骤「{step}」不能跳过', 'step {step} cannot be skipped'],
    waive_supervisor: ['只有主管可以豁免必须步骤「{step}」', 'only a supervisor may waive the required step {step}'],
    not_on_procedure: ['{role}不处理{kind}事件', 'role {role} does not work {kind} incidents'],
    steps_pending: ['还有必须步骤未完成:{steps}', 'steps still pending: {steps}'],
    unknown_kind: ['没有「{kind}」这种事件', 'no procedure for kind {kind}'],
    no_incident: ['找不到事件 {id}', 'no incident {id}'],
    no_building: ['没有楼栋 {building}', 'no building {building}'],
    merged: ['该报告已并入进行中的事件', 'the report was merged into an open incident'],
    changed_concurrently: ['事件 {id} 刚被其他人修改,请重试', 'incident {id} was changed concurrently; retry'],
    // services/core/procedure/snooze.ts: never a life-safety alarm (PROCEDURES.md §1, §2, §5, §6)
    not_snoozable: ['{kind}不能静音', '{kind} cannot be snoozed'],
    snooze_too_long: ['静音最长 {max} 分钟', 'a snooze lasts at most {max} min'],
    not_snoozed: ['该事件未静音', 'this incident is not snoozed'],
    bulk_faults_only: ['批量处理仅适用于设备故障', 'bulk actions are for device faults only'],
  },
  reasons: {
    not_needed: ['不需要', 'not needed'],
  },
  duty: {
    opened: ['【{kind}】{title} 立案', '[{kind}] {title} opened'],
    closed: ['【{kind}】{title} 结案', '[{kind}] {title} closed'],
    escalated: ['【{kind}】{title} 已上报主管:{reason}', '[{kind}] {title} escalated: {reason}'],
  },
  notify: {
    incident_opened: ['新事件', 'New incident'],
  },
  fields: {
    text: ['内容', 'Text'],
    step: ['步骤', 'Step'],
    reason: ['原因', 'Reason'],
    notes: ['备注', 'Notes'],
    minutes: ['静音时长(分钟)', 'Snooze for (minutes)'],
  },
  values: {
    snooze_limit: ['到达设定时间', 'time limit reached'],
    snooze_person: ['人工取消', 'ended by a person'],
    pending: ['待办', 'pending'],
    done: ['已完成', 'done'],
    skipped: ['已跳过', 'skipped'],
  },
  other: {
    'followup.subject': ['回访:{title}', 'Follow-up: {title}'],
    /** a list of messages, one per line in a fact */
    list: ['{items}', '{items}'],
  },
};

/** The flat catalog entries under `engine.` */
export function engineCatalog(): Record<string, Label> {
  const out: Record<string, Label> = {};
  const add = (prefix: string, t: Record<string, Label>) => {
    for (const [k, v] of Object.entries(t)) out[`engine.${prefix}${k}`] = v;
  };
  add('timeline.', ENGINE_LABELS.timeline);
  add('action.', ENGINE_LABELS.actions);
  add('timer.', ENGINE_LABELS.timers);
  add('error.', ENGINE_LABELS.errors);
  add('reason.', ENGINE_LABELS.reasons);
  add('duty.', ENGINE_LABELS.duty);
  add('notify.', ENGINE_LABELS.notify);
  add('field.', ENGINE_LABELS.fields);
  add('value.', ENGINE_LABELS.values);
  add('', ENGINE_LABELS.other);
  return out;
}
