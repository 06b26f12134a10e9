// zh-CN / en labels of the shared vocabulary (contracts/domain.ts, contracts/mqtt.ts): roles,
// device classes, link states, device events and commands. A new device class or event adds
// its labels here, next to its shape. Served to the dashboard with every other label
// (GET /api/procedures) under `role.*`, `class.*`, `online.*`, `event.*`, `event_detail.*`, `detector.*`, `doors.*`, `command.*`.
// No import of contracts/mqtt.ts here (it parses Buffers; the browser bundle imports this
// file): services/core/procedure/labels.ts checks that every event type and command has a label.
import type { DeviceClass, OnlineState, Role } from './domain.js';
import type { Label } from './messages.js';

export const ROLE_LABELS: Record<Role, Label> = {
  operator: ['监控中心值班员', 'Control-room operator'],
  frontdesk: ['客服前台', 'Front desk'],
  supervisor: ['客服主管/值班主任', 'Supervisor'],
  admin: ['系统管理员', 'Administrator'],
};

export const CLASS_LABELS: Record<DeviceClass, Label> = {
  elevator: ['电梯', 'Elevator'],
  'fire-panel': ['消防主机', 'Fire panel'],
  power: ['配电/ATS', 'Power / ATS'],
  intercom: ['门口机', 'Door intercom'],
  water: ['漏水/集水井', 'Water (leak / sump)'],
};

export const ONLINE_LABELS: Record<OnlineState, Label> = {
  online: ['在线', 'Online'],
  offline: ['离线', 'Offline'],
  lost: ['失联', 'Lost'],
};

export const EVENT_LABELS = {
  'elevator.entrapment': ['电梯困人', 'Entrapment'],
  'elevator.alarm_button': ['轿厢报警按钮', 'Car alarm button'],
  'elevator.fault': ['电梯故障', 'Elevator fault'],
  'elevator.normal': ['电梯恢复正常', 'Elevator normal'],
  'elevator.recalled': ['电梯已迫降', 'Car recalled'],
  'elevator.out_of_service': ['电梯停用', 'Out of service'],
  'fire.alarm': ['火警', 'Fire alarm'],
  'fire.supervisory': ['监管信号', 'Supervisory'],
  'fire.trouble': ['故障信号', 'Trouble'],
  'fire.silenced': ['已消音', 'Silenced'],
  'fire.reset': ['控制器复位', 'Panel reset'],
  'power.mains_lost': ['市电中断', 'Mains lost'],
  'power.mains_restored': ['市电恢复', 'Mains restored'],
  'power.ats_transferred': ['ATS 已切换', 'ATS transferred'],
  'power.generator_started': ['发电机启动', 'Generator started'],
  'power.generator_failed': ['发电机故障', 'Generator failed'],
  'intercom.call': ['访客呼叫', 'Visitor call'],
  'intercom.owner_approved': ['业主同意', 'Owner approved'],
  'intercom.owner_denied': ['业主拒绝', 'Owner denied'],
  'intercom.door_opened': ['门已打开', 'Door opened'],
  'intercom.door_closed': ['门已关闭', 'Door closed'],
  'water.leak': ['漏水报警', 'Water leak'],
  'water.cleared': ['漏水解除', 'Leak cleared'],
  'water.pump_failed': ['水泵故障', 'Pump failed'],
  'water.level_high': ['集水井高水位', 'Sump pit level high'],
} as const satisfies Record<string, Label>;

/**
 * One line of what an event says, for the live feed (`event_detail.<type>`; an event without
 * one shows its name only). Parameters are the event's data (contracts/mqtt.ts EVENT_DATA);
 * correlation and call ids are for machines and are not shown.
 */
export const EVENT_DETAIL_LABELS = {
  'elevator.entrapment': ['{car}号梯 · {floor}层[? · {passengers}人]', 'car {car} · {floor}F[? · {passengers} inside]'],
  'elevator.alarm_button': ['{car}号梯 · {floor}层', 'car {car} · {floor}F'],
  'elevator.fault': ['故障代码 {code}', 'fault code {code}'],
  'elevator.normal': ['{floor}层[? · {doors}]', '{floor}F[? · {doors}]'],
  'elevator.recalled': ['停在{floor}层', 'at {floor}F'],
  'fire.alarm': ['{zone}区 · {floor}层 · {detector}', 'zone {zone} · {floor}F · {detector}'],
  'fire.supervisory': ['{zone}区', 'zone {zone}'],
  'fire.trouble': ['{zone}区 · 故障代码 {code}', 'zone {zone} · fault code {code}'],
  'power.mains_lost': ['回路 {feeder}[? · 影响 {floors} 层]', 'feeder {feeder}[? · floors {floors}]'],
  'power.mains_restored': ['回路 {feeder}', 'feeder {feeder}'],
  'intercom.call': ['{unit}室[? · 访客 {visitorName}]', 'unit {unit}[? · visitor {visitorName}]'],
  'intercom.owner_approved': ['{unit}室', 'unit {unit}'],
  'intercom.owner_denied': ['{unit}室', 'unit {unit}'],
} as const satisfies Record<string, Label>;

/** Detector types of a fire alarm (contracts/mqtt.ts `fire.alarm`), per GB 50116 naming. */
export const DETECTOR_LABELS = {
  smoke: ['感烟探测器', 'smoke detector'],
  heat: ['感温探测器', 'heat detector'],
  manual: ['手动报警按钮', 'manual call point'],
} as const satisfies Record<string, Label>;

/** Elevator door positions (`elevator.normal`). */
export const DOOR_LABELS = {
  open: ['门开', 'doors open'],
  closed: ['门关', 'doors closed'],
} as const satisfies Record<string, Label>;

export const COMMAND_LABELS = {
  recall: ['迫降', 'Recall'],
  unlock: ['开门', 'Unlock'],
} as const satisfies Record<string, Label>;

/** The flat catalog entries of this vocabulary. */
/**
 * What a work order repairs (WORK_ORDER_CATEGORIES, seed 002 §3.3.1 "设施维修"), and where (户内 /
 * 公共区域): the repair procedure's own values, and the complaint's too — a complaint opens a work
 * order with the same lists (PROCEDURES.md §9), so both procedures label them from here.
 */
export const WORK_ORDER_VALUE_LABELS = {
  plumbing: ['给排水', 'Plumbing'],
  electrical: ['电气', 'Electrical'],
  elevator: ['电梯', 'Elevator'],
  fire_safety: ['消防设施', 'Fire safety'],
  doors_windows: ['门窗', 'Doors and windows'],
  civil: ['土建', 'Building fabric'],
  hvac: ['空调通风', 'HVAC'],
  intercom: ['门禁对讲', 'Intercom and access'],
  public_facilities: ['公共设施', 'Public facilities'],
  unit: ['户内', 'In a unit'],
  common: ['公共区域', 'Common area'],
} as const satisfies Record<string, Label>;

export function vocabularyLabels(): Record<string, Label> {
  const out: Record<string, Label> = {};
  const add = (prefix: string, t: Record<string, Label>) => {
    for (const [k, v] of Object.entries(t)) out[`${prefix}.${k}`] = v;
  };
  add('role', ROLE_LABELS);
  add('class', CLASS_LABELS);
  add('online', ONLINE_LABELS);
  add('event', EVENT_LABELS);
  add('command', COMMAND_LABELS);
  add('event_detail', EVENT_DETAIL_LABELS);
  add('detector', DETECTOR_LABELS);
  add('doors', DOOR_LABELS);
  return out;
}
