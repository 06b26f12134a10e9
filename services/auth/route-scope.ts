// The building-scope decision of every HTTP route (issue 8 item 3). A route that is not listed
// here fails tests/integration/scope.test.ts, which enumerates the routes of the real app: adding
// a route means deciding, in one line, how a user confined to some buildings is limited on it.
//
//  'building'      the route reads or changes data of buildings; its service limits it with the
//                  caller's Scope (services/auth/scope.ts): lists filtered, a single record of
//                  another building is 404 (like a missing id), actions on it refused (404).
//  'all-buildings' estate-wide configuration or history that cannot be cut by building (the audit
//                  trail, channels, settings changes, ops): refused (403) to a scoped user — the
//                  app enforces it centrally (services/hub/app.ts), the route need do nothing.
//  'reference'     the same for every building and no building's data (labels, schemas, policies).
//  'self'          the caller's own session or account.
//  'public'        no login (health, login), or authenticated by its own token (signed ack links,
//                  the metrics token) — no user, so no scope.
//
// Keys are `METHOD url` exactly as fastify registers them (HEAD routes follow their GET).
export type ScopePolicy = 'building' | 'all-buildings' | 'reference' | 'self' | 'public';

export const ROUTE_SCOPES: Readonly<Record<string, ScopePolicy>> = {
  // system
  'GET /api/health': 'public',
  'GET /api/health/live': 'public',
  'GET /api/health/ready': 'public',
  'GET /api/openapi.json': 'public',
  // metrics name every building's device counts and open incidents: token, loopback or an unscoped admin
  'GET /metrics': 'all-buildings',
  'GET /api/ops/log-level': 'all-buildings',
  'PUT /api/ops/log-level': 'all-buildings',
  'GET /api/ops/retention': 'all-buildings',
  'POST /api/ops/retention/run': 'all-buildings',
  // auth
  'POST /api/auth/login': 'public',
  'POST /api/auth/logout': 'self',
  'GET /api/auth/me': 'self',
  'POST /api/auth/password': 'self',
  // procedures and incidents
  'GET /api/procedures': 'reference',
  'GET /api/incidents': 'building',
  'GET /api/incidents/:id': 'building',
  'GET /api/incidents/search': 'building',
  'GET /api/incidents/export': 'building',
  'POST /api/incidents/bulk': 'building',
  'POST /api/incidents': 'building',
  'POST /api/incidents/:id/actions/:action': 'building',
  'POST /api/incidents/:id/acknowledge': 'building',
  'POST /api/incidents/:id/approve': 'building',
  'POST /api/incidents/:id/close': 'building',
  'POST /api/incidents/:id/notes': 'building',
  'GET /api/incidents/:id/report': 'building',
  'GET /api/incidents/:id/attachments': 'building',
  'POST /api/incidents/:id/attachments': 'building',
  'GET /api/attachments/:id': 'building',
  // visitors
  // work orders 报修工单 (services/repair/routes.ts)
  'GET /api/work-orders': 'building',
  'POST /api/work-orders': 'building',
  'GET /api/work-orders/:id': 'building',
  'GET /api/work-orders/:id/owner-contact': 'building',
  'GET /api/work-orders/:id/sheet': 'building',
  // complaints 投诉 (services/complaint/routes.ts)
  'GET /api/complaints': 'building',
  'POST /api/complaints': 'building',
  'GET /api/complaints/report': 'building',
  'GET /api/complaints/:id': 'building',
  'GET /api/complaints/:id/owner-contact': 'building',
  'GET /api/visits': 'building',
  'GET /api/visits/:id': 'building',
  'POST /api/visits': 'building',
  'POST /api/visits/:id/approve': 'building',
  'POST /api/visits/:id/deny': 'building',
  'POST /api/visits/:id/actions/:action': 'building',
  'GET /api/preauthorizations': 'building',
  'POST /api/preauthorizations': 'building',
  // devices and telemetry (commands are procedure actions: scoped with their incident)
  'GET /api/devices': 'building',
  'GET /api/devices/:id': 'building',
  'POST /api/devices': 'building',
  'POST /api/devices/:id/secret': 'building',
  'PATCH /api/devices/:id': 'building',
  'PUT /api/devices/:id/maintenance': 'building',
  'DELETE /api/devices/:id/maintenance': 'building',
  'GET /api/telemetry': 'building',
  // records
  'GET /api/duty-log': 'building',
  'POST /api/duty-log': 'building',
  // a signature covers the whole day's log, every building's entries
  'POST /api/duty-log/:day/sign': 'all-buildings',
  // shifts 班次: a shift and its configuration hold no building's data; its log is filtered per
  // entry; signing, spot-checking and reviewing cover every building's entries
  'GET /api/shifts': 'reference',
  'GET /api/shifts/current': 'reference',
  'GET /api/shifts/config': 'reference',
  'PUT /api/shifts/config': 'all-buildings',
  'GET /api/shifts/:id': 'reference',
  'GET /api/shift-log': 'building',
  'POST /api/shift-log': 'building',
  'POST /api/shifts/:id/sign': 'all-buildings',
  'POST /api/shifts/:id/spot-check': 'all-buildings',
  'GET /api/duty-review/:month': 'all-buildings',
  'POST /api/duty-review/:month': 'all-buildings',
  'GET /api/handover-draft': 'building',
  'GET /api/reports/summary': 'building',
  'GET /api/handovers': 'building',
  'GET /api/handovers/:id': 'building',
  'POST /api/handovers': 'building',
  'POST /api/handovers/:id/accept': 'building',
  'POST /api/handovers/:id/refuse': 'building',
  'GET /api/followups': 'building',
  'POST /api/followups/:id/done': 'building',
  'GET /api/planned-outages': 'building',
  'POST /api/planned-outages': 'building',
  'POST /api/planned-outages/:id/cancel': 'building',
  'GET /api/units': 'building',
  'GET /api/units/:id': 'building',
  // the audit trail and the access log name records of every building by id
  'GET /api/personal-data-access': 'all-buildings',
  'GET /api/audit': 'all-buildings',
  // administration (services/admin: the actor's scope is checked inside each service)
  'POST /api/sites': 'building',
  'GET /api/sites': 'building',
  'PATCH /api/sites/:id': 'building',
  'GET /api/buildings': 'building',
  'POST /api/buildings': 'building',
  'PATCH /api/buildings/:id': 'building',
  'POST /api/units': 'building',
  'POST /api/units/import': 'building',
  'GET /api/users': 'building',
  'POST /api/users': 'building',
  'PATCH /api/users/:id': 'building',
  'POST /api/users/:id/password': 'building',
  'GET /api/contacts': 'building',
  'POST /api/contacts': 'building',
  'PATCH /api/contacts/:id': 'building',
  'GET /api/settings': 'reference',
  'PATCH /api/settings': 'all-buildings',
  // notifications
  'POST /api/notification-channels': 'all-buildings',
  // names and kinds, never secrets: the escalation-policy screens of every supervisor need them
  'GET /api/notification-channels': 'reference',
  'PATCH /api/notification-channels/:id': 'all-buildings',
  'POST /api/notification-channels/:id/test': 'all-buildings',
  'GET /api/escalation-policies': 'reference',
  'GET /api/escalation-policies/:kind': 'reference',
  'PUT /api/escalation-policies/:kind': 'all-buildings',
  'DELETE /api/escalation-policies/:kind': 'all-buildings',
  'POST /api/oncall': 'building',
  'GET /api/oncall': 'building',
  'DELETE /api/oncall/:id': 'building',
  'GET /api/notify-profiles': 'building',
  'PUT /api/notify-profiles/:id': 'building',
  'GET /api/notifications': 'building',
  'POST /api/resident-notices': 'building',
  'GET /api/resident-notices': 'building',
  'GET /ack/:token': 'public',
  'POST /ack/:token': 'public',
  // telemetry rules 遥测规则 (services/devices/rule-routes.ts): a class rule watches every
  // building's devices, so only an unscoped admin configures them
  'GET /api/telemetry-rules': 'all-buildings',
  'POST /api/telemetry-rules': 'all-buildings',
  'PATCH /api/telemetry-rules/:id': 'all-buildings',
  'DELETE /api/telemetry-rules/:id': 'all-buildings',
  // floor plans (services/floorplans): a plan and its placements belong to one building
  'GET /api/floor-plans': 'building',
  'GET /api/floor-plans/:building/:floor/image': 'building',
  'PUT /api/floor-plans/:building/:floor': 'building',
  'DELETE /api/floor-plans/:building/:floor': 'building',
  'PUT /api/floor-plans/:building/:floor/devices/:deviceId': 'building',
  'DELETE /api/floor-plans/:building/:floor/devices/:deviceId': 'building',
};

/** Routes that are part of the served UI, not the API: the dashboard's files and the API docs page. */
export function isUiRoute(method: string, url: string): boolean {
  if (method !== 'GET' && method !== 'HEAD') return false;
  if (url === '/api/docs' || url.startsWith('/api/docs/')) return true;
  return !url.startsWith('/api/') && !url.startsWith('/ack/') && url !== '/metrics';
}

export function scopePolicy(method: string, url: string): ScopePolicy | undefined {
  return ROUTE_SCOPES[`${method === 'HEAD' ? 'GET' : method} ${url}`];
}
