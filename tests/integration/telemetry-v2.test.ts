// InfluxDB 2.x cannot be installed on these machines (Debian ships 1.6.7 only), so the 2.x API
// path is checked against a minimal stand-in that speaks its HTTP contract: /ping,
// /api/v2/write (token auth, org, bucket, ms precision, line protocol) and /api/v2/query
// (Flux in, annotated CSV out). Production runs real InfluxDB 2 (docker-compose.yml).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../services/core/logger.js';
import { createTelemetryStore, type TelemetryStore } from '../../services/telemetry/store.js';

const lines: string[] = [];
const writes: Array<{ org: string | null; bucket: string | null; precision: string | null; auth: string | undefined }> = [];
const queries: string[] = [];
let failWrites = 0;
/** write requests to leave unanswered (a hung server); each is kept here until the end */
let holdWrites = 0;
const held: http.ServerResponse[] = [];
const contentLengths: number[] = [];
let server: http.Server;
let url = '';

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const u = new URL(req.url!, 'http://x');
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      if (u.pathname === '/ping') return res.writeHead(204).end();
      if (req.headers.authorization !== 'Token secret-token')
        return res.writeHead(401, { 'content-type': 'application/json' }).end('{"code":"unauthorized","message":"unauthorized access"}');
      if (u.pathname === '/api/v2/buckets') {
        // GET /api/v2/buckets?org=&name= (InfluxDB 2 API): the store's health probe
        const found = u.searchParams.get('name') === 'bops' && u.searchParams.get('org') === 'bops';
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end(
          JSON.stringify({ links: {}, buckets: found ? [{ id: '0000000000000001', name: 'bops', orgID: '0000000000000002' }] : [] }),
        );
      }
      if (u.pathname === '/api/v2/write') {
        contentLengths.push(Number(req.headers['content-length']));
        if (holdWrites > 0) {
          holdWrites--;
          held.push(res);
          return;
        }
        if (failWrites > 0) {
          failWrites--;
          return res.writeHead(503, { 'content-type': 'application/json' }).end('{"code":"unavailable","message":"down"}');
        }
        writes.push({
          org: u.searchParams.get('org'),
          bucket: u.searchParams.get('bucket'),
          precision: u.searchParams.get('precision'),
          auth: req.headers.authorization,
        });
        lines.push(...body.split('\n').filter(Boolean));
        return res.writeHead(204).end();
      }
      if (u.pathname === '/api/v2/query') {
        queries.push((JSON.parse(body) as { query: string }).query);
        res.writeHead(200, { 'content-type': 'text/csv; charset=utf-8' });
        return res.end(
          [
            '#datatype,string,long,dateTime:RFC3339,double',
            '#group,false,false,false,false',
            '#default,_result,,,',
            ',result,table,_time,_value',
            ',,0,2026-01-01T00:00:00Z,380.5',
            ',,0,2026-01-01T00:01:00Z,381',
            '',
          ].join('\r\n'),
        );
      }
      res.writeHead(404).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  for (const r of held) r.destroy();
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

/** a store on the stand-in, retrying fast; each request abandoned after requestTimeoutMs */
function v2Store(requestTimeoutMs: number): TelemetryStore {
  return createTelemetryStore(
    { kind: 'v2', url, token: 'secret-token', org: 'bops', bucket: 'bops' },
    {
      bufferMax: 10_000,
      batchSize: 100,
      flushMs: 20,
      retryMinMs: 20,
      retryMaxMs: 100,
      stopTimeoutMs: 1000,
      requestTimeoutMs,
      log: createLogger('silent'),
    },
  );
}

describe('telemetry store — InfluxDB 2.x API', () => {
  let store: TelemetryStore;
  afterAll(async () => store?.stop());

  it('writes line protocol with token, org, bucket and ms precision; retries through a 503', async () => {
    store = v2Store(2000);
    await store.start();
    failWrites = 2;
    for (let i = 0; i < 10; i++)
      store.write({
        deviceId: 'el-1',
        building: 'b1',
        site: 's1',
        class: 'elevator',
        ts: 1_767_225_600_000 + i * 1000,
        metrics: { floor: i, moving: i % 2 === 0, mode: 'normal' },
      });
    await store.flush().catch(() => undefined);
    const end = Date.now() + 5000;
    while (store.stats().written < 10 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    expect(store.stats()).toMatchObject({ written: 10, dropped: 0, backend: 'influx-v2' });
    expect(writes[0]).toEqual({ org: 'bops', bucket: 'bops', precision: 'ms', auth: 'Token secret-token' });
    expect(lines).toHaveLength(10);
    expect(lines[0]).toMatch(/^telemetry,.*deviceId=el-1.* floor=0,.*moving=true.* 1767225600000$/);
    expect(lines[0]).toContain('mode="normal"');
  });

  it('queries with Flux for the device and metric and parses the series', async () => {
    const s = await store.query({ deviceId: 'el-1', metric: 'floor', from: 1_767_225_600_000, to: 1_767_225_720_000, step: 60_000 });
    expect(queries.at(-1)).toMatch(/from\(bucket: "bops"\)/);
    expect(queries.at(-1)).toMatch(/r.deviceId == "el-1" and r._field == "floor"/);
    expect(s.points.filter((p) => p[1] !== null).map((p) => p[1])).toEqual([380.5, 381]);
  });

  it('abandons a write the server never answers after requestTimeoutMs and delivers the batch by a retry; the body is UTF-8 with its byte length', async () => {
    const s = v2Store(300);
    try {
      await s.start();
      const heldBefore = held.length;
      const sent = contentLengths.length;
      holdWrites = 1;
      s.write({ deviceId: 'el-9', building: '一号楼', site: 's1', class: 'elevator', ts: 1_767_225_900_000, metrics: { mode: '检修 🛗' } });
      const t0 = Date.now();
      const end = t0 + 5000;
      while (s.stats().written < 1 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
      expect(s.stats()).toMatchObject({ written: 1, dropped: 0 });
      expect(held.length).toBe(heldBefore + 1); // the first request hung…
      expect(Date.now() - t0).toBeGreaterThanOrEqual(300); // …until the timeout, then the retry stored it
      const line = lines.find((l) => l.includes('el-9'));
      expect(line).toBe('telemetry,deviceId=el-9,building=一号楼,site=s1,class=elevator mode="检修 🛗" 1767225900000');
      // content-length counts bytes, not characters (a short count would cut the body)
      expect(contentLengths.slice(sent)).toEqual([Buffer.byteLength(line!), Buffer.byteLength(line!)]);
    } finally {
      await s.stop();
    }
  });
});
