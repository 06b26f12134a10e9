// Pure helpers of the benchmark (bench/run.ts): quantiles, min/median/max over repetitions,
// per-repetition ratios, ceiling detection over a stepped load, and /proc readers for the CPU
// time and memory of each process under test. Tested in tests/unit/bench-stats.test.ts.
import fs from 'node:fs/promises';

/** Nearest-rank quantile of an ascending-sorted list (NaN when empty). */
export function quantile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil(p * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

export interface Spread {
  n: number;
  min: number;
  median: number;
  max: number;
}

/** min / median / max of the finite values (the median of an even count is the mean of the middle two). */
export function spread(values: readonly number[]): Spread {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return { n: 0, min: NaN, median: NaN, max: NaN };
  const mid = v.length >> 1;
  const median = v.length % 2 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
  return { n: v.length, min: v[0]!, median, max: v.at(-1)! };
}

/**
 * Ratios of two series measured in the same repetitions (a[i] / b[i]): the ratio is taken per
 * repetition, where both saw the same machine load, never as median(a) / median(b).
 */
export function ratios(a: readonly number[], b: readonly number[]): number[] {
  const n = Math.min(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(b[i]! === 0 ? NaN : a[i]! / b[i]!);
  return out;
}

export interface Step {
  window: number;
  rate: number;
}

/**
 * A closed-loop ceiling: load is stepped (larger outstanding windows) until two steps in a row
 * no longer beat the best before them by `gain` (default 5 %) — the target is saturated. Two, not
 * one: a single step slowed by the machine (a neighbour, PostgreSQL's autovacuum after the
 * previous scenario) stopped the hub's QoS1 search at 10.1k events/s in one repetition whose
 * neighbours reached 23k. Returns the best step and whether stepping should stop after `steps`.
 */
export function saturated(steps: readonly Step[], gain = 0.05): { best: Step | null; stop: boolean } {
  if (steps.length === 0) return { best: null, stop: false };
  let best = steps[0]!;
  for (const s of steps) if (s.rate > best.rate) best = s;
  if (steps.length < 3) return { best, stop: false };
  const noGain = (i: number) => steps[i]!.rate < steps.slice(0, i).reduce((m, s) => Math.max(m, s.rate), 0) * (1 + gain);
  return { best, stop: noGain(steps.length - 1) && noGain(steps.length - 2) };
}

/** Order of the targets in repetition `rep`: rotated so no target always runs first (warm caches, turbo, neighbours). */
export function rotation<T>(targets: readonly T[], rep: number): T[] {
  if (targets.length === 0) return [];
  const k = rep % targets.length;
  return [...targets.slice(k), ...targets.slice(0, k)];
}

/** CPU µs per message from two CPU readings (seconds) and a message count. */
export function cpuMicrosPerMsg(cpu0: number, cpu1: number, msgs: number): number {
  return msgs > 0 ? ((cpu1 - cpu0) * 1e6) / msgs : NaN;
}

/** Clock ticks per second for /proc/<pid>/stat utime/stime (USER_HZ: 100 on Linux). */
const USER_HZ = 100;

/**
 * utime + stime of one process in seconds, from the text of /proc/<pid>/stat (the comm may contain
 * spaces); `reaped`: cutime + cstime, what its exited children used (proc(5)).
 */
export function parseStatCpu(stat: string): { cpu: number; reaped: number; ppid: number } {
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { cpu: (Number(f[11]) + Number(f[12])) / USER_HZ, reaped: (Number(f[13]) + Number(f[14])) / USER_HZ, ppid: Number(f[1]) };
}

/** VmRSS and VmHWM (peak) in MB from the text of /proc/<pid>/status. */
export function parseStatus(status: string): { rssMb: number; hwmMb: number } {
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMb: kb('VmRSS') / 1024, hwmMb: kb('VmHWM') / 1024 };
}

export async function cpuSeconds(pid: number): Promise<number> {
  return parseStatCpu(await fs.readFile(`/proc/${pid}/stat`, 'utf8')).cpu;
}

/**
 * A process's main thread (the event loop's): seconds on a CPU and seconds ready but waiting for
 * one (/proc/<pid>/schedstat: run time and run-queue wait, in ns). An event-loop stall measured in
 * wall time is the sum of both; the second is what other processes on the same cores cost it.
 */
export async function schedSeconds(pid: number): Promise<{ run: number; wait: number }> {
  const [run = NaN, wait = NaN] = (await fs.readFile(`/proc/${pid}/schedstat`, 'utf8')).trim().split(' ').map(Number);
  return { run: run / 1e9, wait: wait / 1e9 };
}

/**
 * CPU seconds of a process group whose members come and go (PostgreSQL's backends): each live
 * member's own and its reaped children's. A backend that exits between two snapshots moves its
 * CPU into the postmaster's cutime/cstime instead of vanishing from the sum (which made the
 * difference negative in a run of the sixth round).
 */
export async function groupCpuSeconds(pids: readonly number[]): Promise<number> {
  let sum = 0;
  for (const p of pids) {
    const s = await fs.readFile(`/proc/${p}/stat`, 'utf8').catch(() => null);
    if (!s) continue;
    const c = parseStatCpu(s);
    sum += c.cpu + c.reaped;
  }
  return sum;
}

export async function memory(pid: number): Promise<{ rssMb: number; hwmMb: number }> {
  return parseStatus(await fs.readFile(`/proc/${pid}/status`, 'utf8').catch(() => ''));
}

/** The live descendants of `pid` (children of children …), e.g. the embedded PostgreSQL's backends. */
export async function descendants(pid: number): Promise<number[]> {
  const parent = new Map<number, number>();
  for (const name of await fs.readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const s = await fs.readFile(`/proc/${name}/stat`, 'utf8').catch(() => null);
    if (s) parent.set(Number(name), parseStatCpu(s).ppid);
  }
  const out: number[] = [];
  const todo = [pid];
  while (todo.length) {
    const p = todo.pop()!;
    for (const [c, pp] of parent) {
      if (pp !== p) continue;
      out.push(c);
      todo.push(c);
    }
  }
  return out;
}

/** Sum of RSS over a process tree (shared pages counted in each: an upper bound). */
export async function treeRssMb(pids: readonly number[]): Promise<number> {
  let sum = 0;
  for (const p of pids) {
    const m = await memory(p);
    if (Number.isFinite(m.rssMb)) sum += m.rssMb;
  }
  return sum;
}

/** the prom-client series of one /metrics scrape, by name (unlabelled or summed over labels) */
export async function scrape(http: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${http}/metrics`)).text();
  const m = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const sp = line.lastIndexOf(' ');
    const name = line.slice(0, sp).replace(/\{.*$/, '');
    m.set(name, (m.get(name) ?? 0) + Number(line.slice(sp + 1)));
    if (name !== line.slice(0, sp)) m.set(line.slice(0, sp), Number(line.slice(sp + 1)));
  }
  return m;
}
