// Application shell: session bootstrap, login, role-aware navigation, the attention banner,
// the connection indicator and the routes.
import { useEffect, useState, type FormEvent } from 'react';
import type { Role } from '../../../contracts/domain.js';
import { api, ApiError, setToken, setUnauthenticatedHandler, type SessionUser } from '../api.js';
import { ROLE_HOME, type UiKey } from '../i18n.js';
import { refetch, startLive, stopLive } from '../live.js';
import { match, navigate, useLocation } from '../router.js';
import { unlockAudio } from '../sound.js';
import { getState, setLocale, setState, useI18n, useStore } from '../store.js';
import { Admin } from './Admin.js';
import { AdminAccount } from './AdminAccount.js';
import { AlarmBanner } from './AlarmBanner.js';
import { ConnIndicator } from './common.js';
import { ControlRoom } from './ControlRoom.js';
import { Devices } from './Devices.js';
import { FrontDesk } from './FrontDesk.js';
import { WorkOrders } from './WorkOrders.js';
import { Complaints } from './Complaints.js';
import { IncidentDetailPage } from './IncidentDetail.js';
import { Supervisor } from './Supervisor.js';
import { ShiftPage } from './Shift.js';
import { Notifications } from './Notifications.js';
import { BrowserNotifications } from './NotificationsBrowser.js';
import { OnCall } from './OnCall.js';
import { TelemetryPage } from './Telemetry.js';
import { History } from './History.js';
import { Reports } from './Reports.js';
import { FloorPlans } from './FloorPlans.js';

/** where versions before the cookie-only session kept the token (cleared on start) */
const LEGACY_TOKEN_KEY = 'bops_token';

interface NavItem {
  path: string;
  label: UiKey;
  roles: Role[];
}
const NAV: NavItem[] = [
  { path: '/control', label: 'nav.control', roles: ['operator', 'supervisor', 'admin', 'frontdesk'] },
  { path: '/telemetry', label: 'nav.telemetry', roles: ['operator', 'supervisor', 'admin'] },
  { path: '/front-desk', label: 'nav.frontDesk', roles: ['frontdesk', 'supervisor', 'admin'] },
  { path: '/shift', label: 'nav.shift', roles: ['operator', 'frontdesk', 'supervisor', 'admin'] },
  { path: '/work-orders', label: 'nav.workOrders', roles: ['frontdesk', 'operator', 'supervisor', 'admin'] },
  { path: '/complaints', label: 'nav.complaints', roles: ['frontdesk', 'operator', 'supervisor', 'admin'] },
  { path: '/supervisor', label: 'nav.supervisor', roles: ['supervisor', 'admin'] },
  { path: '/devices', label: 'nav.devices', roles: ['supervisor', 'admin'] },
  { path: '/admin', label: 'nav.admin', roles: ['admin'] },
  { path: '/notifications', label: 'nav.notifications', roles: ['supervisor', 'admin'] },
  { path: '/oncall', label: 'nav.oncall', roles: ['supervisor', 'admin'] },
  // issue 14: every incident, closed ones forever (the front desk works visits, not incidents)
  { path: '/history', label: 'nav.history', roles: ['operator', 'supervisor', 'admin'] },
  { path: '/reports', label: 'nav.reports', roles: ['supervisor', 'admin'] },
  { path: '/floor-plans', label: 'nav.floorPlans', roles: ['operator', 'supervisor', 'admin'] },
];

/** The screen a path belongs to, if any. */
function navItemOf(path: string): NavItem | undefined {
  return NAV.find((n) => path === n.path || path.startsWith(`${n.path}/`));
}

export function allowed(path: string, role: Role): boolean {
  // an incident deep link, and one's own account (every role changes its own password)
  if (path.startsWith('/incidents/') || path === '/account') return true;
  const item = navItemOf(path);
  return item ? item.roles.includes(role) : false;
}

// The session is the httpOnly cookie the login sets: nothing on the page (and so nothing an
// injected script could read) holds the token; HTTP requests and the live connection both
// carry the cookie (same origin).
function begin(user: SessionUser): void {
  setToken(null);
  setState({ user, token: null, ready: true, devices: {}, incidents: {}, visits: {}, events: [] });
  // the procedures and their labels: the UI renders the hub's message keys with them
  api
    .procedures()
    .then((procedures) => setState({ procedures }))
    .catch(() => undefined);
  void refetch();
  startLive(user.role, null, () => endSession('expired'));
}

export function endSession(reason: 'logout' | 'expired' | 'password_changed'): void {
  stopLive();
  setToken(null);
  setState({ user: null, token: null, ready: true, devices: {}, incidents: {}, visits: {}, events: [], lastSyncAt: null });
  navigate(reason === 'expired' ? '/login?expired=1' : reason === 'password_changed' ? '/login?changed=1' : '/login', true);
}

export function App() {
  const user = useStore((s) => s.user);
  const ready = useStore((s) => s.ready);
  const locale = useStore((s) => s.locale);
  const { path } = useLocation();

  useEffect(() => {
    document.documentElement.lang = locale;
  }, [locale]);

  // Restore the session (the httpOnly cookie) once.
  useEffect(() => {
    setUnauthenticatedHandler(() => {
      if (getState().user) endSession('expired');
    });
    try {
      sessionStorage.removeItem(LEGACY_TOKEN_KEY);
    } catch {
      /* storage blocked */
    }
    api
      .me()
      .then((me) => begin('user' in me ? me.user : me))
      .catch(() => setState({ ready: true }));
    // any gesture unlocks the alarm sound
    const unlock = () => unlockAudio();
    window.addEventListener('pointerdown', unlock);
    window.addEventListener('keydown', unlock);
    return () => {
      window.removeEventListener('pointerdown', unlock);
      window.removeEventListener('keydown', unlock);
    };
  }, []);

  useEffect(() => {
    if (!ready) return;
    if (!user && path !== '/login') navigate('/login', true);
    // a known screen of another role says so (Shell: NotForRole); only unknown paths go home
    else if (user && (path === '/login' || path === '/' || (!allowed(path, user.role) && !navItemOf(path))))
      navigate(ROLE_HOME[user.role], true);
  }, [ready, user, path]);

  if (!ready) return <div className="boot" />;
  if (!user) return <Login />;
  return <Shell user={user} path={path} />;
}

/** A screen of another role: say so and offer the way home, rather than a silent redirect (issue 14). */
function NotForRole({ item, role }: { item: NavItem; role: Role }) {
  const t = useI18n();
  const home = ROLE_HOME[role];
  return (
    <section className="panel not-for-role" data-testid="not-for-role" role="alert">
      <h2>{t.t('denied.title')}</h2>
      <p>
        {t.t('denied.body', {
          page: t.t(item.label),
          roles: item.roles.map((r) => t.role(r)).join(t.locale === 'zh-CN' ? '、' : ', '),
          role: t.role(role),
        })}
      </p>
      <a
        href={home}
        className="button primary"
        data-testid="not-for-role-home"
        onClick={(e) => {
          e.preventDefault();
          navigate(home);
        }}
      >
        {t.t('denied.home')}
      </a>
    </section>
  );
}

function Shell({ user, path }: { user: SessionUser; path: string }) {
  const t = useI18n();
  const locale = useStore((s) => s.locale);
  const incident = match('/incidents/:id', path);
  useEffect(() => {
    document.title = t.t('app.title');
  }, [t]);
  const other = navItemOf(path);
  let page;
  if (other && !allowed(path, user.role)) page = <NotForRole item={other} role={user.role} />;
  // keyed by the incident: going from one incident to another (a linked incident, the alarm
  // banner) starts afresh — neither the last one's view nor the reason given to open its
  // personal data carries over to the next
  else if (incident) page = <IncidentDetailPage key={incident.id} id={incident.id!} />;
  else if (path === '/control') page = <ControlRoom />;
  else if (path === '/telemetry') page = <TelemetryPage />;
  else if (path === '/front-desk') page = <FrontDesk />;
  else if (path === '/work-orders') page = <WorkOrders />;
  else if (path === '/complaints') page = <Complaints />;
  else if (path === '/supervisor') page = <Supervisor />;
  else if (path === '/shift') page = <ShiftPage />;
  else if (path === '/devices') page = <Devices />;
  else if (path === '/admin') page = <Admin />;
  else if (path === '/account') page = <AdminAccount onChanged={() => endSession('password_changed')} />;
  else if (path === '/notifications') page = <Notifications />;
  else if (path === '/oncall') page = <OnCall />;
  else if (path === '/history') page = <History />;
  else if (path === '/reports') page = <Reports />;
  else if (path === '/floor-plans') page = <FloorPlans />;
  else page = null;
  return (
    <div className="shell">
      <a className="skip" href="#main">
        {t.t('nav.skip')}
      </a>
      <header className="topbar">
        <div className="brand">
          <strong>{t.t('app.title')}</strong>
          <span>{t.t('app.subtitle')}</span>
        </div>
        <nav aria-label={t.t('nav.main')} className="nav">
          {NAV.filter((n) => n.roles.includes(user.role)).map((n) => (
            <a
              key={n.path}
              href={n.path}
              className={path === n.path || (n.path === '/control' && incident) ? 'active' : ''}
              aria-current={path === n.path ? 'page' : undefined}
              data-testid={`nav-${n.path.slice(1)}`}
              onClick={(e) => {
                if (e.ctrlKey || e.metaKey || e.shiftKey) return;
                e.preventDefault();
                navigate(n.path);
              }}
            >
              {t.t(n.label)}
            </a>
          ))}
        </nav>
        <div className="topbar-right">
          <Clock />
          <BrowserNotifications />
          <ConnIndicator />
          <span className="who" data-testid="who" data-role={user.role}>
            {user.displayName.includes(t.role(user.role)) ? user.displayName : `${user.displayName} · ${t.role(user.role)}`}
          </span>
          <button
            type="button"
            className="ghost"
            onClick={() => setLocale(locale === 'zh-CN' ? 'en' : 'zh-CN')}
            aria-label={t.t('lang.switchLabel')}
            data-testid="lang"
          >
            {t.t('lang.switch')}
          </button>
          <a
            href="/account"
            className={`button ghost${path === '/account' ? ' active' : ''}`}
            data-testid="account"
            onClick={(e) => {
              if (e.ctrlKey || e.metaKey || e.shiftKey) return;
              e.preventDefault();
              navigate('/account');
            }}
          >
            {t.t('nav.account')}
          </a>
          <button
            type="button"
            className="ghost"
            data-testid="logout"
            onClick={() => {
              void api.logout().catch(() => undefined);
              endSession('logout');
            }}
          >
            {t.t('nav.logout')}
          </button>
        </div>
      </header>
      <AlarmBanner />
      <main id="main" tabIndex={-1}>
        {page}
      </main>
      <Toasts />
    </div>
  );
}

function Clock() {
  const t = useI18n();
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const h = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(h);
  }, []);
  return <span className="clock">{t.dateTime(now)}</span>;
}

function Toasts() {
  const toasts = useStore((s) => s.toasts);
  return (
    <div className="toasts" role="status" aria-live="polite">
      {toasts.map((x) => (
        <div key={x.id} className={`toast toast-${x.kind}`}>
          {x.text}
        </div>
      ))}
    </div>
  );
}

function Login() {
  const t = useI18n();
  const locale = useStore((s) => s.locale);
  const { query } = useLocation();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [err, setErr] = useState<string | null>(
    query.get('expired') ? t.t('login.expired') : query.get('changed') ? t.t('acct.done') : null,
  );
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    unlockAudio();
    setBusy(true);
    setErr(null);
    try {
      const s = await api.login(username.trim(), password);
      begin(s.user);
      navigate(ROLE_HOME[s.user.role], true);
    } catch (x) {
      setErr(
        x instanceof ApiError && (x.status === 401 || x.status === 400)
          ? t.t('login.failed')
          : x instanceof ApiError && x.code === 'NETWORK'
            ? t.t('error.network')
            : t.error(x instanceof ApiError ? x.code : undefined),
      );
      setPassword('');
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="login-page">
      <form className="login" onSubmit={submit} data-testid="login-form">
        <h1>{t.t('app.title')}</h1>
        <p className="muted">{t.t('login.hint')}</p>
        <label htmlFor="username">{t.t('login.username')}</label>
        <input
          id="username"
          name="username"
          autoComplete="username"
          value={username}
          onChange={(e) => setUsername(e.target.value)}
          required
          autoFocus
        />
        <label htmlFor="password">{t.t('login.password')}</label>
        <input
          id="password"
          name="password"
          type="password"
          autoComplete="current-password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          required
        />
        <button type="submit" className="primary" disabled={busy || !username || !password} data-testid="login-submit">
          {busy ? t.t('login.busy') : t.t('login.submit')}
        </button>
        <p className="error" role="alert" data-testid="login-error">
          {err ?? ''}
        </p>
        <button
          type="button"
          className="ghost lang-login"
          onClick={() => setLocale(locale === 'zh-CN' ? 'en' : 'zh-CN')}
          data-testid="lang"
        >
          {t.t('lang.switch')}
        </button>
      </form>
    </div>
  );
}
