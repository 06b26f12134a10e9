// Demo site for the zero-setup start: two buildings, each with elevators, a fire panel, a power
// meter, door intercoms, a sump pit and leak detectors, a few units with owners, one user per role — and credentials kept
// in HUB_DATA_DIR (mode 0600, never in the repo) so every start can print the logins and run
// the simulated fleet with the devices' real secrets.
import fs from 'node:fs/promises';
import path from 'node:path';
import type { DeviceClass, Role } from '../../contracts/domain.js';
import type { ContactBody } from '../../contracts/admin.js';
import { SYSTEM_DEMO } from '../admin/common.js';
import type { TelemetryRuleBody } from '../../contracts/rules.js';
import type { Hub } from './hub.js';

export interface FleetEntry {
  id: string;
  secret: string;
  site: string;
  building: string;
  class: DeviceClass;
  floors?: number[];
  meta?: { feeder?: string; car?: string; role?: string; zone?: string; floor?: number; pit?: string; near?: string };
}

export interface DemoCredentials {
  users: Array<{ username: string; password: string; role: Role; displayName: string }>;
  fleet: FleetEntry[];
}

// Names are what the Chinese UI shows: Chinese only (issue 14); a site that wants English
// names too sets them in the admin screens.
const SITE = { id: 'demo', name: '示范小区', address: '上海市浦东新区示范路 88 号' };
const BUILDINGS = [
  { id: 'demo-a', name: 'A 栋', floors: 18, address: '上海市浦东新区示范路 88 号 A 栋' },
  { id: 'demo-b', name: 'B 栋', floors: 12, address: '上海市浦东新区示范路 88 号 B 栋' },
];
/** names earlier demo versions seeded, renamed on start (a name someone chose is left alone) */
const OLD_NAMES: Record<string, string> = { demo: '示范小区 Demo Estate', 'demo-a': 'A 栋 Tower A', 'demo-b': 'B 栋 Tower B' };
const USERS: Array<{ username: string; role: Role; displayName: string }> = [
  { username: 'operator', role: 'operator', displayName: '监控中心值班员 王敏' },
  { username: 'frontdesk', role: 'frontdesk', displayName: '客服前台 李娜' },
  { username: 'supervisor', role: 'supervisor', displayName: '客服主管 张伟' },
];

function demoDevices(): Array<Omit<FleetEntry, 'secret'> & { name: string }> {
  const out: Array<Omit<FleetEntry, 'secret'> & { name: string }> = [];
  // Device names are zh-CN first: they are what the control room reads on the wall screen.
  for (const b of BUILDINGS) {
    const floors = Array.from({ length: b.floors }, (_, i) => i + 1);
    const tag = b.id.slice(-1);
    for (const car of [1, 2])
      out.push({
        id: `${b.id}-el-${car}`,
        site: SITE.id,
        building: b.id,
        class: 'elevator',
        floors,
        meta: { car: String(car) },
        name: `${tag.toUpperCase()} 栋 ${car} 号梯`,
      });
    out.push({ id: `${b.id}-fp-1`, site: SITE.id, building: b.id, class: 'fire-panel', floors, name: `${tag.toUpperCase()} 栋消防主机` });
    out.push({
      id: `${b.id}-pm-1`,
      site: SITE.id,
      building: b.id,
      class: 'power',
      floors,
      meta: { feeder: `feeder-${tag}` },
      name: `${tag.toUpperCase()} 栋配电/ATS`,
    });
    for (const door of [1, 2])
      out.push({
        id: `${b.id}-ic-${door}`,
        site: SITE.id,
        building: b.id,
        class: 'intercom',
        name: `${tag.toUpperCase()} 栋 ${door} 号门口机`,
      });
    // water (PROCEDURES.md §5): the basement sump pit with its pumps, leak cables in the lift pit
    // and the switch room (`near` tags what the water threatens: §5.3 protects cars and
    // electrics), and one on the riser of an upper floor (owners on that floor and below, §5.4)
    const T = tag.toUpperCase();
    const riser = Math.ceil(b.floors / 2);
    for (const w of [
      { id: 'pit', meta: { role: 'sump', pit: 'b1-sump', zone: 'b1-sump', floor: -1, near: 'pump_room' }, name: `${T} 栋地下集水井` },
      { id: 'lift', meta: { role: 'leak', zone: 'b1-lift-pit', floor: -1, near: 'elevator' }, name: `${T} 栋电梯底坑漏水感应` },
      { id: 'elec', meta: { role: 'leak', zone: 'b1-switch-room', floor: -1, near: 'electrical' }, name: `${T} 栋配电房漏水感应` },
      { id: 'riser', meta: { role: 'leak', zone: `f${riser}-riser`, floor: riser }, name: `${T} 栋 ${riser} 层水管井漏水感应` },
    ])
      out.push({
        id: `${b.id}-wt-${w.id}`,
        site: SITE.id,
        building: b.id,
        class: 'water',
        floors: [w.meta.floor],
        meta: w.meta,
        name: w.name,
      });
  }
  return out;
}

/** Days from `from` to `to` inclusive, YYYY-MM-DD. */
function days(from: string, to: string): string[] {
  const out: string[] = [];
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= Date.parse(`${to}T00:00:00Z`); t += 86_400_000)
    out.push(new Date(t).toISOString().slice(0, 10));
  return out;
}

/**
 * The 2026 public holidays and 调休 make-up working days as published by the State Council
 * (国务院办公厅关于2026年部分节假日安排的通知). Demo data: a real estate enters each year's
 * notice in the settings screen (README "Going live").
 */
export const CALENDAR_2026 = {
  holidays: [
    ...days('2026-01-01', '2026-01-03'), // 元旦
    ...days('2026-02-15', '2026-02-23'), // 春节
    ...days('2026-04-04', '2026-04-06'), // 清明节
    ...days('2026-05-01', '2026-05-05'), // 劳动节
    ...days('2026-06-19', '2026-06-21'), // 端午节
    ...days('2026-09-25', '2026-09-27'), // 中秋节
    ...days('2026-10-01', '2026-10-07'), // 国庆节
  ],
  workdays: ['2026-01-04', '2026-02-14', '2026-02-28', '2026-05-09', '2026-09-20', '2026-10-10'],
};

/** The people the demo's procedures offer to call (PROCEDURES.md §1.3, §3, §6). */
/**
 * The demo's telemetry rule (PROCEDURES.md "Device health": e.g. voltage outside its band for
 * 10 s): the demo switchboards measure the 380 V three-phase supply, whose permitted deviation is
 * ±7 % (GB/T 12325-2008 §4.2, supply of 20 kV and below) → 353–407 V. Hysteresis 3 V: a value
 * wavering on the limit does not flap the fault. The device-health drill trips it (`npm run
 * simulate -- scenario device-health`).
 */
export const DEMO_RULES: TelemetryRuleBody[] = [
  {
    name: '三相电压越限',
    deviceClass: 'power',
    metric: 'voltage_v',
    comparison: 'outside',
    low: 353,
    high: 407,
    durationSeconds: 10,
    hysteresis: 3,
    severity: 'high',
    enabled: true,
  },
];

const CONTACTS: ContactBody[] = [
  {
    name: '申城电梯维保有限公司(示例)',
    kind: 'elevator_maintenance',
    phone: '021-58886666',
    phone24h: '400-820-1234',
    notes: '维保合同 DT-2026-018;24 小时值班,困人 30 分钟内到场',
    buildings: BUILDINGS.map((b) => b.id),
  },
  { name: '电梯应急处置服务平台', kind: 'elevator_maintenance', phone: '96333', notes: '维保单位联系不上时拨打', buildings: [] },
  { name: '国网供电服务热线', kind: 'utility', phone: '95598', notes: '报停电、查询计划停电', buildings: [] },
  {
    name: '物业工程部值班',
    kind: 'engineering',
    phone: '13800002001',
    phone24h: '13800002002',
    notes: '配电房、水泵房、发电机',
    buildings: [],
  },
  { name: '秩序维护部(安管)值班', kind: 'security', phone: '13800003001', notes: '监控中心旁岗亭', buildings: [] },
  { name: '急救中心', kind: 'medical', phone: '120', notes: '说明小区地址、楼栋和最近的入口;派人到大门接应', buildings: [] },
];

/**
 * Idempotent: creates what is missing, returns the credentials (reusing the stored ones).
 * Everything goes through the admin services a real estate uses (issue 8 §7): sites,
 * buildings, the units CSV import, staff accounts, contacts, settings — so the demo exercises
 * the code paths real users rely on.
 */
export async function seedDemo(hub: Hub): Promise<DemoCredentials> {
  const file = path.join(hub.config.dataDir, 'demo-credentials.json');
  let creds: DemoCredentials = { users: [], fleet: [] };
  try {
    creds = JSON.parse(await fs.readFile(file, 'utf8')) as DemoCredentials;
  } catch {
    /* first start */
  }
  const { registry, estate, users, contacts, settings } = hub;
  const actor = SYSTEM_DEMO;
  const site = await estate.getSite(SITE.id);
  if (!site) await estate.createSite(actor, SITE);
  else if (site.name === OLD_NAMES[SITE.id]) await estate.patchSite(actor, SITE.id, { name: SITE.name });
  const existing = new Map((await estate.listBuildings(actor, SITE.id)).map((b) => [b.id, b]));
  for (const b of BUILDINGS)
    if (existing.get(b.id)?.name === OLD_NAMES[b.id]) await estate.patchBuilding(actor, b.id, { name: b.name, address: b.address });
  const csv: string[] = ['building,number,floor,ownerName,ownerPhone,altContact'];
  for (const b of BUILDINGS) {
    if (!existing.has(b.id))
      await estate.createBuilding(actor, { id: b.id, site: SITE.id, name: b.name, floors: b.floors, address: b.address, lobbyFloor: 1 });
    // owners only into empty buildings: a later start never overwrites what someone changed
    if ((existing.get(b.id)?.units ?? 0) > 0) continue;
    for (const [i, owner] of ['陈建国', '刘芳', '赵磊', '孙丽'].entries()) {
      const floor = 3 + i * 2;
      csv.push(
        [
          b.id,
          `${floor}0${(i % 2) + 1}`,
          floor,
          owner,
          `1380000${b.id.endsWith('a') ? '1' : '2'}${String(i).padStart(3, '0')}`,
          `家属 1390000${i}00${i}`,
        ].join(','),
      );
    }
  }
  if (csv.length > 1) {
    const r = await estate.importUnits(actor, Buffer.from(csv.join('\r\n'), 'utf8'), { dryRun: false, encoding: 'utf-8' });
    if (r.errors.length) throw new Error(`demo units: ${JSON.stringify(r.errors)}`);
  }
  const known = new Set((await users.list(actor)).map((u) => u.username));
  for (const u of USERS) {
    if (known.has(u.username)) continue;
    const { password } = await users.create(actor, { username: u.username, displayName: u.displayName, role: u.role });
    creds.users = [...creds.users.filter((c) => c.username !== u.username), { ...u, password: password! }];
  }
  if ((await contacts.list(actor, { all: true })).length === 0) for (const c of CONTACTS) await contacts.create(actor, c);
  if (settings.view().calendar.updatedAt === null) await settings.patch(actor, { calendar: CALENDAR_2026 });
  // only into an estate without rules: a later start never re-adds one someone deleted
  if ((await hub.rules.list()).length === 0) for (const r of DEMO_RULES) await hub.rules.create(actor, r);
  for (const d of demoDevices()) {
    let entry = creds.fleet.find((f) => f.id === d.id);
    if (!registry.get(d.id)) {
      const { secret } = await registry.provision({
        id: d.id,
        site: d.site,
        building: d.building,
        class: d.class,
        name: d.name,
        ...(d.floors ? { floors: d.floors } : {}),
        ...(d.meta ? { meta: d.meta } : {}),
      });
      entry = { ...d, secret };
      creds.fleet = [...creds.fleet.filter((f) => f.id !== d.id), entry];
    } else if (!entry) {
      // registered but the secret was lost with the credentials file: rotate to get a usable one
      const secret = await registry.rotateSecret(d.id);
      entry = { ...d, secret };
      creds.fleet.push(entry);
    }
  }
  await fs.writeFile(file, JSON.stringify(creds, null, 2), { mode: 0o600 });
  return creds;
}
