export function idleRss(samples: Array<[number, number]>, idleMs: number): { rss: number; at10: number; max: number };
export function median(xs: number[]): number;
