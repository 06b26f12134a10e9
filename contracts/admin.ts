// HTTP shapes of the administration API (CONTRACT.md "Administration"; issue 8 "Put a real
// estate into service"): sites, buildings, units and their CSV import, staff accounts,
// contacts, settings. Every change is audited (AuditLog, before/after) by services/admin/.
import { z } from 'zod';
import { Id, Role } from './domain.js';
import { bi } from './records.js';

const Name = z.string().trim().min(1).max(120);
const Address = z.string().trim().max(300);
/** Building floors: a top floor up to 300 (supertall towers), basements down to -10. */
const Floor = z.number().int().min(-10).max(300);

// ---------------------------------------------------------------- sites and buildings

export const SiteBody = z.object({ id: Id, name: Name, address: Address.optional() });
export type SiteBody = z.infer<typeof SiteBody>;
export const SitePatch = z
  .object({ name: Name.optional(), address: Address.optional() })
  .strict()
  .refine((b) => Object.keys(b).length > 0, bi('没有要修改的内容', 'nothing to change'));
export type SitePatch = z.infer<typeof SitePatch>;
export const SiteView = z.object({
  id: z.string(),
  name: z.string(),
  address: z.string(),
  buildings: z.number(),
  createdAt: z.number(),
});
export type SiteView = z.infer<typeof SiteView>;

export const BuildingBody = z.object({
  id: Id,
  site: Id,
  name: Name,
  /** the top floor (floors are numbered 1..floors above ground) */
  floors: z.number().int().min(1).max(300),
  /** lowest floor with units or devices: 1, or a basement (-1, -2 …) */
  lowestFloor: Floor.optional(),
  /** where elevators are recalled to in a fire (PROCEDURES.md §2.5); default 1 */
  lobbyFloor: Floor.optional(),
  /** told to 119 (seed 000 §2.1.2.5) */
  address: Address.optional(),
});
export type BuildingBody = z.infer<typeof BuildingBody>;
export const BuildingPatch = z
  .object({
    name: Name.optional(),
    floors: z.number().int().min(1).max(300).optional(),
    lowestFloor: Floor.optional(),
    lobbyFloor: Floor.optional(),
    address: Address.optional(),
  })
  .strict()
  .refine((b) => Object.keys(b).length > 0, bi('没有要修改的内容', 'nothing to change'));
export type BuildingPatch = z.infer<typeof BuildingPatch>;
export const BuildingQuery = z.object({ site: Id.optional() });
export const BuildingView = z.object({
  id: z.string(),
  site: z.string(),
  siteName: z.string(),
  name: z.string(),
  floors: z.number(),
  lowestFloor: z.number(),
  lobbyFloor: z.number(),
  address: z.string(),
  units: z.number(),
  devices: z.number(),
  createdAt: z.number(),
});
export type BuildingView = z.infer<typeof BuildingView>;

// ---------------------------------------------------------------- units and owners 业主资料

/** The CSV columns, in this order (CONTRACT.md "Administration"). */
export const UNIT_CSV_COLUMNS = ['building', 'number', 'floor', 'ownerName', 'ownerPhone', 'altContact'] as const;
export type UnitCsvColumn = (typeof UNIT_CSV_COLUMNS)[number];

export const UnitBody = z.object({
  building: Id,
  number: z.string().trim().min(1).max(32),
  floor: Floor,
  ownerName: z.string().trim().min(1).max(64),
  /** stored as given; validated as a mainland mobile or landline number (services/admin/phone.ts) */
  ownerPhone: z.string().trim().min(1).max(32),
  altContact: z.string().trim().max(200).optional(),
});
export type UnitBody = z.infer<typeof UnitBody>;
/** What a write returns: owner data masked like everywhere but the audited read path. */
export const UnitWriteView = z.object({
  id: z.string(),
  building: z.string(),
  number: z.string(),
  floor: z.number(),
  ownerName: z.string(),
  ownerPhone: z.string(),
  created: z.boolean(),
});
export type UnitWriteView = z.infer<typeof UnitWriteView>;

export const IMPORT_ENCODINGS = ['auto', 'utf-8', 'gb18030'] as const;
export const ImportQuery = z.object({
  /** default true: a dry run writes nothing (the safe default for a file nobody has checked) */
  dryRun: z
    .enum(['true', 'false'])
    .default('true')
    .transform((v) => v === 'true'),
  /** auto: UTF-8 (with or without BOM) when the bytes are valid UTF-8, else GB18030 (Excel on Chinese Windows) */
  encoding: z.enum(IMPORT_ENCODINGS).default('auto'),
});
export type ImportQuery = z.infer<typeof ImportQuery>;

/** Why a row (or the file) was refused; the dashboard labels each code (dashboard/src/i18n/admin.ts). */
export const IMPORT_ERROR_CODES = [
  'encoding',
  'csv',
  'header',
  'empty',
  'too_many_rows',
  'missing',
  'too_long',
  'unknown_building',
  'out_of_scope',
  'duplicate',
  'floor',
  'phone',
] as const;
export type ImportErrorCode = (typeof IMPORT_ERROR_CODES)[number];
export const ImportError = z.object({
  /** 1-based line in the file (the header is line 1); 0 for the file as a whole */
  line: z.number(),
  /** the column (UNIT_CSV_COLUMNS) or "" for the whole row / file */
  field: z.string(),
  code: z.enum(IMPORT_ERROR_CODES),
  /** zh-CN / en */
  message: z.string(),
});
export type ImportError = z.infer<typeof ImportError>;
export const ImportResult = z.object({
  dryRun: z.boolean(),
  encoding: z.enum(['utf-8', 'gb18030']),
  rows: z.number(),
  created: z.number(),
  updated: z.number(),
  /** rows identical to what is stored (re-importing the same file changes nothing) */
  unchanged: z.number(),
  errors: z.array(ImportError),
  ms: z.number(),
});
export type ImportResult = z.infer<typeof ImportResult>;

// ---------------------------------------------------------------- staff accounts

/** ASCII login names (pinyin, employee numbers, e-mail addresses), lower case so "Admin" ≠ "admin" never confuses. */
export const Username = z
  .string()
  .trim()
  .regex(
    /^[a-z0-9][a-z0-9._@-]{1,63}$/,
    bi('用户名为 2–64 位小写字母、数字或 . _ @ -', 'username: 2–64 lowercase letters, digits or . _ @ -'),
  );
export const PASSWORD_MIN = 10;
/** Length and bound only here; "must not contain the username" needs both (services/admin/users.ts). */
export const Password = z
  .string()
  .min(PASSWORD_MIN, bi(`密码至少 ${PASSWORD_MIN} 位`, `password must be at least ${PASSWORD_MIN} characters`))
  .max(256);
const Scope = z.array(Id).max(500);

export const UserCreateBody = z.object({
  username: Username,
  displayName: z.string().trim().min(1).max(64),
  role: Role,
  /** omitted → a password is generated and returned once */
  password: Password.optional(),
  /** building scope; omitted or [] = every building */
  buildings: Scope.optional(),
});
export type UserCreateBody = z.infer<typeof UserCreateBody>;
export const UserCreated = z.object({ id: z.string(), password: z.string().optional() });
export const UserPatch = z
  .object({
    role: Role.optional(),
    displayName: z.string().trim().min(1).max(64).optional(),
    disabled: z.boolean().optional(),
    buildings: Scope.optional(),
  })
  .strict()
  .refine((b) => Object.keys(b).length > 0, bi('没有要修改的内容', 'nothing to change'));
export type UserPatch = z.infer<typeof UserPatch>;
export const UserView = z.object({
  id: z.string(),
  username: z.string(),
  displayName: z.string(),
  role: Role,
  disabled: z.boolean(),
  buildings: z.array(z.string()),
  createdAt: z.number(),
  passwordChangedAt: z.number().nullable(),
});
export type UserView = z.infer<typeof UserView>;
export const PasswordResetBody = z.object({ password: Password.optional() });
export const PasswordResetResult = z.object({ id: z.string(), password: z.string().optional() });
export const OwnPasswordBody = z.object({ oldPassword: z.string().min(1).max(256), newPassword: Password });

// ---------------------------------------------------------------- contacts 通讯录

export const CONTACT_KINDS = ['elevator_maintenance', 'utility', 'security', 'engineering', 'medical', 'other'] as const;
export const ContactKind = z.enum(CONTACT_KINDS);
export type ContactKind = z.infer<typeof ContactKind>;
const Phone = z.string().trim().min(1).max(32);
export const ContactBody = z.object({
  name: Name,
  kind: ContactKind,
  phone: Phone,
  /** the 24 h duty line (elevator maintenance companies must keep one: TSG T5002) */
  phone24h: Phone.optional(),
  notes: z.string().trim().max(1000).optional(),
  /** buildings served; [] = every building (e.g. the city's power utility) */
  buildings: Scope,
});
export type ContactBody = z.infer<typeof ContactBody>;
export const ContactPatch = z
  .object({
    name: Name.optional(),
    kind: ContactKind.optional(),
    phone: Phone.optional(),
    phone24h: z.string().trim().max(32).optional(),
    notes: z.string().trim().max(1000).optional(),
    buildings: Scope.optional(),
    enabled: z.boolean().optional(),
  })
  .strict()
  .refine((b) => Object.keys(b).length > 0, bi('没有要修改的内容', 'nothing to change'));
export type ContactPatch = z.infer<typeof ContactPatch>;
export const ContactQuery = z.object({
  building: Id.optional(),
  kind: ContactKind.optional(),
  /** include disabled contacts (the admin screen); default only the usable ones */
  all: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true'),
});
export const ContactView = z.object({
  id: z.string(),
  name: z.string(),
  kind: ContactKind,
  phone: z.string(),
  phone24h: z.string(),
  notes: z.string(),
  buildings: z.array(z.string()),
  enabled: z.boolean(),
  createdAt: z.number(),
  updatedAt: z.number(),
});
export type ContactView = z.infer<typeof ContactView>;

// ---------------------------------------------------------------- settings 参数设置

export type SettingUnit = 's' | 'min' | 'h' | 'workdays' | 'count' | 'bool';

/**
 * One admin-editable setting. `group` is an incident kind (the procedure's targets), or
 * `device_link` / `heartbeat`. For procedure groups, `config` is the key of the machine's zod
 * config (services/<domain>/machine.ts) and `factor` converts the shown unit to it (ms per
 * unit); the default is the machine's own default (one source of truth), so it is not here.
 */
export interface SettingDef {
  key: string;
  group: string;
  unit: SettingUnit;
  min: number;
  max: number;
  config?: string;
  factor?: number;
}

const S = 1000;
const M = 60_000;
/** Every timer and target an admin may change (PROCEDURES.md: "defaults an admin can change"). */
export const SETTING_DEFS: readonly SettingDef[] = [
  // 1. entrapment 电梯困人 (seed 000 §2.8.8; ASME A17.1 §2.27.1.1)
  { key: 'elevator_entrapment.ackSeconds', group: 'elevator_entrapment', unit: 's', min: 5, max: 600, config: 'ackMs', factor: S },
  {
    key: 'elevator_entrapment.contractorArrivalMinutes',
    group: 'elevator_entrapment',
    unit: 'min',
    min: 5,
    max: 240,
    config: 'contractorArrivalMs',
    factor: M,
  },
  {
    key: 'elevator_entrapment.recontactMinutes',
    group: 'elevator_entrapment',
    unit: 'min',
    min: 1,
    max: 60,
    config: 'recontactMs',
    factor: M,
  },
  {
    key: 'elevator_entrapment.followupWorkingDays',
    group: 'elevator_entrapment',
    unit: 'workdays',
    min: 1,
    max: 10,
    config: 'followupWorkingDays',
    factor: 1,
  },
  // 2. fire alarm 火警 (NFPA 72 positive alarm sequence)
  { key: 'fire_alarm.ackSeconds', group: 'fire_alarm', unit: 's', min: 5, max: 300, config: 'ackMs', factor: S },
  { key: 'fire_alarm.verifySeconds', group: 'fire_alarm', unit: 's', min: 30, max: 900, config: 'verifyMs', factor: S },
  { key: 'fire_alarm.recallConfirmSeconds', group: 'fire_alarm', unit: 's', min: 10, max: 600, config: 'recallConfirmMs', factor: S },
  { key: 'fire_alarm.recallExpirySeconds', group: 'fire_alarm', unit: 's', min: 10, max: 600, config: 'recallExpiryMs', factor: S },
  { key: 'fire_alarm.approval119Seconds', group: 'fire_alarm', unit: 's', min: 10, max: 600, config: 'approval119Ms', factor: S },
  // 3. power outage 停电 (seed 000 §2.1.5)
  { key: 'power_outage.generatorSeconds', group: 'power_outage', unit: 's', min: 1, max: 120, config: 'standbyMs', factor: S },
  { key: 'power_outage.lobbyReturnSeconds', group: 'power_outage', unit: 's', min: 10, max: 600, config: 'lobbyReturnMs', factor: S },
  { key: 'power_outage.recallExpirySeconds', group: 'power_outage', unit: 's', min: 10, max: 600, config: 'recallExpiryMs', factor: S },
  // the sweep ignores a car's telemetry older than this (services/power/context.ts)
  { key: 'power_outage.sweepStaleSeconds', group: 'power_outage', unit: 's', min: 10, max: 3600, config: 'sweepStaleMs', factor: S },
  // 4. visitors 访客 (seed 001 §一, seed 002 §3.1.2)
  {
    key: 'visitor_approval.ownerAnswerSeconds',
    group: 'visitor_approval',
    unit: 's',
    min: 10,
    max: 600,
    config: 'ownerAnswerMs',
    factor: S,
  },
  {
    key: 'visitor_approval.registrationTargetSeconds',
    group: 'visitor_approval',
    unit: 's',
    min: 10,
    max: 600,
    config: 'registrationTargetMs',
    factor: S,
  },
  // CONTRACT.md cmd/unlock {seconds}: 1..60
  { key: 'visitor_approval.unlockSeconds', group: 'visitor_approval', unit: 's', min: 1, max: 60, config: 'unlockSeconds', factor: 1 },
  {
    key: 'visitor_approval.unlockExpirySeconds',
    group: 'visitor_approval',
    unit: 's',
    min: 2,
    max: 120,
    config: 'unlockExpiryMs',
    factor: S,
  },
  {
    key: 'visitor_approval.unlockConfirmSeconds',
    group: 'visitor_approval',
    unit: 's',
    min: 5,
    max: 300,
    config: 'unlockConfirmMs',
    factor: S,
  },
  {
    key: 'visitor_approval.defaultPlannedMinutes',
    group: 'visitor_approval',
    unit: 'min',
    min: 5,
    max: 1440,
    config: 'defaultPlannedMinutes',
    factor: 1,
  },
  {
    key: 'visitor_approval.overstayRepeatMinutes',
    group: 'visitor_approval',
    unit: 'min',
    min: 5,
    max: 240,
    config: 'overstayRepeatMs',
    factor: M,
  },
  // 5. water leak 漏水·水浸 (PROCEDURES.md §5; seed 002 §3(三))
  { key: 'water_leak.ackSeconds', group: 'water_leak', unit: 's', min: 10, max: 600, config: 'ackMs', factor: S },
  {
    key: 'water_leak.engineeringArrivalMinutes',
    group: 'water_leak',
    unit: 'min',
    min: 1,
    max: 240,
    config: 'engineeringArrivalMs',
    factor: M,
  },
  { key: 'water_leak.recallConfirmSeconds', group: 'water_leak', unit: 's', min: 10, max: 600, config: 'recallConfirmMs', factor: S },
  { key: 'water_leak.recallExpirySeconds', group: 'water_leak', unit: 's', min: 10, max: 600, config: 'recallExpiryMs', factor: S },
  // 6. accident / medical emergency 意外事件 (PROCEDURES.md §6; seed 000 §2.8.2)
  { key: 'medical_emergency.ackSeconds', group: 'medical_emergency', unit: 's', min: 5, max: 600, config: 'ackMs', factor: S },
  { key: 'medical_emergency.call120Minutes', group: 'medical_emergency', unit: 'min', min: 1, max: 60, config: 'call120Ms', factor: M },
  {
    key: 'medical_emergency.holdConfirmSeconds',
    group: 'medical_emergency',
    unit: 's',
    min: 10,
    max: 600,
    config: 'holdConfirmMs',
    factor: S,
  },
  {
    key: 'medical_emergency.holdExpirySeconds',
    group: 'medical_emergency',
    unit: 's',
    min: 10,
    max: 600,
    config: 'holdExpiryMs',
    factor: S,
  },
  {
    key: 'medical_emergency.followupWorkingDays',
    group: 'medical_emergency',
    unit: 'workdays',
    min: 1,
    max: 10,
    config: 'followupWorkingDays',
    factor: 1,
  },
  // 7. severe weather 特殊天气 (PROCEDURES.md §7; seed 004 §5.2–5.4)
  { key: 'severe_weather.checklistMinutes', group: 'severe_weather', unit: 'min', min: 10, max: 1440, config: 'checklistMs', factor: M },
  // device faults 设备故障 (PROCEDURES.md "Device offline")
  {
    key: 'device_fault.reopenSuppressSeconds',
    group: 'device_fault',
    unit: 's',
    min: 0,
    max: 3600,
    config: 'reopenSuppressMs',
    factor: S,
  },
  { key: 'device_fault.autoCloseOnRecovery', group: 'device_fault', unit: 'bool', min: 0, max: 1, config: 'autoCloseOnRecovery' },
  {
    key: 'device_fault.settleCloseMinutes',
    group: 'device_fault',
    unit: 'min',
    min: 1,
    max: 1440,
    config: 'settleCloseMs',
    factor: M,
  },
  // a device fault opens (or adds to) a repair work order for its device (PROCEDURES.md §8)
  { key: 'device_fault.openWorkOrder', group: 'device_fault', unit: 'bool', min: 0, max: 1, config: 'openWorkOrder' },
  // the longest snooze (静音) of one fault (issue 14; services/core/procedure/snooze.ts)
  {
    key: 'device_fault.snoozeMaxMinutes',
    group: 'device_fault',
    unit: 'min',
    min: 5,
    max: 1440,
    config: 'snoozeMaxMs',
    factor: M,
  },
  // 8. repair work orders 报修 (seed 002 §3.3 time-limit table: 24 h response, 48 h done; seed 001 §五.2 回访)
  { key: 'repair.responseHours', group: 'repair', unit: 'h', min: 1, max: 168, config: 'responseMs', factor: 3_600_000 },
  { key: 'repair.completionHours', group: 'repair', unit: 'h', min: 1, max: 720, config: 'completionMs', factor: 3_600_000 },
  { key: 'repair.followupWorkingDays', group: 'repair', unit: 'workdays', min: 1, max: 10, config: 'followupWorkingDays', factor: 1 },
  // 9. complaints 投诉 (seed 001 §四.4: reply 2 h, next reply agreed · seed 002 §3(二): 24 h response, 72 h solution)
  { key: 'complaint.replyHours', group: 'complaint', unit: 'h', min: 1, max: 24, config: 'replyMs', factor: 3_600_000 },
  { key: 'complaint.nextReplyRepeatMinutes', group: 'complaint', unit: 'min', min: 10, max: 1440, config: 'nextReplyRepeatMs', factor: M },
  { key: 'complaint.responseHours', group: 'complaint', unit: 'h', min: 1, max: 168, config: 'responseMs', factor: 3_600_000 },
  { key: 'complaint.solutionHours', group: 'complaint', unit: 'h', min: 1, max: 720, config: 'solutionMs', factor: 3_600_000 },
  { key: 'complaint.followupWorkingDays', group: 'complaint', unit: 'workdays', min: 1, max: 10, config: 'followupWorkingDays', factor: 1 },
  // offline debounce / flapping (services/devices/machine.ts LinkPolicy)
  { key: 'device_link.offlineDebounceSeconds', group: 'device_link', unit: 's', min: 5, max: 600 },
  { key: 'device_link.flapThreshold', group: 'device_link', unit: 'count', min: 2, max: 50 },
  { key: 'device_link.flapWindowMinutes', group: 'device_link', unit: 'min', min: 1, max: 120 },
  // heartbeat per class (PROCEDURES.md "Device health"): silent this long → device fault
  { key: 'heartbeat.fire-panel', group: 'heartbeat', unit: 's', min: 10, max: 3600 },
  { key: 'heartbeat.elevator', group: 'heartbeat', unit: 's', min: 10, max: 3600 },
  { key: 'heartbeat.power', group: 'heartbeat', unit: 's', min: 10, max: 3600 },
  { key: 'heartbeat.intercom', group: 'heartbeat', unit: 's', min: 10, max: 3600 },
  { key: 'heartbeat.water', group: 'heartbeat', unit: 's', min: 10, max: 3600 },
  // shifts 班次 (PROCEDURES.md "Shifts, duty log, handover"): when the hub reminds, and how often again
  { key: 'shifts.handoverReminderMinutes', group: 'shifts', unit: 'min', min: 1, max: 240 },
  { key: 'shifts.unsignedLogReminderMinutes', group: 'shifts', unit: 'min', min: 10, max: 10080 },
  { key: 'shifts.reminderRepeatMinutes', group: 'shifts', unit: 'min', min: 5, max: 1440 },
];

/** Defaults of the settings that are not machine config (PROCEDURES.md "Device health"). */
export const NON_PROCEDURE_DEFAULTS: Record<string, number> = {
  'device_link.offlineDebounceSeconds': 30,
  'device_link.flapThreshold': 5,
  'device_link.flapWindowMinutes': 10,
  'heartbeat.fire-panel': 60,
  'heartbeat.elevator': 60,
  'heartbeat.power': 30,
  'heartbeat.intercom': 300,
  'heartbeat.water': 300,
  // seed 004 篇3 §1.2: the outgoing operator may not leave before the handover; 15 min late is worth a nudge
  'shifts.handoverReminderMinutes': 15,
  // a supervisor signs each shift's log (seed 004 篇3 §2.3 "每天由领班负责审阅签名"): within the next day
  'shifts.unsignedLogReminderMinutes': 24 * 60,
  'shifts.reminderRepeatMinutes': 60,
};

/** A real calendar day, YYYY-MM-DD. */
export const CalendarDay = z.iso.date(bi('日期格式为 YYYY-MM-DD', 'a day is YYYY-MM-DD'));
export const Calendar = z
  .object({
    /** public holidays 法定节假日 (not working days even on a weekday) */
    holidays: z.array(CalendarDay).max(400),
    /** 调休 make-up working days (a Saturday or Sunday that is worked) */
    workdays: z.array(CalendarDay).max(100),
  })
  .superRefine((c, ctx) => {
    const h = new Set(c.holidays);
    if (h.size !== c.holidays.length)
      ctx.addIssue({ code: 'custom', path: ['holidays'], message: bi('节假日有重复', 'a holiday is listed twice') });
    const w = new Set(c.workdays);
    if (w.size !== c.workdays.length)
      ctx.addIssue({ code: 'custom', path: ['workdays'], message: bi('调休日有重复', 'a make-up day is listed twice') });
    for (const d of c.workdays) {
      if (h.has(d))
        ctx.addIssue({
          code: 'custom',
          path: ['workdays'],
          message: bi(`${d} 不能既是节假日又是调休日`, `${d} is both a holiday and a make-up day`),
        });
      const dow = new Date(`${d}T00:00:00Z`).getUTCDay();
      if (dow !== 0 && dow !== 6)
        ctx.addIssue({
          code: 'custom',
          path: ['workdays'],
          message: bi(`${d} 不是周末,无需调休`, `${d} is not a weekend day (a make-up day is a worked weekend)`),
        });
    }
  });
export type Calendar = z.infer<typeof Calendar>;

export const SettingValue = z.union([z.number(), z.boolean()]);
export const SettingView = z.object({
  key: z.string(),
  group: z.string(),
  unit: z.enum(['s', 'min', 'h', 'workdays', 'count', 'bool']),
  min: z.number(),
  max: z.number(),
  default: SettingValue,
  value: SettingValue,
  /** null while at the default */
  updatedAt: z.number().nullable(),
  updatedBy: z.string().nullable(),
  updatedByName: z.string().nullable(),
});
export type SettingView = z.infer<typeof SettingView>;
export const SettingsView = z.object({
  settings: z.array(SettingView),
  calendar: Calendar.and(
    z.object({ updatedAt: z.number().nullable(), updatedBy: z.string().nullable(), updatedByName: z.string().nullable() }),
  ),
});
export type SettingsView = z.infer<typeof SettingsView>;

/** One value per key (number or boolean per its unit), null = back to the default. */
export const SettingsPatch = z
  .object({
    values: z
      .object(
        Object.fromEntries(
          SETTING_DEFS.map((d) => [
            d.key,
            (d.unit === 'bool'
              ? z.boolean()
              : z
                  .number()
                  .int()
                  .min(d.min, bi(`${d.key} 不能小于 ${d.min}`, `${d.key} must be ≥ ${d.min}`))
                  .max(d.max, bi(`${d.key} 不能大于 ${d.max}`, `${d.key} must be ≤ ${d.max}`))
            )
              .nullable()
              .optional(),
          ]),
        ),
      )
      .strict()
      .optional(),
    calendar: Calendar.optional(),
  })
  .strict()
  .refine((b) => b.values !== undefined || b.calendar !== undefined, bi('没有要修改的内容', 'nothing to change'));
export type SettingsPatch = z.infer<typeof SettingsPatch>;
