// zh-CN (first) and en labels for every procedure state, step, action, timer, timeline
// type, notification, escalation reason, flag and duty-log entry. Types come from the
// machines (type-only imports), so a state/step/action/timer without a label fails
// `tsc`; tests/unit/procedures/i18n.test.ts checks the same at run time.
import type { IncidentKind, Role } from '../../contracts/domain.js';
import type { DutyKey, EscalationReason, FlagCode, NotifyKey, TimelineItem, TimelineType } from './procedure.js';
import type { ElevatorAction, ElevatorState, ElevatorStep, ElevatorTimer } from '../elevator/machine.js';
import type { FireAction, FireOutcome, FireState, FireStep, FireTimer } from '../fire/machine.js';
import type { PowerAction, PowerState, PowerStep, PowerTimer } from '../power/machine.js';
import type { VisitorAction, VisitorState, VisitorStep, VisitorTimer } from '../visitors/machine.js';
import type { FaultAction, FaultCause, FaultState, FaultStep } from '../devices/machine.js';

export const LOCALES = ['zh-CN', 'en'] as const;
export type Locale = (typeof LOCALES)[number];
/** [zh-CN, en] */
export type Label = readonly [string, string];

interface KindLabels<S extends string, St extends string, A extends string, T extends string> {
  states: Record<S, Label>;
  steps: Record<St, Label>;
  actions: Record<A, Label>;
  timers: Record<T, Label>;
}

export const KIND_LABELS: Record<IncidentKind, Label> = {
  fire_alarm: ['火警', 'Fire alarm'],
  elevator_entrapment: ['电梯困人', 'Elevator entrapment'],
  power_outage: ['停电', 'Power outage'],
  device_fault: ['设备故障', 'Device fault'],
  visitor_approval: ['访客', 'Visitor approval'],
};

export const ROLE_LABELS: Record<Role, Label> = {
  operator: ['监控中心值班员', 'Control-room operator'],
  frontdesk: ['客服前台', 'Front desk'],
  supervisor: ['客服主管/值班主任', 'Supervisor'],
  admin: ['系统管理员', 'Administrator'],
};

export const GENERIC_ACTION_LABELS: Record<'add_note' | 'skip_step', Label> = {
  add_note: ['添加备注', 'Add note'],
  skip_step: ['跳过步骤', 'Skip step'],
};

const elevator: KindLabels<ElevatorState, ElevatorStep, ElevatorAction, ElevatorTimer> = {
  states: {
    awaiting_ack: ['待接警', 'Awaiting acknowledgement'],
    in_progress: ['救援中', 'Rescue in progress'],
    released: ['已解救 · 电梯停用', 'Released · out of service'],
    in_service: ['已恢复运行 · 待结案', 'Back in service · closing'],
    closed: ['已结案', 'Closed'],
  },
  steps: {
    acknowledge: ['接警并安抚乘客(对讲)', 'Acknowledge, talk to and reassure passengers'],
    record_passengers: ['记录轿厢、楼层、人数及特殊人员', 'Record car, floor, people, vulnerable persons'],
    call_120: ['拨打120', 'Call 120'],
    dispatch_contractor: ['通知维保单位', 'Dispatch elevator contractor'],
    contractor_arrived: ['维保人员到场', 'Contractor arrived'],
    dispatch_security: ['派秩序维护员到场保持通话', 'Send security to keep voice contact'],
    release: ['解救完毕,核对人数', 'Passengers released, headcount confirmed'],
    sign_fit: ['维保单位签字确认可运行', 'Contractor signs the elevator fit'],
    schedule_followup: ['安排回访(2个工作日内)', 'Schedule follow-up (within 2 working days)'],
    special_report: ['特别事件报告', 'Special incident report'],
  },
  actions: {
    acknowledge: ['接警', 'Acknowledge'],
    record_passengers: ['记录被困人员', 'Record passengers'],
    record_120_call: ['记录已拨打120', 'Record 120 call'],
    dispatch_contractor: ['通知维保单位', 'Dispatch contractor'],
    record_contractor_arrival: ['记录维保到场', 'Record contractor arrival'],
    dispatch_security: ['派秩序维护员', 'Dispatch security'],
    recontact: ['记录再次联络乘客', 'Record re-contact'],
    confirm_release: ['确认解救', 'Confirm release'],
    sign_fit: ['签字确认电梯可运行', 'Sign fit for service'],
    file_report: ['提交特别事件报告', 'File special report'],
    close: ['结案', 'Close'],
    close_no_entrapment: ['无人被困,结案', 'Close: nobody trapped'],
  },
  timers: {
    ack: ['接警时限(30秒)', 'Acknowledge target (30 s)'],
    contractor_arrival: ['维保到场时限(30分钟)', 'Contractor arrival target (30 min)'],
    recontact: ['每5分钟联络乘客', 'Re-contact passengers every 5 min'],
  },
};

const fire: KindLabels<FireState, FireStep, FireAction, FireTimer> = {
  states: {
    awaiting_ack: ['待接警', 'Awaiting acknowledgement'],
    verifying: ['现场确认中', 'Verifying on site'],
    false_alarm: ['误报 · 待复位', 'False alarm · awaiting reset'],
    small_fire: ['小型火情', 'Small fire'],
    general_alarm: ['全面火警', 'General alarm'],
    recovery: ['善后', 'Recovery'],
    closed: ['已结案', 'Closed'],
  },
  steps: {
    acknowledge: ['接警(15秒内)', 'Acknowledge (within 15 s)'],
    dispatch_verifier: ['派人现场确认', 'Send someone to verify'],
    verify: ['最快方式确认火情(180秒内)', 'Verify on site (within 180 s)'],
    extinguish: ['使用灭火器扑灭', 'Extinguished with an extinguisher'],
    notify_security: ['通知秩序维护部', 'Notify security'],
    general_alarm: ['启动全面报警', 'General alarm sounded'],
    interlocks_auto: ['确认消防联动处于自动状态', 'Confirm fire interlocks in AUTO'],
    approve_119: ['管理处经理批准拨打119', 'Manager approves calling 119'],
    call_119: ['拨打119(地址、起火部位、燃烧物)', 'Call 119 (address, fire location, what is burning)'],
    elevator_recall: ['电梯迫降首层(逐台确认)', 'Elevator recall (per-car confirmation)'],
    evacuation: ['经消防楼梯疏散、广播', 'Evacuate via fire stairs, announcements'],
    seal_scene: ['留守岗位封锁现场', 'Seal the scene, keep posts'],
    special_report: ['特别事件报告(附照片)', 'Special incident report (with photos)'],
    panel_reset: ['火灾报警控制器复位', 'Fire panel reset'],
    elevators_returned: ['电梯逐台恢复运行', 'Elevators returned to service one by one'],
  },
  actions: {
    acknowledge: ['接警', 'Acknowledge'],
    dispatch_verifier: ['派人确认', 'Dispatch verifier'],
    verify: ['确认结果', 'Record verification'],
    record_extinguished: ['记录已扑灭', 'Record extinguished'],
    notify_security: ['记录已通知秩序维护部', 'Record security notified'],
    escalate_to_serious: ['升级为严重火情', 'Escalate to serious fire'],
    confirm_interlocks_auto: ['确认联动自动', 'Confirm interlocks AUTO'],
    approve_119: ['批准拨打119', 'Approve 119 call'],
    record_119_call: ['记录119报警', 'Record 119 call'],
    confirm_car_recalled: ['人工确认电梯已迫降', 'Confirm car recalled (manual)'],
    record_evacuation: ['记录疏散', 'Record evacuation'],
    record_scene_sealed: ['记录现场封锁', 'Record scene sealed'],
    declare_fire_out: ['宣布火已扑灭', 'Declare fire out'],
    file_report: ['提交特别事件报告', 'File special report'],
    record_panel_reset: ['记录控制器复位', 'Record panel reset'],
    return_elevator: ['恢复一台电梯运行', 'Return one elevator to service'],
    close: ['结案', 'Close'],
  },
  timers: {
    ack: ['接警时限(15秒)', 'Acknowledge target (15 s)'],
    verify: ['确认时限(180秒)', 'Verification window (180 s)'],
    recall_confirm: ['电梯迫降确认(60秒)', 'Recall confirmation (60 s)'],
  },
};

const power: KindLabels<PowerState, PowerStep, PowerAction, PowerTimer> = {
  states: {
    awaiting_ack: ['待接警', 'Awaiting acknowledgement'],
    active: ['停电处理中', 'Outage in progress'],
    restored: ['市电已恢复 · 待核查', 'Mains restored · verifying'],
    planned_in_progress: ['计划停电进行中', 'Planned outage in progress'],
    closed: ['已结案', 'Closed'],
  },
  steps: {
    acknowledge: ['接警', 'Acknowledge'],
    scope: ['确定停电范围(楼栋/楼层)', 'Determine scope (buildings/floors)'],
    standby_power: ['备用电源投入(10秒内)', 'Standby power (within 10 s)'],
    elevator_sweep: ['逐台检查电梯', 'Elevator sweep'],
    lobby_return: ['电梯逐台返回首层', 'Cars return to lobby one at a time'],
    contact_utility: ['联系供电局/工程部并记录编号', 'Contact utility/engineering, record reference'],
    notify_residents: ['通知业主(公告)', 'Notify residents'],
    emergency_lighting: ['开启应急照明', 'Emergency lighting on'],
    verify_restoration: ['来电后核查系统及电梯', 'Verify systems and elevators after restoration'],
  },
  actions: {
    acknowledge: ['接警', 'Acknowledge'],
    confirm_scope: ['确认停电范围', 'Confirm scope'],
    record_standby_power: ['记录备用电源状态', 'Record standby power'],
    record_elevator_sweep: ['记录电梯巡查结果', 'Record elevator sweep'],
    confirm_car_at_lobby: ['人工确认电梯已到首层', 'Confirm car at lobby (manual)'],
    record_utility_contact: ['记录联系供电/工程', 'Record utility contact'],
    record_resident_notice: ['记录已通知业主', 'Record resident notice'],
    confirm_emergency_lighting: ['确认应急照明', 'Confirm emergency lighting'],
    verify_restoration: ['核查恢复', 'Verify restoration'],
    close: ['结案', 'Close'],
  },
  timers: {
    standby_power: ['备用电源时限(10秒)', 'Standby power target (10 s)'],
    lobby_return: ['电梯返回首层确认', 'Lobby return confirmation'],
    planned_overrun: ['计划停电时段结束', 'Planned window end'],
  },
};

const visitor: KindLabels<VisitorState, VisitorStep, VisitorAction, VisitorTimer> = {
  states: {
    requested: ['等待业主确认', 'Waiting for the owner'],
    unreachable: ['联系不上业主', 'Owner unreachable'],
    approved: ['已同意 · 开门中', 'Approved · unlocking'],
    opened: ['已进入', 'Admitted'],
    failed: ['开门失败(门保持锁闭)', 'Unlock failed (door stays locked)'],
    denied: ['业主拒绝', 'Denied'],
    message_left: ['已留言', 'Message left'],
    cancelled: ['已取消', 'Cancelled'],
    left: ['已离开', 'Left'],
  },
  steps: {
    register: ['访客登记(证件脱敏)', 'Register visitor (ID masked)'],
    contact_owner: ['联系业主', 'Contact the owner'],
    owner_decision: ['业主同意/拒绝', 'Owner decision'],
    unlock: ['开门确认', 'Door opened (confirmed)'],
    direct_visitor: ['告知楼层和房号', 'Tell the visitor floor and unit'],
    departure: ['离开登记', 'Departure'],
  },
  actions: {
    register: ['登记', 'Register'],
    contact_owner: ['联系业主', 'Contact owner'],
    record_owner_decision: ['记录业主意见', 'Record owner decision'],
    approve_preauthorized: ['按业主预先通知放行', 'Approve (pre-authorised)'],
    keep_trying: ['继续联系', 'Keep trying'],
    try_alternative_contact: ['尝试其他联系方式', 'Try alternative contact'],
    leave_message: ['留言', 'Leave a message'],
    retry_unlock: ['重新开门', 'Retry unlock'],
    admit_in_person: ['人工陪同进入', 'Escort in person'],
    extend_visit: ['延长访问时间', 'Extend visit'],
    record_departure: ['登记离开', 'Record departure'],
    cancel: ['取消', 'Cancel'],
  },
  timers: {
    registration: ['登记时限(60秒)', 'Registration target (60 s)'],
    owner_answer: ['业主应答时限', 'Owner answer time'],
    unlock_confirm: ['开门确认时限', 'Door confirmation time'],
    overstay: ['超时提醒', 'Overstay reminder'],
  },
};

const fault: KindLabels<FaultState, FaultStep, FaultAction, never> = {
  states: {
    open: ['待处理', 'Open'],
    acknowledged: ['已接收', 'Acknowledged'],
    recovered: ['已恢复 · 建议结案', 'Recovered · close suggested'],
    closed: ['已结案', 'Closed'],
  },
  steps: {
    acknowledge: ['接收', 'Acknowledge'],
    dispatch_maintenance: ['派维保/工程', 'Dispatch maintenance'],
    resolve: ['处理结果', 'Resolution'],
  },
  actions: {
    acknowledge: ['接收', 'Acknowledge'],
    dispatch_maintenance: ['派维保', 'Dispatch maintenance'],
    close: ['结案', 'Close'],
  },
  timers: {},
};

export const PROCEDURE_LABELS: Record<IncidentKind, KindLabels<string, string, string, string>> = {
  elevator_entrapment: elevator,
  fire_alarm: fire,
  power_outage: power,
  visitor_approval: visitor,
  device_fault: fault,
};

export const FIRE_OUTCOME_LABELS: Record<FireOutcome, Label> = {
  false_alarm: ['误报', 'False alarm'],
  small_fire: ['小型火情', 'Small fire'],
  serious_fire: ['严重火情', 'Serious fire'],
};

export const FAULT_CAUSE_LABELS: Record<FaultCause, Label> = {
  offline: ['离线', 'Offline'],
  flapping: ['频繁掉线', 'Flapping connection'],
  trouble: ['故障信号', 'Trouble signal'],
  supervisory: ['监管信号', 'Supervisory signal'],
  manual: ['人工报告', 'Reported by staff'],
};

/** Timeline entry types; `{x}` is filled from the entry's data. */
export const TIMELINE_LABELS: Record<TimelineType, Label> = {
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
};

export const NOTIFY_LABELS: Record<NotifyKey, Label> = {
  incident_opened: ['新事件', 'New incident'],
  recontact_due: ['请再次联络被困乘客', 'Re-contact the trapped passengers'],
  release_suggested: ['电梯已开门,请确认是否已解救', 'Car doors open: confirm the release'],
  approval_119_needed: ['需要批准拨打119', '119 call needs approval'],
  approved_119: ['已批准拨打119', '119 call approved'],
  general_alarm: ['全面火警', 'General fire alarm'],
  recall_unconfirmed: ['有电梯未确认迫降', 'Elevator recall not confirmed'],
  verify_restoration: ['市电恢复,请核查', 'Mains restored: verify'],
  visitor_waiting: ['访客等待中', 'Visitor waiting'],
  owner_unreachable: ['联系不上业主,请询问访客', 'Owner unreachable: ask the visitor'],
  visitor_admitted: ['访客已进入,请告知楼层房号', 'Visitor admitted: tell floor and unit'],
  unlock_failed: ['开门失败,门保持锁闭', 'Unlock failed, door stays locked'],
  visitor_overstay: ['访客超过登记时间', 'Visitor past registered time'],
  registration_overdue: ['访客尚未登记', 'Visitor not registered yet'],
  fault_recovered: ['设备已恢复,建议结案', 'Device recovered: close suggested'],
  planned_outage_started: ['计划停电开始', 'Planned outage started'],
};

export const ESCALATION_LABELS: Record<EscalationReason, Label> = {
  ack_overdue: ['超时未接警', 'Not acknowledged in time'],
  contractor_overdue: ['维保超时未到场', 'Contractor overdue'],
  injury_reported: ['有人受伤或不适', 'Injury or illness reported'],
  general_alarm: ['全面火警', 'General fire alarm'],
  generator_failure: ['备用电源未投入(发电机故障)', 'Generator failure (no standby power)'],
  planned_outage_overrun: ['计划停电超时', 'Planned outage overran'],
};

export const FLAG_LABELS: Record<FlagCode, Label> = {
  recall_unconfirmed: ['电梯未确认迫降', 'Recall not confirmed'],
  recall_failed: ['电梯拒绝/未执行迫降', 'Recall failed'],
  lobby_return_unconfirmed: ['电梯未确认返回首层', 'Lobby return not confirmed'],
  generator_failure: ['发电机故障', 'Generator failure'],
  registration_slow: ['登记超过60秒', 'Registration took over 60 s'],
  door_opened_unexpected: ['门在请求失败后被打开', 'Door opened after the request failed'],
  reset_before_verification: ['确认前已复位', 'Panel reset before verification'],
  alarm_after_false_alarm: ['误报后再次报警', 'New alarm after false-alarm verdict'],
  short_notice: ['公告提前时间不足', 'Notice shorter than required'],
  headcount_mismatch: ['人数不符', 'Headcount mismatch'],
  late_owner_response: ['业主迟到的答复', 'Late owner response'],
  contractor_late: ['维保迟到', 'Contractor arrived late'],
};

const DUTY: Record<DutyKey, Label> = {
  opened: ['【{kind}】{title} 立案', '[{kind}] {title} opened'],
  closed: ['【{kind}】{title} 结案', '[{kind}] {title} closed'],
  escalated: ['【{kind}】{title} 已上报主管:{reason}', '[{kind}] {title} escalated: {reason}'],
  outcome: ['【{kind}】{title} 确认结果:{outcome}', '[{kind}] {title} outcome: {outcome}'],
  released: ['【{kind}】{title} 被困人员已解救,共{headcount}人', '[{kind}] {title} passengers released ({headcount})'],
  fit_signed: ['【{kind}】{title} 维保人员{person}签字确认可运行', '[{kind}] {title} signed fit by {person}'],
  call_119: [
    '【{kind}】{title} 经批准报119:{address},{fireLocation},燃烧物{burning}',
    '[{kind}] {title} 119 called (approved): {address}, {fireLocation}, burning {burning}',
  ],
  general_alarm: ['【{kind}】{title} 启动全面火警:{reason}', '[{kind}] {title} general alarm: {reason}'],
  planned_outage: ['【{kind}】{title} 计划停电进行中', '[{kind}] {title} planned outage in progress'],
  mains_restored: ['【{kind}】{title} 市电恢复', '[{kind}] {title} mains restored'],
};

const idx = (locale: Locale) => (locale === 'zh-CN' ? 0 : 1);

export function kindLabel(kind: IncidentKind, locale: Locale): string {
  return KIND_LABELS[kind][idx(locale)];
}

export type LabelCategory = 'state' | 'step' | 'action' | 'timer';

/** Label of a state/step/action/timer of a procedure; falls back to the key. */
export function procedureLabel(kind: IncidentKind, category: LabelCategory, key: string, locale: Locale = 'zh-CN'): string {
  const k = PROCEDURE_LABELS[kind];
  const table: Record<string, Label> =
    category === 'state'
      ? k.states
      : category === 'step'
        ? k.steps
        : category === 'timer'
          ? k.timers
          : { ...GENERIC_ACTION_LABELS, ...k.actions };
  return Object.hasOwn(table, key) ? table[key]![idx(locale)] : key;
}

function fill(template: string, params: Record<string, unknown>): string {
  return template.replace(/\{(\w+)\}/g, (_, k: string) => {
    const v = params[k];
    return v === undefined || v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
  });
}

/** Why a fire became a general alarm (services/fire/machine.ts generalAlarmReason). */
export const GENERAL_ALARM_REASON_LABELS: Record<'serious_fire' | 'unverified' | 'ack_timeout' | 'escalated', Label> = {
  serious_fire: ['现场确认为严重火情', 'serious fire confirmed on site'],
  unverified: ['180秒内未能现场确认', 'not verified within 180 s'],
  ack_timeout: ['15秒内无人接警', 'not acknowledged within 15 s'],
  escalated: ['小火升级', 'small fire escalated'],
};

function localizeParams(kind: IncidentKind, params: Record<string, unknown>, locale: Locale): Record<string, unknown> {
  const i = idx(locale);
  const out: Record<string, unknown> = { ...params, kind: KIND_LABELS[kind][i] };
  if (typeof params.reason === 'string' && Object.hasOwn(ESCALATION_LABELS, params.reason))
    out.reason = ESCALATION_LABELS[params.reason as EscalationReason][i];
  for (const k of ['reason', 'trigger'] as const) {
    const v = params[k];
    if (typeof v === 'string' && Object.hasOwn(GENERAL_ALARM_REASON_LABELS, v))
      out[k] = GENERAL_ALARM_REASON_LABELS[v as keyof typeof GENERAL_ALARM_REASON_LABELS][i];
  }
  if (typeof params.outcome === 'string' && Object.hasOwn(FIRE_OUTCOME_LABELS, params.outcome))
    out.outcome = FIRE_OUTCOME_LABELS[params.outcome as FireOutcome][i];
  if (typeof params.step === 'string') out.step = procedureLabel(kind, 'step', params.step, locale);
  if (typeof params.timer === 'string') out.timer = procedureLabel(kind, 'timer', params.timer, locale);
  if (typeof params.action === 'string') out.action = procedureLabel(kind, 'action', params.action, locale);
  if (typeof params.from === 'string') out.from = procedureLabel(kind, 'state', params.from, locale);
  if (typeof params.to === 'string') out.to = procedureLabel(kind, 'state', params.to, locale);
  if (typeof params.code === 'string' && Object.hasOwn(FLAG_LABELS, params.code)) out.code = FLAG_LABELS[params.code as FlagCode][i];
  if (typeof params.kind === 'string' && Object.hasOwn(KIND_LABELS, params.kind)) out.kind = KIND_LABELS[params.kind as IncidentKind][i];
  return out;
}

/** Duty-log text, zh-CN first then en (seed 000 §2.1.7 值班记录). */
export function renderDuty(kind: IncidentKind, key: DutyKey, params: Record<string, unknown>): string {
  const [zh, en] = DUTY[key];
  return `${fill(zh, localizeParams(kind, params, 'zh-CN'))} / ${fill(en, localizeParams(kind, params, 'en'))}`;
}

/**
 * zh-CN for the fixed reasons the procedures write into the timeline (state changes, skipped or
 * required steps, closings). What people type (notes, reasons) is shown as typed.
 */
const MESSAGE_ZH: Record<string, string> = {
  acknowledged: '已接警',
  'acknowledged; two-way talk open (安抚)': '已接警,已与乘客通话安抚',
  'acknowledged; confirm on site by the fastest means (最快方式确认)': '已接警,以最快方式现场确认',
  'injury or illness reported': '有人受伤或身体不适',
  'passengers out, headcount confirmed': '乘客已全部救出,人数已核对',
  'contractor signed the elevator fit for service': '维保单位已签字确认电梯可运行',
  'no one trapped': '无人被困',
  'no elevators in this building': '本楼无电梯',
  'elevators were recalled': '电梯已迫降',
  'false alarm: cause recorded, panel reset': '误报:原因已记录,主机已复位',
  'small fire extinguished, security notified': '小火已扑灭,已通知秩序维护部',
  'false alarm': '误报',
  'false alarm (误报): cause recorded; reset the panel': '误报:原因已记录,请复位报警主机',
  'small fire': '小火',
  'small fire: extinguish on site, notify security': '小火:现场扑灭并通知秩序维护部',
  'all cars back in service': '电梯已全部恢复运行',
  'fire incident complete': '火警处置完毕',
  reinvestigation: '重新核查',
  'new alarm while awaiting reset: verify again': '待复位期间再次报警:重新确认',
  'not verified in time — treated as confirmed': '未在时限内确认,按确认火警处理',
  'serious fire confirmed on site': '现场确认为严重火情',
  'not acknowledged within 15 s': '15秒内无人接警',
  'not verified within 180 s': '180秒内未能现场确认',
  'cars recalled again by a new alarm': '再次报警,电梯重新迫降',
  'new alarm after the panel was reset': '主机复位后再次报警',
  'no elevators in scope': '停电范围内无电梯',
  'mains restored': '市电已恢复',
  'mains restored before standby power': '备用电源投入前市电已恢复',
  'mains restored: verify systems and elevators': '市电已恢复:请检查各系统及电梯',
  'mains restored and verified': '市电已恢复并检查完毕',
  'planned outage ended: mains restored': '计划停电结束,市电已恢复',
  'planned outage in progress': '计划停电进行中',
  'planned outage overran its window': '计划停电超出登记时段',
  'pre-authorised by the owner': '业主已预先授权',
  'unlock sent; waiting for the door panel to confirm': '已下发开门指令,等待门口机确认',
  'owner refused the visit': '业主拒绝来访',
  'owner unreachable: message left': '联系不上业主,已留言',
  'visitor left': '访客已离开',
  'no door-opened confirmation in time': '门口机未在时限内确认开门',
  'unlock command expired unanswered': '开门指令超时未回应',
  'door panel refused the unlock': '门口机拒绝开门',
  'device recovered by itself': '设备已自行恢复',
  'fault came back': '故障再次出现',
  'device back online': '设备已重新上线',
  'panel reset': '报警主机已复位',
  'fault signalled again': '再次报告故障',
  'reported by operator': '值班员报告',
  closed: '已结案',
};
const MESSAGE_ZH_PATTERNS: Array<[RegExp, (m: RegExpMatchArray) => string]> = [
  [/^inside planned outage (.+)$/, (m) => `处于已登记的计划停电内(${m[1]})`],
  [/^contacting the owner \((.+)\)$/, (m) => `正在联系业主(${m[1]})`],
  [/^owner did not answer within (\d+(?:\.\d+)?) s$/, (m) => `业主${m[1]}秒内未应答`],
  [/^auto-closed: (.+)$/, (m) => `自动结案:${localizeMessage(m[1]!, 'zh-CN')}`],
  [/^(\S+) again$/, (m) => `再次收到 ${m[1]}`],
];

/** A procedure's own reason in the reader's language (unknown text is shown as it is). */
export function localizeMessage(message: string, locale: Locale): string {
  if (locale !== 'zh-CN' || !message) return message;
  if (Object.hasOwn(MESSAGE_ZH, message)) return MESSAGE_ZH[message]!;
  for (const [re, f] of MESSAGE_ZH_PATTERNS) {
    const m = re.exec(message);
    if (m) return f(m);
  }
  return message;
}

/** One timeline entry as a line for the UI / printed report. */
export function renderTimeline(
  kind: IncidentKind,
  item: Pick<TimelineItem, 'type' | 'data' | 'message'>,
  locale: Locale = 'zh-CN',
): string {
  const head = fill(TIMELINE_LABELS[item.type][idx(locale)], localizeParams(kind, item.data, locale));
  return item.message ? `${head} — ${localizeMessage(item.message, locale)}` : head;
}

export function notifyLabel(key: NotifyKey, locale: Locale = 'zh-CN'): string {
  return NOTIFY_LABELS[key][idx(locale)];
}
