// Every fixed reason a procedure writes into the timeline reads in Chinese for zh-CN users
// (DEVELOPERS.md: user-facing text is zh-CN first). The literals are taken from the machines'
// source, so a new untranslated reason fails here.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { localizeMessage, renderTimeline } from '../../services/core/i18n-procedures.js';

const MACHINES = ['devices', 'elevator', 'fire', 'power', 'visitors'].map((d) => path.resolve(`services/${d}/machine.ts`));
// state changes, skipped/required steps, closings and the machines' own helpers that log a
// reason — not ctx.fail(), whose messages are API errors (translated by code in the UI)
const CALL =
  /(?:ctx\.(?:to|close|skip|setRequired)|(?<!ctx\.)\b(?:recover|recur|fail|reopenStep|generatorFailure|closeOutage|enterGeneralAlarm))\((?:ctx, )?[^;]*?'([^'\n]+)'\s*\)/g;

function literalReasons(): string[] {
  const out = new Set<string>();
  for (const f of MACHINES) {
    for (const m of fs.readFileSync(f, 'utf8').matchAll(CALL)) {
      const text = m[1]!;
      // only sentences are reasons: not state/step keys (snake_case) or separators
      if (!/[a-z]{2}/i.test(text) || (/^[a-z0-9_.]+$/.test(text) && text.includes('_'))) continue;
      out.add(text);
    }
  }
  return [...out];
}

describe('timeline reasons in zh-CN', () => {
  it('finds the reasons in the machines', () => {
    expect(literalReasons().length).toBeGreaterThan(30);
  });

  it.each(literalReasons())('"%s" has a Chinese rendering', (text) => {
    const zh = localizeMessage(text, 'zh-CN');
    expect(zh, text).not.toBe(text);
    expect(zh).toMatch(/[\u4e00-\u9fff]/);
    expect(localizeMessage(text, 'en')).toBe(text);
  });

  it('templated reasons and the rendered line', () => {
    expect(localizeMessage('owner did not answer within 60 s', 'zh-CN')).toBe('业主60秒内未应答');
    expect(localizeMessage('auto-closed: device back online', 'zh-CN')).toBe('自动结案:设备已重新上线');
    expect(localizeMessage('a note someone typed', 'zh-CN')).toBe('a note someone typed');
    const line = renderTimeline(
      'fire_alarm',
      {
        type: 'state_changed',
        data: { from: 'verifying', to: 'false_alarm' },
        message: 'false alarm (误报): cause recorded; reset the panel',
      },
      'zh-CN',
    );
    expect(line).toContain('误报:原因已记录,请复位报警主机');
  });
});
