// The hub's HTTP listeners: one node http.Server that handles every request and upgrade
// (fastify, socket.io, MQTT over WebSocket), fed by
//  - the plain HTTP port (HUB_HTTP_PORT), and
//  - with HUB_TLS_CERT/HUB_TLS_KEY, a TLS listener on HUB_HTTPS_PORT whose decrypted
//    connections are handed to the same http.Server ('connection' event), so HTTPS serves the
//    very same routes, socket.io namespaces and /mqtt WebSocket without a second app or a
//    second socket.io engine (socket.io binds one engine per server).
//
// It listens before the database is reachable (issue 7 item 4), answering from a small boot
// handler: /api/health/live says the process is up, /api/health/ready says why it is not
// ready yet (e.g. "waiting for PostgreSQL at DATABASE_URL (db:5432/bops): ECONNREFUSED"), every
// other request gets a 503 with Retry-After. Why HTTP first: an orchestrator or an operator
// can then tell "alive, waiting for its database" from "dead" (a refused connection looks the
// same as a crashed hub), a port clash fails the start at once instead of after the database
// wait, and the hub does not need to be restarted by anyone for the database to come back.
// When the hub is built, the fastify handler replaces the boot handler.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import type { TlsFiles } from '../core/config.js';
import type { Logger } from '../core/logger.js';

export type RequestHandler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

export interface HttpFrontOptions {
  /** bind address of the plain port */
  host: string;
  httpPort: number;
  /** bind address of the plain port when TLS is on (default loopback: plain HTTP for local use) */
  plainHostWithTls?: string;
  httpsPort: number;
  tls: TlsFiles | null;
  log: Logger;
  /** why the hub is not ready yet (shown by the boot handler) */
  bootReason: () => string;
}

function listen(server: http.Server | tls.Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function json(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers });
  res.end(JSON.stringify(body));
}

export class HttpFront {
  readonly server: http.Server;
  private tlsServer: tls.Server | null = null;
  private handler: RequestHandler;
  httpPort = 0;
  httpsPort: number | null = null;

  private constructor(private readonly o: HttpFrontOptions) {
    this.handler = (req, res) => this.boot(req, res);
    this.server = http.createServer((req, res) => this.handler(req, res));
  }

  static async listen(o: HttpFrontOptions): Promise<HttpFront> {
    const f = new HttpFront(o);
    try {
      const plainHost = o.tls ? (o.plainHostWithTls ?? '127.0.0.1') : o.host;
      f.httpPort = await listen(f.server, o.httpPort, plainHost);
      if (o.tls) {
        f.tlsServer = tls.createServer({ cert: o.tls.cert, key: o.tls.key, minVersion: 'TLSv1.2', ALPNProtocols: ['http/1.1'] }, (socket) =>
          f.server.emit('connection', socket),
        );
        // a scanner's or an old client's failed handshake is not the hub's problem: debug only
        f.tlsServer.on('tlsClientError', (err) => o.log.debug({ err: err.message }, 'TLS handshake failed'));
        f.httpsPort = await listen(f.tlsServer, o.httpsPort, o.host);
      }
    } catch (err) {
      await f.close();
      throw err;
    }
    return f;
  }

  /** Serve every request with `handler` from now on (the built fastify app). */
  use(handler: RequestHandler): void {
    this.handler = handler;
  }

  /** New certificate/key for new HTTPS connections (rotation without a restart). */
  reloadTls(files: TlsFiles): void {
    this.tlsServer?.setSecureContext({ cert: files.cert, key: files.key, minVersion: 'TLSv1.2' });
  }

  private boot(req: http.IncomingMessage, res: http.ServerResponse): void {
    const reason = this.o.bootReason();
    const url = (req.url ?? '/').split('?')[0];
    if (url === '/api/health/live') return json(res, 200, { status: 'ok' });
    if (url === '/api/health/ready') return json(res, 503, { ready: false, status: 'starting', reason }, { 'retry-after': '5' });
    if (url === '/api/health') return json(res, 503, { status: 'starting' }, { 'retry-after': '5' });
    json(
      res,
      503,
      { code: 'HUB_ERR_UNAVAILABLE', message: `the hub is starting (${reason}); retry shortly`, statusCode: 503 },
      { 'retry-after': '5' },
    );
  }

  async close(): Promise<void> {
    const closing: Array<Promise<void>> = [];
    for (const s of [this.tlsServer, this.server]) {
      if (!s?.listening) continue;
      closing.push(new Promise<void>((r) => s.close(() => r())));
    }
    // keep-alive and in-flight connections: close() alone would wait for their timeouts
    this.server.closeAllConnections();
    await Promise.all(closing);
  }
}
