// Shift 交接班 (PROCEDURES.md "Shifts, duty log, handover"; seed 004 篇3): who is on duty, the
// handover the hub opened at the shift's end (open items, pending work, devices down, the √/×
// equipment check), the handovers waiting for the incoming operator, and this shift's duty log.
// The outgoing operator stays on duty until the incoming one accepts (seed 004 篇3 §1.2).
import { useEffect, useState } from 'react';
import { api, type CheckInput, type HandoverView, type OpenItem } from '../api.js';
import { useAsync } from '../hooks.js';
import { useI18n, useStore } from '../store.js';
import { AsyncButton, Empty, ErrorLine, Panel, useActorName } from './common.js';

export function ShiftPage() {
  const rev = useStore((s) => s.shiftRev);
  const duty = useAsync(() => api.onDuty(), [rev]);
  const list = useAsync(() => api.handovers(), [rev]);
  const reload = () => {
    duty.reload();
    list.reload();
  };
  return (
    <div className="shift-page sup-grid">
      <OnDuty data={duty.data} error={duty.error} />
      <HandoverForm pendingShift={duty.data?.pendingHandover?.shiftId} onDone={reload} rev={rev} />
      <HandoverList list={list.data} error={list.error} onDone={reload} />
      <ShiftLog rev={rev} />
    </div>
  );
}

function OnDuty({ data, error }: { data: Awaited<ReturnType<typeof api.onDuty>> | undefined; error: unknown }) {
  const t = useI18n();
  const p = data?.pendingHandover;
  return (
    <Panel title={t.t('shift.current')} testId="on-duty">
      <ErrorLine error={error} />
      {data ? (
        <>
          <p>
            <strong data-testid="shift-name">{data.shift.name}</strong> {t.dateTime(data.shift.startsAt)} – {t.dateTime(data.shift.endsAt)}
          </p>
          <p>
            {t.t('shift.onDuty')}: <strong data-testid="on-duty-name">{data.onDuty?.displayName ?? t.t('shift.nobody')}</strong>
          </p>
          {p ? (
            <p className="warn" data-testid="overtime">
              {t.t('shift.overtime', { shift: p.shiftId })} ·{' '}
              {t.t(
                p.state === 'waiting_outgoing' ? 'shift.waitingOutgoing' : p.state === 'open' ? 'shift.waitingIncoming' : 'shift.refused',
              )}
            </p>
          ) : null}
        </>
      ) : null}
    </Panel>
  );
}

function HandoverForm({ pendingShift, onDone, rev }: { pendingShift: string | undefined; onDone: () => void; rev: number }) {
  const t = useI18n();
  const draft = useAsync(() => api.handoverDraft(pendingShift), [pendingShift, rev]);
  const [notes, setNotes] = useState('');
  const [incoming, setIncoming] = useState('');
  const [checks, setChecks] = useState<Record<string, CheckInput>>({});
  const d = draft.data;
  useEffect(() => setChecks({}), [d?.shift.id]);
  const missing = (d?.equipment ?? []).filter((e) => !checks[e.id]).length;
  const set = (item: string, patch: Partial<CheckInput>) =>
    setChecks((c) => ({ ...c, [item]: { item, ok: c[item]?.ok ?? true, note: c[item]?.note ?? '', ...patch } }));
  return (
    <Panel title={d ? t.t('shift.handoverFor', { shift: `${d.shift.id} ${d.shift.name}` }) : t.t('sup.handoverNew')} testId="handover-new">
      <ErrorLine error={draft.error} />
      {d ? (
        <>
          <h4>{t.t('shift.openItems')}</h4>
          <ItemList items={d.openItems} testId="draft-open-items" />
          <h4>{t.t('shift.pending')}</h4>
          {d.pending.length ? (
            <ul data-testid="draft-pending">
              {d.pending.map((p) => (
                <li key={`${p.source}/${p.id}`} className={p.overdue ? 'overdue' : ''}>
                  {p.sourceLabel} · {p.title}
                  {p.dueAt ? ` · ${t.t('sup.due', { time: t.dateTime(p.dueAt) })}` : ''}
                  {p.overdue ? ` · ${t.t('common.overdue')}` : ''}
                </li>
              ))}
            </ul>
          ) : (
            <p className="muted">{t.t('shift.noneListed')}</p>
          )}
          <h4>{t.t('shift.devices')}</h4>
          {d.devices.length ? (
            <ul data-testid="draft-devices">
              {d.devices.map((x) => (
                <li key={x.id}>
                  {x.name} · {x.buildingName} · {x.conditionLabel}
                  {x.reason ? ` · ${x.reason}` : ''}
                </li>
              ))}
            </ul>
          ) : (
            <p className="muted">{t.t('shift.noneListed')}</p>
          )}
          <fieldset className="equipment-check" data-testid="equipment-check">
            <legend>{t.t('shift.checks')}</legend>
            {d.equipment.map((e) => {
              const c = checks[e.id];
              return (
                <div key={e.id} className="check-row" data-testid={`check-${e.id}`}>
                  <span className="check-label">{e.label}</span>
                  <label>
                    <input type="radio" name={`check-${e.id}`} checked={c?.ok === true} onChange={() => set(e.id, { ok: true })} />
                    {t.t('shift.ok')}
                  </label>
                  <label>
                    <input type="radio" name={`check-${e.id}`} checked={c?.ok === false} onChange={() => set(e.id, { ok: false })} />
                    {t.t('shift.notOk')}
                  </label>
                  {c?.ok === false ? (
                    <input
                      aria-label={t.t('shift.checkNote')}
                      placeholder={t.t('shift.checkNote')}
                      value={c.note}
                      onChange={(ev) => set(e.id, { note: ev.target.value })}
                    />
                  ) : null}
                </div>
              );
            })}
            {missing ? <p className="muted">{t.t('shift.checksMissing', { n: missing })}</p> : null}
          </fieldset>
          <label>
            {t.t('sup.handoverNotes')}
            <textarea rows={4} value={notes} onChange={(e) => setNotes(e.target.value)} />
          </label>
          <label>
            {t.t('shift.incoming')}
            <input name="incoming" value={incoming} onChange={(e) => setIncoming(e.target.value)} />
          </label>
          <AsyncButton
            className="primary"
            testId="handover-submit"
            disabled={!notes.trim() || missing > 0}
            onRun={async () => {
              await api.createHandover(notes.trim(), incoming.trim() || undefined, { shiftId: d.shift.id, checks: Object.values(checks) });
              setNotes('');
              setIncoming('');
              setChecks({});
              onDone();
            }}
          >
            {t.t('shift.signOut')}
          </AsyncButton>
        </>
      ) : null}
    </Panel>
  );
}

function ItemList({ items, testId }: { items: OpenItem[]; testId?: string }) {
  const t = useI18n();
  if (!items.length) return <p className="muted">{t.t('shift.noneListed')}</p>;
  return (
    <ul className="open-items" data-testid={testId}>
      {items.map((o) => (
        <li key={`${o.type}/${o.id}`}>{openItemText(t, o)}</li>
      ))}
    </ul>
  );
}

export function openItemText(t: ReturnType<typeof useI18n>, o: OpenItem): string {
  if (o.type === 'incident') return `#${o.number} ${t.kind(o.kind)} · ${t.msg(o.titleMsg)} · ${t.proc(o.kind, 'state', o.state)}`;
  if (o.type === 'followup')
    return `${t.t('sup.followups')} · ${t.msg(o.subjectMsg)} · ${t.t('sup.due', { time: t.dateTime(o.dueAt) })}${o.overdue ? ` · ${t.t('common.overdue')}` : ''}`;
  if (o.type === 'pending') return `${o.sourceLabel} · ${t.msg(o.titleMsg)}${o.overdue ? ` · ${t.t('common.overdue')}` : ''}`;
  if (o.type === 'device') return `${o.name} · ${o.building} · ${o.conditionLabel}${o.reason ? ` · ${o.reason}` : ''}`;
  return `${t.t('incident.visitor')} · ${o.visitorName} · ${o.building} ${o.unit}${o.overstay ? ` · ${t.t('fd.overstay')}` : ''}`;
}

export function HandoverList({ list, error, onDone }: { list: HandoverView[] | undefined; error: unknown; onDone: () => void }) {
  const t = useI18n();
  const me = useStore((s) => s.user);
  const [refusing, setRefusing] = useState<string | null>(null);
  const [reason, setReason] = useState('');
  return (
    <Panel title={t.t('sup.handover')} testId="handovers">
      <ErrorLine error={error} />
      {list && list.length === 0 ? <Empty>{t.t('sup.handoverEmpty')}</Empty> : null}
      <ul className="handovers">
        {(list ?? []).map((h) => (
          <li key={h.id} className={`handover handover-${h.state}`} data-testid={`handover-${h.id}`}>
            <div>
              <strong>{t.t(`sup.handoverState.${h.state}`)}</strong> · {h.shiftId ?? ''} · {t.dateTime(h.createdAt)} · {t.t('sup.outgoing')}{' '}
              {h.outgoing?.displayName ?? h.outgoingId}
              {h.incomingId ? ` · ${t.t('sup.incoming')} ${h.incoming?.displayName ?? h.incomingId}` : ''} ·{' '}
              {t.t('sup.openItems', { n: h.openItems.length })}
            </div>
            <ItemList items={h.openItems} />
            {h.checks.length ? (
              <div className="checks">
                <p>{t.t('shift.checksOf', { ok: h.checks.filter((c) => c.ok).length, bad: h.checks.filter((c) => !c.ok).length })}</p>
                <ul>
                  {h.checks.map((c) => (
                    <li key={c.item} className={c.ok ? 'ok' : 'warn'}>
                      {c.ok ? '√' : '×'} {c.label}
                      {c.note ? `(${c.note})` : ''}
                    </li>
                  ))}
                </ul>
              </div>
            ) : null}
            {h.notes ? <p className="pre">{h.notes}</p> : null}
            {h.refusedReason ? <p className="warn">{h.refusedReason}</p> : null}
            {h.state === 'open' && h.outgoingId !== me?.id ? (
              <div className="row">
                <AsyncButton
                  className="primary"
                  testId="handover-accept"
                  onRun={async () => {
                    await api.acceptHandover(h.id);
                    onDone();
                  }}
                >
                  {t.t('sup.accept')}
                </AsyncButton>
                {refusing === h.id ? (
                  <>
                    <input
                      aria-label={t.t('sup.refuseReason')}
                      placeholder={t.t('sup.refuseReason')}
                      value={reason}
                      onChange={(e) => setReason(e.target.value)}
                    />
                    <AsyncButton
                      className="danger"
                      disabled={!reason.trim()}
                      onRun={async () => {
                        await api.refuseHandover(h.id, reason.trim());
                        setRefusing(null);
                        setReason('');
                        onDone();
                      }}
                    >
                      {t.t('common.confirm')}
                    </AsyncButton>
                  </>
                ) : (
                  <button type="button" className="danger" onClick={() => setRefusing(h.id)}>
                    {t.t('sup.refuse')}
                  </button>
                )}
              </div>
            ) : null}
          </li>
        ))}
      </ul>
    </Panel>
  );
}

function ShiftLog({ rev }: { rev: number }) {
  const t = useI18n();
  const actorName = useActorName();
  const log = useAsync(() => api.shiftLog(), [rev]);
  const [text, setText] = useState('');
  return (
    <Panel title={t.t('shift.log')} testId="shift-log">
      <ErrorLine error={log.error} />
      {log.data && log.data.entries.length === 0 ? <Empty>{t.t('sup.entriesEmpty')}</Empty> : null}
      <table className="table">
        <tbody>
          {(log.data?.entries ?? []).map((e) => (
            <tr key={e.seq}>
              <td className="nowrap">{t.time(e.at)}</td>
              <td className="nowrap">{actorName(e)}</td>
              <td>{t.duty(e)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <label>
        {t.t('shift.entry')}
        <input name="entry" value={text} onChange={(e) => setText(e.target.value)} />
      </label>
      <AsyncButton
        disabled={!text.trim()}
        onRun={async () => {
          await api.addShiftEntry(text.trim());
          setText('');
          log.reload();
        }}
      >
        {t.t('shift.addEntry')}
      </AsyncButton>
    </Panel>
  );
}
