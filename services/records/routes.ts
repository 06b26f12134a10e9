// HTTP routes of the cross-cutting records (docs/records.md). Roles: any signed-in staff
// member unless stated; admin may do everything (auth/plugin.ts).
import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ErrorView } from '../../contracts/api.js';
import type { MessageCatalog } from '../core/messages.js';
import { localizeErrors, readerOf } from '../incidents/http.js';
import { scopeOf } from '../auth/scope.js';
import { renderReportHtml } from './report.js';
import {
  AcceptBody,
  AccessLogQuery,
  AccessLogView,
  AttachmentBody,
  AttachmentView,
  AuditQuery,
  AuditView,
  CancelBody,
  Day,
  DutyEntryBody,
  DutyLogQuery,
  DutyLogResponse,
  FollowUpDoneBody,
  FollowUpQuery,
  FollowUpView,
  HandoverQuery,
  HandoverResponse,
  PlannedOutageCreateBody,
  PlannedOutageQuery,
  PlannedOutageView,
  RefuseBody,
  ReportQuery,
  SignBody,
  SpecialReport,
  UnitDetail,
  UnitListItem,
  UnitListQuery,
  UnitReadQuery,
} from '../../contracts/records.js';
import type { RecordService } from './service.js';
import type { ShiftService } from './shift-service.js';
import { ShiftHandoverBody } from '../../contracts/shifts.js';

const Uuid = z.object({ id: z.uuid() });
const errs = { 400: ErrorView, 401: ErrorView, 403: ErrorView, 404: ErrorView, 409: ErrorView };
const tags = ['records'];

/** RFC 6266 / 5987: an ASCII fallback plus the UTF-8 name (Chinese file names survive). */
export function contentDisposition(kind: 'inline' | 'attachment', filename: string): string {
  const ascii = filename.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(filename).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)}`;
}

/** a printable page of figures: no scripts, nothing loaded from elsewhere */
export const PRINT_CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'self'";

/**
 * The tail of every printable figures route (the summary report, the complaint month report):
 * CSV as a download named `filename`, or the printable page under PRINT_CSP; never cached, never
 * sniffed. Only the chosen rendering is built.
 */
export function sendPrintable(
  reply: FastifyReply,
  o: { format: 'csv' | 'html'; filename: string; csv: () => string; html: () => string },
): FastifyReply {
  const common = reply.header('x-content-type-options', 'nosniff').header('cache-control', 'no-store');
  if (o.format === 'csv')
    return common.header('content-disposition', contentDisposition('attachment', o.filename)).type('text/csv; charset=utf-8').send(o.csv());
  return common.header('content-security-policy', PRINT_CSP).type('text/html; charset=utf-8').send(o.html());
}

const REPORT_CSP =
  "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'self'";

export const recordRoutes: FastifyPluginAsyncZod<{
  records: RecordService;
  catalog: MessageCatalog;
  /** handovers close a shift (equipment check, pending items of the providers) */
  shifts: ShiftService;
  tzOffsetMinutes?: number;
}> = async (app, opts) => {
  const { records } = opts;
  localizeErrors(app, opts.catalog);
  const anyone = app.requireRole();
  const supervisor = app.requireRole('supervisor');

  // ---------------------------------------------------------------- duty log 值班记录
  app.get(
    '/api/duty-log',
    {
      schema: {
        tags,
        summary: '值班记录 Duty log of a day (default today, China Standard Time)',
        querystring: DutyLogQuery,
        response: { 200: DutyLogResponse, ...errs },
      },
      preHandler: anyone,
    },
    async (req) => records.dutyLog(req.query.day, readerOf(req, 'duty log')),
  );
  app.post(
    '/api/duty-log',
    {
      schema: {
        tags,
        summary: 'Manual duty-log entry for today (refused once the day is signed)',
        body: DutyEntryBody,
        response: { 201: DutyLogResponse, ...errs },
      },
      preHandler: anyone,
    },
    async (req, reply) => reply.code(201).send(await records.addDutyEntry(req.user!, req.body.text, readerOf(req, 'duty log'))),
  );
  app.post(
    '/api/duty-log/:day/sign',
    {
      schema: {
        tags,
        summary: 'Supervisor signs the day (once; 409 if already signed)',
        params: z.object({ day: Day }),
        body: SignBody.optional(),
        response: { 200: DutyLogResponse, ...errs },
      },
      preHandler: supervisor,
    },
    async (req) => records.signDay(req.params.day, req.user!, req.body?.note ?? '', readerOf(req, 'duty log')),
  );

  // ---------------------------------------------------------------- handover 交接班
  app.get(
    '/api/handovers',
    {
      schema: {
        tags,
        summary: '交接班 Shift handovers, newest first',
        querystring: HandoverQuery,
        response: { 200: z.array(HandoverResponse), ...errs },
      },
      preHandler: anyone,
    },
    async (req) => records.handovers(req.query, readerOf(req, 'shift handover')),
  );
  app.get(
    '/api/handovers/:id',
    { schema: { tags, summary: 'One handover', params: Uuid, response: { 200: HandoverResponse, ...errs } }, preHandler: anyone },
    async (req) => records.handover(req.params.id, readerOf(req, 'shift handover')),
  );
  app.post(
    '/api/handovers',
    {
      schema: {
        tags,
        summary:
          'Outgoing operator hands over (signs) a shift: open incidents, follow-ups, visitors inside, pending work items, devices down; the equipment check √/×',
        body: ShiftHandoverBody,
        response: { 201: HandoverResponse, ...errs },
      },
      preHandler: anyone,
    },
    async (req, reply) => reply.code(201).send(await opts.shifts.createHandover(req.user!, req.body, readerOf(req, 'shift handover'))),
  );
  app.post(
    '/api/handovers/:id/accept',
    {
      schema: {
        tags,
        summary: 'Incoming operator accepts (signs); not the outgoing user',
        params: Uuid,
        body: AcceptBody.optional(),
        response: { 200: HandoverResponse, ...errs },
      },
      preHandler: anyone,
    },
    async (req) =>
      records.answerHandover(req.params.id, req.user!, { accept: true, note: req.body?.note }, readerOf(req, 'shift handover')),
  );
  app.post(
    '/api/handovers/:id/refuse',
    {
      schema: {
        tags,
        summary: 'Incoming operator refuses, with a reason (seed 004 篇3 §1.6)',
        params: Uuid,
        body: RefuseBody,
        response: { 200: HandoverResponse, ...errs },
      },
      preHandler: anyone,
    },
    async (req) =>
      records.answerHandover(req.params.id, req.user!, { accept: false, reason: req.body.reason }, readerOf(req, 'shift handover')),
  );

  // ---------------------------------------------------------------- special incident report 特别事件报告
  app.get(
    '/api/incidents/:id/report',
    {
      schema: {
        tags,
        summary: '特别事件报告 Special incident report (fire, entrapment, outage): printable HTML, or ?format=json',
        params: Uuid,
        querystring: ReportQuery,
        response: { 200: z.union([SpecialReport, z.string().describe('text/html: the printable report (default)')]), ...errs },
      },
      preHandler: anyone,
    },
    async (req, reply) => {
      const report = await records.report(req.params.id, req.user!);
      if (req.query.format === 'json') return report;
      return reply
        .header('content-security-policy', REPORT_CSP)
        .header('x-content-type-options', 'nosniff')
        .header('cache-control', 'no-store')
        .type('text/html; charset=utf-8')
        .send(renderReportHtml(report, opts.tzOffsetMinutes ?? 480));
    },
  );
  app.get(
    '/api/incidents/:id/attachments',
    {
      schema: {
        tags,
        summary: 'Attachments of an incident (photos, PDFs)',
        params: Uuid,
        response: { 200: z.array(AttachmentView), ...errs },
      },
      preHandler: anyone,
    },
    async (req) => records.attachments(req.params.id, scopeOf(req)),
  );
  app.post(
    '/api/incidents/:id/attachments',
    {
      schema: {
        tags,
        summary: 'Attach a photo or PDF (≤ 5 MB; jpeg, png, gif, webp, pdf; content must match the mime type)',
        params: Uuid,
        body: AttachmentBody,
        response: { 201: AttachmentView, 413: ErrorView, ...errs },
      },
      preHandler: anyone,
    },
    async (req, reply) => reply.code(201).send(await records.addAttachment(req.params.id, req.user!, req.body)),
  );
  app.get(
    '/api/attachments/:id',
    {
      schema: {
        tags,
        summary: 'Download an attachment (its bytes with its mime type)',
        params: Uuid,
        response: { 200: z.any().describe('the file bytes, with its mime type'), ...errs },
      },
      preHandler: anyone,
    },
    async (req, reply) => {
      const a = await records.attachment(req.params.id, scopeOf(req));
      return reply
        .header(
          'content-disposition',
          contentDisposition(a.mime.startsWith('image/') || a.mime === 'application/pdf' ? 'inline' : 'attachment', a.filename),
        )
        .header('x-content-type-options', 'nosniff')
        .header('content-security-policy', "default-src 'none'; sandbox")
        .header('cache-control', 'private, max-age=3600')
        .type(a.mime)
        .send(a.bytes);
    },
  );

  // ---------------------------------------------------------------- follow-ups 回访
  app.get(
    '/api/followups',
    {
      schema: {
        tags,
        summary: '回访 Follow-up tasks by due date (overdue computed)',
        querystring: FollowUpQuery,
        response: { 200: z.array(FollowUpView), ...errs },
      },
      preHandler: anyone,
    },
    async (req) => records.followUps(req.query, readerOf(req, 'follow-ups')),
  );
  app.post(
    '/api/followups/:id/done',
    {
      schema: {
        tags,
        summary: 'Record the follow-up result (notes required; 409 if already done)',
        params: Uuid,
        body: FollowUpDoneBody,
        response: { 200: FollowUpView, ...errs },
      },
      preHandler: anyone,
    },
    async (req) => records.followUpDone(req.params.id, req.user!, req.body.notes, readerOf(req, 'follow-ups')),
  );

  // ---------------------------------------------------------------- planned outages 计划停电
  app.get(
    '/api/planned-outages',
    {
      schema: {
        tags,
        summary: '计划停电 Planned outages by start time',
        querystring: PlannedOutageQuery,
        response: { 200: z.array(PlannedOutageView), ...errs },
      },
      preHandler: anyone,
    },
    async (req) => records.plannedOutages(req.query, scopeOf(req)),
  );
  app.post(
    '/api/planned-outages',
    {
      schema: {
        tags,
        summary:
          'Register a planned outage: notice ≥ 48 h before start (≥ 72 h when residents must prepare), or a supervisor accepts short notice with a reason (flagged)',
        body: PlannedOutageCreateBody,
        response: { 201: PlannedOutageView, ...errs },
      },
      preHandler: app.requireRole('operator', 'supervisor'),
    },
    async (req, reply) => reply.code(201).send(await records.createPlannedOutage(req.user!, req.body)),
  );
  app.post(
    '/api/planned-outages/:id/cancel',
    {
      schema: {
        tags,
        summary: 'Cancel a planned outage (not once it has ended)',
        params: Uuid,
        body: CancelBody.optional(),
        response: { 200: PlannedOutageView, ...errs },
      },
      preHandler: app.requireRole('operator', 'supervisor'),
    },
    async (req) => records.cancelPlannedOutage(req.params.id, req.user!, req.body?.reason),
  );

  // ---------------------------------------------------------------- owners (personal data, seed 000 §2.1.6.2)
  app.get(
    '/api/units',
    {
      schema: {
        tags,
        summary: 'Units with owners, masked (name: first character; phone: first 3 + last 4)',
        querystring: UnitListQuery,
        response: { 200: z.array(UnitListItem), ...errs },
      },
      preHandler: anyone,
    },
    async (req) => records.units(req.query, scopeOf(req)),
  );
  app.get(
    '/api/units/:id',
    {
      schema: {
        tags,
        summary: 'The full owner record: requires ?reason=…, and the read is logged (who, why, when)',
        params: Uuid,
        querystring: UnitReadQuery,
        response: { 200: UnitDetail, ...errs },
      },
      preHandler: anyone,
    },
    async (req) => records.unit(req.params.id, req.user!, req.query.reason),
  );
  app.get(
    '/api/personal-data-access',
    {
      schema: {
        tags,
        summary: 'Personal-data access log (supervisor)',
        querystring: AccessLogQuery,
        response: { 200: z.array(AccessLogView), ...errs },
      },
      preHandler: supervisor,
    },
    async (req) => records.accessLog(req.query),
  );

  // ---------------------------------------------------------------- audit
  app.get(
    '/api/audit',
    {
      schema: {
        tags,
        summary: 'Audit log, newest first (supervisor)',
        querystring: AuditQuery,
        response: { 200: z.array(AuditView), ...errs },
      },
      preHandler: supervisor,
    },
    async (req) => records.auditLog(req.query),
  );
};
