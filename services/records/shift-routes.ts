// HTTP routes of shifts 班次, the per-shift duty log, the handover draft, the supervisor's review
// and the summary reports (docs/records.md "Shifts", "Reports"). Roles: any signed-in staff
// member unless stated; admin may do everything (auth/plugin.ts).
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ErrorView } from '../../contracts/api.js';
import { DutyEntryBody } from '../../contracts/records.js';
import {
  DraftQuery,
  HandoverDraft,
  Month,
  MonthReviewView,
  OnDutyView,
  ShiftConfigBody,
  ShiftConfigView,
  ShiftId,
  ShiftListQuery,
  ShiftLogQuery,
  ShiftLogResponse,
  ShiftView,
  SignShiftBody,
  SpotCheckBody,
  ReportQuery,
  SummaryReport,
} from '../../contracts/shifts.js';
import type { MessageCatalog } from '../core/messages.js';
import { scopeOf } from '../auth/scope.js';
import { localeOf, localizeErrors, readerOf } from '../incidents/http.js';
import type { RecordService } from './service.js';
import { ShiftService } from './shift-service.js';
import { sendPrintable } from './routes.js';
import { reportCsv, reportHtml, type ReportService } from './reports.js';

const errs = { 400: ErrorView, 401: ErrorView, 403: ErrorView, 404: ErrorView, 409: ErrorView };
const tags = ['shifts'];
const IdParam = z.object({ id: ShiftId });
const MonthParam = z.object({ month: Month });

export const shiftRoutes: FastifyPluginAsyncZod<{
  shifts: ShiftService;
  records: RecordService;
  reports: ReportService;
  catalog: MessageCatalog;
}> = async (app, opts) => {
  const { shifts, reports } = opts;
  localizeErrors(app, opts.catalog);
  const anyone = app.requireRole();
  const supervisor = app.requireRole('supervisor');
  const admin = app.requireRole('admin');

  app.get(
    '/api/shifts',
    {
      schema: {
        tags,
        summary: '班次 Shifts (default: the last 7 days), newest first',
        querystring: ShiftListQuery,
        response: { 200: z.array(ShiftView), ...errs },
      },
      preHandler: anyone,
    },
    async (req) => shifts.list(req.query, localeOf(req)),
  );
  app.get(
    '/api/shifts/current',
    {
      schema: {
        tags,
        summary: 'The shift by the clock and who is on duty (the outgoing stays until the handover is accepted)',
        response: { 200: OnDutyView, ...errs },
      },
      preHandler: anyone,
    },
    async (req) => shifts.onDuty(localeOf(req)),
  );
  app.get(
    '/api/shifts/config',
    {
      schema: { tags, summary: 'The configured shifts and the equipment check list', response: { 200: ShiftConfigView, ...errs } },
      preHandler: anyone,
    },
    async () => shifts.config(),
  );
  app.put(
    '/api/shifts/config',
    {
      schema: {
        tags,
        summary: 'Admin: set the shifts and/or the equipment check list (from the next shift boundary)',
        body: ShiftConfigBody,
        response: { 200: ShiftConfigView, ...errs },
      },
      preHandler: admin,
    },
    async (req) => shifts.setConfig(req.user!, req.body),
  );
  app.get(
    '/api/shifts/:id',
    { schema: { tags, summary: 'One shift', params: IdParam, response: { 200: ShiftView, ...errs } }, preHandler: anyone },
    async (req) => shifts.shift(req.params.id, localeOf(req)),
  );
  app.get(
    '/api/shift-log',
    {
      schema: {
        tags,
        summary: '值班记录 The duty log of a shift (default: the current one)',
        querystring: ShiftLogQuery,
        response: { 200: ShiftLogResponse, ...errs },
      },
      preHandler: anyone,
    },
    async (req) => shifts.dutyLog(req.query.shift, readerOf(req, 'duty log')),
  );
  app.post(
    '/api/shift-log',
    {
      schema: {
        tags,
        summary: 'A manual entry in the current shift’s log',
        body: DutyEntryBody,
        response: { 201: ShiftLogResponse, ...errs },
      },
      preHandler: anyone,
    },
    async (req, reply) => {
      await opts.records.addDutyEntry(req.user!, req.body.text);
      return reply.code(201).send(await shifts.dutyLog(undefined, readerOf(req, 'duty log')));
    },
  );
  app.post(
    '/api/shifts/:id/sign',
    {
      schema: {
        tags,
        summary: 'Supervisor signs an ended shift’s log, once (409 the second time; 400 before the shift ends)',
        params: IdParam,
        body: SignShiftBody.optional(),
        response: { 200: ShiftLogResponse, ...errs },
      },
      preHandler: supervisor,
    },
    async (req) => shifts.sign(req.params.id, req.user!, req.body?.note ?? '', readerOf(req, 'duty log')),
  );
  app.post(
    '/api/shifts/:id/spot-check',
    {
      schema: {
        tags,
        summary: 'Director’s spot check 抽查 of an ended shift’s log (seed 001 篇2 §二.2)',
        params: IdParam,
        body: SpotCheckBody.optional(),
        response: { 200: ShiftView, ...errs },
      },
      preHandler: supervisor,
    },
    async (req) => shifts.spotCheck(req.params.id, req.user!, req.body?.note ?? '', localeOf(req)),
  );
  app.get(
    '/api/duty-review/:month',
    {
      schema: {
        tags,
        summary: 'The month’s shift logs: signed, spot-checked (≥ 20 %), reviewed',
        params: MonthParam,
        response: { 200: MonthReviewView, ...errs },
      },
      preHandler: supervisor,
    },
    async (req) => shifts.month(req.params.month, localeOf(req)),
  );
  app.post(
    '/api/duty-review/:month',
    {
      schema: {
        tags,
        summary: 'Supervisor’s monthly review 月度查阅 (seed 001 篇2 §二.1), once',
        params: MonthParam,
        body: SpotCheckBody.optional(),
        response: { 200: MonthReviewView, ...errs },
      },
      preHandler: supervisor,
    },
    async (req) => shifts.reviewMonth(req.params.month, req.user!, req.body?.note ?? '', localeOf(req)),
  );
  app.get(
    '/api/handover-draft',
    {
      schema: {
        tags,
        summary: 'What the handover of a shift lists now (open incidents, pending items, devices down, the equipment check)',
        querystring: DraftQuery,
        response: { 200: HandoverDraft, ...errs },
      },
      preHandler: anyone,
    },
    async (req) => shifts.draft(req.query, readerOf(req, 'shift handover')),
  );

  // ---------------------------------------------------------------- reports 汇总报表
  app.get(
    '/api/reports/summary',
    {
      schema: {
        tags: ['reports'],
        summary: 'Daily / weekly / monthly summary: JSON, a printable page (format=html, lang=zh-CN|en) or CSV (UTF-8 with BOM)',
        querystring: ReportQuery,
        response: { 200: z.union([SummaryReport, z.string().describe('text/html or text/csv')]), ...errs },
      },
      preHandler: supervisor,
    },
    async (req, reply) => {
      const q = req.query;
      // a user confined to some buildings gets their numbers only, asked for or not (docs/security.md)
      const buildings = ShiftService.within(scopeOf(req), q.buildings?.length ? q.buildings : null);
      const report = await reports.summary({ period: q.period, date: q.date, buildings }, req.user!);
      await opts.records.auditRead(req.user!, 'report.summary', `report:${q.period}:${report.label}`, {
        format: q.format,
        buildings: report.buildings,
      });
      const locale = q.lang ?? localeOf(req);
      if (q.format === 'json') return report;
      return sendPrintable(reply, {
        format: q.format,
        filename: `summary-${q.period}-${report.label}.csv`,
        csv: () => reportCsv(report, locale, shifts.tz),
        html: () => reportHtml(report, locale, shifts.tz),
      });
    },
  );
};
