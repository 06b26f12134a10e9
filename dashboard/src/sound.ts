// Alarm sound: a two-tone WebAudio beep repeated while an incident needs attention. Browsers
// only let a page start audio after a user gesture; the login click (or any click/key on the
// page) unlocks it, and the banner offers an explicit "enable sound" button until then.
let ctx: AudioContext | null = null;
let timer: ReturnType<typeof setInterval> | null = null;
const stateListeners = new Set<() => void>();

function audio(): AudioContext | null {
  if (ctx) return ctx;
  const C = window.AudioContext ?? (window as unknown as { webkitAudioContext?: typeof AudioContext }).webkitAudioContext;
  if (!C) return null;
  ctx = new C();
  ctx.onstatechange = () => stateListeners.forEach((l) => l());
  queueMicrotask(() => stateListeners.forEach((l) => l()));
  return ctx;
}

/** Call from a user gesture: creates/resumes the audio context. */
export function unlockAudio(): void {
  const a = audio();
  if (a && a.state === 'suspended') void a.resume().catch(() => undefined);
}

export function audioBlocked(): boolean {
  return !ctx || ctx.state !== 'running';
}

export function onAudioState(l: () => void): () => void {
  stateListeners.add(l);
  return () => stateListeners.delete(l);
}

function beep(): void {
  const a = ctx;
  if (!a || a.state !== 'running') return;
  const t0 = a.currentTime;
  for (const [i, f] of [880, 660, 880].entries()) {
    const osc = a.createOscillator();
    const gain = a.createGain();
    osc.type = 'square';
    osc.frequency.value = f;
    const s = t0 + i * 0.22;
    gain.gain.setValueAtTime(0.0001, s);
    gain.gain.exponentialRampToValueAtTime(0.15, s + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, s + 0.2);
    osc.connect(gain).connect(a.destination);
    osc.start(s);
    osc.stop(s + 0.21);
  }
}

/** Start (idempotent) or stop the repeating alarm. */
export function setAlarm(on: boolean): void {
  if (on && !timer) {
    beep();
    timer = setInterval(beep, 1500);
  } else if (!on && timer) {
    clearInterval(timer);
    timer = null;
  }
}

export function alarmOn(): boolean {
  return timer !== null;
}
