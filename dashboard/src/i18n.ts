// UI strings, zh-CN first, English second. This file labels the dashboard itself: navigation,
// metrics, its own forms, error codes. Everything a procedure says — states, steps, actions,
// timers, timeline entries, titles, refusals, form fields of its payloads — is a message key
// whose labels the hub serves (GET /api/procedures, loaded after login), rendered here with the
// same renderer the hub uses (services/core/messages.ts): a new procedure needs no change in
// the dashboard. Roles, device classes, link states and device events come from contracts/labels.ts.
// Every string shown to a user goes through `t()` or one of the helpers below, so switching the
// locale re-labels the whole UI.
import type { DeviceClass, IncidentKind, OnlineState, Role } from '../../contracts/domain.js';
import { CLASS_LABELS, EVENT_LABELS, ONLINE_LABELS, ROLE_LABELS } from '../../contracts/labels.js';
import type { Label, Locale, Text } from '../../contracts/messages.js';
import { legacyBilingual, MessageCatalog, type Catalog } from '../../services/core/messages.js';
import { ADMIN_UI } from './i18n/admin.js';
import { NOTIFICATION_UI } from './i18n/notifications.js';
import { SHIFT_UI } from './i18n/shifts.js';
import { HISTORY_UI } from './i18n/history.js';
import { REPORT_UI } from './i18n/reports.js';
import { DASHB_UI } from './i18n/dashb.js';

export type { Locale };
export const LOCALES: readonly Locale[] = ['zh-CN', 'en'];
export type LabelCategory = 'state' | 'step' | 'action' | 'timer';

const UI = {
  ...ADMIN_UI,
  ...NOTIFICATION_UI,
  ...SHIFT_UI,
  ...HISTORY_UI,
  ...REPORT_UI,
  ...DASHB_UI,
  'app.title': ['楼宇运营中枢', 'Building Operations Hub'],
  'app.subtitle': ['物业监控中心', 'Property control room'],
  'denied.title': ['此页面不属于您的岗位', 'This page is not for your role'],
  'denied.body': ['“{page}”仅供{roles}使用;您的岗位是{role}。', '“{page}” is for {roles}; your role is {role}.'],
  'denied.home': ['返回我的首页', 'Go to my home page'],
  'nav.control': ['监控中心', 'Control room'],
  'nav.telemetry': ['运行曲线', 'Telemetry'],
  'nav.frontDesk': ['客服前台', 'Front desk'],
  'nav.supervisor': ['主管', 'Supervisor'],
  'nav.devices': ['设备管理', 'Devices'],
  'nav.workOrders': ['报修工单', 'Work orders'],
  'wo.board': ['报修工单', 'Work orders'],
  'wo.new': ['登记报修', 'Register a repair'],
  'wo.register': ['登记', 'Register'],
  'wo.created': ['已登记工单 #{number}', 'Work order #{number} registered'],
  'wo.state': ['状态', 'State'],
  'wo.open': ['未结单', 'Open'],
  'wo.all': ['全部', 'All'],
  'wo.building': ['楼栋', 'Building'],
  'wo.overdueOnly': ['只看超时', 'Overdue only'],
  'wo.overdue': ['超时', 'Overdue'],
  'wo.none': ['没有符合条件的工单', 'No work orders match'],
  'wo.order': ['工单', 'Order'],
  'wo.repairer': ['维修单位', 'Repairer'],
  'wo.due': ['下一时限', 'Next target'],
  'wo.print': ['打印工单', 'Print sheet'],
  'wo.deviceNormal': ['设备已恢复正常', 'Device back to normal'],
  'nav.complaints': ['投诉', 'Complaints'],
  'cp.board': ['投诉', 'Complaints'],
  'cp.new': ['投诉登记', 'Register a complaint'],
  'cp.register': ['登记', 'Register'],
  'cp.created': ['已登记投诉 #{number}', 'Complaint #{number} registered'],
  'cp.open': ['未结案', 'Open'],
  'cp.none': ['没有符合条件的投诉', 'No complaints match'],
  'cp.complaint': ['投诉', 'Complaint'],
  'cp.reportMonth': ['月报月份', 'Report month'],
  'cp.reportPrint': ['打印投诉月报', 'Print the monthly report'],
  'cp.reportCsv': ['导出表格', 'Export spreadsheet'],
  'nav.logout': ['退出', 'Log out'],
  'nav.skip': ['跳到主要内容', 'Skip to main content'],
  'nav.main': ['主导航', 'Main navigation'],
  'lang.switch': ['English', '中文'],
  'lang.switchLabel': ['切换语言', 'Switch language'],

  'login.title': ['登录', 'Log in'],
  'login.username': ['用户名', 'Username'],
  'login.password': ['密码', 'Password'],
  'login.submit': ['登录', 'Log in'],
  'login.busy': ['正在登录…', 'Logging in…'],
  'login.failed': ['用户名或密码错误', 'Wrong username or password'],
  'login.expired': ['登录已过期,请重新登录', 'Your session has expired, please log in again'],
  'login.hint': ['请使用分配给您岗位的账号登录', 'Use the account issued for your role'],

  'conn.online': ['已连接', 'Live'],
  'conn.connecting': ['连接中…', 'Connecting…'],
  'conn.offline': ['已断开 · 重连中', 'Disconnected · reconnecting'],
  'conn.syncedAt': ['同步于 {time}', 'synced {time}'],
  'conn.title': ['实时连接状态', 'Live connection status'],

  'common.loading': ['加载中…', 'Loading…'],
  'common.none': ['无', 'None'],
  'common.save': ['保存', 'Save'],
  'common.submit': ['提交', 'Submit'],
  'common.cancel': ['取消', 'Cancel'],
  'common.close': ['关闭', 'Close'],
  'common.confirm': ['确认', 'Confirm'],
  'common.view': ['查看', 'View'],
  'common.back': ['返回', 'Back'],
  'common.refresh': ['刷新', 'Refresh'],
  'common.yes': ['是', 'Yes'],
  'common.no': ['否', 'No'],
  'common.building': ['楼栋', 'Building'],
  'common.floor': ['楼层', 'Floor'],
  'common.floorN': ['{n} 层', 'Floor {n}'],
  'common.device': ['设备', 'Device'],
  'common.time': ['时间', 'Time'],
  'common.state': ['状态', 'State'],
  'common.actor': ['操作人', 'By'],
  'common.notes': ['备注', 'Notes'],
  'common.added': ['添加', 'Add'],
  'common.remove': ['删除', 'Remove'],
  'common.required': ['必填', 'required'],
  'common.optional': ['选填', 'optional'],
  'common.all': ['全部', 'All'],
  'common.unknown': ['未知', 'Unknown'],
  'common.justNow': ['刚刚', 'just now'],
  'common.ago': ['{d} 前', '{d} ago'],
  'common.done': ['完成', 'Done'],
  'common.print': ['打印', 'Print'],
  'common.saved': ['已保存', 'Saved'],
  'common.copy': ['复制', 'Copy'],
  'common.copied': ['已复制', 'Copied'],
  'common.confirmed': ['我确认', 'I confirm'],
  'common.site': ['小区', 'Site'],
  'common.overdue': ['超时', 'overdue'],
  'actor.system': ['系统', 'System'],
  'actor.timer': ['计时', 'Timer'],
  'actor.user': ['值班人员', 'Staff'],
  'actor.me': ['我', 'me'],
  'actor.owner': ['业主 {unit}', 'Owner {unit}'],

  'alarm.banner': ['紧急报警', 'EMERGENCY'],
  'alarm.acknowledge': ['接警', 'Acknowledge'],
  'alarm.open': ['打开处置', 'Open'],
  'alarm.mute': ['静音', 'Mute'],
  'alarm.unmute': ['取消静音', 'Unmute'],
  'alarm.enableSound': ['点击启用报警声', 'Click to enable the alarm sound'],
  'alarm.more': ['另有 {n} 条未接警', '{n} more not acknowledged'],
  'alarm.since': ['已等待 {d}', 'waiting {d}'],

  'control.title': ['监控中心', 'Control room'],
  'control.devices': ['楼栋 · 楼层 · 设备', 'Buildings · floors · devices'],
  'control.board': ['事件看板', 'Incident board'],
  'control.boardEmpty': ['当前没有进行中的事件', 'No open incidents'],
  'control.report': ['人工报告事件', 'Report an incident'],
  'control.events': ['实时设备事件', 'Live device events'],
  'control.eventsEmpty': ['暂无事件', 'No events yet'],
  'control.online': ['{n}/{total} 在线', '{n}/{total} online'],
  'control.wholeBuilding': ['全楼设备', 'Building-wide'],
  'control.lobby': ['门口/大堂', 'Entrances / lobby'],
  'control.floors': ['楼层', 'Floors'],
  'control.noDevices': ['尚未登记设备', 'No devices registered'],
  'control.incidentsOnFloor': ['本层事件', 'Incidents on this floor'],
  'control.carAt': ['{car} 号梯', 'Car {car}'],
  'control.openIncidents': ['{n} 个进行中事件', '{n} open incidents'],
  'control.disabled': ['已停用', 'Disabled'],
  'control.maintenance': ['维保中 · {reason} · 至 {until} · {by}', 'In maintenance · {reason} · until {until} · {by}'],
  'dev.maintenance': ['维保模式', 'Maintenance'],
  'dev.maintenanceReason': ['维保原因', 'Maintenance reason'],
  'dev.maintenanceUntil': ['维保至', 'Until'],
  'dev.maintenanceStart': ['进入维保', 'Start maintenance'],
  'dev.maintenanceEnd': ['结束维保', 'End maintenance'],
  'control.lastSeen': ['最后通讯 {time}', 'Last seen {time}'],
  'control.stale': ['连接中断,数值未更新', 'disconnected: values not current'],

  'incident.number': ['事件编号', 'Incident no.'],
  'incident.opened': ['立案时间', 'Opened'],
  'incident.closed': ['结案时间', 'Closed'],
  'incident.kind': ['类型', 'Type'],
  'incident.severity': ['级别', 'Severity'],
  'incident.checklist': ['处置步骤', 'Procedure checklist'],
  'incident.actions': ['可执行操作', 'Actions'],
  'incident.noActions': ['当前岗位无可执行操作', 'No actions for your role right now'],
  'incident.commands': ['指令与设备回执', 'Commands and device confirmations'],
  'incident.noCommands': ['未下发指令', 'No commands sent'],
  'incident.recall': ['电梯迫降(逐台确认)', 'Elevator recall (per car)'],
  'incident.timers': ['计时', 'Timers'],
  'incident.noTimers': ['无进行中的计时', 'No running timers'],
  'incident.timeline': ['完整时间线', 'Full timeline'],
  'incident.stepRequired': ['必须', 'required'],
  'incident.stepOptional': ['可选', 'optional'],
  'incident.stepPending': ['待办', 'pending'],
  'incident.stepDone': ['已完成', 'done'],
  'incident.stepSkipped': ['已跳过', 'skipped'],
  'incident.doneBy': ['{by} · {time}', '{by} · {time}'],
  'incident.notFound': ['找不到该事件', 'Incident not found'],
  'incident.back': ['返回看板', 'Back to the board'],
  'incident.report': ['打印报告', 'Printable report'],
  'incident.actionDone': ['已执行:{action}', 'Done: {action}'],
  'incident.facts': ['现场信息', 'Details'],
  'incident.children': ['关联事件', 'Linked incidents'],
  'incident.parent': ['上级事件', 'Parent incident'],
  'incident.endpointMissing': ['事件接口暂不可用', 'The incident service is not available yet'],
  'incident.closedState': ['已结案', 'Closed'],
  'incident.zones': ['报警分区', 'Alarm zones'],
  'incident.outcome': ['确认结果', 'Outcome'],
  'incident.passengers': ['被困人数', 'Passengers'],
  'incident.car': ['轿厢', 'Car'],
  'incident.visitor': ['访客', 'Visitor'],
  'incident.unit': ['房号', 'Unit'],
  'incident.address': ['地址', 'Address'],
  'incident.flags': ['异常标记', 'Flags'],
  'incident.sentAt': ['下发', 'Sent'],
  'incident.resolvedAt': ['回执', 'Answered'],
  'incident.expiresAt': ['过期', 'Expires'],

  'command.sent': ['已下发 · 等待回执', 'Sent · awaiting reply'],
  'command.confirmed': ['已确认', 'Confirmed'],
  'command.failed': ['失败', 'Failed'],
  'command.expired': ['超时未回执', 'Expired'],
  'command.recall': ['迫降', 'Recall'],
  'command.unlock': ['开门', 'Unlock'],

  'car.sent': ['已下发 · 等待确认', 'Sent · awaiting confirmation'],
  'car.confirmed': ['已确认迫降', 'Recalled (confirmed)'],
  'car.flagged': ['未确认(已标记)', 'Not confirmed (flagged)'],
  'car.failed': ['迫降失败', 'Recall failed'],
  'car.returned': ['已恢复运行', 'Back in service'],

  'timer.overdue': ['已超时 {d}', 'overdue {d}'],
  'timer.remaining': ['剩余 {d}', '{d} left'],

  'report.title': ['人工报告事件', 'Report an incident'],
  'report.kind': ['事件类型', 'Incident type'],
  'report.submit': ['报告', 'Report'],
  'report.created': ['已立案', 'Incident opened'],

  'telemetry.title': ['运行曲线', 'Telemetry history'],
  'telemetry.device': ['设备', 'Device'],
  'telemetry.metrics': ['指标', 'Metrics'],
  'telemetry.range': ['时间范围', 'Time range'],
  'telemetry.live': ['实时更新', 'Live'],
  'telemetry.paused': ['历史(不更新)', 'History (not live)'],
  'telemetry.from': ['开始', 'From'],
  'telemetry.to': ['结束', 'To'],
  'telemetry.apply': ['查询', 'Show'],
  'telemetry.noData': ['该时段无数据', 'No data in this range'],
  'telemetry.pick': ['请选择设备', 'Choose a device'],
  'telemetry.noMetrics': ['该设备尚无数值指标', 'This device has no numeric metrics yet'],
  'range.15m': ['15 分钟', '15 min'],
  'range.1h': ['1 小时', '1 hour'],
  'range.6h': ['6 小时', '6 hours'],
  'range.24h': ['24 小时', '24 hours'],
  'range.7d': ['7 天', '7 days'],
  'range.custom': ['自定义', 'Custom'],

  'fd.title': ['客服前台', 'Front desk'],
  'fd.waiting': ['等待中的来访呼叫', 'Waiting intercom calls'],
  'fd.waitingEmpty': ['没有等待中的呼叫', 'No calls waiting'],
  'fd.inProgress': ['开门中 / 需处理', 'Unlocking / needs attention'],
  'fd.inside': ['在访访客', 'Visitors inside'],
  'fd.insideEmpty': ['当前没有在访访客', 'No visitors inside'],
  'fd.walkIn': ['访客登记(来访人员)', 'Walk-in registration'],
  'fd.preauth': ['业主预授权访客', 'Pre-authorised visitors'],
  'fd.preauthEmpty': ['没有预授权记录', 'No pre-authorisations'],
  'fd.preauthAdd': ['登记预授权', 'Add pre-authorisation'],
  'fd.recent': ['今日已结束', 'Finished today'],
  'fd.approve': ['同意开门', 'Approve & unlock'],
  'fd.deny': ['拒绝', 'Deny'],
  'fd.denyReason': ['拒绝原因', 'Reason'],
  'fd.denyConfirm': ['确认拒绝', 'Confirm denial'],
  'fd.approvePreauth': ['按预授权放行(已核验证件)', 'Admit as pre-authorised (ID checked)'],
  'fd.ownerChannel': ['业主确认方式', 'How the owner confirmed'],
  'fd.ownerVia': ['业主经{channel}确认', 'Owner via {channel}'],
  'fd.usePreauth': [
    '业主已预授权({from} – {to}),已核验证件,直接放行',
    'Pre-authorised by the owner ({from} – {to}); ID checked, admit directly',
  ],
  'fd.departure': ['登记离开', 'Record departure'],
  'fd.extend': ['延长', 'Extend'],
  'fd.retryUnlock': ['重新开门', 'Retry unlock'],
  'fd.escort': ['人工陪同进入', 'Escort in person'],
  'fd.overstay': ['超时', 'Overstay'],
  'fd.enteredAt': ['进入', 'Entered'],
  'fd.planned': ['登记时长', 'Planned'],
  'fd.minutes': ['{n} 分钟', '{n} min'],
  'fd.waitingFor': ['已等待 {d}', 'waiting {d}'],
  'fd.visitorName': ['访客姓名', 'Visitor name'],
  'fd.unit': ['被访房号', 'Unit'],
  'fd.idType': ['证件类型', 'ID type'],
  'fd.idNumber': ['证件号码', 'ID number'],
  'fd.idMaskedAs': ['仅保存脱敏号码:{masked}', 'Only the masked number is kept: {masked}'],
  'fd.idHint': ['输入即脱敏,原号码不会保存', 'Masked on entry; the full number is never stored'],
  'fd.plannedMinutes': ['预计停留(分钟)', 'Planned stay (minutes)'],
  'fd.register': ['登记并联系业主', 'Register & contact owner'],
  'fd.registered': ['已登记:{name}', 'Registered: {name}'],
  'fd.validFrom': ['有效期自', 'Valid from'],
  'fd.validTo': ['有效期至', 'Valid to'],
  'fd.used': ['已使用', 'Used'],
  'fd.channel': ['来访方式', 'Channel'],
  'fd.idMasked': ['证件(脱敏)', 'ID (masked)'],
  'fd.detail': ['处置详情', 'Details'],
  'fd.endpointMissing': ['访客接口暂不可用', 'The visitor service is not available yet'],

  'sup.title': ['主管工作台', 'Supervisor'],
  'sup.approvals': ['待审批', 'Pending approvals'],
  'sup.approvalsEmpty': ['没有待审批事项', 'Nothing waiting for approval'],
  'sup.dutyLog': ['值班记录', 'Duty log'],
  'sup.handover': ['交接班', 'Shift handover'],
  'sup.followups': ['回访', 'Follow-ups'],
  'sup.reports': ['特别事件报告', 'Special incident reports'],
  'sup.outages': ['计划停电', 'Planned outages'],
  'sup.escalated': ['已上报主管', 'Escalated'],
  'sup.day': ['日期', 'Day'],
  'sup.sign': ['签字确认', 'Sign off'],
  'sup.signNote': ['签字备注', 'Sign-off note'],
  'sup.signedBy': ['{by} 于 {time} 签字', 'Signed by {by} at {time}'],
  'sup.notSigned': ['尚未签字', 'Not signed yet'],
  'sup.signUnscoped': [
    '班次值班记录涵盖所有楼栋,须由不限楼栋的主管签字',
    'A shift’s log covers every building: a supervisor without a building scope signs it',
  ],
  'sup.entriesEmpty': ['当日无记录', 'No entries for this day'],
  'sup.handoverNew': ['发起交接', 'Hand over the shift'],
  'sup.handoverNotes': ['交接说明(未完成事项、注意事项)', 'Handover notes (open items, cautions)'],
  'sup.accept': ['接班确认', 'Accept'],
  'sup.refuse': ['拒绝接班', 'Refuse'],
  'sup.refuseReason': ['拒绝原因', 'Reason'],
  'sup.handoverState.open': ['待接班', 'Waiting'],
  'sup.handoverState.accepted': ['已接班', 'Accepted'],
  'sup.handoverState.refused': ['已拒绝', 'Refused'],
  'sup.handoverEmpty': ['没有交接记录', 'No handovers'],
  'sup.openItems': ['未完成事项 {n} 项', '{n} open items'],
  'sup.followupsEmpty': ['没有回访任务', 'No follow-ups'],
  'sup.due': ['截止 {time}', 'due {time}'],
  'sup.markDone': ['回访完成', 'Mark done'],
  'sup.reportsEmpty': ['没有已结案的事件', 'No closed incidents'],
  'sup.outagesEmpty': ['没有计划停电', 'No planned outages'],
  'sup.outageNew': ['登记计划停电', 'Register a planned outage'],
  'sup.feeder': ['供电回路', 'Feeder'],
  'sup.startsAt': ['开始', 'Starts'],
  'sup.endsAt': ['结束', 'Ends'],
  'sup.noticeAt': ['公告时间', 'Notice given'],
  'sup.residentsMustPrepare': ['需业主提前准备(如储水)', 'Residents must prepare (e.g. store water)'],
  'sup.reason': ['原因', 'Reason'],
  'sup.outgoing': ['交班人', 'Outgoing'],
  'sup.outageStatus.upcoming': ['待执行', 'Upcoming'],
  'sup.outageStatus.in_progress': ['进行中', 'In progress'],
  'sup.outageStatus.ended': ['已结束', 'Ended'],
  'sup.outageStatus.cancelled': ['已取消', 'Cancelled'],
  'sup.incoming': ['接班人', 'Incoming'],

  'dev.title': ['设备管理', 'Device management'],
  'dev.provision': ['登记新设备', 'Provision a device'],
  'dev.id': ['设备编号', 'Device id'],
  'dev.name': ['名称', 'Name'],
  'dev.class': ['类别', 'Class'],
  'dev.site': ['小区编号', 'Site id'],
  'dev.building': ['楼栋编号', 'Building id'],
  'dev.floors': ['服务楼层(如 1-18 或 1,2,3)', 'Floors served (e.g. 1-18 or 1,2,3)'],
  'dev.feeder': ['供电回路(电表)', 'Feeder (power meter)'],
  'dev.car': ['梯号(电梯)', 'Car (elevator)'],
  'dev.enabled': ['启用', 'Enabled'],
  'dev.disable': ['停用', 'Disable'],
  'dev.enable': ['启用', 'Enable'],
  'dev.rotate': ['重置密钥', 'Rotate secret'],
  'dev.rotateConfirm': [
    '重置后旧密钥立即失效,设备需重新配置。继续?',
    'The old secret stops working at once; the device must be reconfigured. Continue?',
  ],
  'dev.secretTitle': ['设备密钥(仅显示一次)', 'Device secret (shown once)'],
  'dev.secretWarn': [
    '请立即复制并配置到设备中。关闭后无法再次查看,只能重置。',
    'Copy it into the device now. It cannot be shown again, only rotated.',
  ],
  'dev.idHint': ['小写字母、数字和连字符', 'lowercase letters, digits and dashes'],
  'dev.created': ['已登记 {id}', 'Provisioned {id}'],
  'dev.lastSeen': ['最后通讯', 'Last seen'],
  'dev.lastTelemetry': ['最新数据', 'Latest data'],
  'dev.count': ['共 {n} 台', '{n} devices'],
  'dev.filter': ['筛选', 'Filter'],

  'privacy.masked': ['个人信息已脱敏', 'Personal data is masked'],
  'privacy.reason': ['查看原因(将记录查看人、时间和原因)', 'Why you open it (who, when and why are logged)'],
  'privacy.reveal': ['显示个人信息', 'Show personal data'],

  'error.generic': ['操作失败', 'Something went wrong'],
  'error.network': ['网络错误,请检查连接', 'Network error, check the connection'],
  'error.HUB_ERR_BAD_REQUEST': ['输入有误', 'Invalid input'],
  'error.HUB_ERR_UNAUTHENTICATED': ['未登录或登录已过期', 'Not logged in or session expired'],
  'error.HUB_ERR_FORBIDDEN': ['当前岗位无权执行该操作', 'Your role may not do this'],
  'error.HUB_ERR_NOT_FOUND': ['找不到对象', 'Not found'],
  'error.HUB_ERR_DEVICE_UNKNOWN': ['设备不存在', 'Unknown device'],
  'error.HUB_ERR_CONFLICT': [
    '当前状态下不能执行(可能已被他人处理)',
    'Not possible in the current state (someone may have done it already)',
  ],
  'error.HUB_ERR_DEVICE_EXISTS': ['设备编号已存在', 'A device with this id already exists'],
  'error.HUB_ERR_UNAVAILABLE': ['服务暂不可用', 'Service unavailable'],
  'error.HUB_ERR_INTERNAL': ['服务器内部错误', 'Internal server error'],
  'error.required': ['请填写:{field}', 'Please fill in: {field}'],
  'error.number': ['请输入数字:{field}', 'Enter a number: {field}'],
} as const satisfies Record<string, Label>;

export type UiKey = keyof typeof UI;

const idx = (l: Locale) => (l === 'zh-CN' ? 0 : 1);

function fill(s: string, params?: Record<string, unknown>): string {
  if (!params) return s;
  return s.replace(/\{(\w+)\}/g, (_, k: string) => (params[k] === undefined || params[k] === null ? '' : String(params[k])));
}

export function translate(locale: Locale, key: UiKey, params?: Record<string, unknown>): string {
  return fill(UI[key][idx(locale)], params);
}

export const ROLE_HOME: Record<Role, string> = {
  operator: '/control',
  frontdesk: '/front-desk',
  supervisor: '/supervisor',
  admin: '/control',
};

const METRIC_LABELS: Record<string, Label> = {
  floor: ['楼层', 'Floor'],
  load_kg: ['载重 kg', 'Load kg'],
  moving: ['运行中', 'Moving'],
  door_open: ['门开', 'Door open'],
  direction: ['方向', 'Direction'],
  passengers: ['乘客', 'Passengers'],
  out_of_level: ['非平层', 'Out of level'],
  mode: ['模式', 'Mode'],
  powered: ['有电', 'Powered'],
  voltage_v: ['电压 V', 'Voltage V'],
  current_a: ['电流 A', 'Current A'],
  power_kw: ['功率 kW', 'Power kW'],
  frequency_hz: ['频率 Hz', 'Frequency Hz'],
  on_generator: ['发电机供电', 'On generator'],
  mains_ok: ['市电正常', 'Mains OK'],
  generator_running: ['发电机运行', 'Generator running'],
  power_factor: ['功率因数', 'Power factor'],
  energy_kwh: ['电量 kWh', 'Energy kWh'],
  zones_in_alarm: ['报警分区', 'Zones in alarm'],
  zones_in_trouble: ['故障分区', 'Zones in trouble'],
  zones_supervisory: ['监管分区', 'Supervisory zones'],
  zones_total: ['分区总数', 'Zones'],
  silenced: ['已消音', 'Silenced'],
  battery_v: ['备电 V', 'Battery V'],
  calls_waiting: ['等待呼叫', 'Calls waiting'],
  locked: ['门锁闭', 'Locked'],
  water_level_cm: ['水位 cm', 'Water level cm'],
  pump_running: ['水泵运行', 'Pump running'],
  leak: ['漏水', 'Leak'],
  pumps_available: ['可用水泵', 'Pumps available'],
};

/** Values of string metrics (elevator direction / mode). */
const METRIC_VALUE_LABELS: Record<string, Label> = {
  up: ['上行', 'up'],
  down: ['下行', 'down'],
  idle: ['停靠', 'idle'],
  normal: ['正常', 'normal'],
  recall: ['迫降', 'recall'],
  entrapped: ['困人', 'entrapped'],
  out_of_service: ['停用', 'out of service'],
};

/** Fields of the dashboard's own forms (procedure payload fields are labelled by their procedure). */
const FIELD_LABELS: Record<string, Label> = {
  notes: ['备注', 'Notes'],
  reason: ['原因', 'Reason'],
  minutes: ['延长(分钟)', 'Extend by (minutes)'],
  acceptShortNotice: ['接受提前时间不足', 'Accept short notice'],
  shortNoticeReason: ['提前不足原因', 'Short-notice reason'],
};

/** Values the dashboard's own screens show (procedure values are labelled by their procedure). */
const ENUM_LABELS: Record<string, Label> = {
  short_notice: ['通知提前不足', 'Short notice'],
};

export interface I18n {
  locale: Locale;
  t: (key: UiKey, params?: Record<string, unknown>) => string;
  /** a message (key + params, or what a person typed) in this locale */
  msg: (m: Text | null | undefined) => string;
  kind: (k: IncidentKind | string) => string;
  proc: (kind: IncidentKind | string, category: LabelCategory, key: string) => string;
  role: (r: Role | string) => string;
  cls: (c: DeviceClass | string) => string;
  online: (s: OnlineState | string) => string;
  metric: (m: string) => string;
  event: (type: string) => string;
  metricValue: (v: number | boolean | string) => string;
  /** a payload field's label: the procedure's own first (`kind`), then any procedure's */
  field: (name: string, kind?: string) => string;
  enumValue: (v: unknown, kind?: string) => string;
  flag: (code: string, kind?: string) => string;
  timeline: (kind: IncidentKind, item: { type: string; data: Record<string, unknown>; message: string; reason?: Text | null }) => string;
  /** a duty-log entry (key + params; `legacy` rows hold their old "中文 / English" text) */
  duty: (e: { key: string; params: Record<string, unknown> }) => string;
  time: (ms: number | null | undefined) => string;
  dateTime: (ms: number | null | undefined) => string;
  duration: (ms: number) => string;
  ago: (ms: number, now: number) => string;
  error: (code: string | undefined) => string;
  /** a building's name by its id (the id itself only when the hub has not told its name) */
  building: (id: string) => string;
  /** a device's name by its id */
  device: (id: string) => string;
  /** what a device event says, in words (`event_detail.<type>`), '' when it says nothing more */
  eventDetail: (type: string, data: Record<string, unknown>) => string;
}

type PlaceNames = (what: 'device' | 'building', id: string) => string | undefined;
let placeNames: PlaceNames = () => undefined;
/**
 * Where building and device names come from (the store's live device list). Messages and views
 * carry ids; the reader sees names (issue 14).
 */
export function setPlaceNames(fn: PlaceNames): void {
  placeNames = fn;
}

function lookup(table: Record<string, Label>, key: string, i: number): string {
  return Object.hasOwn(table, key) ? (table[key]![i] ?? key) : key;
}

const cache = new Map<Locale, { labels: Catalog | null; api: I18n }>();

/**
 * The UI's words in `locale`, with the hub's labels (`labels`, from GET /api/procedures; null
 * until loaded, when keys show as themselves for a moment).
 */
export function i18n(locale: Locale, labels: Catalog | null = null): I18n {
  const hit = cache.get(locale);
  if (hit && hit.labels === labels) return hit.api;
  const i = idx(locale);
  const tz = { hour12: false } as const;
  const timeFmt = new Intl.DateTimeFormat(locale, { ...tz, hour: '2-digit', minute: '2-digit', second: '2-digit' });
  const dtFmt = new Intl.DateTimeFormat(locale, {
    ...tz,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
  const duration = (ms: number) => {
    const s = Math.max(0, Math.round(ms / 1000));
    const h = Math.floor(s / 3600);
    const m = Math.floor((s % 3600) / 60);
    const ss = s % 60;
    const p = (n: number) => String(n).padStart(2, '0');
    return h > 0 ? `${h}:${p(m)}:${p(ss)}` : `${p(m)}:${p(ss)}`;
  };
  const catalog = new MessageCatalog(labels ?? {}, { formatTime: (ms) => dtFmt.format(ms), name: (what, id) => placeNames(what, id) });
  // "any procedure's" lookups: field / value / flag labels by their last segment
  const bySuffix = new Map<string, string>();
  for (const key of Object.keys(catalog.labels)) {
    const m = /^[^.]+\.(field|value|flag)\.(.+)$/.exec(key);
    if (m && !bySuffix.has(`${m[1]}.${m[2]}`)) bySuffix.set(`${m[1]}.${m[2]}`, key);
  }
  const scoped = (table: string, name: string, kind: string | undefined, local: Record<string, Label>) => {
    const key = catalog.first(...(kind ? [`${kind}.${table}.${name}`] : []), `engine.${table}.${name}`) ?? bySuffix.get(`${table}.${name}`);
    return key ? catalog.label(key, locale) : lookup(local, name, i);
  };
  const api: I18n = {
    locale,
    t: (key, params) => translate(locale, key, params),
    msg: (m) => catalog.render(m, locale),
    kind: (k) => (catalog.has(`${k}.kind`) ? catalog.label(`${k}.kind`, locale) : k),
    proc: (kind, category, key) => {
      const k = catalog.first(`${kind}.${category}.${key}`, `engine.${category}.${key}`);
      return k ? catalog.label(k, locale) : key;
    },
    role: (r) => lookup(ROLE_LABELS, r, i),
    cls: (c) => lookup(CLASS_LABELS, c, i),
    online: (s) => lookup(ONLINE_LABELS, s, i),
    metric: (m) => lookup(METRIC_LABELS, m, i),
    event: (type) => lookup(EVENT_LABELS, type, i),
    metricValue: (v) =>
      typeof v === 'boolean'
        ? translate(locale, v ? 'common.yes' : 'common.no')
        : typeof v === 'string'
          ? lookup(METRIC_VALUE_LABELS, v, i)
          : String(v),
    field: (name, kind) => scoped('field', name, kind, FIELD_LABELS),
    enumValue: (v, kind) => (typeof v === 'string' ? scoped('value', v, kind, ENUM_LABELS) : String(v)),
    flag: (code, kind) => scoped('flag', code, kind, ENUM_LABELS),
    timeline: (kind, item) => {
      const line = catalog.timelineText(kind, item, locale);
      const ok = item.data.ok;
      const dev = typeof item.data.deviceId === 'string' ? ` · ${placeNames('device', item.data.deviceId) ?? item.data.deviceId}` : '';
      return item.type === 'command_result' && typeof ok === 'boolean'
        ? `${line}:${translate(locale, ok ? 'command.confirmed' : item.data.expired ? 'command.expired' : 'command.failed')}${dev}`
        : line;
    },
    duty: (e) => (e.key === 'legacy' ? legacyBilingual(String(e.params.text ?? ''), locale) : catalog.dutyText(e, locale)),
    time: (ms) => (ms === null || ms === undefined ? '—' : timeFmt.format(ms)),
    dateTime: (ms) => (ms === null || ms === undefined ? '—' : dtFmt.format(ms)),
    duration,
    ago: (ms, now) => (now - ms < 5000 ? translate(locale, 'common.justNow') : translate(locale, 'common.ago', { d: duration(now - ms) })),
    error: (code) =>
      code && Object.hasOwn(UI, `error.${code}`) ? translate(locale, `error.${code}` as UiKey) : translate(locale, 'error.generic'),
    eventDetail: (type, data) => {
      if (!catalog.has(`event_detail.${type}`)) return '';
      const params: Record<string, unknown> = { ...data };
      const ref = (name: string, prefix: string) => {
        const v = data[name];
        if (typeof v === 'string' && catalog.has(`${prefix}.${v}`)) params[name] = { key: `${prefix}.${v}` };
      };
      ref('detector', 'detector');
      ref('doors', 'doors');
      return catalog.render({ key: `event_detail.${type}`, params }, locale);
    },
    building: (id) => placeNames('building', id) ?? id,
    device: (id) => placeNames('device', id) ?? id,
  };
  cache.set(locale, { labels, api });
  return api;
}
