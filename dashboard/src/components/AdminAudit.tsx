// Audit log 操作日志: who did what, with before → after, filtered by person, area and date.
import { useState } from 'react';
import { useAsync } from '../hooks.js';
import { useI18n } from '../store.js';
import type { I18n } from '../i18n.js';
import { adminApi, type AuditEntry, type UserView } from './AdminApi.js';
import { AdminError, adminLabel } from './AdminCommon.js';
import { Empty, Panel } from './common.js';

const AREAS = ['site.', 'building.', 'unit.', 'user.', 'contact.', 'setting.', 'device.', 'login'] as const;
const PAGE = 100;

/** Local midnight of a YYYY-MM-DD input (the browser's time zone, as the operator reads dates). */
const dayStart = (d: string) => (d ? new Date(`${d}T00:00:00`).getTime() : undefined);

function who(t: I18n, actor: string, users: UserView[]): string {
  if (actor.startsWith('user:')) {
    const u = users.find((x) => x.id === actor.slice(5));
    return u ? u.displayName : actor;
  }
  if (actor === 'system:demo') return t.t('adm.audit.demo');
  if (actor.startsWith('anon:')) return actor.slice(5);
  return t.t('adm.audit.system');
}

function target(t: I18n, ref: string, users: UserView[]): string {
  if (ref.startsWith('user:')) return users.find((u) => u.id === ref.slice(5))?.displayName ?? ref;
  if (ref.startsWith('setting:'))
    return adminLabel(t, `adm.set.${ref.slice(8)}`, ref.slice(8) === 'calendar' ? t.t('adm.calendar') : ref.slice(8));
  return ref;
}

function change(data: unknown): string {
  if (!data || typeof data !== 'object') return '';
  const d = data as Record<string, unknown>;
  const fmt = (v: unknown) => (typeof v === 'object' ? JSON.stringify(v) : String(v));
  if ('before' in d || 'after' in d) return `${'before' in d ? fmt(d.before) : '—'} → ${'after' in d ? fmt(d.after) : '—'}`;
  return Object.keys(d).length ? JSON.stringify(d) : '';
}

export function AdminAudit() {
  const t = useI18n();
  const users = useAsync(() => adminApi.users(), []);
  const [actor, setActor] = useState('');
  const [area, setArea] = useState('');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [older, setOlder] = useState<AuditEntry[]>([]);
  const filters = { actor, action: area, from: dayStart(from), to: to ? dayStart(to)! + 86_400_000 : undefined, limit: PAGE };
  const rows = useAsync(() => adminApi.audit(filters), [actor, area, from, to]);
  const list = [...(rows.data ?? []), ...older];
  const all = users.data ?? [];
  return (
    <Panel title={t.t('adm.audit')} testId="admin-audit">
      <div className="row">
        <label>
          {t.t('adm.audit.actor')}{' '}
          <select value={actor} onChange={(e) => (setActor(e.target.value), setOlder([]))} data-testid="audit-actor">
            <option value="">{t.t('common.all')}</option>
            {all.map((u) => (
              <option key={u.id} value={`user:${u.id}`}>
                {u.displayName} ({u.username})
              </option>
            ))}
            <option value="system:demo">{t.t('adm.audit.demo')}</option>
          </select>
        </label>
        <label>
          {t.t('adm.audit.area')}{' '}
          <select value={area} onChange={(e) => (setArea(e.target.value), setOlder([]))} data-testid="audit-area">
            <option value="">{t.t('common.all')}</option>
            {AREAS.map((a) => (
              <option key={a} value={a}>
                {adminLabel(t, `adm.area.${a}`, a)}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t.t('adm.from')}{' '}
          <input type="date" value={from} onChange={(e) => (setFrom(e.target.value), setOlder([]))} data-testid="audit-from" />
        </label>
        <label>
          {t.t('adm.to')} <input type="date" value={to} onChange={(e) => (setTo(e.target.value), setOlder([]))} data-testid="audit-to" />
        </label>
      </div>
      <AdminError error={rows.error} />
      {list.length === 0 && !rows.loading ? <Empty>{t.t('adm.audit.empty')}</Empty> : null}
      {list.length > 0 ? (
        <table className="table" data-testid="audit-table">
          <thead>
            <tr>
              <th>{t.t('common.time')}</th>
              <th>{t.t('adm.audit.actor')}</th>
              <th>{t.t('adm.audit.action')}</th>
              <th>{t.t('adm.audit.target')}</th>
              <th>{t.t('adm.audit.change')}</th>
            </tr>
          </thead>
          <tbody>
            {list.map((r) => (
              <tr key={r.seq} data-testid="audit-row" data-action={r.action}>
                <td className="nowrap">{t.dateTime(r.at)}</td>
                <td>{who(t, r.actor, all)}</td>
                <td>{adminLabel(t, `adm.action.${r.action}`, r.action)}</td>
                <td className="mono">{target(t, r.target, all)}</td>
                <td className="mono pre">{change(r.data)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {list.length >= PAGE && list.length % PAGE === 0 ? (
        <button
          type="button"
          onClick={() => {
            const last = list[list.length - 1]!;
            void adminApi.audit({ ...filters, before: last.seq }).then((more) => setOlder([...older, ...more]));
          }}
        >
          {t.t('adm.audit.more')}
        </button>
      ) : null}
    </Panel>
  );
}
