// The contract edge refuses text PostgreSQL cannot store (issue 7 item 2): NUL and lone
// surrogates anywhere in a payload, keys included, are `bad_text` — in every parse function.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  checkEventEnvelope,
  checkTelemetry,
  EVENT_DATA,
  EventEnvelope,
  parseCommandResult,
  parseEvent,
  parseStatus,
  parseTelemetry,
  TelemetryPayload,
} from '../../contracts/mqtt.js';

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

describe('checkTelemetry (hand-written) agrees with the zod TelemetryPayload schema', () => {
  const ok = { v: 1, ts: 1_700_000_000_000, metrics: { floor: 3 } };
  const many = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`m${i}`, i]));
  const corpus: Array<[string, unknown]> = [
    ['minimal', ok],
    ['all value kinds', { v: 1, ts: 0, metrics: { a: 1.5, b: true, c: 'x', d: -0, e: false, f: '' } }],
    ['extra top-level key (stripped)', { ...ok, extra: { x: 1 } }],
    ['64 metrics', { ...ok, metrics: many(64) }],
    ['65 metrics', { ...ok, metrics: many(65) }],
    ['no metrics', { ...ok, metrics: {} }],
    ['metrics missing', { v: 1, ts: 1 }],
    ['metrics an array', { ...ok, metrics: [1, 2] }],
    ['metrics null', { ...ok, metrics: null }],
    ['metrics a string', { ...ok, metrics: 'floor' }],
    ['v 2', { ...ok, v: 2 }],
    ['v "1"', { ...ok, v: '1' }],
    ['v missing', { ts: 1, metrics: { a: 1 } }],
    ['ts negative', { ...ok, ts: -1 }],
    ['ts fractional', { ...ok, ts: 1.5 }],
    ['ts a string', { ...ok, ts: '1' }],
    ['ts 2^53 (unsafe integer)', { ...ok, ts: 2 ** 53 }],
    ['ts 2^53 - 1', { ...ok, ts: 2 ** 53 - 1 }],
    ['ts missing', { v: 1, metrics: { a: 1 } }],
    ['metric name upper case', { ...ok, metrics: { Floor: 1 } }],
    ['metric name with a dash', { ...ok, metrics: { 'load-kg': 1 } }],
    ['metric name empty', { ...ok, metrics: { '': 1 } }],
    ['metric name 64 chars', { ...ok, metrics: { ['a'.repeat(64)]: 1 } }],
    ['metric name 65 chars', { ...ok, metrics: { ['a'.repeat(65)]: 1 } }],
    ['metric name with a newline at the end', { ...ok, metrics: { 'floor\n': 1 } }],
    ['metric name unicode', { ...ok, metrics: { ß: 1 } }],
    ['value null', { ...ok, metrics: { a: null } }],
    ['value an object', { ...ok, metrics: { a: { b: 1 } } }],
    ['value an array', { ...ok, metrics: { a: [1] } }],
    ['value string 256', { ...ok, metrics: { a: 'x'.repeat(256) } }],
    ['value string 257', { ...ok, metrics: { a: 'x'.repeat(257) } }],
    ['value string of 256 UTF-16 units with astral characters', { ...ok, metrics: { a: '😀'.repeat(128) } }],
    ['value huge number', { ...ok, metrics: { a: 1e308 } }],
    ['a good and a bad metric', { ...ok, metrics: { a: 1, B: 2 } }],
    ['top level an array', [ok]],
    ['top level null', null],
    ['top level a number', 1],
    ['top level a string', 'x'],
    ['value string of 129 astral characters (258 units, 129 code points)', { ...ok, metrics: { a: '😀'.repeat(129) } }],
    ['value string of 257 astral characters', { ...ok, metrics: { a: '😀'.repeat(257) } }],
    ['value string of 255 letters and a lone surrogate pair half', { ...ok, metrics: { a: `${'x'.repeat(256)}\ud800` } }],
    ['__proto__ as a metric name (JSON.parse makes it an own key)', JSON.parse('{"v":1,"ts":1,"metrics":{"__proto__":1}}')],
    ['__proto__ beside a good metric (zod strips it)', JSON.parse('{"v":1,"ts":1,"metrics":{"a":1,"__proto__":1}}')],
    ['constructor as a metric name', JSON.parse('{"v":1,"ts":1,"metrics":{"constructor":2}}')],
    ['__proto__ at the top level', JSON.parse('{"v":1,"ts":1,"metrics":{"a":1},"__proto__":{"x":1}}')],
  ];
  /** the cases the hand-written check leaves to zod on purpose (it answers null, zod decides) */
  const deferred = new Set(['__proto__ beside a good metric (zod strips it)']);
  it.each(corpus)('%s', (name, value) => {
    const z = TelemetryPayload.safeParse(value);
    const fast = checkTelemetry(value);
    if (deferred.has(name)) expect(fast).toBeNull();
    else expect(fast !== null).toBe(z.success);
    if (fast !== null) expect(fast).toEqual(z.data);
    // what the hub uses: the fast check, else zod — always zod's verdict and value
    const parsed = parseTelemetry(Buffer.from(JSON.stringify(value) ?? 'null'));
    const again = TelemetryPayload.safeParse(JSON.parse(JSON.stringify(value) ?? 'null'));
    expect(parsed.ok).toBe(again.success);
    if (parsed.ok && again.success) expect(parsed.value).toEqual(again.data);
  });
  it('parseTelemetry refuses what zod refuses, with zod’s wording', () => {
    const r = parseTelemetry(JSON.stringify({ ...ok, metrics: { Floor: 1 } }));
    expect(r).toMatchObject({ ok: false, reason: 'bad_shape' });
    expect(!r.ok && r.detail).toContain('metrics');
  });
  it('the common payload is returned as parsed, without a copy', () => {
    const v = JSON.parse(JSON.stringify(ok)) as unknown;
    expect(checkTelemetry(v)).toBe(v);
  });
});

describe('checkEventEnvelope (hand-written) agrees with zod on the event envelope and parseEvent with zod alone', () => {
  const ok = { v: 1, id: 'e-1', ts: 1_700_000_000_000, type: 'elevator.normal', data: { floor: 3, doors: 'closed' } };
  /** parseEvent as it was: zod for the envelope, then the type's schema (the reference) */
  const reference = (value: unknown) => {
    const env = EventEnvelope.safeParse(value);
    if (!env.success) return { ok: false as const, reason: 'bad_shape' };
    if (!Object.hasOwn(EVENT_DATA, env.data.type)) return { ok: false as const, reason: 'unknown_type' };
    const typed = (EVENT_DATA as Record<string, z.ZodType>)[env.data.type]!.safeParse(env.data.data);
    return typed.success ? { ok: true as const, value: { ...env.data, data: typed.data } } : { ok: false as const, reason: 'bad_shape' };
  };
  const corpus: Array<[string, unknown]> = [
    ['minimal', ok],
    ['an event type without data, data {}', { ...ok, type: 'fire.silenced', data: {} }],
    ['data missing (zod defaults it to {})', { v: 1, id: 'e', ts: 1, type: 'fire.reset' }],
    ['extra key in data (the type schema strips it)', { ...ok, data: { ...ok.data, extra: 1 } }],
    ['extra top-level key (zod strips it)', { ...ok, extra: 'x' }],
    ['v 2', { ...ok, v: 2 }],
    ['v "1"', { ...ok, v: '1' }],
    ['id empty', { ...ok, id: '' }],
    ['id 64 chars', { ...ok, id: 'i'.repeat(64) }],
    ['id 65 chars', { ...ok, id: 'i'.repeat(65) }],
    ['id 40 astral characters (80 units, 40 code points)', { ...ok, id: '😀'.repeat(40) }],
    ['id 65 astral characters', { ...ok, id: '😀'.repeat(65) }],
    ['id a number', { ...ok, id: 7 }],
    ['ts 0', { ...ok, ts: 0 }],
    ['ts negative', { ...ok, ts: -1 }],
    ['ts fractional', { ...ok, ts: 1.5 }],
    ['ts 2^53', { ...ok, ts: 2 ** 53 }],
    ['ts a string', { ...ok, ts: '1' }],
    ['type missing', { v: 1, id: 'e', ts: 1, data: {} }],
    ['type unknown', { ...ok, type: 'elevator.teleported' }],
    ['type constructor', { ...ok, type: 'constructor' }],
    ['type a number', { ...ok, type: 1 }],
    ['data null', { ...ok, data: null }],
    ['data an array', { ...ok, data: [1] }],
    ['data a string', { ...ok, data: 'x' }],
    ['data wrong for the type', { ...ok, data: { floor: 'three' } }],
    ['__proto__ in data', JSON.parse('{"v":1,"id":"e","ts":1,"type":"fire.reset","data":{"__proto__":{"x":1}}}')],
    ['__proto__ at the top level', JSON.parse('{"v":1,"id":"e","ts":1,"type":"fire.reset","data":{},"__proto__":{"x":1}}')],
    ['top level an array', [ok]],
    ['top level null', null],
  ];
  it.each(corpus)('%s', (_name, value) => {
    const envelope = EventEnvelope.strict().safeParse(value);
    const fast = checkEventEnvelope(value);
    // it accepts only what zod accepts unchanged (no key to strip; it leaves a missing `data` to
    // zod's default), and answers with the value itself
    if (fast !== null) {
      expect(envelope.success).toBe(true);
      expect(fast).toBe(value);
    }
    const text = JSON.stringify(value) ?? 'null';
    const parsed = parseEvent(Buffer.from(text));
    const ref = reference(JSON.parse(text));
    expect(parsed.ok).toBe(ref.ok);
    if (parsed.ok && ref.ok) expect(parsed.value).toEqual(ref.value);
    if (!parsed.ok && !ref.ok) expect(parsed.reason).toBe(ref.reason);
  });
  it('the common envelope is answered without zod', () => {
    const v = JSON.parse(JSON.stringify(ok)) as unknown;
    expect(checkEventEnvelope(v)).toBe(v);
    expect(checkEventEnvelope({ ...ok, id: 'i'.repeat(65) })).toBeNull();
  });
});
