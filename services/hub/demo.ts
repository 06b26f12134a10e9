// Demo site for the zero-setup start: two buildings, each with elevators, a fire panel, a power
// meter and door intercoms, a few units with owners, one user per role — and credentials kept
// in HUB_DATA_DIR (mode 0600, never in the repo) so every start can print the logins and run
// the simulated fleet with the devices' real secrets.
import fs from 'node:fs/promises';
import path from 'node:path';
import type { DeviceClass, Role } from '../../contracts/domain.js';
import { newSecret } from '../core/crypto.js';
import type { Hub } from './hub.js';

export interface FleetEntry {
  id: string;
  secret: string;
  site: string;
  building: string;
  class: DeviceClass;
  floors?: number[];
  meta?: { feeder?: string; car?: string };
}

export interface DemoCredentials {
  users: Array<{ username: string; password: string; role: Role; displayName: string }>;
  fleet: FleetEntry[];
}

const SITE = { id: 'demo', name: '示范小区 Demo Estate', address: '上海市浦东新区示范路 88 号' };
const BUILDINGS = [
  { id: 'demo-a', name: 'A 栋 Tower A', floors: 18, address: '示范路 88 号 A 栋' },
  { id: 'demo-b', name: 'B 栋 Tower B', floors: 12, address: '示范路 88 号 B 栋' },
];
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
  }
  return out;
}

/** Idempotent: creates what is missing, returns the credentials (reusing the stored ones). */
export async function seedDemo(hub: Hub): Promise<DemoCredentials> {
  const file = path.join(hub.config.dataDir, 'demo-credentials.json');
  let creds: DemoCredentials = { users: [], fleet: [] };
  try {
    creds = JSON.parse(await fs.readFile(file, 'utf8')) as DemoCredentials;
  } catch {
    /* first start */
  }
  const { db, registry, auth } = hub;
  await db.site.upsert({ where: { id: SITE.id }, update: {}, create: SITE });
  for (const b of BUILDINGS) {
    await db.building.upsert({
      where: { id: b.id },
      update: {},
      create: { id: b.id, siteId: SITE.id, name: b.name, floors: b.floors, address: b.address, lobbyFloor: 1 },
    });
    for (const [i, owner] of ['陈建国', '刘芳', '赵磊', '孙丽'].entries()) {
      const floor = 3 + i * 2;
      const number = `${floor}0${(i % 2) + 1}`;
      await db.unit.upsert({
        where: { buildingId_number: { buildingId: b.id, number } },
        update: {},
        create: {
          buildingId: b.id,
          number,
          floor,
          ownerName: owner,
          ownerPhone: `1380000${b.id.endsWith('a') ? '1' : '2'}${String(i).padStart(3, '0')}`,
          altContact: `家属 1390000${i}00${i}`,
        },
      });
    }
  }
  for (const u of USERS) {
    let known = creds.users.find((c) => c.username === u.username);
    const exists = await db.user.findUnique({ where: { username: u.username } });
    if (!exists) {
      known = { ...u, password: newSecret(9) };
      await auth.createUser(u.username, known.password, u.role, u.displayName);
      creds.users = [...creds.users.filter((c) => c.username !== u.username), known];
    }
  }
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
