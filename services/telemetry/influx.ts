// InfluxDB backends. Writes are line protocol POSTed straight to the write endpoint (1.x
// `/write?db=&precision=ms`, 2.x `/api/v2/write?org=&bucket=&precision=ms`, as InfluxData's API
// reference documents them); reads use InfluxQL over HTTP on 1.x and Flux (through
// @influxdata/influxdb-client's QueryApi) on 2.x.
//
// Why not the client's WriteApi any more (issue 12): the hub already formats each message as a
// line (toLine, once, at write() time), and WriteApi re-processed every line — buffered them one by
// one, counted their bytes, joined them and ran its retry bookkeeping — ≈ 10 % of the hub's CPU at
// 44k msgs/s. Our BatchBuffer already decides what is sent when and retries; each send() is one
// request whose outcome we see, which is all the client's machinery was configured to do.
//
// Data model: one line per device message — measurement `telemetry`, tags deviceId, building,
// site, class; one field per metric (number → float, boolean → bool, string → string).
import http from 'node:http';
import https from 'node:https';
import { InfluxDB, HttpError, escape, flux, fluxExpression, setLogger } from '@influxdata/influxdb-client';
import type { Logger } from '../core/logger.js';
import type { SendOutcome } from './buffer.js';
import type { BucketQuery, MetricValue, TelemetryBackend, TelemetryBackendName, TelemetryLatest, TelemetryWrite } from './types.js';

export const MEASUREMENT = 'telemetry';
const TAGS = ['deviceId', 'building', 'site', 'class'] as const;
/** Largest ms timestamp a JS Date (and InfluxDB's int64 ns) can hold comfortably. */
const MAX_TS = 8.64e15;

type V1Config = { url: string; db: string; username?: string; password?: string };
type V2Config = { url: string; token: string; org: string; bucket: string };

// --- line protocol ---------------------------------------------------------------------------

/** Tag values must not end in a backslash (it would escape the separator after it). */
function tagValue(v: string): string {
  return escape.tag(v.replace(/\\+$/, ''));
}

// Per-message work that repeats (issue 12: toLine was 8.5 % of the hub's busy CPU at 37k msgs/s
// on the InfluxDB backend, a third of it the client's escape helpers) is done once and kept:
// - the series prefix `telemetry,deviceId=…,building=…,site=…,class=…` per device, rebuilt when
//   the device's building, site or class changes (an admin edit; strings compare by value);
// - the escaped field key per metric name.
// Both maps are bounded: past the bound they are cleared, not grown (a device sending ever-new
// metric names cannot make the cache a leak), which only costs a re-escape.
const CACHE_MAX = 100_000;
interface SeriesKey {
  building: string;
  site: string;
  class: string;
  prefix: string;
}
const seriesPrefixes = new Map<string, SeriesKey>();
const fieldKeys = new Map<string, string>();

function seriesPrefix(p: TelemetryWrite): string {
  const hit = seriesPrefixes.get(p.deviceId);
  if (hit && hit.building === p.building && hit.site === p.site && hit.class === p.class) return hit.prefix;
  let prefix = MEASUREMENT;
  for (const k of TAGS) {
    const v = p[k];
    // Empty tag values are invalid line protocol: leave the tag out.
    if (typeof v === 'string' && v.length > 0) prefix += ',' + k + '=' + tagValue(v);
  }
  if (seriesPrefixes.size >= CACHE_MAX) seriesPrefixes.clear();
  seriesPrefixes.set(p.deviceId, { building: p.building, site: p.site, class: p.class, prefix });
  return prefix;
}

function fieldKey(name: string): string {
  let k = fieldKeys.get(name);
  if (k === undefined) {
    if (fieldKeys.size >= CACHE_MAX) fieldKeys.clear();
    fieldKeys.set(name, (k = escape.tag(name)));
  }
  return k;
}

/**
 * One line per message, or null when nothing storable is in it (no finite number / boolean /
 * string metric, or a bad timestamp). Written by hand rather than via `Point` because this runs
 * on the MQTT hot path.
 */
export function toLine(p: TelemetryWrite): string | null {
  if (typeof p.ts !== 'number' || !Number.isFinite(p.ts) || p.ts < 0 || p.ts > MAX_TS) return null;
  let fields = '';
  for (const name in p.metrics) {
    const v = p.metrics[name];
    let enc: string;
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) continue; // line protocol has no NaN/Infinity
      enc = String(v); // no `i` suffix: always a float field, so 1 and 1.5 never conflict
    } else if (typeof v === 'boolean') {
      enc = v ? 'true' : 'false';
    } else if (typeof v === 'string') {
      enc = escape.quoted(v);
    } else {
      continue;
    }
    if (!name) continue;
    fields += (fields ? ',' : '') + fieldKey(name) + '=' + enc;
  }
  if (!fields) return null;
  return seriesPrefix(p) + ' ' + fields + ' ' + Math.trunc(p.ts);
}

// --- shared write path -----------------------------------------------------------------------

let clientLogRouted = false;
/** The client logs every failed write to the console; we log failures ourselves (once per outage). */
function routeClientLog(log: Logger): void {
  if (clientLogRouted) return;
  clientLogRouted = true;
  setLogger({
    error: (message, error) => log.debug({ err: error }, `influx client: ${message}`),
    warn: (message, error) => log.debug({ err: error }, `influx client: ${message}`),
  });
}

/** A write the server answered with an error status. */
export class InfluxWriteError extends Error {
  constructor(
    readonly statusCode: number,
    readonly body: string,
  ) {
    super(`influx write answered ${statusCode}: ${body.slice(0, 200)}`);
  }
}

/** Partial writes (field type conflict) say how many points were dropped: "… dropped=3". */
function partialDropped(err: InfluxWriteError, batchLength: number): number | null {
  const m = /dropped=(\d+)/.exec(err.body);
  if (m) return Math.min(batchLength, Number(m[1]));
  return null;
}

/**
 * The write endpoint of one backend, over node:http(s) with a keep-alive agent rather than
 * fetch: at the InfluxDB ceiling fetch (undici) spent ≈ 4 % of the hub's CPU on each 0.8 MB body —
 * encoding the joined string, copying it into a web stream chunk, the stream machinery (issue 12
 * profile: TextEncoder `encode`, `cloneAsUint8Array`, webstreams). Here the body is one Buffer,
 * written once with its length.
 */
class LineWriter {
  private readonly url: URL;
  private readonly agent: http.Agent;
  private readonly request: typeof http.request;

  constructor(
    url: string,
    private readonly headers: Record<string, string>,
    private readonly timeoutMs: number,
    private readonly log: Logger,
  ) {
    this.url = new URL(url);
    const tls = this.url.protocol === 'https:';
    // idle sockets are closed after 4 s, as undici (fetch) did: a server that drops an idle
    // keep-alive connection first would otherwise fail the next batch (it is retried, but counted)
    const agent = { keepAlive: true, timeout: 4_000 };
    this.agent = tls ? new https.Agent(agent) : new http.Agent(agent);
    this.request = tls ? https.request : http.request;
  }

  /**
   * One batch, one request. 204 (or any 2xx) = stored. 400/422 = the data itself was refused:
   * retrying cannot help, so it is counted as rejected (exactly, when Influx says how many).
   * Anything else (connection refused, timeout, 5xx, 401/403 misconfiguration, 404 missing
   * db/bucket) is thrown: the batch stays buffered and is retried. No gzip: on loopback or the
   * same host it costs more CPU than it saves (a 5,000-line body is ~0.8 MB).
   */
  async write(lines: string[]): Promise<SendOutcome> {
    const { status, body } = await this.post(Buffer.from(lines.join('\n'), 'utf8'));
    if (status >= 200 && status < 300) return {};
    const err = new InfluxWriteError(status, body);
    if (status === 400 || status === 422) {
      const dropped = partialDropped(err, lines.length);
      this.log.error({ status, body: body.slice(0, 500) }, 'influx refused telemetry points');
      return { rejected: dropped ?? lines.length };
    }
    throw err;
  }

  private post(body: Buffer): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const req = this.request(this.url, {
        method: 'POST',
        agent: this.agent,
        headers: { ...this.headers, 'content-type': 'text/plain; charset=utf-8', 'content-length': body.length },
      });
      // the whole exchange within timeoutMs, as AbortSignal.timeout did for fetch
      const timer = setTimeout(() => req.destroy(new Error(`influx write timed out after ${this.timeoutMs} ms`)), this.timeoutMs);
      const fail = (err: Error) => {
        clearTimeout(timer);
        reject(err);
      };
      req.on('error', fail);
      req.on('response', (res) => {
        const ok = res.statusCode !== undefined && res.statusCode >= 200 && res.statusCode < 300;
        const chunks: Buffer[] = [];
        // a 204 has no body; an error's body says why (kept, bounded)
        res.on('data', (c: Buffer) => void (!ok && chunks.length < 64 && chunks.push(c)));
        res.on('error', fail);
        res.on('end', () => {
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
        });
      });
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

// --- InfluxDB 1.x ----------------------------------------------------------------------------

interface InfluxQLSeries {
  name?: string;
  columns: string[];
  values?: unknown[][];
}
interface InfluxQLResult {
  statement_id?: number;
  error?: string;
  series?: InfluxQLSeries[];
}

/** InfluxQL string literal */
const lit = (s: string): string => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
/** InfluxQL identifier */
const ident = (s: string): string => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

export class InfluxV1Backend implements TelemetryBackend<string> {
  readonly name: TelemetryBackendName = 'influx-v1';
  private readonly writer: LineWriter;
  private readonly baseUrl: string;
  private readonly authHeader: Record<string, string>;
  /** field name → InfluxDB field type; a field's type never changes within a shard */
  private fieldTypes = new Map<string, string>();

  constructor(
    private readonly cfg: V1Config,
    private readonly log: Logger,
    _batchSize: number,
    private readonly timeoutMs: number,
  ) {
    routeClientLog(log);
    this.baseUrl = cfg.url.replace(/\/+$/, '');
    // 1.x takes basic auth (or u/p params); a header keeps credentials out of access logs.
    this.authHeader =
      cfg.username !== undefined
        ? { authorization: 'Basic ' + Buffer.from(`${cfg.username}:${cfg.password ?? ''}`).toString('base64') }
        : {};
    this.writer = new LineWriter(`${this.baseUrl}/write?db=${encodeURIComponent(cfg.db)}&precision=ms`, this.authHeader, timeoutMs, log);
  }

  async start(): Promise<void> {
    await this.ensureDatabase();
  }

  /** 1.x answers /ping with 204 (no auth needed); a write failure still marks the store not ok. */
  async ping(): Promise<void> {
    const res = await fetch(`${this.baseUrl}/ping`, { headers: this.authHeader, signal: AbortSignal.timeout(this.timeoutMs) });
    if (res.status !== 204 && res.status !== 200) throw new Error(`influx /ping answered ${res.status}`);
  }

  private async ensureDatabase(): Promise<void> {
    // Idempotent on 1.x. A non-admin user cannot run it; then the db must already exist.
    const [r] = await this.influxql(`CREATE DATABASE ${ident(this.cfg.db)}`, false);
    if (r?.error) this.log.warn({ error: r.error }, 'influx: CREATE DATABASE failed (assuming it exists)');
  }

  encode(p: TelemetryWrite): string | null {
    return toLine(p);
  }

  async send(batch: string[]): Promise<SendOutcome> {
    try {
      return await this.writer.write(batch);
    } catch (err) {
      // The database was dropped or never created (influx started after us, or wiped): create
      // it and retry this batch once, rather than waiting for a backoff round.
      if (err instanceof InfluxWriteError && err.statusCode === 404 && /database not found/i.test(err.body)) {
        await this.ensureDatabase();
        return await this.writer.write(batch);
      }
      throw err;
    }
  }

  /** POST /query (epoch=ms). Statement errors are returned per result; HTTP errors throw. */
  async influxql(q: string, withDb = true): Promise<InfluxQLResult[]> {
    const params = new URLSearchParams({ epoch: 'ms' });
    if (withDb) params.set('db', this.cfg.db);
    const res = await fetch(`${this.baseUrl}/query?${params}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...this.authHeader },
      body: new URLSearchParams({ q }).toString(),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    const text = await res.text();
    let body: { results?: InfluxQLResult[]; error?: string };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      throw new Error(`influx /query ${res.status}: ${text.slice(0, 200)}`);
    }
    if (!res.ok || body.error) throw new Error(`influx /query ${res.status}: ${body.error ?? text.slice(0, 200)}`);
    return body.results ?? [];
  }

  /** Refresh the field-type cache from SHOW FIELD KEYS. */
  private async loadFieldTypes(): Promise<void> {
    const [r] = await this.influxql(`SHOW FIELD KEYS FROM ${ident(MEASUREMENT)}`);
    if (r?.error) throw new Error(`influx: ${r.error}`);
    for (const row of r?.series?.[0]?.values ?? []) {
      const [k, t] = row as [string, string];
      if (!this.fieldTypes.has(k)) this.fieldTypes.set(k, t);
    }
  }

  private async fieldType(metric: string): Promise<string | undefined> {
    if (!this.fieldTypes.has(metric)) await this.loadFieldTypes();
    return this.fieldTypes.get(metric);
  }

  async buckets(q: BucketQuery): Promise<Array<[number, number | null]>> {
    const type = await this.fieldType(q.metric);
    if (type === undefined || type === 'string') return []; // nothing numeric to chart
    const where = `${ident('deviceId')} = ${lit(q.deviceId)} AND time >= ${Math.floor(q.from)}ms AND time < ${Math.ceil(q.to)}ms`;
    const group = `GROUP BY time(${q.step}ms)`;
    const f = ident(q.metric);
    const m = ident(MEASUREMENT);
    if (type === 'boolean') {
      // MEAN() does not take booleans in 1.x; mean of 0/1 = count(true) / count(all).
      const rs = await this.influxql(
        `SELECT COUNT(${f}) FROM ${m} WHERE ${where} AND ${f} = true ${group} fill(0); ` +
          `SELECT COUNT(${f}) FROM ${m} WHERE ${where} ${group} fill(0)`,
      );
      const err = rs.find((r) => r.error);
      if (err) throw new Error(`influx: ${err.error}`);
      const trues = new Map<number, number>();
      for (const [t, c] of (rs[0]?.series?.[0]?.values ?? []) as [number, number][]) trues.set(t, c);
      const out: Array<[number, number | null]> = [];
      for (const [t, c] of (rs[1]?.series?.[0]?.values ?? []) as [number, number][]) {
        if (c > 0) out.push([t, (trues.get(t) ?? 0) / c]);
      }
      return out;
    }
    const [r] = await this.influxql(`SELECT MEAN(${f}) FROM ${m} WHERE ${where} ${group} fill(none)`);
    if (r?.error) throw new Error(`influx: ${r.error}`);
    return ((r?.series?.[0]?.values ?? []) as [number, number | null][]).map(([t, v]) => [t, v]);
  }

  async latest(deviceId: string): Promise<TelemetryLatest> {
    await this.loadFieldTypes();
    const names = [...this.fieldTypes.keys()];
    if (names.length === 0) return {};
    // One LAST() per statement: with several selectors in one SELECT, 1.x reports time 0.
    const stmts = names.map((n) => `SELECT LAST(${ident(n)}) FROM ${ident(MEASUREMENT)} WHERE ${ident('deviceId')} = ${lit(deviceId)}`);
    const rs = await this.influxql(stmts.join('; '));
    const out: TelemetryLatest = {};
    rs.forEach((r, i) => {
      const row = r.series?.[0]?.values?.[0];
      const name = names[i];
      if (row && name !== undefined && row[1] !== null && row[1] !== undefined) {
        out[name] = { ts: Number(row[0]), value: row[1] as MetricValue };
      }
    });
    return out;
  }

  async close(): Promise<void> {
    // nothing pending: each batch is one request the store awaited; idle keep-alive sockets go
    this.writer.close();
  }
}

// --- InfluxDB 2.x ----------------------------------------------------------------------------

export class InfluxV2Backend implements TelemetryBackend<string> {
  readonly name: TelemetryBackendName = 'influx-v2';
  private readonly client: InfluxDB;
  private readonly writer: LineWriter;

  constructor(
    private readonly cfg: V2Config,
    private readonly log: Logger,
    _batchSize: number,
    private readonly timeoutMs: number,
  ) {
    routeClientLog(log);
    this.client = new InfluxDB({ url: cfg.url.replace(/\/+$/, ''), token: cfg.token, timeout: timeoutMs });
    const q = new URLSearchParams({ org: cfg.org, bucket: cfg.bucket, precision: 'ms' });
    this.writer = new LineWriter(
      `${cfg.url.replace(/\/+$/, '')}/api/v2/write?${q}`,
      { authorization: `Token ${cfg.token}` },
      timeoutMs,
      log,
    );
  }

  /** The bucket is provisioned with the server (docker-compose init); here we only probe. */
  async start(): Promise<void> {
    await this.ping();
  }

  /**
   * Up, the token valid and the bucket there: GET /api/v2/buckets?name= (a bare /ping would
   * call a hub "ok" whose token was revoked).
   */
  async ping(): Promise<void> {
    const base = this.cfg.url.replace(/\/+$/, '');
    const q = new URLSearchParams({ name: this.cfg.bucket, org: this.cfg.org });
    const res = await fetch(`${base}/api/v2/buckets?${q}`, {
      headers: { authorization: `Token ${this.cfg.token}` },
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    if (res.status !== 200) throw new Error(`influx /api/v2/buckets answered ${res.status}`);
    const body = (await res.json()) as { buckets?: unknown[] };
    if (!body.buckets?.length) throw new Error(`influx bucket ${this.cfg.bucket} not found in org ${this.cfg.org}`);
  }

  encode(p: TelemetryWrite): string | null {
    return toLine(p);
  }

  send(batch: string[]): Promise<SendOutcome> {
    return this.writer.write(batch);
  }

  async buckets(q: BucketQuery): Promise<Array<[number, number | null]>> {
    // Time and duration as literals (numbers we computed, so raw insertion is safe): older Flux
    // versions want a literal `every`.
    const start = fluxExpression(new Date(q.from).toISOString());
    const stop = fluxExpression(new Date(q.to).toISOString());
    const every = fluxExpression(`${Math.trunc(q.step)}ms`);
    const query = flux`from(bucket: ${this.cfg.bucket})
  |> range(start: ${start}, stop: ${stop})
  |> filter(fn: (r) => r._measurement == ${MEASUREMENT} and r.deviceId == ${q.deviceId} and r._field == ${q.metric})
  |> toFloat()
  |> aggregateWindow(every: ${every}, fn: mean, createEmpty: false, timeSrc: "_start")`;
    try {
      const rows = await this.client.getQueryApi(this.cfg.org).collectRows<{ _time: string; _value: unknown }>(query);
      return rows.map((r) => [
        Date.parse(r._time),
        r._value === null || r._value === undefined || r._value === '' ? null : Number(r._value),
      ]);
    } catch (err) {
      // toFloat() fails on a non-numeric string field: such a metric has no chart.
      if (err instanceof HttpError && /cannot convert|failed to parse|toFloat/i.test(err.body ?? err.message)) return [];
      throw err;
    }
  }

  async latest(deviceId: string): Promise<TelemetryLatest> {
    const query = flux`from(bucket: ${this.cfg.bucket})
  |> range(start: 0)
  |> filter(fn: (r) => r._measurement == ${MEASUREMENT} and r.deviceId == ${deviceId})
  |> last()`;
    const rows = await this.client.getQueryApi(this.cfg.org).collectRows<{ _time: string; _field: string; _value: MetricValue }>(query);
    const out: TelemetryLatest = {};
    for (const r of rows) out[r._field] = { ts: Date.parse(r._time), value: r._value };
    return out;
  }

  async close(): Promise<void> {
    // nothing pending: each batch is one request the store awaited; idle keep-alive sockets go
    this.writer.close();
  }
}
