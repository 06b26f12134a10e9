// The contract edge refuses text PostgreSQL cannot store (issue 7 item 2): NUL and lone
// surrogates anywhere in a payload, keys included, are `bad_text` — in every parse function.
import { describe, expect, it } from 'vitest';
import { parseCommandResult, parseEvent, parseStatus, parseTelemetry } from '../../contracts/mqtt.js';

const call = (visitorName: string) => JSON.stringify({ v: 1, id: 'e1', ts: 1, type: 'intercom.call', data: { unit: '1201', visitorName } });

describe('bad text at the contract edge', () => {
  it('refuses NUL and lone surrogates in event data, as bytes and as strings', () => {
    for (const bad of ['\u0000', 'Li\u0000Wei', '\ud800', 'x\udc00', '\udc00\ud800']) {
      const text = call(bad);
      expect(parseEvent(Buffer.from(text), 'intercom')).toMatchObject({ ok: false, reason: 'bad_text' });
      expect(parseEvent(text, 'intercom')).toMatchObject({ ok: false, reason: 'bad_text' });
    }
  });

  it('accepts real text: CJK, emoji (a surrogate pair), an escaped backslash followed by u0000', () => {
    for (const good of ['王小明', 'Zoë 😀', '\\u0000 is not NUL here', '\ud83d\ude00']) {
      expect(parseEvent(Buffer.from(call(good)), 'intercom')).toMatchObject({ ok: true });
    }
    // escapes that decode to ordinary characters
    expect(parseEvent(Buffer.from(call('x').replace('"x"', '"\\u738b\\ud83d\\ude00"')), 'intercom')).toMatchObject({ ok: true });
  });

  it('refuses bad text in keys and in every channel', () => {
    expect(parseTelemetry(Buffer.from(JSON.stringify({ v: 1, ts: 1, metrics: { floor: 'a\u0000' } })))).toMatchObject({
      reason: 'bad_text',
    });
    expect(parseCommandResult(Buffer.from(JSON.stringify({ v: 1, corr: 'c', ok: true, ts: 1, data: { ['k\ud800']: 1 } })))).toMatchObject({
      reason: 'bad_text',
    });
    expect(parseCommandResult(Buffer.from(JSON.stringify({ v: 1, corr: 'c\u0000', ok: true, ts: 1, data: {} })))).toMatchObject({
      reason: 'bad_text',
    });
    expect(parseStatus(Buffer.from('{"v":1,"state":"online","ts":1,"x":"\\u0000"}'))).toMatchObject({ reason: 'bad_text' });
  });
});
