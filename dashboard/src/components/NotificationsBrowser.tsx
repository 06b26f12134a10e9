// Desktop notifications (the browser Notification API) for signed-in staff whose tab is in the
// background: a newly opened incident raises one, clicking it brings the tab to the incident.
// Permission is asked for only on a click (browsers ignore requests without a user gesture).
import { useEffect, useRef, useState } from 'react';
import { navigate } from '../router.js';
import { useI18n, useStore } from '../store.js';
import { NOTIFY_KIND_LABELS } from '../i18n/notifications.js';

const supported = () => typeof window !== 'undefined' && 'Notification' in window;

export function BrowserNotifications() {
  const t = useI18n();
  const locale = useStore((s) => s.locale);
  const incidents = useStore((s) => s.incidents);
  const [perm, setPerm] = useState<NotificationPermission | 'unsupported'>(() => (supported() ? Notification.permission : 'unsupported'));
  const seen = useRef<Set<string> | null>(null);

  useEffect(() => {
    const ids = Object.keys(incidents);
    // the first snapshot after login is not news
    if (seen.current === null) {
      if (ids.length || document.visibilityState === 'visible') seen.current = new Set(ids);
      return;
    }
    for (const id of ids) {
      if (seen.current.has(id)) continue;
      seen.current.add(id);
      const inc = incidents[id]!;
      if (perm !== 'granted' || document.visibilityState === 'visible' || !inc.open) continue;
      const kind = NOTIFY_KIND_LABELS[inc.kind]?.[locale === 'zh-CN' ? 0 : 1] ?? inc.kind;
      try {
        const n = new Notification(t.t('browser.newIncident', { n: inc.number, kind }), {
          body: inc.title,
          tag: `incident-${inc.id}`,
          requireInteraction: inc.severity >= 80,
        });
        n.onclick = () => {
          window.focus();
          navigate(`/incidents/${inc.id}`);
          n.close();
        };
      } catch {
        /* some browsers only allow notifications from a service worker */
      }
    }
  }, [incidents, perm, t, locale]);

  if (perm === 'unsupported') return null;
  if (perm === 'granted') return null;
  return (
    <button
      type="button"
      className="ghost small"
      data-testid="browser-notify"
      disabled={perm === 'denied'}
      title={perm === 'denied' ? t.t('browser.denied') : undefined}
      onClick={() => {
        void Notification.requestPermission().then((p) => setPerm(p));
      }}
    >
      {perm === 'denied' ? t.t('browser.denied') : t.t('browser.enable')}
    </button>
  );
}
