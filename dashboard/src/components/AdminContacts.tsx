// Contacts 联系人: who the procedures tell operators to call — the elevator maintenance company
// with its 24 h line, the utility, engineering, security, medical — per building.
import { useState, type FormEvent } from 'react';
import type { ContactKind } from '../../../contracts/admin.js';
import { useAsync } from '../hooks.js';
import { toast, useI18n } from '../store.js';
import { adminApi, type BuildingView, type ContactView } from './AdminApi.js';
import { AdminError, BuildingPicker, EditableTable, buildingNames } from './AdminCommon.js';
import { AsyncButton, Panel } from './common.js';

// contracts/admin.ts CONTACT_KINDS (not imported: that module pulls zod into the bundle)
const KINDS: readonly ContactKind[] = ['elevator_maintenance', 'utility', 'security', 'engineering', 'medical', 'other'];

interface Form {
  name: string;
  kind: ContactKind;
  phone: string;
  phone24h: string;
  notes: string;
  buildings: string[];
}
const toForm = (c?: ContactView): Form => ({
  name: c?.name ?? '',
  kind: c?.kind ?? 'elevator_maintenance',
  phone: c?.phone ?? '',
  phone24h: c?.phone24h ?? '',
  notes: c?.notes ?? '',
  buildings: c?.buildings ?? [],
});

export function AdminContacts() {
  const t = useI18n();
  const [all, setAll] = useState(false);
  const contacts = useAsync(() => adminApi.contacts(all), [all]);
  const buildings = useAsync(() => adminApi.buildings(), []);
  const [editing, setEditing] = useState<string | null>(null);
  const bs = buildings.data ?? [];
  const list = contacts.data ?? [];
  return (
    <div className="admin-contacts">
      <Panel
        title={t.t('adm.contacts')}
        testId="admin-contacts"
        actions={
          <label>
            <input type="checkbox" checked={all} onChange={(e) => setAll(e.target.checked)} /> {t.t('adm.showDisabled')}
          </label>
        }
      >
        <AdminError error={contacts.error} />
        <EditableTable
          items={list}
          empty={t.t('adm.noContacts')}
          headers={[
            t.t('adm.contactKind'),
            t.t('adm.contactName'),
            t.t('adm.phone'),
            t.t('adm.phone24h'),
            t.t('adm.contactBuildings'),
            t.t('common.notes'),
          ]}
          editing={editing}
          form={(c) => <ContactForm initial={c} buildings={bs} onDone={() => (setEditing(null), contacts.reload())} />}
          row={(c) => (
            <tr key={c.id} data-testid={`contact-row-${c.name}`} className={c.enabled ? '' : 'disabled'}>
              <td>{t.t(`adm.kind.${c.kind}`)}</td>
              <td>{c.name}</td>
              <td className="mono">{c.phone}</td>
              <td className="mono">{c.phone24h}</td>
              <td>{buildingNames(c.buildings, bs, t)}</td>
              <td>{c.notes}</td>
              <td className="nowrap">
                <button type="button" className="small" onClick={() => setEditing(c.id)}>
                  {t.t('adm.edit')}
                </button>
                <AsyncButton
                  className={c.enabled ? 'small danger' : 'small'}
                  onRun={async () => {
                    await adminApi.patchContact(c.id, { enabled: !c.enabled });
                    contacts.reload();
                  }}
                >
                  {c.enabled ? t.t('adm.disable') : t.t('adm.enable')}
                </AsyncButton>
              </td>
            </tr>
          )}
        />
      </Panel>
      <Panel title={t.t('adm.contactNew')} testId="contact-create">
        <ContactForm buildings={bs} onDone={contacts.reload} />
      </Panel>
    </div>
  );
}

function ContactForm({ initial, buildings, onDone }: { initial?: ContactView; buildings: BuildingView[]; onDone: () => void }) {
  const t = useI18n();
  const [f, setF] = useState<Form>(toForm(initial));
  const [err, setErr] = useState<unknown>(null);
  const set = (k: keyof Form) => (e: { target: { value: string } }) => setF({ ...f, [k]: e.target.value });
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setErr(null);
    const body = {
      name: f.name.trim(),
      kind: f.kind,
      phone: f.phone.trim(),
      notes: f.notes.trim(),
      buildings: f.buildings,
      ...(f.phone24h.trim() || initial ? { phone24h: f.phone24h.trim() } : {}),
    };
    try {
      if (initial) await adminApi.patchContact(initial.id, body);
      else await adminApi.createContact(body);
      toast(t.t('adm.saved'), 'ok');
      if (!initial) setF(toForm());
      onDone();
    } catch (x) {
      setErr(x);
    }
  };
  return (
    <form className="provision" onSubmit={submit} autoComplete="off" data-testid="contact-form">
      <label>
        {t.t('adm.contactKind')}
        <select name="kind" value={f.kind} onChange={set('kind')}>
          {KINDS.map((k) => (
            <option key={k} value={k}>
              {t.t(`adm.kind.${k}`)}
            </option>
          ))}
        </select>
      </label>
      <label>
        <span>
          {t.t('adm.contactName')} <span className="req">*</span>
        </span>
        <input name="name" value={f.name} onChange={set('name')} maxLength={120} required />
      </label>
      <label>
        <span>
          {t.t('adm.phone')} <span className="req">*</span>
        </span>
        <input name="phone" value={f.phone} onChange={set('phone')} maxLength={32} required />
      </label>
      <label>
        {t.t('adm.phone24h')}
        <input name="phone24h" value={f.phone24h} onChange={set('phone24h')} maxLength={32} />
      </label>
      <label>
        {t.t('adm.notes')}
        <input name="notes" value={f.notes} onChange={set('notes')} maxLength={1000} />
      </label>
      <div>
        <span>{t.t('adm.contactBuildings')}</span>
        <BuildingPicker buildings={buildings} value={f.buildings} onChange={(b) => setF({ ...f, buildings: b })} />
      </div>
      <div className="provision-submit">
        <AdminError error={err} />
        {initial ? (
          <button type="button" onClick={onDone}>
            {t.t('common.cancel')}
          </button>
        ) : null}
        <button type="submit" className="primary" data-testid="contact-submit">
          {initial ? t.t('common.save') : t.t('adm.contactNew')}
        </button>
      </div>
    </form>
  );
}
