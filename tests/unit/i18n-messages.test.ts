// Every message a procedure stores is a key with a label in both languages (ARCHITECTURE.md
// "Store keys, render late"). The types catch a key without a label; this test reads the
// machines' source for the keys they pass to the engine's message helpers and checks each one
// resolves to a Chinese label, so a key built around the types is caught too.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { registry } from './procedures/helpers.js';

/** Every procedure folder: services/<folder>/machine.ts declaring `kind: '<kind>'` (a new one is found by itself). */
const FOLDERS: Record<string, string> = Object.fromEntries(
  fs
    .readdirSync(path.resolve('services'))
    .filter((d) => fs.existsSync(path.resolve(`services/${d}/machine.ts`)))
    .flatMap((d) => {
      const kind = /defineProcedure<\w+>\(\{\s*kind: '(\w+)'/.exec(fs.readFileSync(path.resolve(`services/${d}/machine.ts`), 'utf8'))?.[1];
      return kind ? [[d, kind] as const] : [];
    }),
);
// ctx.to/close/skip/setRequired(…, 'reason'), ctx.fail(code, 'error'), ctx.notify/escalate/flag/dutyLog('key')
const CALLS: Array<[RegExp, string]> = [
  [/ctx\.(?:to|close)\('\w+', '(\w+)'\)/g, 'reason'],
  [/ctx\.(?:skip|setRequired)\([^;]*?'(\w+)'\)/g, 'reason'],
  [/ctx\.fail\('HUB_ERR_\w+', '(\w+)'/g, 'error'],
  [/ctx\.notify\(\[[^\]]*\], '(\w+)'/g, 'notify'],
  [/ctx\.escalate\('(\w+)'/g, 'escalation'],
  [/ctx\.flag\('(\w+)'/g, 'flag'],
  [/ctx\.dutyLog\('(\w+)'/g, 'duty'],
];

function usedKeys(): Array<{ kind: string; table: string; key: string }> {
  const out: Array<{ kind: string; table: string; key: string }> = [];
  for (const [folder, kind] of Object.entries(FOLDERS)) {
    const src = fs.readFileSync(path.resolve(`services/${folder}/machine.ts`), 'utf8');
    for (const [re, table] of CALLS) for (const m of src.matchAll(re)) out.push({ kind, table, key: m[1]! });
  }
  return out;
}

describe('procedure messages in zh-CN and en', () => {
  it('finds every registered procedure’s folder and the keys in its machine', () => {
    expect(Object.values(FOLDERS).sort()).toEqual(registry.kinds().sort());
    expect(usedKeys().length).toBeGreaterThan(60);
  });

  it.each(usedKeys().map((k) => [`${k.kind} ${k.table}.${k.key}`, k] as const))('%s has labels', (_name, k) => {
    const key = registry.catalog.first(`${k.kind}.${k.table}.${k.key}`, `engine.${k.table}.${k.key}`);
    expect(key, `${k.kind}.${k.table}.${k.key}`).not.toBeNull();
    const [zh, en] = registry.catalog.labels[key!]!;
    expect(zh).toMatch(/[\u4e00-\u9fff]/);
    expect(en.length).toBeGreaterThan(0);
  });

  it('a reason renders per locale; what a person typed is shown as typed', () => {
    const c = registry.catalog;
    expect(c.render({ key: 'visitor_approval.reason.owner_no_answer', params: { seconds: 60 } }, 'zh-CN')).toBe('业主60秒内未应答');
    expect(c.render({ key: 'visitor_approval.reason.owner_no_answer', params: { seconds: 60 } }, 'en')).toBe(
      'owner did not answer within 60 s',
    );
    expect(c.render({ key: 'device_fault.reason.auto_closed', params: { why: { key: 'device_fault.reason.back_online' } } }, 'zh-CN')).toBe(
      '自动结案:设备已重新上线',
    );
    expect(c.render({ text: 'a note someone typed' }, 'zh-CN')).toBe('a note someone typed');
    const line = c.timelineText(
      'fire_alarm',
      { type: 'state_changed', data: { from: 'verifying', to: 'false_alarm' }, reason: { key: 'fire_alarm.reason.false_alarm_reset' } },
      'zh-CN',
    );
    expect(line).toBe('状态变更:现场确认中 → 误报 · 待复位 — 误报:原因已记录,请复位报警主机');
  });
});
