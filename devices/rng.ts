// Seeded pseudo-random numbers for the simulators: the same seed gives the same telemetry
// and the same traffic, so a scenario or a failing test can be replayed exactly.

/** 32-bit FNV-1a; used to derive a per-device seed from a fleet seed and the device id. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export class Rng {
  private state: number;

  /** `seed` undefined → seeded from the wall clock and Math.random (non-reproducible run). */
  constructor(seed?: number | string) {
    const s =
      seed === undefined
        ? (Date.now() ^ Math.floor(Math.random() * 0xffffffff)) >>> 0
        : typeof seed === 'string'
          ? hashString(seed)
          : seed >>> 0;
    this.state = s || 0x9e3779b9;
  }

  /** mulberry32: small, fast and good enough for simulated sensor noise. */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  range(min: number, max: number): number {
    return min + (max - min) * this.next();
  }

  /** Integer in [min, max] inclusive. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  /** Normal distribution (Box–Muller). */
  normal(mean: number, sd: number): number {
    const u = Math.max(this.next(), 1e-12);
    const v = this.next();
    return mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from empty list');
    return items[Math.floor(this.next() * items.length)] as T;
  }

  /** Hex string of `chars` characters, for ids that must be reproducible under a seed. */
  hex(chars: number): string {
    let out = '';
    while (out.length < chars)
      out += Math.floor(this.next() * 0x100000000)
        .toString(16)
        .padStart(8, '0');
    return out.slice(0, chars);
  }
}

/** Round to `digits` decimals (telemetry values read better without float noise). */
export function round(n: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
