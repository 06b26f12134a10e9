// zh-CN / en words of the cross-cutting records (keys `records.*`): the duty-log entries the
// records service writes and its refusals. Registered with the procedures' labels in the
// composition root, served to the dashboard by GET /api/procedures.
import type { Label } from '../../contracts/messages.js';

export const RECORDS_LABELS = {
  duty: {
    manual: ['{text}', '{text}'],
    handover_created: ['交接班:{name} 交班签字,未结事项{count}项', 'Handover: {name} signed off, {count} open items'],
    handover_accepted: ['交接班:{name} 接班签字', 'Handover: {name} signed on (accepted)'],
    handover_refused: ['交接班:{name} 拒绝接班,原因:{reason}', 'Handover: {name} refused, reason: {reason}'],
    handover_checks_failed: ['交接班检查异常(×):{items}', 'Handover check not OK (×): {items}'],
    handover_opened: ['{shift}结束,系统发起交接班:未结事项{count}项', '{shift} ended: the hub opened the handover, {count} open items'],
    shift_signed: ['主管签阅{shift}值班记录', 'Supervisor signed the duty log of {shift}'],
    spot_checked: ['主任抽查{shift}值班记录', 'Director spot-checked the duty log of {shift}'],
    month_reviewed: ['主管完成{month}月度值班记录查阅', 'Supervisor reviewed the duty logs of {month}'],
    followup_done: ['回访完成:{subject}', 'Follow-up done: {subject}'],
    outage_registered: [
      '登记计划停电:{building} {startsAt} 至 {endsAt},{reason}[?{short}]',
      'Planned outage registered: {building} {startsAt} to {endsAt}, {reason}[?{short}]',
    ],
    outage_cancelled: ['取消计划停电:{building} {startsAt}[?,{reason}]', 'Planned outage cancelled: {building} {startsAt}[?, {reason}]'],
  },
  notify: {
    handover_opened: ['{shift}已结束,请完成交接班(未结事项{count}项)', '{shift} has ended: please hand over ({count} open items)'],
    handover_pending: [
      '班次 {shift} 结束已{minutes}分钟,交接班仍未完成;交班人须留岗至接班人签收',
      'Shift {shift} ended {minutes} min ago and its handover is not accepted; the outgoing operator stays on duty',
    ],
    unsigned_logs: [
      '有{count}个班次的值班记录尚未经主管签字(最早:{oldest})',
      '{count} shift logs are not signed by a supervisor (oldest: {oldest})',
    ],
  },
  values: {
    device_offline: ['离线', 'offline'],
    device_out_of_service: ['停用', 'out of service'],
    device_maintenance: ['维护中', 'in maintenance'],
    short_notice: ['(通知提前时间不足,主管已批准)', ' (short notice, accepted by a supervisor)'],
    accepted: ['接班', 'accepted'],
    refused: ['被拒绝', 'refused'],
    open: ['待接班', 'open'],
    handover: ['交接单', 'handover'],
    handover_pending: ['交接班未完成', 'handover pending'],
    unsigned_logs: ['值班记录未签字', 'unsigned duty logs'],
    followup: ['回访', 'follow-up'],
    planned_outage: ['计划停电', 'planned outage'],
    unit: ['房屋', 'unit'],
    incident: ['事件', 'incident'],
    attachment: ['附件', 'attachment'],
  },
  errors: {
    day_signed: ['{day} 的值班记录已由主管签字,不能再添加手工记录', 'the duty log of {day} is signed; it takes no more manual entries'],
    future_day: ['不能签署未来日期 {day} 的值班记录', 'cannot sign the duty log of a future day ({day})'],
    already_signed: ['{day} 的值班记录已签字', 'the duty log of {day} is already signed'],
    no_incoming_user: ['接班人 {username} 不存在', 'no such incoming user {username}'],
    incoming_self: ['接班人不能是交班人本人', 'the incoming operator must be someone else'],
    open_handover_exists: ['您已有一份待接班的交接单 {id}', 'you already have an open handover ({id})'],
    handover_answered: ['该交接单已{state}', 'the handover is already {state}'],
    outgoing_cannot_accept: ['不能接自己交出的班', 'the outgoing operator cannot sign as the incoming one'],
    other_incoming: ['该交接单指定了其他接班人', 'this handover names another incoming operator'],
    answered_concurrently: ['该交接单已被处理', 'the handover was answered concurrently'],
    followup_already_done: ['该回访已完成', 'the follow-up is already done'],
    unknown_building: ['未知楼栋 {building}', 'unknown building {building}'],
    outage_already_cancelled: ['该计划停电已取消', 'the planned outage is already cancelled'],
    outage_ended: ['该计划停电已结束,不能取消', 'the planned outage has already ended'],
    no_report: ['{kind}类事件没有特别事件报告', 'no special report for this kind ({kind})'],
    not_found: ['找不到{what} {id}', 'no {what} {id}'],
    no_shift: ['找不到班次 {id}', 'no shift {id}'],
    shift_not_ended: ['班次 {id} 尚未结束,不能签字', 'shift {id} has not ended yet; it cannot be signed'],
    shift_signed: ['班次 {id} 的值班记录已签字', 'the duty log of shift {id} is already signed'],
    shift_spot_checked: ['班次 {id} 已抽查', 'shift {id} is already spot-checked'],
    checks_incomplete: ['交接班检查未完成:{missing}', 'the equipment check is incomplete: {missing}'],
    unknown_check_item: ['未知的检查项 {item}', 'unknown check item {item}'],
    shift_handed_over: ['班次 {id} 已完成交接', 'shift {id} is already handed over'],
    month_reviewed: ['{month} 已完成月度查阅', '{month} is already reviewed'],
    future_month: ['{month} 尚未结束', '{month} has not ended yet'],
    bad_base64: ['附件数据不是有效的 base64', 'dataBase64 is not valid base64'],
    too_large: ['附件不能超过 5 MB(当前 {mb} MB)', 'attachments are limited to 5 MB (got {bytes} bytes)'],
    empty_attachment: ['附件为空', 'the attachment is empty'],
    mime_mismatch: ['附件内容与类型 {mime} 不符', 'the file content is not {mime}{looksLike}; accepted: {accepted}'],
  },
} as const satisfies Record<string, Record<string, Label>>;

/** Flat catalog entries under `records.` */
export function recordsCatalog(): Record<string, Label> {
  const out: Record<string, Label> = {};
  for (const [table, entries] of Object.entries(RECORDS_LABELS))
    for (const [k, v] of Object.entries(entries as Record<string, Label>)) out[`records.${table.replace(/s$/, '')}.${k}`] = v;
  return out;
}
