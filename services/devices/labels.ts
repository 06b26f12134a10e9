// zh-CN / en words of the device-fault procedure (keys `device_fault.*`).
import type { Label } from '../../contracts/messages.js';
import type { FaultAction, FaultState, FaultStep, FaultTimer } from './machine.js';

export const labels = {
  kind: ['设备故障', 'Device fault'],
  title: ['设备故障 · {device} · {cause}[? · {zone}区]', 'Device fault · {device} · {cause}[? · zone {zone}]'],
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
    close_suggested: ['设备已恢复,建议结案', 'device recovered, close suggested'],
    contractor: ['维保单位', 'Contractor'],
    engineering: ['工程部', 'Engineering'],
    vendor: ['厂家', 'Vendor'],
  },
  facts: {
    description: ['情况描述', 'Description'],
    cause: ['原因', 'Cause'],
  },
} as const satisfies {
  kind: Label;
  title: Label;
  [table: string]: Label | Record<string, Label>;
};
