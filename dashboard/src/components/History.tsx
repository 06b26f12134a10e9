// Incident history 事件历史 (issue 14): every incident, closed ones forever, searched by kind,
// building, state, opening date and text (title, notes, device name, number), a page at a
// time, and the same search as a CSV file for Excel (GET /api/incidents/search, /export).
// Names, never ids: the hub sends building and device names; titles are rendered here from
// their message (so switching the language needs no refetch).
import { useCallback, useEffect, useMemo, useState, type FormEvent } from 'react';
import type { IncidentKind } from '../../../contracts/domain.js';
import type { HistoryPage } from '../../../contracts/incidents.js';
import { request } from '../api.js';
import { navigate } from '../router.js';
import { useI18n, useStore } from '../store.js';
import { Empty, ErrorLine, KindBadge, Panel, StateBadge, buildingsOf } from './common.js';

const PAGE_SIZE = 25;

interface Filters {
  kind: string;
  building: string;
  state: 'all' | 'open' | 'closed';
  from: string;
  to: string;
  q: string;
}
const EMPTY: Filters = { kind: '', building: '', state: 'all', from: '', to: '', q: '' };

/** A calendar day in the browser's time zone → its first millisecond (and the next day's, for `to`). */
function dayStart(day: string, plusDays = 0): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!m) return undefined;
  return new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]) + plusDays).getTime();
}

/** The query string of a search (the page and the export share it). */
function queryOf(f: Filters, extra: Record<string, string | number> = {}): string {
  const s = new URLSearchParams();
  if (f.kind) s.set('kind', f.kind);
  if (f.building) s.set('building', f.building);
  s.set('state', f.state);
  const from = dayStart(f.from);
  // the end day is included: up to the next day's start
  const to = dayStart(f.to, 1);
  if (from !== undefined) s.set('from', String(from));
  if (to !== undefined) s.set('to', String(to));
  if (f.q.trim()) s.set('q', f.q.trim());
  for (const [k, v] of Object.entries(extra)) s.set(k, String(v));
  return s.toString();
}

export function History() {
  const t = useI18n();
  const devices = useStore((s) => s.devices);
  const procedures = useStore((s) => s.procedures);
  const buildings = useMemo(() => buildingsOf(devices), [devices]);
  const kinds = useMemo(() => (procedures?.kinds ?? []).map((k) => k.kind), [procedures]);
  const [draft, setDraft] = useState<Filters>(EMPTY);
  const [applied, setApplied] = useState<Filters>(EMPTY);
  const [page, setPage] = useState(1);
  const [result, setResult] = useState<HistoryPage | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const load = useCallback(async (f: Filters, p: number) => {
    setBusy(true);
    setError(null);
    try {
      setResult(await request<HistoryPage>('GET', `/api/incidents/search?${queryOf(f, { page: p, pageSize: PAGE_SIZE })}`));
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }, []);

  useEffect(() => {
    void load(applied, page);
  }, [applied, page, load]);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setApplied(draft);
    setPage(1);
  };
  const set = <K extends keyof Filters>(k: K, v: Filters[K]) => setDraft((d) => ({ ...d, [k]: v }));
  const pages = result ? Math.max(1, Math.ceil(result.total / PAGE_SIZE)) : 1;
  const csvUrl = `/api/incidents/export?${queryOf(applied, { lang: t.locale })}`;

  return (
    <div className="history" data-testid="history-page">
      <Panel
        title={t.t('history.title')}
        actions={
          <a className="button" href={csvUrl} download="incidents.csv" data-testid="history-csv">
            {t.t('history.csv')}
          </a>
        }
      >
        <form className="history-filters" onSubmit={submit} aria-label={t.t('history.title')}>
          <label>
            {t.t('history.kind')}
            <select value={draft.kind} onChange={(e) => set('kind', e.target.value)} data-testid="history-kind">
              <option value="">{t.t('history.all')}</option>
              {kinds.map((k) => (
                <option key={k} value={k}>
                  {t.kind(k)}
                </option>
              ))}
            </select>
          </label>
          <label>
            {t.t('history.building')}
            <select value={draft.building} onChange={(e) => set('building', e.target.value)} data-testid="history-building">
              <option value="">{t.t('history.all')}</option>
              {buildings.map((b) => (
                <option key={b} value={b}>
                  {t.building(b)}
                </option>
              ))}
            </select>
          </label>
          <label>
            {t.t('history.state')}
            <select value={draft.state} onChange={(e) => set('state', e.target.value as Filters['state'])} data-testid="history-state">
              <option value="all">{t.t('history.all')}</option>
              <option value="open">{t.t('history.open')}</option>
              <option value="closed">{t.t('history.closed')}</option>
            </select>
          </label>
          <label>
            {t.t('history.from')}
            <input type="date" value={draft.from} onChange={(e) => set('from', e.target.value)} data-testid="history-from" />
          </label>
          <label>
            {t.t('history.to')}
            <input type="date" value={draft.to} onChange={(e) => set('to', e.target.value)} data-testid="history-to" />
          </label>
          <label className="history-q">
            {t.t('history.q')}
            <input
              type="search"
              value={draft.q}
              maxLength={200}
              placeholder={t.t('history.qHint')}
              onChange={(e) => set('q', e.target.value)}
              data-testid="history-q"
            />
          </label>
          <button type="submit" className="primary" disabled={busy} data-testid="history-search">
            {t.t('history.search')}
          </button>
          <button
            type="button"
            onClick={() => {
              setDraft(EMPTY);
              setApplied(EMPTY);
              setPage(1);
            }}
          >
            {t.t('history.reset')}
          </button>
        </form>
        <ErrorLine error={error} />
        {result ? (
          <p className="muted" data-testid="history-total" data-total={result.total}>
            {t.t('history.total', { n: result.total })}
          </p>
        ) : null}
        {result && result.items.length === 0 ? <Empty>{t.t('history.none')}</Empty> : null}
        {result && result.items.length > 0 ? (
          <table className="history-table">
            <thead>
              <tr>
                <th>{t.t('history.col.no')}</th>
                <th>{t.t('history.kind')}</th>
                <th>{t.t('history.col.title')}</th>
                <th>{t.t('history.state')}</th>
                <th>{t.t('history.col.where')}</th>
                <th>{t.t('history.col.opened')}</th>
                <th>{t.t('history.col.closed')}</th>
              </tr>
            </thead>
            <tbody>
              {result.items.map((r) => {
                const href = `/incidents/${encodeURIComponent(r.id)}`;
                return (
                  <tr key={r.id} data-testid="history-row" data-incident-id={r.id} data-kind={r.kind} data-open={String(r.open)}>
                    <td>
                      <a
                        href={href}
                        onClick={(e) => {
                          if (e.ctrlKey || e.metaKey || e.shiftKey) return;
                          e.preventDefault();
                          navigate(href);
                        }}
                      >
                        #{r.number}
                      </a>
                    </td>
                    <td>
                      <KindBadge kind={r.kind as IncidentKind} />
                    </td>
                    <td>{t.msg(r.titleMsg)}</td>
                    <td>
                      <StateBadge kind={r.kind as IncidentKind} state={r.state} open={r.open} />
                    </td>
                    <td>
                      {[r.buildingName, r.floor !== null ? t.t('common.floorN', { n: r.floor }) : null, r.deviceName]
                        .filter(Boolean)
                        .join(' · ')}
                    </td>
                    <td>{t.dateTime(r.openedAt)}</td>
                    <td>{t.dateTime(r.closedAt)}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        ) : null}
        {result && result.total > PAGE_SIZE ? (
          <nav className="history-pages" aria-label={t.t('history.page', { page, pages })}>
            <button type="button" disabled={page <= 1 || busy} onClick={() => setPage((p) => p - 1)} data-testid="history-prev">
              {t.t('history.prev')}
            </button>
            <span data-testid="history-page-no">{t.t('history.page', { page, pages })}</span>
            <button type="button" disabled={page >= pages || busy} onClick={() => setPage((p) => p + 1)} data-testid="history-next">
              {t.t('history.next')}
            </button>
          </nav>
        ) : null}
      </Panel>
    </div>
  );
}
