// The attention banner: any open fire alarm or entrapment not yet acknowledged takes over the
// top of every screen with a repeating beep until someone acknowledges it (or mutes the
// sound for that incident — the banner itself stays until the acknowledgement).
import { useEffect, useMemo, useSyncExternalStore } from 'react';
import { api } from '../api.js';
import { navigate } from '../router.js';
import { audioBlocked, onAudioState, setAlarm, unlockAudio } from '../sound.js';
import { boardOrder, needsAttention, setState, upsertIncident, useI18n, useStore } from '../store.js';
import { useNow } from '../hooks.js';
import { AsyncButton, Countdown, runningTimers } from './common.js';

const ACK_ROLES = ['operator', 'supervisor', 'admin'];

export function AlarmBanner() {
  const t = useI18n();
  const incidents = useStore((s) => s.incidents);
  const muted = useStore((s) => s.muted);
  const role = useStore((s) => s.user?.role);
  const now = useNow();
  const blocked = useSyncExternalStore(onAudioState, audioBlocked);
  const procedures = useStore((s) => s.procedures);
  const alarms = useMemo(
    () =>
      Object.values(incidents)
        .filter((i) => needsAttention(i, procedures))
        .sort(boardOrder),
    [incidents, procedures],
  );
  const sounding = alarms.some((a) => !muted[a.id]);

  useEffect(() => {
    setAlarm(sounding);
  }, [sounding]);
  useEffect(() => () => setAlarm(false), []);

  const top = alarms[0];
  if (!top) return null;
  const ackTimer = runningTimers(top).find((x) => x.key === 'ack');
  const where = [t.building(top.building), top.floor !== null ? t.t('common.floorN', { n: top.floor }) : null].filter(Boolean).join(' · ');
  return (
    <div
      className={`alarm-banner alarm-${top.kind}`}
      role="alert"
      aria-live="assertive"
      data-testid="alarm-banner"
      data-incident-id={top.id}
      data-kind={top.kind}
      data-sound={sounding ? (blocked ? 'blocked' : 'on') : 'muted'}
    >
      <div className="alarm-text">
        <span className="alarm-flag">{t.t('alarm.banner')}</span>
        <strong>{t.kind(top.kind)}</strong>
        <span>{where}</span>
        <span className="alarm-title">{t.msg(top.titleMsg)}</span>
        <span className="muted">{t.t('alarm.since', { d: t.duration(now - top.openedAt) })}</span>
        {ackTimer ? <Countdown kind={top.kind} timer={ackTimer} /> : null}
        {alarms.length > 1 ? <span className="alarm-more">{t.t('alarm.more', { n: alarms.length - 1 })}</span> : null}
      </div>
      <div className="alarm-buttons">
        {role && ACK_ROLES.includes(role) ? (
          <AsyncButton
            className="danger big"
            testId="banner-ack"
            onRun={async () => upsertIncident(await api.act(top.id, 'acknowledge', { notes: '' }), false)}
          >
            {t.t('alarm.acknowledge')}
          </AsyncButton>
        ) : null}
        <button
          type="button"
          className="big"
          onClick={() => navigate(`/incidents/${encodeURIComponent(top.id)}`)}
          data-testid="banner-open"
        >
          {t.t('alarm.open')}
        </button>
        {blocked && sounding ? (
          <button type="button" onClick={unlockAudio} data-testid="banner-sound">
            {t.t('alarm.enableSound')}
          </button>
        ) : null}
        <button
          type="button"
          className="ghost"
          onClick={() =>
            setState((s) => ({
              muted: muted[top.id]
                ? Object.fromEntries(Object.entries(s.muted).filter(([k]) => k !== top.id))
                : { ...s.muted, [top.id]: true },
            }))
          }
        >
          {muted[top.id] ? t.t('alarm.unmute') : t.t('alarm.mute')}
        </button>
      </div>
    </div>
  );
}
