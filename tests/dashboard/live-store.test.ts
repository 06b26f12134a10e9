// The dashboard's live store (dashboard/src/store.ts): a list read at the hub before a push that
// reached the browser first must not undo the push. CI once saw a water-leak card never appear
// after 30 s — the open-incident list asked for at page load answered after the new incident's
// push and replaced the store without it.
import { beforeEach, describe, expect, it } from 'vitest';
import type { DeviceView, IncidentView } from '../../dashboard/src/api.js';
import { getState, listMark, patchDevice, replaceDevices, replaceIncidents, setState, upsertIncident } from '../../dashboard/src/store.js';

const incident = (id: string, extra: Partial<IncidentView> = {}) =>
  ({ id, open: true, state: 'reported', steps: [], ...extra }) as unknown as IncidentView;
const device = (id: string, state: DeviceView['state']) => ({ id, state, lastSeenAt: 1 }) as unknown as DeviceView;
const action = { action: 'ack' } as unknown as NonNullable<IncidentView['allowedActions']>[number];

beforeEach(() => setState({ incidents: {}, devices: {} }));

describe('a list answer against live pushes', () => {
  it('keeps an incident pushed while the open list was on its way', () => {
    const since = listMark();
    upsertIncident(incident('leak'), true);
    replaceIncidents([incident('old', { allowedActions: [action] })], since);
    expect(Object.keys(getState().incidents).sort()).toEqual(['leak', 'old']);
  });

  it('a list asked for after the push replaces it (the incident is gone from the open list)', () => {
    upsertIncident(incident('closed-meanwhile'), true);
    const since = listMark();
    replaceIncidents([incident('other')], since);
    expect(Object.keys(getState().incidents)).toEqual(['other']);
  });

  it('the pushed view stays, with the allowed actions the list brought (a push has none)', () => {
    replaceIncidents([incident('a', { state: 'reported', allowedActions: [] })], listMark());
    const since = listMark();
    upsertIncident(incident('a', { state: 'acknowledged' }), true);
    replaceIncidents([incident('a', { state: 'reported', allowedActions: [action] })], since);
    expect(getState().incidents.a).toMatchObject({ state: 'acknowledged', allowedActions: [action] });
  });

  it('a device status pushed after the list was asked for is not turned back', () => {
    replaceDevices([device('el-1', 'online'), device('el-2', 'online')], listMark());
    const since = listMark();
    patchDevice('el-1', { state: 'offline', lastSeenAt: 2 });
    replaceDevices([device('el-1', 'online'), device('el-2', 'offline')], since);
    expect(getState().devices['el-1']).toMatchObject({ state: 'offline', lastSeenAt: 2 });
    expect(getState().devices['el-2']!.state).toBe('offline');
  });
});
