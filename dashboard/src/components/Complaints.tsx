// Complaint board 投诉 (PROCEDURES.md §9): filter by state, building, category, channel and
// overdue; register a complaint (投诉登记: who, channel, what, category); each complaint opens in
// the incident page, where its valid/invalid, reply, hand-off, work-order, response, solution and
// 回访 forms are rendered from the procedure's payload schemas. Supervisors and admins get the
// printable monthly complaint report (and its CSV). Descriptions are rendered as text only.
import { useState } from 'react';
import type { ComplaintView } from '../../../contracts/complaints.js';
import { useI18n, useStore } from '../store.js';
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

const STATES = ['open', 'all', 'registered', 'handling', 'awaiting_followup', 'closed', 'invalid'] as const;
// contracts/complaints.ts (not imported at run time: that module pulls zod into the bundle)
const CATEGORIES = ['facilities', 'environment', 'safety', 'service'] as const;
const CHANNELS = ['phone', 'visit', 'online', 'letter', 'other'] as const;

/** What is owed next: the first reply, the agreed next reply, the solution, or the 回访. */
function nextDue(c: ComplaintView): number | null {
  if (!c.open) return null;
  if (c.firstReplyAt === null) return c.replyDueAt;
  if (c.state === 'awaiting_followup') return c.followupDueAt;
  const due = [c.nextReplyAt, c.solvedAt === null ? c.solutionDueAt : null].filter((x): x is number => x !== null);
  return due.length ? Math.min(...due) : null;
}

/** This month, local (the report's default), as YYYY-MM. */
const thisMonth = (now: number) => new Date(now + 8 * 3_600_000).toISOString().slice(0, 7);

export function Complaints() {
  const t = useI18n();
  const role = useStore((s) => s.user?.role);
  const [f, setF] = useState({ state: 'open', building: '', category: '', channel: '', overdue: false });
  const [month, setMonth] = useState(() => thisMonth(Date.now()));
  const board = useDeskBoard<ComplaintView>('/api/complaints', f);
  const set = (k: string, v: string | boolean) => setF((x) => ({ ...x, [k]: v }));
  const list = board.list.data;
  const manager = role === 'supervisor' || role === 'admin';
  const reportUrl = (format: 'html' | 'csv') =>
    `/api/complaints/report?${new URLSearchParams({ month, format, lang: t.locale, ...(f.building ? { building: f.building } : {}) }).toString()}`;

  return (
    <div className="sup-grid workorders complaints">
      <DeskBoard
        title={t.t('cp.board')}
        testId="cp-board"
        error={board.list.error}
        empty={list?.length === 0}
        none={t.t('cp.none')}
        filters={
          <DeskFilters kind="complaint" states={STATES} openLabel={t.t('cp.open')} f={f} set={set} buildings={board.buildings}>
            <EnumFilter kind="complaint" field="category" values={CATEGORIES} value={f.category} onChange={(v) => set('category', v)} />
            <EnumFilter kind="complaint" field="channel" values={CHANNELS} value={f.channel} onChange={(v) => set('channel', v)} />
          </DeskFilters>
        }
      >
        {list && list.length ? (
          <DeskTable
            kind="complaint"
            prefix="cp"
            rows={list}
            recordLabel={t.t('cp.complaint')}
            extra={{ head: t.field('channel', 'complaint'), cell: (c) => t.enumValue(c.channel, 'complaint') }}
            bName={board.bName}
            late={(c) => c.overdue.reply || c.overdue.response || c.overdue.solution || c.overdue.followup}
            due={nextDue}
          />
        ) : null}
        {manager ? (
          <div className="walkin cp-report" data-testid="cp-report">
            <label>
              {t.t('cp.reportMonth')}
              <input type="month" name="month" value={month} onChange={(e) => setMonth(e.target.value || thisMonth(Date.now()))} />
            </label>
            <a className="button" href={reportUrl('html')} target="_blank" rel="noopener" data-testid="cp-report-print">
              {t.t('cp.reportPrint')}
            </a>
            <a className="button" href={reportUrl('csv')} data-testid="cp-report-csv">
              {t.t('cp.reportCsv')}
            </a>
          </div>
        ) : null}
      </DeskBoard>
      <NewComplaint buildings={board.buildings} onCreated={board.refresh} />
    </div>
  );
}

function NewComplaint({ buildings, onCreated }: { buildings: readonly Building[]; onCreated: () => void }) {
  const t = useI18n();
  const blank = {
    building: '',
    complainantType: 'resident',
    unit: '',
    complainantName: '',
    complainantPhone: '',
    channel: 'phone',
    category: 'facilities',
    location: '',
    description: '',
  };
  const { f, set, err, building, submit } = useDeskForm(blank, buildings, { url: '/api/complaints', created: 'cp.created', onCreated });
  const resident = f.complainantType === 'resident';
  return (
    <Panel title={t.t('cp.new')} testId="cp-new">
      <form
        className="walkin"
        onSubmit={(e) => {
          e.preventDefault();
          submit({
            complainantType: f.complainantType,
            ...(resident ? { unit: f.unit } : { complainantPhone: f.complainantPhone }),
            complainantName: f.complainantName,
            channel: f.channel,
            category: f.category,
            location: f.location,
            description: f.description,
          });
        }}
      >
        <BuildingSelect value={building} buildings={buildings} onChange={set('building')} />
        <EnumSelect
          kind="complaint"
          field="complainantType"
          values={['resident', 'outside']}
          value={f.complainantType}
          onChange={set('complainantType')}
        />
        {resident ? (
          <label>
            {t.field('unit', 'complaint')}
            <input name="unit" value={f.unit} onChange={set('unit')} required maxLength={32} />
          </label>
        ) : null}
        <label>
          {t.field('complainantName', 'complaint')}
          <input name="complainantName" value={f.complainantName} onChange={set('complainantName')} required={!resident} maxLength={64} />
        </label>
        {!resident ? (
          <label>
            {t.field('complainantPhone', 'complaint')}
            <input name="complainantPhone" value={f.complainantPhone} onChange={set('complainantPhone')} maxLength={32} />
          </label>
        ) : null}
        <EnumSelect kind="complaint" field="channel" values={CHANNELS} value={f.channel} onChange={set('channel')} />
        <EnumSelect kind="complaint" field="category" values={CATEGORIES} value={f.category} onChange={set('category')} />
        <label>
          {t.field('location', 'complaint')}
          <input name="location" value={f.location} onChange={set('location')} maxLength={200} />
        </label>
        <label>
          {t.field('description', 'complaint')}
          <textarea name="description" value={f.description} onChange={set('description')} required maxLength={2000} />
        </label>
        <ErrorLine error={err} />
        <button type="submit" className="button primary" data-testid="cp-submit">
          {t.t('cp.register')}
        </button>
      </form>
    </Panel>
  );
}
