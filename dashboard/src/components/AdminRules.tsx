// Telemetry rules 遥测规则 (PROCEDURES.md "Device health"): list, create, edit, enable/disable
// and delete the rules that open device faults from telemetry — configured here, not coded —
// with the devices currently in breach of each.
import { useState, type FormEvent } from 'react';
import type { DeviceClass } from '../../../contracts/domain.js';
import { RULE_COMPARISONS, RULE_METRICS, RULE_SEVERITIES } from '../../../contracts/rule-metrics.js';
import type { TelemetryRuleView } from '../../../contracts/rules.js';
import { api } from '../api.js';
import { useAsync } from '../hooks.js';
import type { I18n } from '../i18n.js';
import { toast, useI18n } from '../store.js';
import { adminApi } from './AdminApi.js';
import { AdminError, EditableTable } from './AdminCommon.js';
import { AsyncButton, Panel } from './common.js';

type Comparison = (typeof RULE_COMPARISONS)[number];
type Severity = (typeof RULE_SEVERITIES)[number];
type DeviceLite = { id: string; name: string; class: DeviceClass; buildingName: string };
const CLASSES = Object.keys(RULE_METRICS) as DeviceClass[];

interface Form {
  name: string;
  scope: 'class' | 'device';
  deviceClass: DeviceClass;
  deviceId: string;
  metric: string;
  comparison: Comparison;
  threshold: string;
  low: string;
  high: string;
  durationSeconds: string;
  hysteresis: string;
  severity: Severity;
}

const str = (n: number | null | undefined) => (n === null || n === undefined ? '' : String(n));
const toForm = (r?: TelemetryRuleView): Form => ({
  name: r?.name ?? '',
  scope: r?.deviceId ? 'device' : 'class',
  deviceClass: r?.deviceClass ?? 'power',
  deviceId: r?.deviceId ?? '',
  metric: r?.metric ?? RULE_METRICS[r?.deviceClass ?? 'power'][0]!,
  comparison: r?.comparison ?? 'outside',
  threshold: str(r?.threshold),
  low: str(r?.low),
  high: str(r?.high),
  durationSeconds: str(r?.durationSeconds ?? 10),
  hysteresis: str(r?.hysteresis ?? 0),
  severity: r?.severity ?? 'medium',
});

/** "电压(V) 超出 198–242" / "水位(cm) > 50" */
export function ruleLimit(t: I18n, r: Pick<TelemetryRuleView, 'metric' | 'comparison' | 'threshold' | 'low' | 'high'>): string {
  const m = t.metric(r.metric);
  return r.comparison === 'outside'
    ? `${m} ${t.t('rule.cmp.outside')} ${r.low}–${r.high}`
    : `${m} ${t.t(`rule.cmp.${r.comparison}`)} ${r.threshold}`;
}

export function AdminRules() {
  const t = useI18n();
  const rules = useAsync(() => adminApi.rules(), []);
  const devices = useAsync(() => api.devices() as Promise<DeviceLite[]>, []);
  const [editing, setEditing] = useState<string | null>(null);
  const list = rules.data ?? [];
  const devs = devices.data ?? [];
  const nameOf = (id: string | null, fallback: string | null) =>
    devs.find((d) => d.id === id)?.name ?? fallback ?? t.t('rule.unknownDevice');
  return (
    <div className="admin-rules">
      <Panel
        title={t.t('rule.title')}
        testId="admin-rules"
        actions={
          <button type="button" className="small" onClick={rules.reload}>
            {t.t('rule.refresh')}
          </button>
        }
      >
        <p className="hint">{t.t('rule.hint')}</p>
        <AdminError error={rules.error} />
        <EditableTable
          items={list}
          empty={t.t('rule.none')}
          headers={[
            t.t('rule.name'),
            t.t('rule.scope'),
            t.t('rule.limit'),
            t.t('rule.duration'),
            t.t('rule.hysteresis'),
            t.t('rule.severity'),
            t.t('rule.inBreach'),
          ]}
          editing={editing}
          form={(r) => <RuleForm initial={r} devices={devs} onDone={() => (setEditing(null), rules.reload())} />}
          row={(r) => (
            <tr key={r.id} data-testid={`rule-row-${r.name}`} className={r.enabled ? '' : 'disabled'}>
              <td>
                {r.name}
                {r.enabled ? null : <span className="muted"> · {t.t('rule.disabled')}</span>}
              </td>
              <td>{r.deviceId ? nameOf(r.deviceId, r.deviceName) : `${t.cls(r.deviceClass!)}${t.t('rule.allOfClass')}`}</td>
              <td>{ruleLimit(t, r)}</td>
              <td>{t.t('rule.seconds', { n: r.durationSeconds })}</td>
              <td>{r.hysteresis}</td>
              <td>{t.t(`rule.sev.${r.severity}`)}</td>
              <td data-testid={`rule-breaches-${r.name}`}>
                {r.breaches.length === 0
                  ? t.t('rule.noBreach')
                  : r.breaches.map((b) => (
                      <div key={b.deviceId} className={b.phase === 'raised' ? 'error' : ''}>
                        {nameOf(b.deviceId, b.deviceName)} · {b.value} · {t.t(`rule.phase.${b.phase}`)}
                      </div>
                    ))}
              </td>
              <td className="nowrap">
                <button type="button" className="small" onClick={() => setEditing(r.id)}>
                  {t.t('adm.edit')}
                </button>
                <AsyncButton
                  className={r.enabled ? 'small danger' : 'small'}
                  testId={`rule-toggle-${r.name}`}
                  onRun={async () => {
                    await adminApi.patchRule(r.id, { enabled: !r.enabled });
                    rules.reload();
                  }}
                >
                  {r.enabled ? t.t('adm.disable') : t.t('adm.enable')}
                </AsyncButton>
                <AsyncButton
                  className="small danger"
                  testId={`rule-delete-${r.name}`}
                  onRun={async () => {
                    if (!window.confirm(t.t('rule.confirmDelete', { name: r.name }))) return;
                    await adminApi.deleteRule(r.id);
                    rules.reload();
                  }}
                >
                  {t.t('rule.delete')}
                </AsyncButton>
              </td>
            </tr>
          )}
        />
      </Panel>
      <Panel title={t.t('rule.new')} testId="rule-create">
        <RuleForm devices={devs} onDone={rules.reload} />
      </Panel>
    </div>
  );
}

function RuleForm({ initial, devices, onDone }: { initial?: TelemetryRuleView; devices: DeviceLite[]; onDone: () => void }) {
  const t = useI18n();
  const [f, setF] = useState<Form>(toForm(initial));
  const [err, setErr] = useState<unknown>(null);
  const set = (k: keyof Form) => (e: { target: { value: string } }) => setF({ ...f, [k]: e.target.value });
  const cls: DeviceClass = f.scope === 'device' ? (devices.find((d) => d.id === f.deviceId)?.class ?? f.deviceClass) : f.deviceClass;
  const metrics = RULE_METRICS[cls];
  const metric = metrics.includes(f.metric) ? f.metric : metrics[0]!;
  const num = (s: string) => (s.trim() === '' ? null : Number(s));
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setErr(null);
    const body = {
      name: f.name.trim(),
      ...(f.scope === 'device' ? { deviceId: f.deviceId, deviceClass: null } : { deviceClass: f.deviceClass, deviceId: null }),
      metric,
      comparison: f.comparison,
      ...(f.comparison === 'outside' ? { low: num(f.low), high: num(f.high) } : { threshold: num(f.threshold) }),
      durationSeconds: Number(f.durationSeconds || 0),
      hysteresis: Number(f.hysteresis || 0),
      severity: f.severity,
    };
    try {
      if (initial) await adminApi.patchRule(initial.id, body);
      else await adminApi.createRule(body);
      toast(t.t('adm.saved'), 'ok');
      if (!initial) setF(toForm());
      onDone();
    } catch (x) {
      setErr(x);
    }
  };
  return (
    <form className="provision" onSubmit={submit} autoComplete="off" data-testid="rule-form">
      <label>
        <span>
          {t.t('rule.name')} <span className="req">*</span>
        </span>
        <input name="name" value={f.name} onChange={set('name')} maxLength={120} required />
      </label>
      <label>
        {t.t('rule.scope')}
        <select name="scope" value={f.scope} onChange={set('scope')}>
          <option value="class">{t.t('rule.scope.class')}</option>
          <option value="device">{t.t('rule.scope.device')}</option>
        </select>
      </label>
      {f.scope === 'class' ? (
        <label>
          {t.t('rule.class')}
          <select name="deviceClass" value={f.deviceClass} onChange={set('deviceClass')}>
            {CLASSES.map((c) => (
              <option key={c} value={c}>
                {t.cls(c)}
              </option>
            ))}
          </select>
        </label>
      ) : (
        <label>
          {t.t('rule.device')}
          <select name="deviceId" value={f.deviceId} onChange={set('deviceId')} required>
            <option value="">{t.t('rule.pickDevice')}</option>
            {devices.map((d) => (
              <option key={d.id} value={d.id}>
                {d.buildingName} · {d.name}
              </option>
            ))}
          </select>
        </label>
      )}
      <label>
        {t.t('rule.metric')}
        <select name="metric" value={metric} onChange={set('metric')}>
          {metrics.map((m) => (
            <option key={m} value={m}>
              {t.metric(m)}
            </option>
          ))}
        </select>
      </label>
      <label>
        {t.t('rule.comparison')}
        <select name="comparison" value={f.comparison} onChange={set('comparison')}>
          {RULE_COMPARISONS.map((c) => (
            <option key={c} value={c}>
              {t.t(`rule.cmpName.${c}`)}
            </option>
          ))}
        </select>
      </label>
      {f.comparison === 'outside' ? (
        <>
          <label>
            {t.t('rule.low')}
            <input name="low" type="number" step="any" value={f.low} onChange={set('low')} required />
          </label>
          <label>
            {t.t('rule.high')}
            <input name="high" type="number" step="any" value={f.high} onChange={set('high')} required />
          </label>
        </>
      ) : (
        <label>
          {t.t('rule.threshold')}
          <input name="threshold" type="number" step="any" value={f.threshold} onChange={set('threshold')} required />
        </label>
      )}
      <label>
        {t.t('rule.durationS')}
        <input name="durationSeconds" type="number" min={0} step={1} value={f.durationSeconds} onChange={set('durationSeconds')} />
      </label>
      <label>
        {t.t('rule.hysteresis')}
        <input name="hysteresis" type="number" min={0} step="any" value={f.hysteresis} onChange={set('hysteresis')} />
      </label>
      <label>
        {t.t('rule.severity')}
        <select name="severity" value={f.severity} onChange={set('severity')}>
          {RULE_SEVERITIES.map((s) => (
            <option key={s} value={s}>
              {t.t(`rule.sev.${s}`)}
            </option>
          ))}
        </select>
      </label>
      <div className="provision-submit">
        <AdminError error={err} />
        {initial ? (
          <button type="button" onClick={onDone}>
            {t.t('common.cancel')}
          </button>
        ) : null}
        <button type="submit" className="primary" data-testid="rule-submit">
          {initial ? t.t('common.save') : t.t('rule.new')}
        </button>
      </div>
    </form>
  );
}
