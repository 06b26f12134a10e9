// Notifications admin (supervisors, admins): channels with "send test", escalation policies per
// incident kind, how each staff member is reached, and resident notices with the notice board.
import { useEffect, useState } from 'react';
import { useAsync } from '../hooks.js';
import { navigate, useLocation } from '../router.js';
import { toast, useI18n, useStore } from '../store.js';
import { NOTIFY_KIND_LABELS } from '../i18n/notifications.js';
import type { UiKey } from '../i18n.js';
import { AsyncButton, Empty, ErrorLine, Panel, buildingsOf } from './common.js';
import {
  CHANNEL_FIELDS,
  CHANNEL_KINDS,
  NOTIFY_KINDS,
  ONCALL_ROLES,
  USER_ROLES,
  notifyApi,
  type ChannelKind,
  type ChannelView,
  type PolicyLevel,
  type Profile,
  type Target,
} from './NotificationsApi.js';

const TABS = ['channels', 'policies', 'profiles', 'notices'] as const;
type Tab = (typeof TABS)[number];

export function useKindLabel(): (k: string) => string {
  const locale = useStore((s) => s.locale);
  return (k) => NOTIFY_KIND_LABELS[k]?.[locale === 'zh-CN' ? 0 : 1] ?? k;
}

export function Notifications() {
  const t = useI18n();
  const { query } = useLocation();
  const tab = (TABS as readonly string[]).includes(query.get('tab') ?? '') ? (query.get('tab') as Tab) : 'channels';
  return (
    <div className="notifications">
      <nav className="tabs" role="tablist" aria-label={t.t('nav.notifications')}>
        {TABS.map((x) => (
          <button
            key={x}
            type="button"
            role="tab"
            aria-selected={tab === x}
            className={tab === x ? 'active' : ''}
            onClick={() => navigate(`/notifications?tab=${x}`, true)}
            data-testid={`ntf-tab-${x}`}
          >
            {t.t(`ntf.tab.${x}` as UiKey)}
          </button>
        ))}
      </nav>
      {tab === 'channels' ? <Channels /> : null}
      {tab === 'policies' ? <Policies /> : null}
      {tab === 'profiles' ? <Profiles /> : null}
      {tab === 'notices' ? <Notices /> : null}
    </div>
  );
}

// ------------------------------------------------------------------ channels

function Channels() {
  const t = useI18n();
  const list = useAsync(() => notifyApi.channels(), []);
  const chans = list.data ?? [];
  return (
    <div className="sup-grid">
      <NewChannel channels={chans} onCreated={list.reload} />
      <Panel title={t.t('ntf.channels.title')} testId="channel-list">
        <ErrorLine error={list.error} />
        {chans.length === 0 && !list.loading ? <Empty>{t.t('ntf.channels.none')}</Empty> : null}
        <table className="table">
          <thead>
            <tr>
              <th>{t.t('ntf.channels.name')}</th>
              <th>{t.t('ntf.channels.kind')}</th>
              <th>{t.t('ntf.channels.fallback')}</th>
              <th>{t.t('ntf.channels.secrets')}</th>
              <th>{t.t('ntf.channels.enabled')}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {chans.map((c) => (
              <ChannelRow key={c.id} c={c} all={chans} onChange={list.reload} />
            ))}
          </tbody>
        </table>
      </Panel>
    </div>
  );
}

function ChannelRow({ c, all, onChange }: { c: ChannelView; all: ChannelView[]; onChange: () => void }) {
  const t = useI18n();
  const [to, setTo] = useState('');
  const personal = c.kind === 'email' || c.kind === 'sms' || c.kind === 'voice';
  return (
    <tr data-testid={`channel-${c.name}`} className={c.enabled ? '' : 'disabled'}>
      <td>{c.name}</td>
      <td>{t.t(`ntf.kind.${c.kind}` as UiKey)}</td>
      <td>{all.find((x) => x.id === c.fallbackChannelId)?.name ?? t.t('common.none')}</td>
      <td className="mono">{c.secretsSet.map((s) => t.t(`ntf.field.${s}` as UiKey)).join('、') || t.t('common.none')}</td>
      <td>{c.enabled ? t.t('common.yes') : t.t('common.no')}</td>
      <td className="nowrap">
        {personal ? (
          <input
            className="small"
            placeholder={t.t('ntf.channels.testTo')}
            aria-label={t.t('ntf.channels.testTo')}
            value={to}
            onChange={(e) => setTo(e.target.value)}
          />
        ) : null}
        <AsyncButton
          className="small"
          testId={`test-${c.name}`}
          onRun={async () => {
            const r = await notifyApi.testChannel(c.id, to.trim() || undefined);
            toast(t.t(r.ok ? 'ntf.channels.testOk' : 'ntf.channels.testFail', { detail: r.detail }), r.ok ? 'ok' : 'error', 8000);
          }}
        >
          {t.t('ntf.channels.test')}
        </AsyncButton>
        <AsyncButton
          className={c.enabled ? 'danger small' : 'small'}
          onRun={async () => {
            await notifyApi.patchChannel(c.id, { enabled: !c.enabled });
            onChange();
          }}
        >
          {c.enabled ? t.t('ntf.channels.disable') : t.t('ntf.channels.enable')}
        </AsyncButton>
      </td>
    </tr>
  );
}

function NewChannel({ channels, onCreated }: { channels: ChannelView[]; onCreated: () => void }) {
  const t = useI18n();
  const [kind, setKind] = useState<ChannelKind>('webhook');
  const [name, setName] = useState('');
  const [fallback, setFallback] = useState('');
  const [values, setValues] = useState<Record<string, string>>({});
  const [err, setErr] = useState<unknown>(null);
  const fields = CHANNEL_FIELDS[kind];
  const val = (f: (typeof fields)[number]) => values[f.name] ?? f.def ?? '';
  return (
    <Panel title={t.t('ntf.channels.new')} testId="channel-new">
      <form
        className="walkin"
        onSubmit={(e) => {
          e.preventDefault();
          setErr(null);
          const config: Record<string, unknown> = {};
          for (const f of fields) {
            const v = val(f).trim();
            if (!v) continue;
            config[f.name] = f.type === 'number' ? Number(v) : f.type === 'list' ? v.split(/[,,\s]+/).filter(Boolean) : v;
          }
          notifyApi
            .createChannel({ name: name.trim(), kind, config, fallbackChannelId: fallback || null })
            .then(() => {
              toast(t.t('ntf.channels.created'), 'ok');
              setName('');
              setValues({});
              onCreated();
            })
            .catch((x: unknown) => setErr(x));
        }}
      >
        <label>
          {t.t('ntf.channels.kind')}
          <select name="kind" value={kind} onChange={(e) => setKind(e.target.value as ChannelKind)} data-testid="channel-kind">
            {CHANNEL_KINDS.map((k) => (
              <option key={k} value={k}>
                {t.t(`ntf.kind.${k}` as UiKey)}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t.t('ntf.channels.name')}
          <input name="name" required value={name} onChange={(e) => setName(e.target.value)} />
        </label>
        {fields.map((f) => (
          <label key={`${kind}.${f.name}`}>
            {t.t(`ntf.field.${f.name}` as UiKey)}
            {f.type === 'security' ? (
              <select name={f.name} value={val(f)} onChange={(e) => setValues((x) => ({ ...x, [f.name]: e.target.value }))}>
                {(['tls', 'starttls', 'none'] as const).map((s) => (
                  <option key={s} value={s}>
                    {t.t(`ntf.security.${s}`)}
                  </option>
                ))}
              </select>
            ) : f.type === 'text' ? (
              <textarea name={f.name} value={val(f)} onChange={(e) => setValues((x) => ({ ...x, [f.name]: e.target.value }))} />
            ) : (
              <input
                name={f.name}
                type={f.secret ? 'password' : f.type === 'number' ? 'number' : 'text'}
                autoComplete="off"
                value={val(f)}
                onChange={(e) => setValues((x) => ({ ...x, [f.name]: e.target.value }))}
              />
            )}
          </label>
        ))}
        <label>
          {t.t('ntf.channels.fallback')}
          <select name="fallback" value={fallback} onChange={(e) => setFallback(e.target.value)}>
            <option value="">{t.t('common.none')}</option>
            {channels.map((c) => (
              <option key={c.id} value={c.id}>
                {c.name}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" className="primary" data-testid="channel-create">
          {t.t('ntf.channels.create')}
        </button>
        <ErrorLine error={err} />
      </form>
    </Panel>
  );
}

// ------------------------------------------------------------------ policies

type TargetType = 'channelId' | 'role' | 'onCall' | 'userId';
const targetType = (x: Target): TargetType => ('channelId' in x ? 'channelId' : 'role' in x ? 'role' : 'onCall' in x ? 'onCall' : 'userId');
const targetValue = (x: Target): string => ('channelId' in x ? x.channelId : 'role' in x ? x.role : 'onCall' in x ? x.onCall : x.userId);
const targetVia = (x: Target): string => ('via' in x && x.via?.[0]) || '';

function makeTarget(type: TargetType, value: string, via: string): Target {
  const v = via ? { via: [via] } : {};
  if (type === 'channelId') return { channelId: value };
  if (type === 'role') return { role: value as (typeof USER_ROLES)[number], ...v };
  if (type === 'onCall') return { onCall: value as (typeof ONCALL_ROLES)[number], ...v };
  return { userId: value, ...v };
}

function Policies() {
  const t = useI18n();
  const kindLabel = useKindLabel();
  const [kind, setKind] = useState<string>('fire_alarm');
  const policies = useAsync(() => notifyApi.policies(), []);
  const channels = useAsync(() => notifyApi.channels(), []);
  const people = useAsync(() => notifyApi.profiles(), []);
  const current = policies.data?.find((p) => p.kind === kind);
  const [levels, setLevels] = useState<PolicyLevel[]>([]);
  const [repeat, setRepeat] = useState('');
  const [enabled, setEnabled] = useState(true);
  useEffect(() => {
    if (!current) return;
    setLevels(current.levels);
    setRepeat(current.repeatEverySeconds ? String(current.repeatEverySeconds) : '');
    setEnabled(current.enabled);
  }, [current]);
  // The target lists come from three requests: until all have answered, a target switched to
  // "channel" or "person" would get an empty value (and the save a 400), so nothing is editable.
  const ready = !!current && channels.data !== undefined && people.data !== undefined;
  const chans = channels.data ?? [];
  const users = people.data ?? [];
  const roleLabel = (r: string) => (r === 'manager' ? t.t('ntf.role.manager') : t.role(r));
  const options = (type: TargetType): Array<[string, string]> =>
    type === 'channelId'
      ? chans.map((c) => [c.id, c.name])
      : type === 'role'
        ? USER_ROLES.map((r) => [r, roleLabel(r)])
        : type === 'onCall'
          ? ONCALL_ROLES.map((r) => [r, roleLabel(r)])
          : users.map((u) => [u.userId, u.displayName]);
  const setTarget = (li: number, ti: number, tg: Target) =>
    setLevels((ls) => ls.map((l, i) => (i === li ? { ...l, targets: l.targets.map((x, j) => (j === ti ? tg : x)) } : l)));
  return (
    <Panel
      title={t.t('ntf.tab.policies')}
      testId="policy-editor"
      actions={
        <label>
          {t.t('ntf.policy.kind')}{' '}
          <select value={kind} onChange={(e) => setKind(e.target.value)} data-testid="policy-kind">
            {NOTIFY_KINDS.map((k) => (
              <option key={k} value={k}>
                {kindLabel(k)}
              </option>
            ))}
          </select>
        </label>
      }
    >
      <ErrorLine error={policies.error ?? channels.error ?? people.error} />
      {current ? (
        <p className="muted" data-testid="policy-origin">
          {current.isDefault
            ? t.t('ntf.policy.default')
            : t.t('ntf.policy.edited', { who: current.updatedByName ?? '', time: t.dateTime(current.updatedAt) })}
        </p>
      ) : null}
      {(ready ? levels : []).map((l, li) => (
        <fieldset key={li} className="policy-level" data-testid={`policy-level-${li}`}>
          <legend>{t.t('ntf.policy.level', { n: li })}</legend>
          <label>
            {t.t('ntf.policy.after')}
            <input
              type="number"
              min={0}
              name="afterSeconds"
              value={l.afterSeconds}
              onChange={(e) => setLevels((ls) => ls.map((x, i) => (i === li ? { ...x, afterSeconds: Number(e.target.value) } : x)))}
            />
          </label>
          {l.targets.map((tg, ti) => {
            const type = targetType(tg);
            return (
              <div className="row" key={ti} data-testid={`policy-target-${li}-${ti}`}>
                <label>
                  {t.t('ntf.target.type')}
                  <select
                    name="targetType"
                    value={type}
                    onChange={(e) => {
                      const nt = e.target.value as TargetType;
                      setTarget(li, ti, makeTarget(nt, options(nt)[0]?.[0] ?? '', ''));
                    }}
                  >
                    {(['channelId', 'role', 'onCall', 'userId'] as const).map((x) => (
                      <option key={x} value={x}>
                        {t.t(`ntf.target.${x}`)}
                      </option>
                    ))}
                  </select>
                </label>
                <label>
                  {t.t(`ntf.target.${type}`)}
                  <select
                    name="targetValue"
                    value={targetValue(tg)}
                    onChange={(e) => setTarget(li, ti, makeTarget(type, e.target.value, targetVia(tg)))}
                  >
                    {options(type).map(([v, label]) => (
                      <option key={v} value={v}>
                        {label}
                      </option>
                    ))}
                  </select>
                </label>
                {type !== 'channelId' ? (
                  <label>
                    {t.t('ntf.target.via')}
                    <select
                      name="targetVia"
                      value={targetVia(tg)}
                      onChange={(e) => setTarget(li, ti, makeTarget(type, targetValue(tg), e.target.value))}
                    >
                      <option value="">{t.t('ntf.target.viaDefault')}</option>
                      {chans.map((c) => (
                        <option key={c.id} value={c.id}>
                          {c.name}
                        </option>
                      ))}
                    </select>
                  </label>
                ) : null}
                <button
                  type="button"
                  className="small ghost"
                  onClick={() =>
                    setLevels((ls) => ls.map((x, i) => (i === li ? { ...x, targets: x.targets.filter((_, j) => j !== ti) } : x)))
                  }
                  disabled={l.targets.length <= 1}
                >
                  {t.t('common.remove')}
                </button>
              </div>
            );
          })}
          <div className="row">
            <button
              type="button"
              className="small"
              data-testid={`policy-add-target-${li}`}
              onClick={() => setLevels((ls) => ls.map((x, i) => (i === li ? { ...x, targets: [...x.targets, { role: 'operator' }] } : x)))}
            >
              {t.t('ntf.policy.addTarget')}
            </button>
            <button
              type="button"
              className="small ghost"
              onClick={() => setLevels((ls) => ls.filter((_, i) => i !== li))}
              disabled={levels.length <= 1}
            >
              {t.t('ntf.policy.removeLevel')}
            </button>
          </div>
        </fieldset>
      ))}
      <div className="row">
        <button
          type="button"
          className="small"
          onClick={() =>
            setLevels((ls) => [...ls, { afterSeconds: (ls.at(-1)?.afterSeconds ?? 0) + 60, targets: [{ onCall: 'supervisor' }] }])
          }
        >
          {t.t('ntf.policy.addLevel')}
        </button>
        <label>
          {t.t('ntf.policy.repeat')}
          <input type="number" min={10} name="repeat" value={repeat} onChange={(e) => setRepeat(e.target.value)} />
        </label>
        <label className="check">
          <input type="checkbox" checked={enabled} onChange={(e) => setEnabled(e.target.checked)} /> {t.t('ntf.policy.enabled')}
        </label>
      </div>
      <div className="row">
        <AsyncButton
          className="primary"
          testId="policy-save"
          disabled={!ready}
          onRun={async () => {
            await notifyApi.putPolicy(kind, { levels, repeatEverySeconds: repeat ? Number(repeat) : null, enabled });
            toast(t.t('ntf.policy.saved'), 'ok');
            policies.reload();
          }}
        >
          {t.t('ntf.policy.save')}
        </AsyncButton>
        <AsyncButton
          className="ghost"
          onRun={async () => {
            await notifyApi.resetPolicy(kind);
            policies.reload();
          }}
        >
          {t.t('ntf.policy.reset')}
        </AsyncButton>
      </div>
    </Panel>
  );
}

// ------------------------------------------------------------------ staff contacts

function Profiles() {
  const t = useI18n();
  const list = useAsync(() => notifyApi.profiles(), []);
  const channels = useAsync(() => notifyApi.channels(), []);
  const personal = (channels.data ?? []).filter((c) => c.kind === 'email' || c.kind === 'sms' || c.kind === 'voice' || c.enabled);
  return (
    <Panel title={t.t('ntf.tab.profiles')} testId="profiles">
      <ErrorLine error={list.error} />
      <table className="table">
        <thead>
          <tr>
            <th>{t.t('oncall.user')}</th>
            <th>{t.t('ntf.profiles.phone')}</th>
            <th>{t.t('ntf.profiles.email')}</th>
            <th>{t.t('ntf.profiles.channels')}</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {(list.data ?? []).map((p) => (
            <ProfileRow key={p.userId} p={p} channels={personal} />
          ))}
        </tbody>
      </table>
    </Panel>
  );
}

function ProfileRow({ p, channels }: { p: Profile; channels: ChannelView[] }) {
  const t = useI18n();
  const [phone, setPhone] = useState(p.phone);
  const [email, setEmail] = useState(p.email);
  const [first, setFirst] = useState(p.channels[0] ?? '');
  const [second, setSecond] = useState(p.channels[1] ?? '');
  const pick = (v: string, set: (s: string) => void) => (
    <select value={v} onChange={(e) => set(e.target.value)}>
      <option value="">{t.t('common.none')}</option>
      {channels.map((c) => (
        <option key={c.id} value={c.id}>
          {c.name}
        </option>
      ))}
    </select>
  );
  return (
    <tr data-testid={`profile-${p.username}`}>
      <td>
        {p.displayName} · {t.role(p.role)}
      </td>
      <td>
        <input value={phone} onChange={(e) => setPhone(e.target.value)} aria-label={t.t('ntf.profiles.phone')} />
      </td>
      <td>
        <input value={email} onChange={(e) => setEmail(e.target.value)} aria-label={t.t('ntf.profiles.email')} />
      </td>
      <td className="nowrap">
        {pick(first, setFirst)} {pick(second, setSecond)}
      </td>
      <td>
        <AsyncButton
          className="small"
          onRun={async () => {
            await notifyApi.putProfile(p.userId, { phone: phone.trim(), email: email.trim(), channels: [first, second].filter(Boolean) });
            toast(t.t('common.saved'), 'ok');
          }}
        >
          {t.t('ntf.profiles.save')}
        </AsyncButton>
      </td>
    </tr>
  );
}

// ------------------------------------------------------------------ resident notices

function Notices() {
  const t = useI18n();
  const devices = useStore((s) => s.devices);
  const buildings = buildingsOf(devices);
  const list = useAsync(() => notifyApi.notices(), []);
  const channels = useAsync(() => notifyApi.channels(), []);
  const outages = useAsync(() => notifyApi.outages().catch(() => []), []);
  const sms = (channels.data ?? []).filter((c) => c.kind === 'sms' && c.enabled);
  const [f, setF] = useState({ kind: 'outage', building: '', floors: '', text: '', channelId: '', plannedOutageId: '' });
  const [err, setErr] = useState<unknown>(null);
  const building = f.building || buildings[0] || '';
  return (
    <div className="sup-grid">
      <Panel title={t.t('ntf.notices.new')} testId="notice-new">
        <form
          className="walkin"
          onSubmit={(e) => {
            e.preventDefault();
            setErr(null);
            notifyApi
              .createNotice({
                kind: f.kind,
                building,
                floors: f.floors
                  .split(/[,,\s]+/)
                  .filter(Boolean)
                  .map(Number)
                  .filter((n) => Number.isInteger(n)),
                text: f.text.trim(),
                channelId: f.channelId || sms[0]?.id,
                ...(f.plannedOutageId ? { plannedOutageId: f.plannedOutageId } : {}),
              })
              .then((n) => {
                toast(t.t('ntf.notices.sentToast', { n: n.recipients }), 'ok');
                list.reload();
              })
              .catch((x: unknown) => setErr(x));
          }}
        >
          <label>
            {t.t('ntf.notices.kind')}
            <select value={f.kind} onChange={(e) => setF((x) => ({ ...x, kind: e.target.value }))}>
              {(['outage', 'water', 'weather', 'general'] as const).map((k) => (
                <option key={k} value={k}>
                  {t.t(`ntf.notices.kind.${k}`)}
                </option>
              ))}
            </select>
          </label>
          <label>
            {t.t('common.building')}
            <select value={building} onChange={(e) => setF((x) => ({ ...x, building: e.target.value }))}>
              {buildings.map((b) => (
                <option key={b} value={b}>
                  {b}
                </option>
              ))}
            </select>
          </label>
          <label>
            {t.t('ntf.notices.floors')}
            <input value={f.floors} onChange={(e) => setF((x) => ({ ...x, floors: e.target.value }))} />
          </label>
          <label>
            {t.t('ntf.kind.sms')}
            <select value={f.channelId} onChange={(e) => setF((x) => ({ ...x, channelId: e.target.value }))}>
              {sms.map((c) => (
                <option key={c.id} value={c.id}>
                  {c.name}
                </option>
              ))}
            </select>
          </label>
          <label>
            {t.t('ntf.notices.outage')}
            <select value={f.plannedOutageId} onChange={(e) => setF((x) => ({ ...x, plannedOutageId: e.target.value }))}>
              <option value="">{t.t('ntf.notices.noOutage')}</option>
              {(outages.data ?? [])
                .filter((o) => o.building === building && o.status === 'upcoming')
                .map((o) => (
                  <option key={o.id} value={o.id}>
                    {t.dateTime(o.startsAt)} {o.reason}
                  </option>
                ))}
            </select>
          </label>
          <label>
            {t.t('ntf.notices.text')}
            <textarea required maxLength={300} value={f.text} onChange={(e) => setF((x) => ({ ...x, text: e.target.value }))} />
          </label>
          <button type="submit" className="primary" disabled={!sms.length}>
            {t.t('ntf.notices.send')}
          </button>
          <ErrorLine error={err} />
        </form>
      </Panel>
      <Panel title={t.t('ntf.notices.title')} testId="notice-board">
        {(list.data ?? []).length === 0 ? <Empty>{t.t('ntf.notices.none')}</Empty> : null}
        <ul className="notice-board">
          {(list.data ?? []).map((n) => (
            <li key={n.id} data-testid="notice">
              <strong>
                {t.t(`ntf.notices.kind.${n.kind}`)} · {n.building}
              </strong>{' '}
              <span className="muted">{t.dateTime(n.createdAt)}</span>
              <p className="pre">{n.text}</p>
              <small>
                {t.t('ntf.notices.counts', { sent: n.sent, n: n.recipients, failed: n.failed, queued: n.queued })}
                {n.sentAt ? ` · ${t.t('ntf.notices.sentAt', { time: t.dateTime(n.sentAt) })}` : ''}
                {n.outage?.noticeHours !== null && n.outage
                  ? ` · ${t.t('ntf.notices.rule', { h: n.outage.noticeHours, need: n.outage.requiredNoticeHours })}`
                  : ''}
                {n.outage?.meetsRule === false ? <b className="error"> {t.t('ntf.notices.ruleBad')}</b> : null}
              </small>
            </li>
          ))}
        </ul>
      </Panel>
    </div>
  );
}
