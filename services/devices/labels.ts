// zh-CN / en words of the device-fault procedure (keys `device_fault.*`).
import type { Label } from '../../contracts/messages.js';
import type { FaultAction, FaultState, FaultStep, FaultTimer } from './machine.js';

/**
 * The metrics a telemetry rule may watch (contracts/rules.ts RULE_METRICS), named in both
 * languages: a fault's details never show a raw metric name in the Chinese UI. Units stay Latin.
 */
export const METRIC_LABELS = {
  floor: ['楼层', 'Floor'],
  load_kg: ['载重(kg)', 'Load (kg)'],
  moving: ['运行中', 'Moving'],
  door_open: ['门开', 'Door open'],
  out_of_level: ['非平层', 'Out of level'],
  passengers: ['乘客数', 'Passengers'],
  voltage_v: ['电压(V)', 'Voltage (V)'],
  current_a: ['电流(A)', 'Current (A)'],
  power_kw: ['功率(kW)', 'Power (kW)'],
  frequency_hz: ['频率(Hz)', 'Frequency (Hz)'],
  on_generator: ['发电机供电', 'On generator'],
  zones_in_alarm: ['报警分区数', 'Zones in alarm'],
  zones_in_trouble: ['故障分区数', 'Zones in trouble'],
  calls_waiting: ['等待呼叫数', 'Calls waiting'],
  water_level_cm: ['水位(cm)', 'Water level (cm)'],
  pump_running: ['水泵运行', 'Pump running'],
  leak: ['漏水', 'Leak'],
} as const satisfies Record<string, Label>;

const METRIC_VALUES = Object.fromEntries(Object.entries(METRIC_LABELS).map(([k, v]) => [`metric_${k}`, v])) as {
  [K in keyof typeof METRIC_LABELS as `metric_${K}`]: (typeof METRIC_LABELS)[K];
};

export const labels = {
  kind: ['设备故障', 'Device fault'],
  title: ['设备故障 · {device} · {cause}[? · {zone}区][? · {rule}]', 'Device fault · {device} · {cause}[? · zone {zone}][? · {rule}]'],
  states: {
    open: ['待处理', 'Open'],
    acknowledged: ['已接收', 'Acknowledged'],
    recovered: ['已恢复 · 建议结案', 'Recovered · close suggested'],
    closed: ['已结案', 'Closed'],
  } satisfies Record<FaultState, Label>,
  steps: {
    acknowledge: ['接收', 'Acknowledge'],
    dispatch_maintenance: ['派维保/工程', 'Dispatch maintenance'],
    resolve: ['处理结果', 'Resolution'],
  } satisfies Record<FaultStep, Label>,
  actions: {
    acknowledge: ['接收', 'Acknowledge'],
    dispatch_maintenance: ['派维保', 'Dispatch maintenance'],
    rule_cleared: ['遥测恢复正常', 'Telemetry back within limits'],
    close: ['结案', 'Close'],
  } satisfies Record<FaultAction, Label>,
  timers: {
    settle: ['自行恢复后观察期', 'Recovered: watching before closing'],
  } satisfies Record<FaultTimer, Label>,
  reasons: {
    acknowledged: ['已接收', 'acknowledged'],
    recovered_itself: ['设备已自行恢复', 'device recovered by itself'],
    fault_back: ['故障再次出现', 'fault came back'],
    back_online: ['设备已重新上线', 'device back online'],
    panel_reset: ['报警主机已复位', 'panel reset'],
    auto_closed: ['自动结案:{why}', 'auto-closed: {why}'],
    link_again: ['设备再次{state}', 'device {state} again'],
    event_again: ['再次收到{event}', '{event} again'],
    signalled_again: ['再次报告故障', 'fault signalled again'],
    elevator_normal: ['电梯恢复正常运行', 'car back to normal operation'],
    rule_cleared: ['遥测值已回到限值以内(含回差)', 'telemetry back inside the limits (by the hysteresis margin)'],
    rule_again: ['遥测再次越限', 'telemetry rule breached again'],
    recovered_unattended: [
      '设备已自行恢复并稳定{minutes}分钟,无人接收:自动结案(记录保留)',
      'recovered by itself and stable for {minutes} min, never acknowledged: closed automatically (record kept)',
    ],
  },
  errors: {
    acknowledge_first: ['请先接收该故障', 'acknowledge the fault first'],
    not_fault_event: ['{event}不会触发设备故障', '{event} does not open a device fault'],
    cannot_open: ['设备故障只能由设备信号、连接状态或人工报告触发', 'a device fault opens from a device, its link state or a person'],
  },
  notify: {
    fault_recovered: ['设备已恢复,建议结案', 'Device recovered: close suggested'],
  },
  flags: {},
  escalations: {},
  duty: {},
  fields: {
    party: ['对象', 'Party'],
    person: ['人员', 'Person'],
    reference: ['编号/回执', 'Reference'],
    resolution: ['处理结果', 'Resolution'],
    deviceId: ['设备', 'Device'],
    description: ['情况描述', 'Description'],
  },
  values: {
    offline: ['离线', 'Offline'],
    flapping: ['频繁掉线', 'Flapping connection'],
    silent: ['静默(超过心跳时间无数据)', 'Silent (nothing within its heartbeat)'],
    elevator_fault: ['电梯故障', 'Elevator fault'],
    out_of_service: ['电梯停用', 'Elevator out of service'],
    trouble: ['故障信号', 'Trouble signal'],
    supervisory: ['监管信号', 'Supervisory signal'],
    manual: ['人工报告', 'Reported by staff'],
    rule: ['遥测越限', 'Telemetry rule breached'],
    // telemetry rule facts (PROCEDURES.md "Device health"): the limit and the values, per metric
    limit_gt: ['{metric} > {threshold}', '{metric} > {threshold}'],
    limit_gte: ['{metric} ≥ {threshold}', '{metric} ≥ {threshold}'],
    limit_lt: ['{metric} < {threshold}', '{metric} < {threshold}'],
    limit_lte: ['{metric} ≤ {threshold}', '{metric} ≤ {threshold}'],
    limit_outside: ['{metric} 超出 {low}–{high}', '{metric} outside {low}–{high}'],
    limit_for: ['{limit},持续 {seconds} 秒(回差 {hysteresis})', '{limit} for {seconds} s (hysteresis {hysteresis})'],
    severity_low: ['低', 'Low'],
    severity_medium: ['中', 'Medium'],
    severity_high: ['高', 'High'],
    ...METRIC_VALUES,
    close_suggested: ['设备已恢复,建议结案', 'device recovered, close suggested'],
    contractor: ['维保单位', 'Contractor'],
    engineering: ['工程部', 'Engineering'],
    vendor: ['厂家', 'Vendor'],
  },
  facts: {
    description: ['情况描述', 'Description'],
    cause: ['原因', 'Cause'],
    rule: ['遥测规则', 'Telemetry rule'],
    limit: ['限值', 'Limit'],
    rule_severity: ['规则级别', 'Rule severity'],
    breach_value: ['越限时数值', 'Value at breach'],
    cleared_value: ['恢复时数值', 'Value when cleared'],
  },
} as const satisfies {
  kind: Label;
  title: Label;
  [table: string]: Label | Record<string, Label>;
};
