// Administration (issue 8 "Put a real estate into service"): sites and buildings, the owners
// CSV import, staff accounts, contacts, settings, the audit log and telemetry rules — one tab each.
import { navigate, useLocation } from '../router.js';
import { useI18n } from '../store.js';
import { AdminAudit } from './AdminAudit.js';
import { AdminContacts } from './AdminContacts.js';
import { AdminEstate } from './AdminEstate.js';
import { AdminSettings } from './AdminSettings.js';
import { AdminUnits } from './AdminUnits.js';
import { AdminUsers } from './AdminUsers.js';
import { AdminRules } from './AdminRules.js';

const TABS = ['estate', 'units', 'users', 'contacts', 'settings', 'audit', 'rules'] as const;
type Tab = (typeof TABS)[number];

export function Admin() {
  const t = useI18n();
  const { query } = useLocation();
  const tab = (TABS as readonly string[]).includes(query.get('tab') ?? '') ? (query.get('tab') as Tab) : 'estate';
  return (
    <div className="admin">
      <nav className="tabs" role="tablist" aria-label={t.t('adm.title')}>
        {TABS.map((x) => (
          <button
            key={x}
            type="button"
            role="tab"
            aria-selected={tab === x}
            className={tab === x ? 'active' : ''}
            onClick={() => navigate(`/admin?tab=${x}`, true)}
            data-testid={`admin-tab-${x}`}
          >
            {t.t(`adm.tab.${x}`)}
          </button>
        ))}
      </nav>
      {tab === 'estate' ? <AdminEstate /> : null}
      {tab === 'units' ? <AdminUnits /> : null}
      {tab === 'users' ? <AdminUsers /> : null}
      {tab === 'contacts' ? <AdminContacts /> : null}
      {tab === 'settings' ? <AdminSettings /> : null}
      {tab === 'audit' ? <AdminAudit /> : null}
      {tab === 'rules' ? <AdminRules /> : null}
    </div>
  );
}
