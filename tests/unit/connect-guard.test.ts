// Failed-CONNECT backoff (issue 7 item 8), with a fake clock: thresholds, doubling bans, expiry,
// the last-good-address exemption and bounded memory.
import { describe, expect, it } from 'vitest';
import { ConnectGuard } from '../../broker/guard.js';

const policy = { addressFails: 4, clientFails: 3, windowMs: 10_000, banMs: 1000, maxBanMs: 8000 };

describe('ConnectGuard', () => {
  it('bans a client id after its threshold, doubling each time, capped; expiry lifts it', () => {
    let now = 0;
    const g = new ConnectGuard(policy, () => now);
    const ban = () => g.banned('10.0.0.9', 'el-1');
    let n = 0;
    const strike = () => {
      n++;
      for (let i = 0; i < 3; i++) g.failed(`10.0.${n}.${i}`, 'el-1'); // spread over addresses: only the id trips
      return ban();
    };
    expect(strike()).toEqual({ scope: 'client', until: 1000 });
    now = 1000;
    expect(ban()).toBeNull();
    expect(strike()).toEqual({ scope: 'client', until: now + 2000 });
    now += 2000;
    expect(strike()).toEqual({ scope: 'client', until: now + 4000 });
    now += 4000;
    expect(strike()).toEqual({ scope: 'client', until: now + 8000 });
    now += 8000;
    expect(strike()).toEqual({ scope: 'client', until: now + 8000 }); // maxBanMs
    expect(g.bans).toBe(5);
  });

  it('counts failures within the window only; a success forgives the id', () => {
    let now = 0;
    const g = new ConnectGuard(policy, () => now);
    g.failed('a', 'el-1');
    g.failed('a', 'el-1');
    now = 11_000; // window passed
    g.failed('a', 'el-1');
    g.failed('a', 'el-1');
    expect(g.banned('a', 'el-1')).toBeNull();
    g.succeeded('a', 'el-1');
    g.failed('b', 'el-1');
    g.failed('b', 'el-1');
    expect(g.banned('b', 'el-1')).toBeNull();
  });

  it('bans an address for everyone behind it, but an id ban spares the device’s last good address', () => {
    let now = 0;
    const g = new ConnectGuard(policy, () => now);
    g.succeeded('192.168.1.10', 'el-1');
    for (let i = 0; i < 3; i++) g.failed('203.0.113.5', 'el-1');
    expect(g.banned('203.0.113.5', 'el-1')).toMatchObject({ scope: 'client' });
    expect(g.banned('192.168.1.10', 'el-1')).toBeNull(); // the device at home still gets in
    g.failed('203.0.113.5', null); // 4th failure from that address (an unknown id)
    expect(g.banned('203.0.113.5', 'el-2')).toMatchObject({ scope: 'address' });
    expect(g.banned('203.0.113.6', 'el-2')).toBeNull();
    expect(g.active()).toEqual({ addresses: 1, clients: 1 });
    now = 5000;
    expect(g.active()).toEqual({ addresses: 0, clients: 0 });
  });

  it('stays bounded under address spraying', () => {
    let now = 0;
    const g = new ConnectGuard(policy, () => now);
    for (let i = 0; i < 50_000; i++) {
      g.failed(`2001:db8::${i.toString(16)}`, null);
      now++;
    }
    const addresses = (g as unknown as { addresses: Map<string, unknown> }).addresses;
    expect(addresses.size).toBeLessThanOrEqual(20_000);
    // the newest are kept: the last address sprayed is still counted, the first is long gone
    expect(addresses.has(`2001:db8::${(49_999).toString(16)}`)).toBe(true);
    expect(addresses.has('2001:db8::0')).toBe(false);
  });

  it('at the bound, evicts the oldest tenth at once (not one key per new one), newest kept', () => {
    const now = 0; // nothing expires: only eviction makes room
    const g = new ConnectGuard(policy, () => now);
    const addresses = (g as unknown as { addresses: Map<string, unknown> }).addresses;
    for (let i = 0; i < 20_000; i++) g.failed(`10.0.${i >> 8}.${i & 255}`, null);
    expect(addresses.size).toBe(20_000);
    g.failed('192.0.2.1', null);
    expect(addresses.size).toBe(18_001);
    expect(addresses.has('10.0.0.0')).toBe(false);
    expect(addresses.has(`10.0.${1999 >> 8}.${1999 & 255}`)).toBe(false);
    expect(addresses.has(`10.0.${2000 >> 8}.${2000 & 255}`)).toBe(true);
    for (let i = 0; i < 1999; i++) g.failed(`192.0.3.${i}`, null); // room for these without evicting
    expect(addresses.size).toBe(20_000);
  });
});
