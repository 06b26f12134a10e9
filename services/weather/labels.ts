// zh-CN / en words of the severe-weather procedure (keys `severe_weather.*`), keyed by machine.ts.
import { WORK_ORDER_VALUE_LABELS } from '../../contracts/labels.js';
import type { Label } from '../../contracts/messages.js';
import type { WeatherAction, WeatherState, WeatherStep, WeatherTimer } from './machine.js';

export const labels = {
  kind: ['特殊天气', 'Severe weather'],
  title: ['特殊天气[? · {type}][? · {level}预警]', 'Severe weather[? · {type}][? · {level} warning]'],
  states: {
    active: ['预警中', 'Warning in force'],
    inspection: ['解除 · 巡查中', 'All clear · inspection'],
    closed: ['已结案', 'Closed'],
  } satisfies Record<WeatherState, Label>,
  steps: {
    sandbags: ['车库坡道放置沙袋', 'Sandbags at the garage ramps'],
    drains_pumps: ['检查排水沟与集水井水泵', 'Drains and sump pumps checked'],
    outdoor_secured: ['加固/收起室外物品', 'Outdoor objects secured'],
    patrols_doubled: ['加强巡查(加倍)', 'Patrols doubled'],
    residents_notified: ['通知住户', 'Residents notified'],
    all_clear: ['主管宣布解除', 'Supervisor declares the all-clear'],
    inspection_round: ['解除后巡查(发现问题开维修工单)', 'Inspection round (findings become repair orders)'],
  } satisfies Record<WeatherStep, Label>,
  actions: {
    record_check: ['记录检查项', 'Record a checklist item'],
    change_level: ['变更预警级别', 'Change the level'],
    declare_all_clear: ['宣布解除', 'Declare all clear'],
    record_inspection: ['记录巡查结果', 'Record the inspection'],
    close: ['结案', 'Close'],
  } satisfies Record<WeatherAction, Label>,
  timers: {
    checklist: ['防范措施完成时限(2小时)', 'Preparations done within (2 h)'],
    window_end: ['预警时段结束', 'Warning window ends'],
  } satisfies Record<WeatherTimer, Label>,
  reasons: {
    all_clear: ['已宣布解除,开始巡查', 'all clear: inspection round'],
    complete: ['特殊天气处置完毕', 'severe weather closed'],
  },
  errors: {
    already_checked: ['该项已记录', 'that item is already recorded'],
    same_level: ['级别没有变化', 'the level is unchanged'],
    finding_not_covered: ['{location}所在楼栋不在本次预警范围内', 'the building of {location} is not covered by this warning'],
    window_order: ['预警结束时间须晚于开始时间', 'the warning must end after it starts'],
    cannot_open: ['特殊天气由主管宣布', 'a supervisor declares severe weather'],
  },
  notify: {
    level_changed: ['预警级别变更为{level}', 'Warning level now {level}'],
    inspection_due: ['预警解除,请安排巡查', 'All clear: run the inspection round'],
    window_ended: ['预警时段已过,请宣布解除或延长', 'Warning window passed: declare all clear or extend'],
  },
  flags: {},
  escalations: {
    checklist_overdue: ['防范措施超时未完成', 'Preparations not done in time'],
  },
  duty: {
    level_changed: ['【{kind}】{title} 级别由{was}变更为{level}', '[{kind}] {title} level {was} → {level}'],
    all_clear: ['【{kind}】{title} 宣布解除', '[{kind}] {title} all clear'],
    inspected: ['【{kind}】{title} 巡查完成,发现 {findings} 处问题', '[{kind}] {title} inspected: {findings} finding(s)'],
  },
  fields: {
    type: ['天气类型', 'Weather'],
    level: ['预警级别', 'Level'],
    buildingIds: ['影响楼栋(空 = 全小区)', 'Buildings (none = the whole site)'],
    from: ['开始时间', 'From'],
    until: ['结束时间', 'Until'],
    item: ['检查项', 'Item'],
    findings: ['巡查发现', 'Findings'],
    location: ['位置', 'Location'],
    issue: ['问题', 'Issue'],
    orderRef: ['已有的维修工单号(填写则不再新开)', 'Existing work order no. (none opened when given)'],
    category: ['维修类别', 'Repair category'],
    building: ['楼栋(不填 = 预警所在楼栋)', 'Building (none = the warning’s own)'],
    notes: ['备注', 'Notes'],
  },
  values: {
    typhoon: ['台风', 'Typhoon'],
    rainstorm: ['暴雨', 'Rainstorm'],
    cold_wave: ['寒潮', 'Cold wave'],
    blue: ['蓝色', 'blue'],
    yellow: ['黄色', 'yellow'],
    orange: ['橙色', 'orange'],
    red: ['红色', 'red'],
    sandbags: ['车库坡道沙袋', 'sandbags'],
    drains_pumps: ['排水沟与水泵', 'drains and pumps'],
    outdoor_secured: ['室外物品', 'outdoor objects'],
    patrols_doubled: ['加强巡查', 'patrols doubled'],
    residents_notified: ['通知住户', 'residents notified'],
    // the work orders a storm's damage opens: their categories (and areas)
    ...WORK_ORDER_VALUE_LABELS,
    other: ['其他', 'Other'],
  },
  facts: {
    level: ['预警级别', 'Level'],
    buildings: ['影响楼栋', 'Buildings'],
    window: ['预警时段', 'Window'],
    window_value: ['{from}[? 至 {until}]', '{from}[? to {until}]'],
    findings: ['巡查发现', 'Findings'],
    finding: ['{location}:{issue}[?(工单 {orderRef})]', '{location}: {issue}[? (order {orderRef})]'],
  },
} as const satisfies {
  kind: Label;
  title: Label;
  [table: string]: Label | Record<string, Label>;
};
