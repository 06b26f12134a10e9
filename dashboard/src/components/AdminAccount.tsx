// My account: change one's own password (the current one is required). Every session of the
// user ends with the change, so the screen sends them back to the login.
import { useState, type FormEvent } from 'react';
import { toast, useI18n, useStore } from '../store.js';
import { adminApi } from './AdminApi.js';
import { AdminError } from './AdminCommon.js';
import { Panel } from './common.js';

export function AdminAccount({ onChanged }: { onChanged: () => void }) {
  const t = useI18n();
  const user = useStore((s) => s.user);
  const [f, setF] = useState({ old: '', next: '', again: '' });
  const [err, setErr] = useState<unknown>(null);
  const [local, setLocal] = useState<string | null>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setErr(null);
    setLocal(null);
    if (f.next !== f.again) return setLocal(t.t('acct.mismatch'));
    try {
      await adminApi.changeOwnPassword(f.old, f.next);
      toast(t.t('acct.done'), 'ok', 8000);
      onChanged();
    } catch (x) {
      setErr(x);
    }
  };
  return (
    <Panel title={t.t('acct.title')} testId="account">
      <p className="muted">
        {user?.displayName} ({user?.username}) · {t.role(user?.role ?? '')}
      </p>
      <form className="provision" onSubmit={submit} data-testid="password-form">
        <input type="text" name="username" autoComplete="username" value={user?.username ?? ''} readOnly hidden />
        <label>
          {t.t('acct.old')}
          <input
            name="old"
            type="password"
            autoComplete="current-password"
            value={f.old}
            onChange={(e) => setF({ ...f, old: e.target.value })}
            required
          />
        </label>
        <label>
          {t.t('acct.new')}
          <input
            name="new"
            type="password"
            autoComplete="new-password"
            minLength={10}
            value={f.next}
            onChange={(e) => setF({ ...f, next: e.target.value })}
            required
            placeholder={t.t('acct.policy')}
          />
        </label>
        <label>
          {t.t('acct.confirm')}
          <input
            name="again"
            type="password"
            autoComplete="new-password"
            value={f.again}
            onChange={(e) => setF({ ...f, again: e.target.value })}
            required
          />
        </label>
        <div className="provision-submit">
          {local ? (
            <p className="error" role="alert">
              {local}
            </p>
          ) : null}
          <AdminError error={err} />
          <button type="submit" className="primary" data-testid="password-submit">
            {t.t('acct.submit')}
          </button>
        </div>
      </form>
    </Panel>
  );
}
