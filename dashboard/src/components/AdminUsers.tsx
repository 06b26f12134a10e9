// Staff accounts 员工账号: create (a generated password is shown once), change role, building
// scope, disable (the person is logged out at once), reset a password.
import { useState, type FormEvent } from 'react';
import type { Role } from '../../../contracts/domain.js';
import { useAsync } from '../hooks.js';
import { toast, useI18n, useStore } from '../store.js';
import { adminApi, type BuildingView, type UserView } from './AdminApi.js';
import { AdminError, BuildingPicker, OneTimePassword, buildingNames } from './AdminCommon.js';
import { AsyncButton, Panel } from './common.js';

// contracts/domain.ts ROLES (not imported: that module pulls zod into the bundle)
const ROLES: readonly Role[] = ['operator', 'frontdesk', 'supervisor', 'admin'];

export function AdminUsers() {
  const t = useI18n();
  const me = useStore((s) => s.user);
  const users = useAsync(() => adminApi.users(), []);
  const buildings = useAsync(() => adminApi.buildings(), []);
  const [shown, setShown] = useState<{ user: string; password: string } | null>(null);
  const [scopeOf, setScopeOf] = useState<string | null>(null);
  const all = buildings.data ?? [];
  return (
    <div className="admin-users">
      {shown ? <OneTimePassword user={shown.user} password={shown.password} onClose={() => setShown(null)} /> : null}
      <Panel title={t.t('adm.users')} testId="admin-users">
        <AdminError error={users.error} />
        <table className="table">
          <thead>
            <tr>
              <th>{t.t('adm.username')}</th>
              <th>{t.t('adm.displayName')}</th>
              <th>{t.t('adm.role')}</th>
              <th>{t.t('adm.scope')}</th>
              <th>{t.t('adm.status')}</th>
              <th>{t.t('adm.passwordChangedAt')}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {(users.data ?? []).map((u) => (
              <tr key={u.id} data-testid={`user-row-${u.username}`} data-disabled={u.disabled} className={u.disabled ? 'disabled' : ''}>
                <td className="mono">{u.username}</td>
                <td>{u.displayName}</td>
                <td>
                  <RoleSelect u={u} onChanged={users.reload} />
                </td>
                <td>
                  {scopeOf === u.id ? (
                    <ScopeEditor u={u} buildings={all} onDone={() => (setScopeOf(null), users.reload())} />
                  ) : (
                    <>
                      {buildingNames(u.buildings, all, t)}{' '}
                      <button type="button" className="small ghost" onClick={() => setScopeOf(u.id)} data-testid={`scope-${u.username}`}>
                        {t.t('adm.edit')}
                      </button>
                    </>
                  )}
                </td>
                <td>{u.disabled ? t.t('adm.disabled') : t.t('adm.active')}</td>
                <td className="nowrap">{t.dateTime(u.passwordChangedAt)}</td>
                <td className="nowrap">
                  <AsyncButton
                    className={u.disabled ? 'small' : 'small danger'}
                    testId={`toggle-${u.username}`}
                    disabled={u.id === me?.id}
                    onRun={async () => {
                      if (!u.disabled && !window.confirm(t.t('adm.disableConfirm'))) return;
                      await adminApi.patchUser(u.id, { disabled: !u.disabled });
                      users.reload();
                    }}
                  >
                    {u.disabled ? t.t('adm.enable') : t.t('adm.disable')}
                  </AsyncButton>
                  <AsyncButton
                    className="small"
                    testId={`reset-${u.username}`}
                    onRun={async () => {
                      if (!window.confirm(t.t('adm.resetConfirm'))) return;
                      const r = await adminApi.resetPassword(u.id);
                      if (r.password) setShown({ user: u.username, password: r.password });
                      users.reload();
                    }}
                  >
                    {t.t('adm.resetPassword')}
                  </AsyncButton>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </Panel>
      <CreateUser
        buildings={all}
        onCreated={(user, password) => {
          if (password) setShown({ user, password });
          users.reload();
        }}
      />
    </div>
  );
}

function RoleSelect({ u, onChanged }: { u: UserView; onChanged: () => void }) {
  const t = useI18n();
  const [err, setErr] = useState<unknown>(null);
  return (
    <>
      <select
        value={u.role}
        aria-label={t.t('adm.role')}
        data-testid={`role-${u.username}`}
        onChange={(e) => {
          const role = e.target.value;
          if (!window.confirm(t.t('adm.roleConfirm'))) return;
          setErr(null);
          adminApi.patchUser(u.id, { role }).then(onChanged, setErr);
        }}
      >
        {ROLES.map((r) => (
          <option key={r} value={r}>
            {t.role(r)}
          </option>
        ))}
      </select>
      <AdminError error={err} />
    </>
  );
}

function ScopeEditor({ u, buildings, onDone }: { u: UserView; buildings: BuildingView[]; onDone: () => void }) {
  const t = useI18n();
  const [value, setValue] = useState(u.buildings);
  const [err, setErr] = useState<unknown>(null);
  return (
    <div data-testid={`scope-editor-${u.username}`}>
      <BuildingPicker buildings={buildings} value={value} onChange={setValue} />
      <AdminError error={err} />
      <button type="button" className="small" onClick={onDone}>
        {t.t('common.cancel')}
      </button>
      <button
        type="button"
        className="small primary"
        onClick={() => {
          if (!window.confirm(t.t('adm.scopeConfirm'))) return;
          adminApi.patchUser(u.id, { buildings: value }).then(onDone, setErr);
        }}
      >
        {t.t('common.save')}
      </button>
    </div>
  );
}

function CreateUser({ buildings, onCreated }: { buildings: BuildingView[]; onCreated: (username: string, password?: string) => void }) {
  const t = useI18n();
  const blank = { username: '', displayName: '', role: 'operator' as Role, password: '', buildings: [] as string[] };
  const [f, setF] = useState(blank);
  const [err, setErr] = useState<unknown>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setErr(null);
    try {
      const username = f.username.trim().toLowerCase();
      const r = await adminApi.createUser({
        username,
        displayName: f.displayName.trim(),
        role: f.role,
        ...(f.password ? { password: f.password } : {}),
        ...(f.buildings.length ? { buildings: f.buildings } : {}),
      });
      toast(t.t('adm.created', { id: username }), 'ok');
      setF(blank);
      onCreated(username, r.password);
    } catch (x) {
      setErr(x);
    }
  };
  return (
    <Panel title={t.t('adm.userNew')} testId="user-create">
      <form className="provision" onSubmit={submit} autoComplete="off" data-testid="user-form">
        <label>
          <span>
            {t.t('adm.username')} <span className="req">*</span>
          </span>
          <input
            name="username"
            value={f.username}
            onChange={(e) => setF({ ...f, username: e.target.value })}
            pattern="[a-z0-9][a-z0-9._@\-]{1,63}"
            required
            placeholder={t.t('adm.usernameHint')}
          />
        </label>
        <label>
          <span>
            {t.t('adm.displayName')} <span className="req">*</span>
          </span>
          <input
            name="displayName"
            value={f.displayName}
            onChange={(e) => setF({ ...f, displayName: e.target.value })}
            maxLength={64}
            required
          />
        </label>
        <label>
          {t.t('adm.role')}
          <select name="role" value={f.role} onChange={(e) => setF({ ...f, role: e.target.value as Role })}>
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {t.role(r)}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t.t('adm.password')}
          <input
            name="password"
            type="password"
            autoComplete="new-password"
            value={f.password}
            minLength={10}
            onChange={(e) => setF({ ...f, password: e.target.value })}
            placeholder={t.t('adm.passwordHint')}
          />
        </label>
        <div>
          <span>{t.t('adm.scope')}</span>
          <BuildingPicker buildings={buildings} value={f.buildings} onChange={(b) => setF({ ...f, buildings: b })} testId="user-scope" />
        </div>
        <div className="provision-submit">
          <AdminError error={err} />
          <button type="submit" className="primary" data-testid="user-submit">
            {t.t('adm.userNew')}
          </button>
        </div>
      </form>
    </Panel>
  );
}
