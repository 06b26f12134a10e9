// Client for the administration API (CONTRACT.md "Administration"); shapes are the server's
// zod schemas (contracts/admin.ts), imported as types only so no zod reaches the bundle.
import type { BuildingView, ContactView, ImportResult, SettingsView, SiteView, UserView } from '../../../contracts/admin.js';
import type { TelemetryRuleView } from '../../../contracts/rules.js';
import { ApiError, authHeaders, request } from '../api.js';

export type { BuildingView, ContactView, ImportResult, SettingsView, SiteView, UserView };
export type SettingItem = SettingsView['settings'][number];

export interface AuditEntry {
  seq: number;
  at: number;
  actor: string;
  action: string;
  target: string;
  data: unknown;
}

const enc = encodeURIComponent;
const q = (params: Record<string, string | number | undefined>) => {
  const s = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') s.set(k, String(v));
  const str = s.toString();
  return str ? `?${str}` : '';
};

export const adminApi = {
  sites: () => request<SiteView[]>('GET', '/api/sites'),
  createSite: (b: { id: string; name: string; address?: string }) => request<SiteView>('POST', '/api/sites', b),
  patchSite: (id: string, b: { name?: string; address?: string }) => request<SiteView>('PATCH', `/api/sites/${enc(id)}`, b),
  buildings: (site?: string) => request<BuildingView[]>('GET', `/api/buildings${q({ site })}`),
  createBuilding: (b: Record<string, unknown>) => request<BuildingView>('POST', '/api/buildings', b),
  patchBuilding: (id: string, b: Record<string, unknown>) => request<BuildingView>('PATCH', `/api/buildings/${enc(id)}`, b),

  /** The CSV goes up as bytes: the server decides UTF-8 / GB18030. 422 = a real run refused, with the errors. */
  importUnits: async (file: Blob, dryRun: boolean, encoding: string): Promise<ImportResult> => {
    let r: Response;
    try {
      r = await fetch(`/api/units/import${q({ dryRun: String(dryRun), encoding })}`, {
        method: 'POST',
        credentials: 'same-origin',
        headers: { accept: 'application/json', 'content-type': 'text/csv', ...authHeaders() },
        body: file,
      });
    } catch (err) {
      throw new ApiError(0, 'NETWORK', (err as Error).message);
    }
    const body = (await r.json().catch(() => ({}))) as ImportResult & { code?: string; message?: string };
    if (r.ok || r.status === 422) return body;
    throw new ApiError(r.status, body.code ?? `HTTP_${r.status}`, body.message ?? r.statusText);
  },

  users: () => request<UserView[]>('GET', '/api/users'),
  createUser: (b: Record<string, unknown>) => request<{ id: string; password?: string }>('POST', '/api/users', b),
  patchUser: (id: string, b: Record<string, unknown>) => request<UserView>('PATCH', `/api/users/${enc(id)}`, b),
  resetPassword: (id: string) => request<{ id: string; password?: string }>('POST', `/api/users/${enc(id)}/password`, {}),
  changeOwnPassword: (oldPassword: string, newPassword: string) =>
    request<null>('POST', '/api/auth/password', { oldPassword, newPassword }),

  contacts: (all = false) => request<ContactView[]>('GET', `/api/contacts${q({ all: all ? 'true' : undefined })}`),
  createContact: (b: Record<string, unknown>) => request<ContactView>('POST', '/api/contacts', b),
  patchContact: (id: string, b: Record<string, unknown>) => request<ContactView>('PATCH', `/api/contacts/${enc(id)}`, b),

  // telemetry rules 遥测规则 (docs/contract.md "Telemetry rules")
  rules: () => request<TelemetryRuleView[]>('GET', '/api/telemetry-rules'),
  createRule: (b: Record<string, unknown>) => request<TelemetryRuleView>('POST', '/api/telemetry-rules', b),
  patchRule: (id: string, b: Record<string, unknown>) => request<TelemetryRuleView>('PATCH', `/api/telemetry-rules/${enc(id)}`, b),
  deleteRule: (id: string) => request<null>('DELETE', `/api/telemetry-rules/${enc(id)}`),

  settings: () => request<SettingsView>('GET', '/api/settings'),
  patchSettings: (b: { values?: Record<string, number | boolean | null>; calendar?: { holidays: string[]; workdays: string[] } }) =>
    request<SettingsView>('PATCH', '/api/settings', b),

  audit: (f: { actor?: string; action?: string; from?: number; to?: number; before?: number; limit?: number }) =>
    request<AuditEntry[]>('GET', `/api/audit${q(f)}`),
};
