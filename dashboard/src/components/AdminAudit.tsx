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

/** Field names of audit before/after records, in the UI's language. */
const FIELD_KEYS: Record<string, string> = {
  name: 'adm.buildingName',
  address: 'adm.address',
  floors: 'adm.floors',
  lowestFloor: 'adm.lowestFloor',
  lobbyFloor: 'adm.lobbyFloor',
  building: 'adm.buildingId',
  number: 'adm.import.col.number',
  floor: 'adm.import.col.floor',
  ownerName: 'adm.import.col.ownerName',
  ownerPhone: 'adm.import.col.ownerPhone',
  username: 'adm.username',
  displayName: 'adm.displayName',
  role: 'adm.role',
  disabled: 'adm.disabled',
  buildings: 'adm.scope',
  kind: 'adm.contactKind',
  phone: 'adm.phone',
  phone24h: 'adm.phone24h',
  notes: 'common.notes',
  enabled: 'adm.enable',
  holidays: 'adm.holidays',
  workdays: 'adm.workdays',
};

function value(t: I18n, key: string, v: unknown): string {
  if (v === undefined || v === null) return '—';
  if (typeof v === 'boolean') return t.t(v ? 'common.yes' : 'common.no');
  if (key === 'role' && typeof v === 'string') return t.role(v);
  if (key === 'kind' && typeof v === 'string') return adminLabel(t, `adm.kind.${v}`, v);
  if (Array.isArray(v)) return v.length ? v.join('、') : key === 'buildings' ? t.t('adm.allBuildings') : '—';
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

function change(t: I18n, data: unknown): string {
  if (!data || typeof data !== 'object') return '';
  const d = data as Record<string, unknown>;
  const b = d.before;
  const a = d.after;
  const isRec = (x: unknown): x is Record<string, unknown> => !!x && typeof x === 'object' && !Array.isArray(x);
  if (isRec(b) || isRec(a)) {
    const keys = [...new Set([...Object.keys(isRec(b) ? b : {}), ...Object.keys(isRec(a) ? a : {})])];
    return keys
      .map((k) => {
        const label = FIELD_KEYS[k] ? adminLabel(t, FIELD_KEYS[k], k) : k;
        const was = isRec(b) ? value(t, k, b[k]) : '—';
        return `${label}:${was} → ${value(t, k, isRec(a) ? a[k] : undefined)}`;
      })
      .join(';');
  }
  if ('before' in d || 'after' in d) return `${value(t, '', b)} → ${value(t, '', a)}`;
  if (Array.isArray(d.created) || Array.isArray(d.updated))
    return `+${(d.created as unknown[] | undefined)?.length ?? 0} / ~${(d.updated as unknown[] | undefined)?.length ?? 0}`;
  return '';
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
                <td className="pre">{change(t, r.data)}</td>
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
