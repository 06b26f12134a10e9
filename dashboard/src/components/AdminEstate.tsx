// Sites (小区) and buildings (楼栋): create, list, edit. A building's lobby floor is where
// elevators are recalled in a fire; its address is what the operator tells 119.
import { useState, type FormEvent } from 'react';
import { useAsync } from '../hooks.js';
import { toast, useI18n } from '../store.js';
import { adminApi, type BuildingView, type SiteView } from './AdminApi.js';
import { AdminError, EditableTable } from './AdminCommon.js';
import { Empty, Panel } from './common.js';

export function AdminEstate() {
  const sites = useAsync(() => adminApi.sites(), []);
  const buildings = useAsync(() => adminApi.buildings(), []);
  const reload = () => {
    sites.reload();
    buildings.reload();
  };
  return (
    <div className="admin-estate">
      <Sites sites={sites.data ?? []} error={sites.error} onChange={reload} />
      <Buildings sites={sites.data ?? []} buildings={buildings.data ?? []} error={buildings.error} onChange={reload} />
    </div>
  );
}

function Sites({ sites, error, onChange }: { sites: SiteView[]; error: unknown; onChange: () => void }) {
  const t = useI18n();
  const blank = { id: '', name: '', address: '' };
  const [f, setF] = useState(blank);
  const [err, setErr] = useState<unknown>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setErr(null);
    try {
      await adminApi.createSite({ id: f.id.trim(), name: f.name.trim(), ...(f.address.trim() ? { address: f.address.trim() } : {}) });
      toast(t.t('adm.created', { id: f.name.trim() }), 'ok');
      setF(blank);
      onChange();
    } catch (x) {
      setErr(x);
    }
  };
  return (
    <Panel title={t.t('adm.sites')} testId="admin-sites">
      <AdminError error={error} />
      {sites.length === 0 ? <Empty>{t.t('adm.noSites')}</Empty> : null}
      {sites.length > 0 ? (
        <table className="table">
          <thead>
            <tr>
              <th>{t.t('adm.siteId')}</th>
              <th>{t.t('adm.siteName')}</th>
              <th>{t.t('adm.address')}</th>
              <th>{t.t('adm.buildingCount')}</th>
            </tr>
          </thead>
          <tbody>
            {sites.map((s) => (
              <tr key={s.id} data-testid={`site-row-${s.id}`}>
                <td className="mono">{s.id}</td>
                <td>{s.name}</td>
                <td>{s.address}</td>
                <td>{s.buildings}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <h3>{t.t('adm.siteNew')}</h3>
      <form className="provision" onSubmit={submit} autoComplete="off" data-testid="site-form">
        <label>
          <span>
            {t.t('adm.siteId')} <span className="req">*</span>
          </span>
          <input
            name="id"
            value={f.id}
            onChange={(e) => setF({ ...f, id: e.target.value })}
            pattern="[a-z0-9-]+"
            maxLength={64}
            required
            placeholder={t.t('adm.idHint')}
          />
        </label>
        <label>
          <span>
            {t.t('adm.siteName')} <span className="req">*</span>
          </span>
          <input name="name" value={f.name} onChange={(e) => setF({ ...f, name: e.target.value })} maxLength={120} required />
        </label>
        <label>
          {t.t('adm.address')}
          <input name="address" value={f.address} onChange={(e) => setF({ ...f, address: e.target.value })} maxLength={300} />
        </label>
        <div className="provision-submit">
          <AdminError error={err} />
          <button type="submit" className="primary" data-testid="site-submit">
            {t.t('adm.siteNew')}
          </button>
        </div>
      </form>
    </Panel>
  );
}

interface BuildingForm {
  id: string;
  site: string;
  name: string;
  floors: string;
  lowestFloor: string;
  lobbyFloor: string;
  address: string;
}

function BuildingFields({
  f,
  setF,
  sites,
  creating,
}: {
  f: BuildingForm;
  setF: (f: BuildingForm) => void;
  sites: SiteView[];
  creating: boolean;
}) {
  const t = useI18n();
  const set = (k: keyof BuildingForm) => (e: { target: { value: string } }) => setF({ ...f, [k]: e.target.value });
  return (
    <>
      {creating ? (
        <>
          <label>
            <span>
              {t.t('adm.buildingId')} <span className="req">*</span>
            </span>
            <input
              name="id"
              value={f.id}
              onChange={set('id')}
              pattern="[a-z0-9-]+"
              maxLength={64}
              required
              placeholder={t.t('adm.idHint')}
            />
          </label>
          <label>
            <span>
              {t.t('adm.site')} <span className="req">*</span>
            </span>
            <select name="site" value={f.site} onChange={set('site')} required>
              <option value="" />
              {sites.map((s) => (
                <option key={s.id} value={s.id}>
                  {s.name}
                </option>
              ))}
            </select>
          </label>
        </>
      ) : null}
      <label>
        <span>
          {t.t('adm.buildingName')} <span className="req">*</span>
        </span>
        <input name="name" value={f.name} onChange={set('name')} maxLength={120} required />
      </label>
      <label>
        <span>
          {t.t('adm.floors')} <span className="req">*</span>
        </span>
        <input name="floors" type="number" min={1} max={300} value={f.floors} onChange={set('floors')} required />
      </label>
      <label>
        {t.t('adm.lowestFloor')}
        <input name="lowestFloor" type="number" min={-10} max={1} value={f.lowestFloor} onChange={set('lowestFloor')} />
      </label>
      <label>
        {t.t('adm.lobbyFloor')}
        <input name="lobbyFloor" type="number" min={-10} max={300} value={f.lobbyFloor} onChange={set('lobbyFloor')} />
      </label>
      <label>
        {t.t('adm.buildingAddress')}
        <input name="address" value={f.address} onChange={set('address')} maxLength={300} />
      </label>
    </>
  );
}

const num = (s: string) => (s.trim() === '' ? undefined : Number(s));

function Buildings({
  sites,
  buildings,
  error,
  onChange,
}: {
  sites: SiteView[];
  buildings: BuildingView[];
  error: unknown;
  onChange: () => void;
}) {
  const t = useI18n();
  const blank: BuildingForm = { id: '', site: '', name: '', floors: '', lowestFloor: '1', lobbyFloor: '1', address: '' };
  const [f, setF] = useState<BuildingForm>(blank);
  const [err, setErr] = useState<unknown>(null);
  const [editing, setEditing] = useState<string | null>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setErr(null);
    try {
      await adminApi.createBuilding({
        id: f.id.trim(),
        site: f.site || sites[0]?.id,
        name: f.name.trim(),
        floors: Number(f.floors),
        ...(num(f.lowestFloor) !== undefined ? { lowestFloor: num(f.lowestFloor) } : {}),
        ...(num(f.lobbyFloor) !== undefined ? { lobbyFloor: num(f.lobbyFloor) } : {}),
        ...(f.address.trim() ? { address: f.address.trim() } : {}),
      });
      toast(t.t('adm.created', { id: f.name.trim() }), 'ok');
      setF({ ...blank, site: f.site });
      onChange();
    } catch (x) {
      setErr(x);
    }
  };
  return (
    <Panel title={t.t('adm.buildings')} testId="admin-buildings">
      <AdminError error={error} />
      <EditableTable
        items={buildings}
        empty={t.t('adm.noBuildings')}
        headers={[
          t.t('adm.buildingId'),
          t.t('adm.buildingName'),
          t.t('adm.site'),
          t.t('adm.floors'),
          t.t('adm.lobbyFloor'),
          t.t('adm.address'),
          t.t('adm.units'),
          t.t('adm.devices'),
        ]}
        editing={editing}
        form={(b) => <EditBuilding b={b} onDone={() => (setEditing(null), onChange())} />}
        row={(b) => (
          <tr key={b.id} data-testid={`building-row-${b.id}`}>
            <td className="mono">{b.id}</td>
            <td>{b.name}</td>
            <td>{b.siteName}</td>
            <td>
              {b.lowestFloor < 1 ? `${b.lowestFloor} ~ ` : ''}
              {b.floors}
            </td>
            <td>{b.lobbyFloor}</td>
            <td>{b.address}</td>
            <td>{b.units}</td>
            <td>{b.devices}</td>
            <td>
              <button type="button" className="small" onClick={() => setEditing(b.id)} data-testid={`building-edit-${b.id}`}>
                {t.t('adm.edit')}
              </button>
            </td>
          </tr>
        )}
      />
      <h3>{t.t('adm.buildingNew')}</h3>
      <form className="provision" onSubmit={submit} autoComplete="off" data-testid="building-form">
        <BuildingFields f={{ ...f, site: f.site || sites[0]?.id || '' }} setF={setF} sites={sites} creating />
        <div className="provision-submit">
          <AdminError error={err} />
          <button type="submit" className="primary" data-testid="building-submit" disabled={sites.length === 0}>
            {t.t('adm.buildingNew')}
          </button>
        </div>
      </form>
    </Panel>
  );
}

function EditBuilding({ b, onDone }: { b: BuildingView; onDone: () => void }) {
  const t = useI18n();
  const [f, setF] = useState<BuildingForm>({
    id: b.id,
    site: b.site,
    name: b.name,
    floors: String(b.floors),
    lowestFloor: String(b.lowestFloor),
    lobbyFloor: String(b.lobbyFloor),
    address: b.address,
  });
  const [err, setErr] = useState<unknown>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setErr(null);
    try {
      await adminApi.patchBuilding(b.id, {
        name: f.name.trim(),
        floors: Number(f.floors),
        lowestFloor: num(f.lowestFloor) ?? 1,
        lobbyFloor: num(f.lobbyFloor) ?? 1,
        address: f.address.trim(),
      });
      toast(t.t('adm.saved'), 'ok');
      onDone();
    } catch (x) {
      setErr(x);
    }
  };
  return (
    <form className="provision" onSubmit={submit} data-testid={`building-edit-form-${b.id}`}>
      <BuildingFields f={f} setF={setF} sites={[]} creating={false} />
      <div className="provision-submit">
        <AdminError error={err} />
        <button type="button" onClick={onDone}>
          {t.t('common.cancel')}
        </button>
        <button type="submit" className="primary" data-testid="building-save">
          {t.t('common.save')}
        </button>
      </div>
    </form>
  );
}
