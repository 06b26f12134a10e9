// Work-order board 报修工单 (PROCEDURES.md §8): filter by state, building, category and overdue;
// register a repair (接单登记); each order opens in the incident page, where its dispatch,
// response, completion, acceptance and cancel forms are rendered from the procedure's payload
// schemas; the printable sheet opens in a new tab. Descriptions are rendered as text only.
import { useState } from 'react';
import type { WorkOrderView } from '../../../contracts/workorders.js';
import { useI18n } from '../store.js';
import { ErrorLine, Panel } from './common.js';
import {
  BuildingSelect,
  DeskBoard,
  DeskFilters,
  DeskTable,
  EnumSelect,
  EnumFilter,
  useDeskBoard,
  useDeskForm,
  type Building,
} from './ServiceDesk.js';

const STATES = ['open', 'all', 'registered', 'dispatched', 'in_progress', 'awaiting_acceptance', 'closed', 'cancelled'] as const;
// contracts/workorders.ts WORK_ORDER_CATEGORIES (not imported at run time: that module pulls zod into the bundle)
const CATEGORIES = [
  'plumbing',
  'electrical',
  'elevator',
  'fire_safety',
  'doors_windows',
  'civil',
  'hvac',
  'intercom',
  'public_facilities',
  'other',
] as const;
const SOURCES = ['resident_phone', 'resident_visit', 'staff'] as const;

export function WorkOrders() {
  const t = useI18n();
  const [f, setF] = useState({ state: 'open', building: '', category: '', overdue: false });
  const board = useDeskBoard<WorkOrderView>('/api/work-orders', f);
  const set = (k: string, v: string | boolean) => setF((x) => ({ ...x, [k]: v }));
  const list = board.list.data;

  return (
    <div className="sup-grid workorders">
      <DeskBoard
        title={t.t('wo.board')}
        testId="wo-board"
        error={board.list.error}
        empty={list?.length === 0}
        none={t.t('wo.none')}
        filters={
          <DeskFilters kind="repair" states={STATES} openLabel={t.t('wo.open')} f={f} set={set} buildings={board.buildings}>
            <EnumFilter kind="repair" field="category" values={CATEGORIES} value={f.category} onChange={(v) => set('category', v)} />
          </DeskFilters>
        }
      >
        {list && list.length ? (
          <DeskTable
            kind="repair"
            prefix="wo"
            rows={list}
            recordLabel={t.t('wo.order')}
            extra={{ head: t.t('wo.repairer'), cell: (o) => o.dispatchedTo ?? '—' }}
            bName={board.bName}
            late={(o) => o.overdue.response || o.overdue.completion}
            due={(o) => (o.respondedAt === null ? o.responseDueAt : o.completedAt === null ? o.completionDueAt : null)}
            badges={(o) => (o.deviceNormalAt && o.open ? <span className="badge">{t.t('wo.deviceNormal')}</span> : null)}
            tail={(o) => (
              <a href={`/api/work-orders/${o.id}/sheet`} target="_blank" rel="noopener" data-testid="wo-sheet">
                {t.t('wo.print')}
              </a>
            )}
          />
        ) : null}
      </DeskBoard>
      <NewWorkOrder buildings={board.buildings} onCreated={board.refresh} />
    </div>
  );
}

function NewWorkOrder({ buildings, onCreated }: { buildings: readonly Building[]; onCreated: () => void }) {
  const t = useI18n();
  const blank = {
    building: '',
    category: 'plumbing',
    area: 'unit',
    unit: '',
    location: '',
    description: '',
    source: 'resident_phone',
    reporterName: '',
  };
  const { f, set, err, building, submit } = useDeskForm(blank, buildings, { url: '/api/work-orders', created: 'wo.created', onCreated });
  return (
    <Panel title={t.t('wo.new')} testId="wo-new">
      <form
        className="walkin"
        onSubmit={(e) => {
          e.preventDefault();
          submit({
            category: f.category,
            area: f.area,
            ...(f.area === 'unit' ? { unit: f.unit } : {}),
            location: f.location,
            description: f.description,
            source: f.source,
            reporterName: f.reporterName,
          });
        }}
      >
        <BuildingSelect value={building} buildings={buildings} onChange={set('building')} />
        <EnumSelect kind="repair" field="category" values={CATEGORIES} value={f.category} onChange={set('category')} />
        <EnumSelect kind="repair" field="area" values={['unit', 'common']} value={f.area} onChange={set('area')} />
        {f.area === 'unit' ? (
          <label>
            {t.field('unit', 'repair')}
            <input name="unit" value={f.unit} onChange={set('unit')} required maxLength={32} />
          </label>
        ) : null}
        <label>
          {t.field('location', 'repair')}
          <input name="location" value={f.location} onChange={set('location')} maxLength={200} />
        </label>
        <label>
          {t.field('description', 'repair')}
          <textarea name="description" value={f.description} onChange={set('description')} required maxLength={2000} />
        </label>
        <EnumSelect kind="repair" field="source" values={SOURCES} value={f.source} onChange={set('source')} />
        <label>
          {t.field('reporterName', 'repair')}
          <input name="reporterName" value={f.reporterName} onChange={set('reporterName')} maxLength={64} />
        </label>
        <ErrorLine error={err} />
        <button type="submit" className="button primary" data-testid="wo-submit">
          {t.t('wo.register')}
        </button>
      </form>
    </Panel>
  );
}
