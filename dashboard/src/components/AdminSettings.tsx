// Settings 参数设置: every procedure target grouped by procedure, with its unit, default and who
// set it; device heartbeats; the working-day calendar (holidays and 调休 make-up days).
import { useEffect, useMemo, useState } from 'react';
import { useAsync } from '../hooks.js';
import { toast, useI18n } from '../store.js';
import { adminApi, type SettingItem, type SettingsView } from './AdminApi.js';
import { AdminError, adminLabel } from './AdminCommon.js';
import { Panel } from './common.js';

type Draft = Record<string, number | boolean | null>;

export function AdminSettings() {
  const t = useI18n();
  const s = useAsync(() => adminApi.settings(), []);
  const [view, setView] = useState<SettingsView | null>(null);
  useEffect(() => setView(s.data ?? null), [s.data]);
  const [draft, setDraft] = useState<Draft>({});
  const [err, setErr] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const groups = useMemo(() => {
    const m = new Map<string, SettingItem[]>();
    for (const x of view?.settings ?? []) m.set(x.group, [...(m.get(x.group) ?? []), x]);
    return [...m.entries()];
  }, [view]);
  if (!view) return <AdminError error={s.error} />;

  const save = async () => {
    const values = Object.fromEntries(
      Object.entries(draft).filter(([k, v]) => v !== view.settings.find((x) => x.key === k)?.value || v === null),
    );
    if (Object.keys(values).length === 0) return toast(t.t('adm.noChanges'));
    setBusy(true);
    setErr(null);
    try {
      setView(await adminApi.patchSettings({ values }));
      setDraft({});
      toast(t.t('adm.settingsSaved', { n: Object.keys(values).length }), 'ok');
    } catch (x) {
      setErr(x);
    } finally {
      setBusy(false);
    }
  };
  const unit = (u: string) => (u === 'bool' ? '' : adminLabel(t, `adm.unit.${u}`, u));
  const shown = (x: SettingItem, v: number | boolean) =>
    typeof v === 'boolean' ? t.t(v ? 'common.yes' : 'common.no') : `${v} ${unit(x.unit)}`;

  return (
    <div className="admin-settings">
      <Panel
        title={t.t('adm.settings')}
        testId="admin-settings"
        actions={
          <button type="button" className="primary" disabled={busy} onClick={() => void save()} data-testid="settings-save">
            {t.t('adm.saveSettings')}
          </button>
        }
      >
        <p className="muted">{t.t('adm.settingsHint')}</p>
        <AdminError error={err} />
        {groups.map(([group, items]) => (
          <fieldset key={group} className="settings-group" data-testid={`settings-group-${group}`}>
            <legend>{adminLabel(t, `adm.group.${group}`, group)}</legend>
            <table className="table">
              <tbody>
                {items.map((x) => {
                  const v = x.key in draft ? draft[x.key] : x.value;
                  return (
                    <tr key={x.key} data-testid={`setting-${x.key}`}>
                      <td>
                        <label htmlFor={`set-${x.key}`}>{adminLabel(t, `adm.set.${x.key}`, x.key)}</label>
                      </td>
                      <td className="nowrap">
                        {x.unit === 'bool' ? (
                          <input
                            id={`set-${x.key}`}
                            type="checkbox"
                            checked={Boolean(v ?? x.default)}
                            onChange={(e) => setDraft({ ...draft, [x.key]: e.target.checked })}
                          />
                        ) : (
                          <>
                            <input
                              id={`set-${x.key}`}
                              type="number"
                              min={x.min}
                              max={x.max}
                              step={1}
                              value={v === null ? String(x.default) : String(v)}
                              onChange={(e) => setDraft({ ...draft, [x.key]: e.target.value === '' ? null : Number(e.target.value) })}
                            />{' '}
                            {unit(x.unit)}
                          </>
                        )}
                      </td>
                      <td className="muted">{t.t('adm.default', { v: shown(x, x.default) })}</td>
                      <td className="muted" data-testid={`setting-source-${x.key}`}>
                        {x.updatedAt
                          ? t.t('adm.setBy', { who: x.updatedByName ?? x.updatedBy ?? '', at: t.dateTime(x.updatedAt) })
                          : t.t('adm.atDefault')}
                      </td>
                      <td>
                        {x.updatedAt ? (
                          <button type="button" className="small ghost" onClick={() => setDraft({ ...draft, [x.key]: null })}>
                            {t.t('adm.resetDefault')}
                          </button>
                        ) : null}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </fieldset>
        ))}
      </Panel>
      <CalendarEditor view={view} onSaved={setView} />
    </div>
  );
}

function isWeekend(day: string): boolean {
  const d = new Date(`${day}T00:00:00Z`).getUTCDay();
  return d === 0 || d === 6;
}

function days(from: string, to: string): string[] {
  const out: string[] = [];
  for (let x = Date.parse(`${from}T00:00:00Z`); x <= Date.parse(`${to}T00:00:00Z`) && out.length < 60; x += 86_400_000)
    out.push(new Date(x).toISOString().slice(0, 10));
  return out;
}

function CalendarEditor({ view, onSaved }: { view: SettingsView; onSaved: (v: SettingsView) => void }) {
  const t = useI18n();
  const [holidays, setHolidays] = useState(view.calendar.holidays);
  const [workdays, setWorkdays] = useState(view.calendar.workdays);
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [work, setWork] = useState('');
  const [err, setErr] = useState<unknown>(null);
  const sorted = (a: string[]) => [...new Set(a)].sort();
  const save = async () => {
    setErr(null);
    try {
      onSaved(await adminApi.patchSettings({ calendar: { holidays, workdays } }));
      toast(t.t('adm.saved'), 'ok');
    } catch (x) {
      setErr(x);
    }
  };
  const chips = (list: string[], remove: (d: string) => void, testId: string) => (
    <div className="row" data-testid={testId}>
      {list.length === 0 ? <span className="muted">{t.t('adm.noDays')}</span> : null}
      {list.map((d) => (
        <span key={d} className="chip">
          {d}{' '}
          <button type="button" className="small ghost" aria-label={`${t.t('common.remove')} ${d}`} onClick={() => remove(d)}>
            ×
          </button>
        </span>
      ))}
    </div>
  );
  return (
    <Panel
      title={t.t('adm.calendar')}
      testId="admin-calendar"
      actions={
        <button type="button" className="primary" onClick={() => void save()} data-testid="calendar-save">
          {t.t('common.save')}
        </button>
      }
    >
      <p className="muted">{t.t('adm.calendarHint')}</p>
      <p className="muted">
        {view.calendar.updatedAt
          ? t.t('adm.setBy', { who: view.calendar.updatedByName ?? view.calendar.updatedBy ?? '', at: t.dateTime(view.calendar.updatedAt) })
          : t.t('adm.atDefault')}
      </p>
      <AdminError error={err} />
      <h3>{t.t('adm.holidays')}</h3>
      {chips(holidays, (d) => setHolidays(holidays.filter((x) => x !== d)), 'calendar-holidays')}
      <div className="row">
        <label>
          {t.t('adm.from')} <input type="date" value={from} onChange={(e) => setFrom(e.target.value)} data-testid="holiday-from" />
        </label>
        <label>
          {t.t('adm.to')} <input type="date" value={to} onChange={(e) => setTo(e.target.value)} data-testid="holiday-to" />
        </label>
        <button
          type="button"
          disabled={!from}
          data-testid="holiday-add"
          onClick={() => {
            setHolidays(sorted([...holidays, ...days(from, to || from)]));
            setFrom('');
            setTo('');
          }}
        >
          {to ? t.t('adm.addRange') : t.t('adm.addDay')}
        </button>
      </div>
      <h3>{t.t('adm.workdays')}</h3>
      {chips(workdays, (d) => setWorkdays(workdays.filter((x) => x !== d)), 'calendar-workdays')}
      <div className="row">
        <input type="date" value={work} onChange={(e) => setWork(e.target.value)} data-testid="workday-date" />
        <button
          type="button"
          disabled={!work || !isWeekend(work)}
          data-testid="workday-add"
          onClick={() => {
            setWorkdays(sorted([...workdays, work]));
            setWork('');
          }}
        >
          {t.t('adm.addDay')}
        </button>
      </div>
    </Panel>
  );
}
