// Failed-CONNECT backoff (issue 7 item 8): a network address, or a known device id, that fails
// authentication `fails` times within `windowMs` is banned for `banMs`; each further ban of the
// same key doubles, up to `maxBanMs` (exponential backoff, as OWASP's credential-stuffing advice
// and Mosquitto-style fail2ban setups do). While banned, a CONNECT is refused at once without
// looking at the secret, so brute force gets neither answers nor CPU.
//
// Two keys, because each alone is beatable: per address stops one source spraying many ids;
// per client id stops many sources (a botnet) guessing one device's secret. Only ids of real
// devices get a client entry (guessing an id that does not exist gains nothing), so made-up ids
// cannot grow memory; both maps are bounded anyway.
//
// Legit devices stay unaffected: bans are per key, never global; connected devices are never
// touched; and a device whose id is banned (someone elsewhere guessing its secret) can still
// connect from the address it last connected from successfully — an attacker cannot lock a
// device out from somewhere else. An address ban applies to everyone behind that address, so
// size `addressFails` for NAT'd sites (one gateway address for a whole building).
// Pure logic with an injected clock; the broker calls it from its authenticate hook.

import { dropOldest } from '../services/core/evict.js';

export interface BanPolicy {
  addressFails: number;
  clientFails: number;
  windowMs: number;
  banMs: number;
  maxBanMs: number;
}

export const DEFAULT_BAN_POLICY: BanPolicy = { addressFails: 20, clientFails: 5, windowMs: 60_000, banMs: 60_000, maxBanMs: 3_600_000 };

interface Entry {
  windowStart: number;
  fails: number;
  bannedUntil: number;
  /** consecutive bans: the next one lasts banMs × 2^strikes */
  strikes: number;
}

export type BanScope = 'address' | 'client';

/** Each map holds at most this many keys; expired ones go first, then the oldest. */
const MAX_KEYS = 20_000;
/**
 * Last good addresses: one per device that authenticated (registry-bounded in practice; issue 12
 * sizes fleets at 50,000 per hub), capped only against runaway growth.
 */
const MAX_LAST_GOOD = 200_000;

export class ConnectGuard {
  private readonly addresses = new Map<string, Entry>();
  private readonly clients = new Map<string, Entry>();
  /** device id → the address it last authenticated from */
  private readonly lastGood = new Map<string, string>();
  bans = 0;

  constructor(
    private readonly policy: BanPolicy = DEFAULT_BAN_POLICY,
    private readonly now: () => number = Date.now,
  ) {}

  /** Is this CONNECT refused without checking? Returns the ban's scope and end, or null. */
  banned(address: string, clientId: string | null): { scope: BanScope; until: number } | null {
    const t = this.now();
    const a = this.addresses.get(address);
    if (a && a.bannedUntil > t) return { scope: 'address', until: a.bannedUntil };
    if (clientId !== null) {
      const c = this.clients.get(clientId);
      if (c && c.bannedUntil > t && this.lastGood.get(clientId) !== address) return { scope: 'client', until: c.bannedUntil };
    }
    return null;
  }

  /** A failed authentication. `knownClientId` only when the id names a real device. */
  failed(address: string, knownClientId: string | null): void {
    const t = this.now();
    this.bump(this.addresses, address, this.policy.addressFails, t);
    if (knownClientId !== null) this.bump(this.clients, knownClientId, this.policy.clientFails, t);
  }

  /** A successful authentication: the device's failures are forgiven, its address remembered. */
  succeeded(address: string, clientId: string): void {
    this.clients.delete(clientId);
    this.lastGood.set(clientId, address);
    if (this.lastGood.size > MAX_LAST_GOOD) dropOldest(this.lastGood, MAX_LAST_GOOD * 0.9);
  }

  /** Keys banned right now (for stats). */
  active(): { addresses: number; clients: number } {
    const t = this.now();
    let addresses = 0;
    let clients = 0;
    for (const e of this.addresses.values()) if (e.bannedUntil > t) addresses++;
    for (const e of this.clients.values()) if (e.bannedUntil > t) clients++;
    return { addresses, clients };
  }

  private bump(map: Map<string, Entry>, key: string, limit: number, t: number): void {
    const p = this.policy;
    let e = map.get(key);
    if (!e) {
      this.makeRoom(map, t);
      map.set(key, (e = { windowStart: t, fails: 0, bannedUntil: 0, strikes: 0 }));
    }
    // strikes are forgiven after a quiet spell as long as the longest ban
    if (e.bannedUntil && t - e.bannedUntil > p.maxBanMs) e.strikes = 0;
    if (t - e.windowStart > p.windowMs) {
      e.windowStart = t;
      e.fails = 0;
    }
    e.fails++;
    if (e.fails >= limit) {
      e.bannedUntil = t + Math.min(p.banMs * 2 ** e.strikes, p.maxBanMs);
      e.strikes = Math.min(e.strikes + 1, 30);
      e.fails = 0;
      e.windowStart = t;
      this.bans++;
    }
  }

  private makeRoom(map: Map<string, Entry>, t: number): void {
    if (map.size < MAX_KEYS) return;
    for (const [k, e] of map) {
      if (e.bannedUntil <= t && t - e.windowStart > this.policy.windowMs) map.delete(k);
    }
    // a tenth of headroom: the next ~2,000 new keys of a spray do not sweep the map again
    if (map.size >= MAX_KEYS * 0.9) dropOldest(map, MAX_KEYS * 0.9);
  }
}
