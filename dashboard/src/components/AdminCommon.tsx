// Pieces shared by the administration screens: errors in the UI's language, a building
// picker for scopes, the list whose rows turn into their edit form, and the box that shows a
// generated password once.
import { Fragment, useState, type ReactNode } from 'react';
import { ApiError } from '../api.js';
import type { I18n } from '../i18n.js';
import { useI18n } from '../store.js';
import { ADMIN_UI } from '../i18n/admin.js';
import type { BuildingView } from './AdminApi.js';
import { Empty } from './common.js';

/** Server messages come as "中文 / English" (contracts/records.ts bi): show the locale's half. */
export function localMessage(message: string, locale: string): string {
  const m = /^(.*[\u3400-\u9fff].*?) \/ ([^\u3400-\u9fff]*)$/s.exec(message);
  if (!m) return message;
  return locale === 'zh-CN' ? m[1]! : m[2]!;
}

export function adminErrorText(t: I18n, err: unknown): string {
  if (err instanceof ApiError) {
    if (err.code === 'NETWORK') return t.t('error.network');
    const head = t.error(err.code);
    const msg = err.message ? localMessage(err.message, t.locale) : '';
    return msg && msg !== head ? `${head}:${msg}` : head;
  }
  return t.t('error.generic');
}

export function AdminError({ error }: { error: unknown }) {
  const t = useI18n();
  if (!error) return null;
  return (
    <p className="error" role="alert" data-testid="admin-error">
      {adminErrorText(t, error)}
    </p>
  );
}

/**
 * An admin list (buildings, contacts, telemetry rules): a table whose row `editing` is replaced
 * in place by its edit form spanning the whole row; `empty` instead of a table without rows.
 * `row` renders the other rows' whole `<tr>` (its key, test id and class are the caller's).
 */
export function EditableTable<T extends { id: string }>({
  items,
  empty,
  headers,
  editing,
  form,
  row,
}: {
  items: readonly T[];
  empty: ReactNode;
  headers: ReactNode[];
  editing: string | null;
  form: (item: T) => ReactNode;
  row: (item: T) => ReactNode;
}) {
  if (items.length === 0) return <Empty>{empty}</Empty>;
  return (
    <table className="table">
      <thead>
        <tr>
          {headers.map((h, i) => (
            <th key={i}>{h}</th>
          ))}
          <th />
        </tr>
      </thead>
      <tbody>
        {items.map((item) =>
          editing === item.id ? (
            <tr key={item.id}>
              <td colSpan={headers.length + 1}>{form(item)}</td>
            </tr>
          ) : (
            <Fragment key={item.id}>{row(item)}</Fragment>
          ),
        )}
      </tbody>
    </table>
  );
}

/** Choose buildings (a user's scope, a contact's buildings); none chosen = every building. */
export function BuildingPicker({
  buildings,
  value,
  onChange,
  testId,
}: {
  buildings: BuildingView[];
  value: string[];
  onChange: (v: string[]) => void;
  testId?: string;
}) {
  const t = useI18n();
  return (
    <fieldset className="building-picker" data-testid={testId}>
      {buildings.map((b) => (
        <label key={b.id} className="chip">
          <input
            type="checkbox"
            value={b.id}
            checked={value.includes(b.id)}
            onChange={(e) => onChange(e.target.checked ? [...value, b.id] : value.filter((x) => x !== b.id))}
          />{' '}
          {b.name}
        </label>
      ))}
      <small className="muted">{t.t('adm.scopeHint')}</small>
    </fieldset>
  );
}

export function buildingNames(ids: readonly string[], buildings: BuildingView[], t: I18n): string {
  if (ids.length === 0) return t.t('adm.allBuildings');
  return ids.map((id) => buildings.find((b) => b.id === id)?.name ?? id).join('、');
}

export function OneTimePassword({ user, password, onClose }: { user: string; password: string; onClose: () => void }) {
  const t = useI18n();
  const [copied, setCopied] = useState(false);
  return (
    <div className="secret-box" role="alertdialog" aria-labelledby="otp-title" data-testid="one-time-password">
      <h2 id="otp-title">{t.t('adm.passwordTitle', { user })}</h2>
      <p className="warn">{t.t('adm.passwordWarn')}</p>
      <code className="secret" data-testid="one-time-password-value">
        {password}
      </code>
      <div className="row">
        <button type="button" onClick={() => void navigator.clipboard?.writeText(password).then(() => setCopied(true))}>
          {copied ? t.t('common.copied') : t.t('common.copy')}
        </button>
        <button type="button" className="primary" onClick={onClose} data-testid="one-time-password-close">
          {t.t('common.close')}
        </button>
      </div>
    </div>
  );
}

/** A dynamic admin key (e.g. `adm.kind.${kind}`), or the fallback when there is none. */
export function adminLabel(t: I18n, key: string, fallback = key, params?: Record<string, unknown>): string {
  return Object.hasOwn(ADMIN_UI, key) ? t.t(key as keyof typeof ADMIN_UI, params) : fallback;
}
