// How scripts/measure-start.mjs turns the RSS samples of one idle hub into its figures.
// Plain JavaScript: measure-start.mjs runs on bare node.

/**
 * @param {Array<[number, number]>} samples [ms after ready, MB], one per second of the idle window
 * @param {number} idleMs the window's length
 * @returns {{ rss: number, at10: number, max: number }} idle RSS = the median of the window's
 *   second half (start-up is over: measure-start.mjs' header says why); the sample 10 s after
 *   ready (what earlier rounds reported); the window's maximum
 */
export function idleRss(samples, idleMs) {
  const late = samples.filter(([at]) => at > idleMs / 2).map(([, mb]) => mb);
  if (!late.length) throw new Error('no RSS sample in the second half of the idle window');
  const at10 = samples.find(([at]) => at === 10_000);
  if (!at10) throw new Error('no RSS sample 10 s after ready');
  return { rss: median(late), at10: at10[1], max: Math.max(...samples.map(([, mb]) => mb)) };
}

/** @param {number[]} xs @returns {number} the middle value (the upper one of an even count) */
export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}
