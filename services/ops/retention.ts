// Data lifecycle (docs/operations.md "Retention"): a daily job that
//  - deletes audit rows (AuditLog, PersonalDataAccess) older than HUB_AUDIT_RETENTION_DAYS —
//    never less than 183 days: PROCEDURES.md "Privacy" keeps the audit ≥ 6 months (config.ts
//    refuses a shorter setting);
//  - erases visitor personal data (name, masked id number) HUB_VISITOR_DATA_DAYS after the
//    visit, while the visit and its incident stay forever (PROCEDURES.md "Privacy": minimum
//    collection — seed 000 §2.1.6.2, seed 002 §2.2.1/§4.1.3). The name is also erased where the
//    procedure copied it: the incident's data, title, steps and timeline, and the door panel's
//    intercom.call event. Free-text notes are scrubbed of the exact name (≥ 2 characters).
// Telemetry retention is the telemetry store's own (TELEMETRY_RETENTION_DAYS, embedded store;
// InfluxDB bucket/retention policy).
//
// Several hubs on one database (scale-out) would all run it: a session advisory lock lets one do
// the work and the others skip that round. Visits still in progress (their incident open, or the
// visitor inside) are left alone: the incident service owns them and would write them back.
import type pg from 'pg';
import { dbErrorFields, type Logger } from '../core/logger.js';

const DAY_MS = 86_400_000;
/** pg advisory-lock key of the retention job: "bops" in ASCII (0x626f7073); Prisma Migrate uses 72707369 */
const RETENTION_LOCK_KEY = 1651470195;
/** rows per statement: bounded transactions and lock times on a large audit table */
const CHUNK = 5000;
const VISIT_BATCH = 500;

export interface RetentionSettings {
  auditDays: number;
  visitorDataDays: number;
  /** how often the job runs (default daily) */
  intervalMs: number;
}

export interface PurgeResult {
  at: number;
  skipped: boolean;
  auditDeleted: number;
  personalDataAccessDeleted: number;
  visitsPurged: number;
  preAuthorizationsPurged: number;
}

export interface RetentionOptions {
  pool: pg.Pool;
  log: Logger;
  settings: RetentionSettings;
  now?: () => number;
}

export class RetentionService {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<PurgeResult> | null = null;
  last: PurgeResult | null = null;
  private readonly now: () => number;

  constructor(private readonly o: RetentionOptions) {
    this.now = o.now ?? Date.now;
  }

  get settings(): RetentionSettings {
    return this.o.settings;
  }

  /** First run now (in the background), then every `intervalMs`. */
  start(): void {
    const tick = () =>
      void this.run().catch((err: unknown) => this.o.log.warn(dbErrorFields(err), 'retention job failed (next run as scheduled)'));
    tick();
    this.timer = setInterval(tick, this.o.settings.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running?.catch(() => undefined);
  }

  /** One pass; concurrent calls share the pass in progress. */
  run(actor = 'system:retention'): Promise<PurgeResult> {
    this.running ??= this.pass(actor).finally(() => (this.running = null));
    return this.running;
  }

  private async pass(actor: string): Promise<PurgeResult> {
    const at = this.now();
    const result: PurgeResult = {
      at,
      skipped: false,
      auditDeleted: 0,
      personalDataAccessDeleted: 0,
      visitsPurged: 0,
      preAuthorizationsPurged: 0,
    };
    const c = await this.o.pool.connect();
    let broken: Error | undefined;
    try {
      const got = await c.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [RETENTION_LOCK_KEY]);
      if (!got.rows[0]?.ok) {
        this.o.log.info('retention job: another hub is running it; skipped');
        return (this.last = { ...result, skipped: true });
      }
      try {
        const auditCutoff = new Date(at - this.o.settings.auditDays * DAY_MS);
        result.auditDeleted = await deleteOlder(c, 'AuditLog', auditCutoff);
        result.personalDataAccessDeleted = await deleteOlder(c, 'PersonalDataAccess', auditCutoff);
        const visitorCutoff = new Date(at - this.o.settings.visitorDataDays * DAY_MS);
        result.visitsPurged = await purgeVisits(c, visitorCutoff);
        result.preAuthorizationsPurged = await purgePreAuthorizations(c, visitorCutoff);
        const changed = result.auditDeleted + result.personalDataAccessDeleted + result.visitsPurged + result.preAuthorizationsPurged;
        if (changed > 0 || actor !== 'system:retention') {
          // the purge itself is audited (it is written after the audit sweep, so it is kept)
          await c.query(
            `INSERT INTO "AuditLog" ("at", "actor", "action", "target", "data") VALUES ($1, $2, 'retention.purge', 'retention', $3)`,
            [new Date(at), actor, JSON.stringify({ ...this.o.settings, ...result })],
          );
        }
        if (changed > 0) this.o.log.info({ ...result }, 'retention job done');
        else this.o.log.debug('retention job: nothing to delete');
      } finally {
        await c.query('SELECT pg_advisory_unlock($1)', [RETENTION_LOCK_KEY]);
      }
    } catch (err) {
      broken = err as Error;
      throw err;
    } finally {
      // a connection that failed mid-job may still hold the session lock: close it, do not pool it
      c.release(broken);
    }
    return (this.last = result);
  }
}

/** Delete rows of an append-only table older than `cutoff`, a chunk per statement. */
async function deleteOlder(c: pg.PoolClient, table: 'AuditLog' | 'PersonalDataAccess', cutoff: Date): Promise<number> {
  let total = 0;
  for (;;) {
    const r = await c.query(
      `DELETE FROM "${table}" WHERE seq IN (SELECT seq FROM "${table}" WHERE "at" < $1 ORDER BY seq LIMIT ${CHUNK})`,
      [cutoff],
    );
    total += r.rowCount ?? 0;
    if ((r.rowCount ?? 0) < CHUNK) return total;
  }
}

const PERSONAL_KEYS = new Set(['visitorName', 'idMasked']);

/** What identifies one visitor in stored text: the name and the masked id number. */
interface Identity {
  name: string;
  idMasked: string;
}

/**
 * Erase a visitor from free text: every occurrence of the name (two characters or more; a
 * one-character name would hit other words, so only the "… · <name>" title suffix the visitor
 * procedure writes is replaced) and of the masked id number.
 */
export function scrubText(s: string, who: Identity): string {
  let out = s;
  if (who.name.length >= 2) out = out.split(who.name).join('—');
  else if (who.name && out.endsWith(` · ${who.name}`)) out = `${out.slice(0, -who.name.length)}—`;
  if (who.idMasked) out = out.split(who.idMasked).join('—');
  return out;
}

/** Erase a visitor from a JSON value at any depth: personal keys blanked, strings scrubbed. */
export function scrubJson(v: unknown, who: Identity): unknown {
  if (typeof v === 'string') return scrubText(v, who);
  if (Array.isArray(v)) return v.map((x) => scrubJson(x, who));
  if (v && typeof v === 'object') {
    return Object.fromEntries(
      Object.entries(v).map(([k, x]) => [k, PERSONAL_KEYS.has(k) && typeof x === 'string' ? '' : scrubJson(x, who)]),
    );
  }
  return v;
}

/**
 * Rewrite rows of `table` through `fix`, updating only those that changed. `key` is the
 * primary key column; `cols` the text/jsonb columns to scrub (jsonb ones end in ":jsonb").
 */
async function rewrite(
  c: pg.PoolClient,
  table: string,
  key: { col: string; type: 'text' | 'bigint' },
  cols: string[],
  /** further columns `whoOf` needs */
  extra: string[],
  where: string,
  params: unknown[],
  whoOf: (row: Record<string, unknown>) => Identity | undefined,
): Promise<void> {
  const names = cols.map((x) => x.split(':')[0]!);
  const { rows } = await c.query<Record<string, unknown>>(
    `SELECT ${[key.col, ...names, ...extra].map((n) => `"${n}"`).join(', ')} FROM "${table}" WHERE ${where}`,
    params,
  );
  const keys: unknown[] = [];
  const values: Array<Array<string | null>> = names.map(() => []);
  for (const row of rows) {
    const who = whoOf(row);
    if (!who) continue;
    // a NULL column (e.g. legacyText of newer duty-log rows) stays NULL
    const next = names.map((n) => {
      const v = row[n];
      return v === null || v === undefined ? null : typeof v === 'string' ? scrubText(v, who) : JSON.stringify(scrubJson(v, who));
    });
    const before = names.map((n) =>
      row[n] === null || row[n] === undefined ? null : typeof row[n] === 'string' ? (row[n] as string) : JSON.stringify(row[n]),
    );
    if (next.every((x, i) => x === before[i])) continue;
    keys.push(row[key.col]);
    next.forEach((x, i) => values[i]!.push(x));
  }
  if (!keys.length) return;
  const sets = cols.map((x, i) => `"${names[i]}" = x.c${i}${x.endsWith(':jsonb') ? '::jsonb' : ''}`).join(', ');
  const cast = cols.map((_x, i) => `$${i + 2}::text[]`).join(', ');
  await c.query(
    `UPDATE "${table}" t SET ${sets}
       FROM unnest($1::${key.type}[], ${cast}) AS x(k, ${cols.map((_x, i) => `c${i}`).join(', ')})
      WHERE t."${key.col}" = x.k`,
    [keys, ...values],
  );
}

async function purgeVisits(c: pg.PoolClient, cutoff: Date): Promise<number> {
  let total = 0;
  for (;;) {
    await c.query('BEGIN');
    try {
      const { rows } = await c.query<{
        id: string;
        incidentId: string | null;
        name: string;
        idMasked: string;
        callId: string | null;
        intercomId: string | null;
      }>(
        `SELECT v.id, v."incidentId", v."visitorName" AS name, v."idMasked", v."callId", v."intercomId"
           FROM "Visit" v LEFT JOIN "Incident" i ON i.id = v."incidentId"
          WHERE v."requestedAt" < $1
            AND (v."visitorName" <> '' OR v."idMasked" <> '')
            AND (i.id IS NULL OR i.open = false)
            AND NOT (v."enteredAt" IS NOT NULL AND v."leftAt" IS NULL)
          ORDER BY v."requestedAt"
          LIMIT ${VISIT_BATCH}
          FOR UPDATE OF v SKIP LOCKED`,
        [cutoff],
      );
      if (rows.length === 0) {
        await c.query('COMMIT');
        return total;
      }
      const byVisit = new Map(rows.map((r) => [r.id, { name: r.name, idMasked: r.idMasked }]));
      await rewrite(c, 'Visit', { col: 'id', type: 'text' }, ['data:jsonb'], [], 'id = ANY($1::text[])', [[...byVisit.keys()]], (row) =>
        byVisit.get(row.id as string),
      );
      await c.query(`UPDATE "Visit" SET "visitorName" = '', "idMasked" = '' WHERE id = ANY($1::text[])`, [rows.map((r) => r.id)]);
      // where the procedure copied the visitor: the incident (title "… · <unit> · <name>", data),
      // its steps and timeline (notes, event data) — at any depth, since shapes evolve
      const byIncident = new Map(rows.filter((r) => r.incidentId).map((r) => [r.incidentId!, { name: r.name, idMasked: r.idMasked }]));
      const incIds = [...byIncident.keys()];
      if (incIds.length) {
        const who = (row: Record<string, unknown>) => byIncident.get((row.incidentId ?? row.id) as string);
        // the title is a message (key + params, `visitorName` among them; older rows `{text}`)
        await rewrite(c, 'Incident', { col: 'id', type: 'text' }, ['title:jsonb', 'data:jsonb'], [], 'id = ANY($1::text[])', [incIds], who);
        await rewrite(
          c,
          'IncidentStep',
          { col: 'id', type: 'text' },
          ['notes', 'data:jsonb'],
          ['incidentId'],
          '"incidentId" = ANY($1::text[])',
          [incIds],
          who,
        );
        await rewrite(
          c,
          'TimelineEntry',
          { col: 'seq', type: 'bigint' },
          ['message', 'data:jsonb'],
          ['incidentId'],
          '"incidentId" = ANY($1::text[])',
          [incIds],
          who,
        );
        // the duty log names the incident by its title (params.title; older rows: legacyText)
        await rewrite(
          c,
          'DutyLogEntry',
          { col: 'seq', type: 'bigint' },
          ['params:jsonb', 'legacyText'],
          ['incidentId'],
          '"incidentId" = ANY($1::text[])',
          [incIds],
          who,
        );
      }
      // the door panel's intercom.call event carries the name the visitor gave at the door
      const calls = rows.filter((r) => r.callId && r.intercomId);
      if (calls.length) {
        const byEvent = new Map(calls.map((r) => [`${r.intercomId}\u0000${r.callId}`, { name: r.name, idMasked: r.idMasked }]));
        await rewrite(
          c,
          'DeviceEvent',
          { col: 'seq', type: 'bigint' },
          ['data:jsonb'],
          ['deviceId', 'eventId'],
          '("deviceId", "eventId") IN (SELECT * FROM unnest($1::text[], $2::text[]))',
          [calls.map((r) => r.intercomId), calls.map((r) => r.callId)],
          (row) => byEvent.get(`${row.deviceId as string}\u0000${row.eventId as string}`),
        );
      }
      await c.query('COMMIT');
      total += rows.length;
      if (rows.length < VISIT_BATCH) return total;
    } catch (err) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  }
}

async function purgePreAuthorizations(c: pg.PoolClient, cutoff: Date): Promise<number> {
  const r = await c.query(
    `UPDATE "PreAuthorization" SET "visitorName" = '', "idMasked" = ''
      WHERE "validTo" < $1 AND ("visitorName" <> '' OR "idMasked" <> '')`,
    [cutoff],
  );
  return r.rowCount ?? 0;
}
