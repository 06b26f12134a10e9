// zh-CN / en words of the elevator-entrapment procedure (keys `elevator_entrapment.*`).
// Keyed by what machine.ts declares: a state, step, action or timer without a label, or a
// reason the machine logs that is not here, fails `tsc`.
import type { Label } from '../../contracts/messages.js';
import type { ElevatorAction, ElevatorState, ElevatorStep, ElevatorTimer } from './machine.js';

export const labels = {
  kind: ['电梯困人', 'Elevator entrapment'],
  // {device} renders the car's name ("B 栋 1 号梯"); {car} is given only without a device (setTitle)
  title: ['电梯困人[? · {device}][? · {car}号梯][? · {floor}层]', 'Elevator entrapment[? · {device}][? · car {car}][? · {floor}F]'],
  states: {
    awaiting_ack: ['待接警', 'Awaiting acknowledgement'],
    in_progress: ['救援中', 'Rescue in progress'],
    released: ['已解救 · 电梯停用', 'Released · out of service'],
    in_service: ['已恢复运行 · 待结案', 'Back in service · closing'],
    closed: ['已结案', 'Closed'],
  } satisfies Record<ElevatorState, Label>,
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
  } satisfies Record<ElevatorStep, Label>,
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
  } satisfies Record<ElevatorAction, Label>,
  timers: {
    ack: ['接警时限(30秒)', 'Acknowledge target (30 s)'],
    contractor_arrival: ['维保到场时限(30分钟)', 'Contractor arrival target (30 min)'],
    recontact: ['每5分钟联络乘客', 'Re-contact passengers every 5 min'],
  } satisfies Record<ElevatorTimer, Label>,
  reasons: {
    acknowledged_talk: ['已接警,已与乘客通话安抚', 'acknowledged; two-way talk open (安抚)'],
    injury_reported: ['有人受伤或身体不适', 'injury or illness reported'],
    released: ['乘客已全部救出,人数已核对', 'passengers out, headcount confirmed'],
    signed_fit: ['维保单位已签字确认电梯可运行', 'contractor signed the elevator fit for service'],
    no_entrapment: ['无人被困', 'no one trapped'],
    procedure_complete: ['处置完毕', 'procedure complete'],
  },
  errors: {
    vulnerable_exceeds: ['特殊人员人数多于乘客人数', 'more vulnerable people than passengers'],
    called_in_future: ['拨打时间不能晚于现在', 'calledAt is in the future'],
    not_dispatched: ['尚未通知维保单位', 'the contractor has not been dispatched'],
    headcount_mismatch: [
      '解救人数{headcount}与记录的{expected}人不符:请说明差异',
      'headcount {headcount} differs from recorded {expected}: explain the discrepancy',
    ],
    arrival_first: ['请先记录维保人员到场', 'record the contractor arrival first'],
    not_an_entrapment_event: ['{event}不会触发电梯困人', '{event} does not open an entrapment'],
    link_cannot_open: ['设备连接变化不会触发电梯困人', 'a link-state change does not open an entrapment'],
  },
  notify: {
    recontact_due: ['请再次联络被困乘客', 'Re-contact the trapped passengers'],
    release_suggested: ['电梯已开门,请确认是否已解救', 'Car doors open: confirm the release'],
  },
  flags: {
    contractor_late: ['维保迟到', 'Contractor arrived late'],
    headcount_mismatch: ['人数不符', 'Headcount mismatch'],
  },
  escalations: {
    ack_overdue: ['超时未接警', 'Not acknowledged in time'],
    contractor_overdue: ['维保超时未到场', 'Contractor overdue'],
    injury_reported: ['有人受伤或不适', 'Injury or illness reported'],
  },
  duty: {
    released: ['【{kind}】{title} 被困人员已解救,共{headcount}人', '[{kind}] {title} passengers released ({headcount})'],
    fit_signed: ['【{kind}】{title} 维保人员{person}签字确认可运行', '[{kind}] {title} signed fit by {person}'],
  },
  fields: {
    reassured: ['已安抚乘客', 'Passengers reassured'],
    count: ['人数', 'Headcount'],
    vulnerable: ['特殊人员', 'Vulnerable persons'],
    category: ['类别', 'Category'],
    note: ['说明', 'Note'],
    car: ['梯号', 'Car'],
    floor: ['楼层', 'Floor'],
    company: ['单位', 'Company'],
    person: ['人员', 'Person'],
    phone: ['电话', 'Phone'],
    calledAt: ['拨打时间', 'Called at'],
    reference: ['编号/回执', 'Reference'],
    arrivedAt: ['到场时间', 'Arrived at'],
    party: ['对象', 'Party'],
    headcount: ['解救人数', 'Headcount released'],
    releasedAt: ['解救时间', 'Released at'],
    releasedBy: ['解救人', 'Released by'],
    discrepancy: ['人数差异说明', 'Headcount discrepancy'],
    contractorCompany: ['维保单位', 'Contractor company'],
    contractorPerson: ['维保人员', 'Contractor person'],
    summary: ['报告摘要', 'Summary'],
    attachmentIds: ['附件/照片编号(逗号分隔)', 'Attachment / photo ids (comma separated)'],
    deviceId: ['电梯', 'Elevator'],
    passengers: ['乘客人数', 'Passengers'],
    callerPhone: ['来电号码', 'Caller phone'],
    talkingToPassengers: ['正在与乘客通话', 'Talking to passengers'],
  },
  values: {
    elderly: ['老人', 'Elderly'],
    child: ['儿童', 'Child'],
    pregnant: ['孕妇', 'Pregnant'],
    ill: ['病人', 'Ill'],
    injured: ['受伤', 'Injured'],
    disabled: ['残障人士', 'Disabled'],
    operator: ['值班员', 'Operator'],
    security: ['秩序维护员', 'Security'],
    recontact: ['再次联络乘客', 're-contact passengers'],
    release_suggested: ['电梯已开门,请确认是否已解救', 'doors open: confirm the release'],
    released: ['已解救', 'released'],
    no_entrapment: ['无人被困', 'no one trapped'],
  },
  facts: {
    car: ['轿厢', 'Car'],
    floor: ['楼层', 'Floor'],
    passengers: ['被困人数', 'Passengers'],
    passengers_value: ['{count}人[?({vulnerable})]', '{count}[? ({vulnerable})]'],
    contractor: ['维保单位', 'Contractor'],
    contractor_value: [
      '{company} · {person}[? · 到场 {arrivedAt}][? · 限时 {dueAt}]',
      '{company} · {person}[? · arrived {arrivedAt}][? · due {dueAt}]',
    ],
  },
} as const satisfies {
  kind: Label;
  title: Label;
  [table: string]: Label | Record<string, Label>;
};
