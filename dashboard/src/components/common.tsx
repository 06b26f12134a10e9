// Small shared pieces: countdown chips, connection indicator, error line, state badges.
// Everything renders device/visitor text as React text nodes (never as HTML).
import { useEffect, useRef, useState, type ReactNode } from 'react';
import type { IncidentKind } from '../../../contracts/domain.js';
import type { IncidentView } from '../api.js';
import { useNow, errorText } from '../hooks.js';
import { useI18n, useStore } from '../store.js';

export function Countdown({
  kind,
  timer,
  compact = false,
}: {
  kind: IncidentKind;
  timer: IncidentView['timers'][number];
  compact?: boolean;
}) {
  const t = useI18n();
  const now = useNow();
  const left = timer.dueAt - now;
  const overdue = left < 0;
  const urgent = !overdue && left <= 10_000;
  return (
    <span
      className={`countdown${overdue ? ' overdue' : urgent ? ' urgent' : ''}${compact ? ' compact' : ''}`}
      data-testid={`timer-${timer.key}`}
      data-due={timer.dueAt}
      role="timer"
      aria-live="off"
    >
      <span className="countdown-label">{t.proc(kind, 'timer', timer.key)}</span>
      <span className="countdown-value">
        {overdue ? t.t('timer.overdue', { d: t.duration(-left) }) : t.t('timer.remaining', { d: t.duration(left) })}
      </span>
    </span>
  );
}

export function runningTimers(i: IncidentView): IncidentView['timers'] {
  return i.timers.filter((x) => x.status === 'running').sort((a, b) => a.dueAt - b.dueAt);
}

export function ConnIndicator() {
  const t = useI18n();
  const conn = useStore((s) => s.conn);
  const at = useStore((s) => s.lastSyncAt);
  return (
    <span className={`conn conn-${conn}`} data-testid="conn" data-state={conn} title={t.t('conn.title')} role="status" aria-live="polite">
      <span className="conn-dot" aria-hidden="true" />
      {t.t(`conn.${conn}`)}
      {conn === 'online' && at ? <small>{t.t('conn.syncedAt', { time: t.time(at) })}</small> : null}
    </span>
  );
}

export function ErrorLine({ error }: { error: unknown }) {
  const t = useI18n();
  if (!error) return null;
  return (
    <p className="error" role="alert" data-testid="error">
      {errorText(t, error)}
    </p>
  );
}

export function Panel({
  title,
  actions,
  children,
  className = '',
  testId,
}: {
  title: ReactNode;
  actions?: ReactNode;
  children: ReactNode;
  className?: string;
  testId?: string;
}) {
  return (
    <section className={`panel ${className}`} data-testid={testId}>
      <header className="panel-head">
        <h2>{title}</h2>
        {actions ? <div className="panel-actions">{actions}</div> : null}
      </header>
      <div className="panel-body">{children}</div>
    </section>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="empty">{children}</p>;
}

export function KindBadge({ kind }: { kind: IncidentKind }) {
  const t = useI18n();
  return <span className={`kind kind-${kind}`}>{t.kind(kind)}</span>;
}

export function StateBadge({ kind, state, open }: { kind: IncidentKind; state: string; open: boolean }) {
  const t = useI18n();
  return (
    <span className={`state-badge state-${state}${open ? '' : ' closed'}`} data-testid="incident-state" data-state={state}>
      {t.proc(kind, 'state', state)}
    </span>
  );
}

/** A button that runs an async job, disables itself meanwhile and shows the translated error. */
export function AsyncButton({
  onRun,
  children,
  className = '',
  testId,
  disabled,
  title,
}: {
  onRun: () => Promise<unknown>;
  children: ReactNode;
  className?: string;
  testId?: string;
  disabled?: boolean;
  title?: string;
}) {
  const [busy, setBusy] = useState(false);
  const [err, setErr] = useState<unknown>(null);
  const alive = useRef(true);
  useEffect(
    () => () => {
      alive.current = false;
    },
    [],
  );
  return (
    <span className="async-button">
      <button
        type="button"
        className={className}
        data-testid={testId}
        disabled={busy || disabled}
        title={title}
        onClick={() => {
          setBusy(true);
          setErr(null);
          onRun()
            .catch((e: unknown) => alive.current && setErr(e))
            .finally(() => alive.current && setBusy(false));
        }}
      >
        {children}
      </button>
      <ErrorLine error={err} />
    </span>
  );
}

/** Local-time value for <input type="datetime-local"> and back. */
export function toLocalInput(ms: number): string {
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000);
  return d.toISOString().slice(0, 16);
}
export function fromLocalInput(v: string): number | null {
  if (!v) return null;
  const n = new Date(v).getTime();
  return Number.isNaN(n) ? null : n;
}

export function buildingsOf(devices: Record<string, { building: string; site: string }>): string[] {
  return [...new Set(Object.values(devices).map((d) => d.building))].sort();
}

/**
 * Who wrote a duty-log entry, as a person reads it: a device by its name, the hub or one of a
 * procedure's timers as 系统 (the entry itself says which timer), a person by the name the hub sent.
 */
export function useActorName(): (e: { actor: string; actorName?: string | null }) => string {
  const t = useI18n();
  const devices = useStore((s) => s.devices);
  return (e) => {
    if (e.actorName) return e.actorName;
    const a = e.actor;
    if (a.startsWith('device:')) return devices[a.slice(7)]?.name ?? a.slice(7);
    if (a === 'system' || a === 'hub' || a.startsWith('timer:')) return t.t('actor.system');
    return a;
  };
}
