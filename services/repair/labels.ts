// zh-CN / en words of the repair work-order procedure (keys `repair.*`). Keyed by what
// machine.ts declares: a state, step, action or timer without a label fails `tsc`.
import { WORK_ORDER_VALUE_LABELS } from '../../contracts/labels.js';
import type { Label } from '../../contracts/messages.js';
import type { RepairAction, RepairState, RepairStep, RepairTimer } from './machine.js';

export const labels = {
  kind: ['报修工单', 'Repair work order'],
  // {device} is an id the catalog renders as the device's name (services/core/messages.ts)
  title: ['报修 · {category}[? · {device}][? · {unit}][? · {location}]', 'Repair · {category}[? · {device}][? · {unit}][? · {location}]'],
  states: {
    registered: ['已登记 · 待派单', 'Registered · to dispatch'],
    dispatched: ['已派单 · 待响应', 'Dispatched · awaiting response'],
    in_progress: ['维修中', 'In progress'],
    awaiting_acceptance: ['已完工 · 待验收', 'Done · awaiting acceptance'],
    closed: ['已结单', 'Closed'],
    cancelled: ['已撤销', 'Cancelled'],
  } satisfies Record<RepairState, Label>,
  steps: {
    register: ['接单登记', 'Register'],
    dispatch: ['派单', 'Dispatch'],
    respond: ['维修响应(24小时内)', 'Response (within 24 h)'],
    complete: ['完工(48小时内)', 'Completed (within 48 h)'],
    accept: ['验收签字', 'Acceptance signed'],
    close: ['结单并安排回访', 'Close and schedule follow-up'],
  } satisfies Record<RepairStep, Label>,
  actions: {
    dispatch: ['派单', 'Dispatch'],
    record_response: ['记录维修响应', 'Record response'],
    complete: ['记录完工', 'Record completion'],
    accept: ['验收', 'Record acceptance'],
    cancel: ['撤销工单', 'Cancel work order'],
  } satisfies Record<RepairAction, Label>,
  timers: {
    response: ['响应时限(24小时)', 'Response target (24 h)'],
    completion: ['完工时限(48小时)', 'Completion target (48 h)'],
  } satisfies Record<RepairTimer, Label>,
  reasons: {
    dispatched_to: ['已派单给{party}', 'dispatched to {party}'],
    redispatched: ['改派给{party}', 're-dispatched to {party}'],
    responded: ['维修人员已响应', 'the repairer responded'],
    rework: ['验收不通过,返工', 'not accepted: rework'],
    accepted: ['验收通过,结单', 'accepted and closed'],
    back_online: ['设备已恢复在线', 'the device is back online'],
    device_normal: ['设备报告恢复正常', 'the device reports normal'],
  },
  errors: {
    owner_must_sign: ['户内维修须由业主({unit})验收签字', 'a unit repair is accepted by its owner ({unit})'],
    staff_must_sign: ['公共区域维修由工作人员验收', 'a common-area repair is accepted by staff'],
    unknown_unit: ['业主档案中没有房号{unit}', 'unit {unit} is not in the owner file'],
    cannot_open: ['此来源不能登记报修', 'a repair cannot be opened from this source'],
    not_found: ['没有工单{id}', 'no work order {id}'],
    no_unit: ['工单#{number}属公共区域,没有业主', 'work order #{number} is for a common area: no owner'],
    unit_gone: ['业主档案中已没有房号{unit}', 'unit {unit} is no longer in the owner file'],
  },
  notify: {
    rework: ['验收不通过,需返工(第{number}次)', 'Not accepted: rework (#{number})'],
    completion_suggested: ['设备{deviceId}已恢复正常,请确认是否完工', 'Device {deviceId} is back to normal: confirm the repair is done'],
  },
  flags: {
    response_late: ['响应超时({hours}小时)', 'Response late ({hours} h)'],
    completion_late: ['完工超时({hours}小时)', 'Completion late ({hours} h)'],
  },
  escalations: {
    response_overdue: ['报修{hours}小时内未响应', 'No response within {hours} h'],
    completion_overdue: ['报修{hours}小时内未完工', 'Not completed within {hours} h'],
  },
  duty: {
    accepted: ['【{kind}】{title} 验收通过({signedBy}),已结单', '[{kind}] {title} accepted ({signedBy}) and closed'],
    cancelled: ['【{kind}】{title} 已撤销:{reason}', '[{kind}] {title} cancelled: {reason}'],
  },
  fields: {
    category: ['类别', 'Category'],
    area: ['区域', 'Area'],
    unit: ['房号', 'Unit'],
    location: ['位置', 'Location'],
    device: ['设备', 'Device'],
    device_value: ['{device}', '{device}'],
    description: ['报修内容', 'What is wrong'],
    source: ['来源', 'Source'],
    reporterName: ['报修人', 'Reported by'],
    deviceId: ['设备', 'Device'],
    contactId: ['通讯录联系人', 'Contact'],
    party: ['维修单位/人员', 'Repairer'],
    phone: ['电话', 'Phone'],
    notes: ['备注', 'Notes'],
    workDone: ['维修内容', 'Work done'],
    signedBy: ['验收人', 'Signed by'],
    signerName: ['签字人姓名', 'Signer name'],
    satisfied: ['验收合格', 'Accepted'],
    reason: ['原因', 'Reason'],
  },
  values: {
    ...WORK_ORDER_VALUE_LABELS,
    other: ['其他', 'Other'],
    resident_phone: ['业主来电', 'Resident (phone)'],
    resident_visit: ['业主来访', 'Resident (visit)'],
    staff: ['员工发现', 'Staff finding'],
    device: ['设备故障', 'Device fault'],
    complaint: ['投诉转报修', 'From a complaint'],
    owner: ['业主', 'Owner'],
    signed_owner: ['业主签字', 'signed by the owner'],
    signed_staff: ['工作人员签字', 'signed by staff'],
    completion_suggested: ['设备已恢复正常,请确认是否完工', 'device back to normal: confirm the repair is done'],
    rejected: ['验收不通过', 'not accepted'],
  },
  facts: {
    category: ['类别', 'Category'],
    area: ['区域', 'Area'],
    unit: ['房号', 'Unit'],
    location: ['位置', 'Location'],
    device: ['设备', 'Device'],
    device_value: ['{device}', '{device}'],
    description: ['报修内容', 'What is wrong'],
    source: ['来源', 'Source'],
    repairer: ['维修单位', 'Repairer'],
    repairer_value: ['{party}[? · {phone}] · 派单 {at}', '{party}[? · {phone}] · dispatched {at}'],
    followup: ['回访期限', 'Follow-up due'],
    overdue: ['超时', 'Overdue'],
    overdue_response: ['响应超时', 'response late'],
    overdue_completion: ['完工超时', 'completion late'],
    faults: ['关联设备故障', 'Linked device faults'],
  },
} as const satisfies {
  kind: Label;
  title: Label;
  [table: string]: Label | Record<string, Label>;
};
