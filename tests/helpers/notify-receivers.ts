// Real local receivers for the notification channels, each checking the request the way its
// provider documents it — written here independently of services/notifications/signing.ts, so
// a signing bug cannot be "verified" by the same code that made it:
// - generic webhook: X-Bops-Signature = v1=hex(HMAC-SHA256(secret, `${X-Bops-Timestamp}.${body}`))
// - WeCom robot: POST …/send?key=KEY, {msgtype:"text", text:{content, mentioned_mobile_list}}
// - DingTalk robot: ?access_token&timestamp(ms)&sign = base64(HmacSHA256(secret, ts+"\n"+secret)),
//   timestamp within 1 hour; {msgtype, markdown|text, at:{atMobiles}}
// - Feishu robot: body {timestamp(s), sign = base64(HmacSHA256(key = ts+"\n"+secret, "")), msg_type, content}
// - Alibaba Cloud SMS/Dyvms stand-in: RPC signature V1 (HMAC-SHA1, key = secret + "&"), RFC 3986
//   encoding, StringToSign = METHOD&%2F&encode(canonical query); a nonce is accepted once.
// A receiver answers like its provider, including the provider's error codes for a bad signature.
import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SMTPServer } from 'smtp-server';

export interface Received {
  kind: 'webhook' | 'wecom' | 'dingtalk' | 'feishu' | 'sms' | 'voice';
  at: number;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: Record<string, unknown>;
  /** form parameters (provider stand-in) */
  params?: Record<string, string>;
  verified: boolean;
  status: number;
}

export interface Receivers {
  url: string;
  received: Received[];
  /** answer this status (e.g. 500) on a path prefix until cleared */
  failing: Map<string, number>;
  secrets: {
    webhook: string;
    wecomKey: string;
    dingToken: string;
    dingSecret: string;
    feishuHook: string;
    feishuSecret: string;
    akId: string;
    akSecret: string;
  };
  close(): Promise<void>;
}

const hmac = (alg: string, key: string | Buffer, data: string) => createHmac(alg, key).update(data, 'utf8');

/** RFC 3986 byte-wise percent-encoding (unreserved: ALPHA DIGIT - . _ ~), as the Alibaba Cloud docs state it. */
function rfc3986(s: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(b);
    out += /[A-Za-z0-9\-._~]/.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

export async function startReceivers(): Promise<Receivers> {
  const secrets = {
    webhook: 'whsec-test-0123456789',
    wecomKey: 'wecom-key-abc',
    dingToken: 'ding-token-xyz',
    dingSecret: 'SECdingsecret0123456789',
    feishuHook: 'feishu-hook-123',
    feishuSecret: 'feishu-secret-456',
    akId: 'LTAI-test-id',
    akSecret: 'ak-secret-test/+=',
  };
  const received: Received[] = [];
  const failing = new Map<string, number>();
  const nonces = new Set<string>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const url = new URL(req.url ?? '/', 'http://x');
      const reply = (status: number, body: unknown, rec: Omit<Received, 'status' | 'at' | 'path' | 'headers'>) => {
        received.push({ ...rec, at: Date.now(), path: url.pathname, headers: req.headers, status });
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      const fail = [...failing].find(([p]) => url.pathname.startsWith(p));
      let body: Record<string, unknown> = {};
      try {
        body = raw && req.headers['content-type']?.includes('json') ? (JSON.parse(raw) as Record<string, unknown>) : {};
      } catch {
        /* not JSON */
      }
      if (url.pathname.startsWith('/webhook')) {
        const ts = String(req.headers['x-bops-timestamp'] ?? '');
        const want = `v1=${hmac('sha256', secrets.webhook, `${ts}.${raw}`).digest('hex')}`;
        const verified = req.headers['x-bops-signature'] === want && Math.abs(Date.now() - Number(ts)) < 300_000;
        if (fail) return reply(fail[1], { error: 'down' }, { kind: 'webhook', body, verified });
        return reply(verified ? 200 : 401, { ok: verified }, { kind: 'webhook', body, verified });
      }
      if (url.pathname.startsWith('/wecom')) {
        const text = (body.text ?? {}) as { content?: unknown };
        const verified = url.searchParams.get('key') === secrets.wecomKey && body.msgtype === 'text' && typeof text.content === 'string';
        if (fail) return reply(fail[1], { errcode: -1, errmsg: 'system busy' }, { kind: 'wecom', body, verified });
        return reply(200, verified ? { errcode: 0, errmsg: 'ok' } : { errcode: 93000, errmsg: 'invalid webhook url' }, {
          kind: 'wecom',
          body,
          verified,
        });
      }
      if (url.pathname.startsWith('/dingtalk')) {
        const ts = url.searchParams.get('timestamp') ?? '';
        const want = hmac('sha256', secrets.dingSecret, `${ts}\n${secrets.dingSecret}`).digest('base64');
        const verified =
          url.searchParams.get('access_token') === secrets.dingToken &&
          url.searchParams.get('sign') === want &&
          Math.abs(Date.now() - Number(ts)) < 3600_000;
        if (fail) return reply(fail[1], {}, { kind: 'dingtalk', body, verified });
        return reply(200, verified ? { errcode: 0, errmsg: 'ok' } : { errcode: 310000, errmsg: 'sign not match' }, {
          kind: 'dingtalk',
          body,
          verified,
        });
      }
      if (url.pathname.startsWith('/feishu')) {
        const ts = String(body.timestamp ?? '');
        const want = createHmac('sha256', `${ts}\n${secrets.feishuSecret}`).update(Buffer.alloc(0)).digest('base64');
        const verified =
          url.pathname === `/feishu/hook/${secrets.feishuHook}` &&
          body.sign === want &&
          Math.abs(Date.now() / 1000 - Number(ts)) < 3600 &&
          body.msg_type === 'text';
        if (fail) return reply(fail[1], {}, { kind: 'feishu', body, verified });
        return reply(
          200,
          verified
            ? { code: 0, msg: 'success' }
            : { code: 19021, msg: 'sign match fail or timestamp is not within one hour from current time' },
          { kind: 'feishu', body, verified },
        );
      }
      if (url.pathname.startsWith('/aliyun')) {
        const params = Object.fromEntries(new URLSearchParams(raw));
        const canonical = Object.keys(params)
          .filter((k) => k !== 'Signature')
          .sort()
          .map((k) => `${rfc3986(k)}=${rfc3986(params[k]!)}`)
          .join('&');
        const sts = `${req.method}&${rfc3986('/')}&${rfc3986(canonical)}`;
        const want = hmac('sha1', `${secrets.akSecret}&`, sts).digest('base64');
        const fresh = !nonces.has(params.SignatureNonce ?? '');
        nonces.add(params.SignatureNonce ?? '');
        const verified =
          params.Signature === want &&
          fresh &&
          params.AccessKeyId === secrets.akId &&
          params.SignatureMethod === 'HMAC-SHA1' &&
          params.SignatureVersion === '1.0' &&
          params.Version === '2017-05-25' &&
          params.Format === 'JSON' &&
          /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/.test(params.Timestamp ?? '') &&
          Math.abs(Date.now() - Date.parse(params.Timestamp ?? '')) < 15 * 60_000;
        const kind = params.Action === 'SingleCallByTts' ? 'voice' : 'sms';
        const shapeOk =
          kind === 'sms'
            ? !!params.PhoneNumbers &&
              !!params.SignName &&
              !!params.TemplateCode &&
              typeof JSON.parse(params.TemplateParam ?? 'null')?.text === 'string'
            : !!params.CalledNumber && !!params.TtsCode;
        if (fail) return reply(fail[1], { Code: 'ServiceUnavailable', Message: 'down' }, { kind, body, params, verified });
        if (!verified)
          return reply(
            400,
            { Code: 'SignatureDoesNotMatch', Message: 'Specified signature is not matched with our calculation.' },
            { kind, body, params, verified },
          );
        if (!shapeOk)
          return reply(200, { Code: 'isv.INVALID_PARAMETERS', Message: 'bad parameters' }, { kind, body, params, verified: false });
        return reply(
          200,
          kind === 'sms'
            ? { Code: 'OK', Message: 'OK', BizId: `biz-${received.length}`, RequestId: 'req' }
            : { Code: 'OK', CallId: `call-${received.length}`, RequestId: 'req' },
          { kind, body, params, verified },
        );
      }
      res.writeHead(404).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    received,
    failing,
    secrets,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

export interface Mailbox {
  port: number;
  ca: string;
  mails: Array<{ from: string; to: string[]; raw: string; user: string | undefined; secure: boolean }>;
  close(): Promise<void>;
}

/** A real SMTP server on loopback: STARTTLS required (self-signed cert for 127.0.0.1) and AUTH PLAIN/LOGIN. */
export async function startSmtp(user = 'hub', pass = 'smtp-pass-1'): Promise<Mailbox> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bops-smtp-'));
  const key = path.join(dir, 'key.pem');
  const cert = path.join(dir, 'cert.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
    ],
    {
      stdio: 'ignore',
    },
  );
  const mails: Mailbox['mails'] = [];
  const server = new SMTPServer({
    key: fs.readFileSync(key),
    cert: fs.readFileSync(cert),
    authMethods: ['PLAIN', 'LOGIN'],
    // AUTH only over TLS (the default): a client that does not upgrade cannot log in
    onAuth(auth, _session, cb) {
      if (auth.username === user && auth.password === pass) cb(null, { user });
      else cb(new Error('Invalid username or password'));
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('utf8'),
          user: session.user as string | undefined,
          secure: session.secure,
        });
        cb();
      });
    },
    logger: false,
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.server.address() as AddressInfo).port;
  return {
    port,
    ca: fs.readFileSync(cert, 'utf8'),
    mails,
    close: () =>
      new Promise<void>((r) =>
        server.close(() => {
          fs.rmSync(dir, { recursive: true, force: true });
          r();
        }),
      ),
  };
}
