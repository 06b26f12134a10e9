// On-call rota 值班表 (supervisors, admins): who is on call now, the shifts (rotations and
// overrides), adding and removing shifts.
import { useState } from 'react';
import { useAsync } from '../hooks.js';
import { toast, useI18n } from '../store.js';
import { AsyncButton, Empty, ErrorLine, Panel, fromLocalInput, toLocalInput } from './common.js';
import { ONCALL_ROLES, notifyApi } from './NotificationsApi.js';

export function OnCall() {
  const t = useI18n();
  const rota = useAsync(() => notifyApi.onCall(), []);
  const people = useAsync(() => notifyApi.profiles(), []);
  const roleLabel = (r: string) => (r === 'manager' ? t.t('ntf.role.manager') : t.role(r));
  const [f, setF] = useState(() => ({
    userId: '',
    role: 'supervisor',
    from: toLocalInput(Date.now()),
    to: toLocalInput(Date.now() + 10 * 3600_000),
    repeat: '',
    until: '',
    override: false,
    buildings: '',
  }));
  const [err, setErr] = useState<unknown>(null);
  const users = people.data ?? [];
  const userId = f.userId || users[0]?.userId || '';
  return (
    <div className="sup-grid oncall">
      <Panel title={t.t('oncall.now')} testId="oncall-now">
        <ErrorLine error={rota.error} />
        {rota.data && rota.data.onCall.length === 0 ? <Empty>{t.t('oncall.nobody')}</Empty> : null}
        <ul>
          {(rota.data?.onCall ?? []).map((x) => (
            <li key={`${x.shiftId}-${x.from}`} data-testid={`oncall-now-${x.role}`}>
              <strong>{roleLabel(x.role)}</strong> · {x.displayName} · {t.time(x.from)}–{t.time(x.to)}
              {x.override ? ` · ${t.t('oncall.override')}` : ''}
            </li>
          ))}
        </ul>
      </Panel>
      <Panel title={t.t('oncall.new')} testId="oncall-new">
        <form
          className="walkin"
          onSubmit={(e) => {
            e.preventDefault();
            setErr(null);
            notifyApi
              .addShift({
                userId,
                role: f.role,
                from: fromLocalInput(f.from),
                to: fromLocalInput(f.to),
                repeatEveryDays: f.repeat ? Number(f.repeat) : null,
                until: fromLocalInput(f.until),
                override: f.override,
                buildings: f.buildings.split(/[,,\s]+/).filter(Boolean),
              })
              .then(() => {
                toast(t.t('oncall.added'), 'ok');
                rota.reload();
              })
              .catch((x: unknown) => setErr(x));
          }}
        >
          <label>
            {t.t('oncall.user')}
            <select name="userId" value={userId} onChange={(e) => setF((x) => ({ ...x, userId: e.target.value }))}>
              {users.map((u) => (
                <option key={u.userId} value={u.userId}>
                  {u.displayName}
                </option>
              ))}
            </select>
          </label>
          <label>
            {t.t('oncall.role')}
            <select name="role" value={f.role} onChange={(e) => setF((x) => ({ ...x, role: e.target.value }))}>
              {ONCALL_ROLES.map((r) => (
                <option key={r} value={r}>
                  {roleLabel(r)}
                </option>
              ))}
            </select>
          </label>
          <label>
            {t.t('oncall.from')}
            <input type="datetime-local" name="from" value={f.from} onChange={(e) => setF((x) => ({ ...x, from: e.target.value }))} />
          </label>
          <label>
            {t.t('oncall.to')}
            <input type="datetime-local" name="to" value={f.to} onChange={(e) => setF((x) => ({ ...x, to: e.target.value }))} />
          </label>
          <label>
            {t.t('oncall.repeat')}
            <input
              type="number"
              min={1}
              max={60}
              name="repeat"
              value={f.repeat}
              onChange={(e) => setF((x) => ({ ...x, repeat: e.target.value }))}
            />
          </label>
          <label>
            {t.t('oncall.until')}
            <input type="datetime-local" name="until" value={f.until} onChange={(e) => setF((x) => ({ ...x, until: e.target.value }))} />
          </label>
          <label>
            {t.t('oncall.buildings')}
            <input name="buildings" value={f.buildings} onChange={(e) => setF((x) => ({ ...x, buildings: e.target.value }))} />
          </label>
          <label className="check">
            <input type="checkbox" checked={f.override} onChange={(e) => setF((x) => ({ ...x, override: e.target.checked }))} />{' '}
            {t.t('oncall.override')}
          </label>
          <button type="submit" className="primary" data-testid="oncall-add">
            {t.t('oncall.add')}
          </button>
          <ErrorLine error={err} />
        </form>
      </Panel>
      <Panel title={t.t('oncall.shifts')} testId="oncall-shifts">
        <table className="table">
          <thead>
            <tr>
              <th>{t.t('oncall.role')}</th>
              <th>{t.t('oncall.user')}</th>
              <th>{t.t('oncall.from')}</th>
              <th>{t.t('oncall.to')}</th>
              <th>{t.t('oncall.repeat')}</th>
              <th>{t.t('common.building')}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {(rota.data?.shifts ?? []).map((s) => (
              <tr key={s.id} data-testid="oncall-shift">
                <td>
                  {roleLabel(s.role)}
                  {s.override ? ` · ${t.t('oncall.override')}` : ''}
                </td>
                <td>{s.displayName}</td>
                <td className="nowrap">{t.dateTime(s.from)}</td>
                <td className="nowrap">{t.dateTime(s.to)}</td>
                <td>{s.repeatEveryDays ? t.t('oncall.everyNDays', { n: s.repeatEveryDays }) : t.t('common.none')}</td>
                <td>{s.buildings.join('、') || t.t('oncall.allBuildings')}</td>
                <td>
                  <AsyncButton
                    className="small ghost"
                    onRun={async () => {
                      await notifyApi.removeShift(s.id);
                      rota.reload();
                    }}
                  >
                    {t.t('common.remove')}
                  </AsyncButton>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </Panel>
    </div>
  );
}
