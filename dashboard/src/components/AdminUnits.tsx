// Owners import 业主资料导入: upload the CSV exported from the previous system, choose (or let
// the hub detect) the encoding, check it (a dry run lists every bad row with line, column and
// reason), then import — all rows or none.
import { useState } from 'react';
import { useI18n } from '../store.js';
import { adminApi, type ImportResult } from './AdminApi.js';
import { AdminError, adminLabel, localMessage } from './AdminCommon.js';
import { Panel } from './common.js';

const ENCODINGS = ['auto', 'utf-8', 'gb18030'] as const;
/** error codes whose server message adds specifics to the generic reason */
const DETAILED = new Set(['csv', 'header', 'unknown_building', 'out_of_scope', 'duplicate', 'floor', 'too_long']);
const TEMPLATE = 'building,number,floor,ownerName,ownerPhone,altContact\r\n';

export function AdminUnits() {
  const t = useI18n();
  const [file, setFile] = useState<File | null>(null);
  const [encoding, setEncoding] = useState<(typeof ENCODINGS)[number]>('auto');
  const [result, setResult] = useState<ImportResult | null>(null);
  const [checked, setChecked] = useState(false);
  const [busy, setBusy] = useState(false);
  const [err, setErr] = useState<unknown>(null);

  const run = async (dryRun: boolean) => {
    if (!file) return;
    setBusy(true);
    setErr(null);
    try {
      const r = await adminApi.importUnits(file, dryRun, encoding);
      setResult(r);
      setChecked(dryRun && r.errors.length === 0);
    } catch (x) {
      setErr(x);
      setResult(null);
    } finally {
      setBusy(false);
    }
  };
  const template = () => {
    // a UTF-8 BOM so Excel opens the Chinese template correctly
    const url = URL.createObjectURL(new Blob(['\uFEFF', TEMPLATE], { type: 'text/csv' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = 'units-template.csv';
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  };

  return (
    <Panel
      title={t.t('adm.import.title')}
      testId="admin-import"
      actions={
        <button type="button" className="small" onClick={template}>
          {t.t('adm.import.template')}
        </button>
      }
    >
      <p className="muted">{t.t('adm.import.help')}</p>
      <div className="provision">
        <label>
          {t.t('adm.import.file')}
          <input
            type="file"
            accept=".csv,text/csv"
            data-testid="import-file"
            onChange={(e) => {
              setFile(e.target.files?.[0] ?? null);
              setResult(null);
              setChecked(false);
            }}
          />
        </label>
        <label>
          {t.t('adm.import.encoding')}
          <select
            value={encoding}
            data-testid="import-encoding"
            onChange={(e) => {
              setEncoding(e.target.value as (typeof ENCODINGS)[number]);
              setChecked(false);
            }}
          >
            {ENCODINGS.map((x) => (
              <option key={x} value={x}>
                {t.t(`adm.import.enc.${x}`)}
              </option>
            ))}
          </select>
        </label>
        <div className="provision-submit">
          <button type="button" disabled={!file || busy} onClick={() => void run(true)} data-testid="import-check">
            {t.t('adm.import.check')}
          </button>
          <button
            type="button"
            className="primary"
            disabled={!file || busy || !checked}
            onClick={() => void run(false)}
            data-testid="import-run"
          >
            {t.t('adm.import.run')}
          </button>
        </div>
      </div>
      <AdminError error={err} />
      {result ? <ImportReport r={result} /> : null}
    </Panel>
  );
}

function ImportReport({ r }: { r: ImportResult }) {
  const t = useI18n();
  const counts = { rows: r.rows, encoding: r.encoding.toUpperCase(), created: r.created, updated: r.updated, unchanged: r.unchanged };
  if (r.errors.length === 0)
    return (
      <p className="ok" role="status" data-testid="import-summary" data-dry-run={r.dryRun}>
        {r.dryRun ? t.t('adm.import.wouldSummary', counts) : `${t.t('adm.import.done')}:${t.t('adm.import.summary', counts)}`}
      </p>
    );
  return (
    <div data-testid="import-errors">
      <p className="error" role="alert">
        {t.t('adm.import.errorsTitle', { n: r.errors.length })}
      </p>
      <table className="table">
        <thead>
          <tr>
            <th>{t.t('adm.import.line')}</th>
            <th>{t.t('adm.import.column')}</th>
            <th>{t.t('adm.import.reason')}</th>
          </tr>
        </thead>
        <tbody>
          {r.errors.map((e, i) => (
            <tr key={i} data-testid="import-error-row" data-line={e.line} data-field={e.field} data-code={e.code}>
              <td>{e.line > 0 ? e.line : t.t('adm.import.wholeFile')}</td>
              <td>{e.field ? adminLabel(t, `adm.import.col.${e.field}`, e.field) : '—'}</td>
              <td>
                {adminLabel(t, `adm.import.err.${e.code}`, '')}
                {/* the server's detail names the building, the earlier line, the floor range… */}
                {DETAILED.has(e.code) ? <span className="muted"> · {localMessage(e.message, t.locale)}</span> : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
