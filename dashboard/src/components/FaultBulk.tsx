// The control room's device-fault list with multi-select (issue 14): acknowledge or close many
// faults with one reason (POST /api/incidents/bulk). The hub runs each through the fault
// procedure's own action, so what this list offers is only a shortcut: every refusal comes
// back for its fault and is shown next to it, nothing is dropped silently.
import { useMemo, useState } from 'react';
import type { BulkView } from '../../../contracts/incidents.js';
import { request, type IncidentView } from '../api.js';
import { navigate } from '../router.js';
import { refetch } from '../live.js';
import { useI18n, useStore } from '../store.js';
import { useNow } from '../hooks.js';
import { ErrorLine, Panel, StateBadge } from './common.js';

const BULK_ROLES = ['operator', 'supervisor', 'admin'];

/** "已静音至 10:30" while a snooze is in force (the hub ends it at its limit). */
export function SnoozeMark({ incident, now }: { incident: IncidentView; now: number }) {
  const t = useI18n();
  const until = (incident.data as { snooze?: { until?: number } | null }).snooze?.until;
  if (typeof until !== 'number' || until <= now) return null;
  return (
    <span className="snooze-mark" data-testid="snooze-mark" data-until={until}>
      {t.t('snooze.until', { time: t.time(until) })}
    </span>
  );
}

export function FaultBulk() {
  const t = useI18n();
  const now = useNow();
  const role = useStore((s) => s.user?.role);
  const incidents = useStore((s) => s.incidents);
  const faults = useMemo(
    () =>
      Object.values(incidents)
        .filter((i) => i.open && i.kind === 'device_fault')
        .sort((a, b) => a.openedAt - b.openedAt),
    [incidents],
  );
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [result, setResult] = useState<BulkView | null>(null);
  if (!role || !BULK_ROLES.includes(role)) return null;

  // a fault that closed meanwhile is no longer selectable
  const chosen = faults.filter((f) => selected.has(f.id)).map((f) => f.id);
  const numberOf = new Map(Object.values(incidents).map((i) => [i.id, i]));
  const toggle = (id: string) =>
    setSelected((s) => {
      const n = new Set(s);
      if (n.has(id)) n.delete(id);
      else n.add(id);
      return n;
    });
  const run = async (action: 'acknowledge' | 'close') => {
    setBusy(true);
    setError(null);
    try {
      const r = await request<BulkView>('POST', '/api/incidents/bulk', { action, ids: chosen, reason: reason.trim() });
      setResult(r);
      setSelected(new Set(r.results.filter((x) => !x.ok).map((x) => x.id)));
      await refetch({ incidents: true });
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Panel
      title={
        <>
          {t.t('bulk.title')} <span className="count">{faults.length}</span>
        </>
      }
      testId="fault-bulk"
    >
      {faults.length === 0 ? <p className="empty">{t.t('bulk.none')}</p> : null}
      {faults.length > 0 ? (
        <>
          <label className="check bulk-all">
            <input
              type="checkbox"
              checked={chosen.length === faults.length}
              onChange={(e) => setSelected(new Set(e.target.checked ? faults.map((f) => f.id) : []))}
              data-testid="bulk-select-all"
            />
            {t.t('bulk.selectAll')} · {t.t('bulk.selected', { n: chosen.length })}
          </label>
          <ul className="bulk-list">
            {faults.map((f) => {
              const href = `/incidents/${encodeURIComponent(f.id)}`;
              return (
                <li key={f.id} data-testid="bulk-fault" data-incident-id={f.id} data-state={f.state}>
                  <input
                    type="checkbox"
                    checked={selected.has(f.id)}
                    onChange={() => toggle(f.id)}
                    aria-label={`#${f.number} ${t.msg(f.titleMsg)}`}
                    data-testid="bulk-check"
                  />
                  <a
                    href={href}
                    onClick={(e) => {
                      if (e.ctrlKey || e.metaKey || e.shiftKey) return;
                      e.preventDefault();
                      navigate(href);
                    }}
                  >
                    <span className="card-no">#{f.number}</span> {t.msg(f.titleMsg)}
                  </a>
                  <StateBadge kind={f.kind} state={f.state} open={f.open} />
                  <SnoozeMark incident={f} now={now} />
                </li>
              );
            })}
          </ul>
          <label className="bulk-reason">
            {t.t('bulk.reason')}
            <input
              type="text"
              value={reason}
              maxLength={2000}
              placeholder={t.t('bulk.reasonHint')}
              onChange={(e) => setReason(e.target.value)}
              data-testid="bulk-reason"
            />
          </label>
          {chosen.length > 0 && !reason.trim() ? <p className="muted">{t.t('bulk.needReason')}</p> : null}
          <div className="bulk-buttons">
            <button
              type="button"
              className="primary"
              disabled={busy || chosen.length === 0 || !reason.trim()}
              onClick={() => void run('acknowledge')}
              data-testid="bulk-ack"
            >
              {t.t('bulk.ack')}
            </button>
            <button
              type="button"
              disabled={busy || chosen.length === 0 || !reason.trim()}
              onClick={() => void run('close')}
              data-testid="bulk-close"
            >
              {t.t('bulk.close')}
            </button>
          </div>
        </>
      ) : null}
      <ErrorLine error={error} />
      {result ? (
        <div className="bulk-result" data-testid="bulk-result" data-done={result.done} data-failed={result.failed}>
          <p>{t.t('bulk.result', { done: result.done, failed: result.failed })}</p>
          <ul>
            {result.results
              .filter((r) => !r.ok)
              .map((r) => {
                const i = numberOf.get(r.id);
                return (
                  <li key={r.id} className="error" data-testid="bulk-failure" data-incident-id={r.id}>
                    {i ? `#${i.number} ${t.msg(i.titleMsg)}:` : ''}
                    {r.message ?? r.code}
                  </li>
                );
              })}
          </ul>
        </div>
      ) : null}
    </Panel>
  );
}
