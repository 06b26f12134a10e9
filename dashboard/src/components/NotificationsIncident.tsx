// Deliveries of one incident on its detail page: level, who, by which channel, state
// (queued / sent / failed / acknowledged), attempts and the last error. Refreshed while open.
import { useEffect } from 'react';
import { useAsync } from '../hooks.js';
import { useI18n, useStore } from '../store.js';
import type { UiKey } from '../i18n.js';
import { Empty, ErrorLine, Panel } from './common.js';
import { notifyApi } from './NotificationsApi.js';

export function IncidentDeliveries({ incidentId }: { incidentId: string }) {
  const t = useI18n();
  const rev = useStore((s) => s.incidentRev[incidentId] ?? 0);
  const list = useAsync(() => notifyApi.deliveries(incidentId), [incidentId, rev]);
  const { reload } = list;
  useEffect(() => {
    // retries and fallbacks happen without an incident push: poll while the page is open
    const h = setInterval(reload, 3000);
    return () => clearInterval(h);
  }, [reload]);
  const rows = [...(list.data ?? [])].sort((a, b) => a.level - b.level || a.round - b.round || a.at - b.at);
  return (
    <Panel title={t.t('ntf.deliveries.title')} testId="deliveries">
      <ErrorLine error={list.error} />
      {rows.length === 0 && !list.loading ? <Empty>{t.t('ntf.deliveries.none')}</Empty> : null}
      {rows.length ? (
        <table className="table">
          <thead>
            <tr>
              <th>{t.t('ntf.deliveries.level')}</th>
              <th>{t.t('ntf.deliveries.to')}</th>
              <th>{t.t('ntf.deliveries.channel')}</th>
              <th>{t.t('common.state')}</th>
              <th>{t.t('ntf.deliveries.attempts')}</th>
              <th>{t.t('common.time')}</th>
              <th>{t.t('ntf.deliveries.error')}</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((d) => (
              <tr key={d.id} data-testid="delivery" data-state={d.state} data-channel={d.channelName}>
                <td className="nowrap">
                  {t.t('ntf.deliveries.levelN', { n: d.level })}
                  {d.round ? ` · ${t.t('ntf.deliveries.repeat', { n: d.round })}` : ''}
                </td>
                <td>{d.targetName}</td>
                <td>
                  {d.channelName} · {t.t(`ntf.kind.${d.channelKind}` as UiKey)}
                  {d.fallbackOf ? ` ${t.t('ntf.deliveries.fallback')}` : ''}
                </td>
                <td className={`delivery-${d.state}`}>{t.t(`ntf.state.${d.state}` as UiKey)}</td>
                <td>{d.attempts}</td>
                <td className="nowrap">{t.time(d.sentAt ?? d.at)}</td>
                <td className="mono">{d.lastError ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </Panel>
  );
}
