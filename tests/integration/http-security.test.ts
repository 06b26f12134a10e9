// The HTTP and live-push edge (issue 7 items 11, 13, 14; CONTRACT.md "HTTP", "Operations"):
// security headers, the Origin check on the socket.io handshake, the CSRF defence for
// cookie-authenticated changes, the session token kept out of browser-visible answers, login
// throttling per username and per address, rate limits on expensive routes, HTTPS (with
// socket.io and MQTT over WebSocket on it, certificate rotation) and Secure cookies behind a
// trusted proxy. Real requests against a real hub.
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs/promises';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import type tls from 'node:tls';
import mqtt from 'mqtt';
import { io as ioClient, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topics } from '../../contracts/mqtt.js';
import { ADMIN_PASSWORD, api, login, provision, seedPlace, startTestHub, waitFor, type TestHub } from '../helpers/hub.js';

let t: TestHub;
let certDir: string;
let ca: Buffer;
const EVIL = 'http://127.0.0.1:31337'; // same site (same host), another origin
const ALLOWED = 'http://dev.example:5173';

function makeCert(dir: string, name: string): { cert: string; key: string } {
  const cert = path.join(dir, `${name}.crt`);
  const key = path.join(dir, `${name}.key`);
  execFileSync('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    key,
    '-out',
    cert,
    '-days',
    '2',
    '-subj',
    `/CN=${name}`,
    '-addext',
    'subjectAltName=IP:127.0.0.1,DNS:localhost',
  ]);
  return { cert, key };
}

beforeAll(async () => {
  certDir = await fs.mkdtemp(path.join(os.tmpdir(), 'bops-tls-'));
  const { cert, key } = makeCert(certDir, 'hub-a');
  ca = await fs.readFile(cert);
  t = await startTestHub({
    env: {
      HUB_TLS_CERT: cert,
      HUB_TLS_KEY: key,
      HUB_HTTPS_PORT: '0',
      HUB_TRUST_PROXY: '127.0.0.1',
      HUB_ALLOWED_ORIGINS: ALLOWED,
      HUB_LOGIN_FAILS_PER_USER: '3',
      HUB_LOGIN_FAILS_PER_ADDRESS: '6',
      HUB_RATE_HEAVY_PER_MIN: '5',
    },
  });
  await seedPlace(t);
  await t.hub.auth.createUser('desk', 'desk-password', 'frontdesk', 'Front Desk');
});
afterAll(async () => {
  await t?.close();
  await fs.rm(certDir, { recursive: true, force: true });
});

/** Log in as a browser does (no token asked): the answer and the session cookie. */
async function browserLogin(username: string, password: string, headers: Record<string, string> = {}) {
  const r = await fetch(`${t.http}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-requested-with': 'bops-dashboard', ...headers },
    body: JSON.stringify({ username, password }),
  });
  const setCookie = r.headers.get('set-cookie') ?? '';
  return { status: r.status, body: (await r.json()) as Record<string, unknown>, setCookie, cookie: setCookie.split(';')[0]! };
}

function connectSocket(url: string, opts: Record<string, unknown>): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = ioClient(url, { transports: ['websocket'], reconnection: false, ...opts });
    s.once('connect', () => resolve(s));
    s.once('connect_error', (e) => {
      s.close();
      reject(e);
    });
  });
}

function httpsRequest(
  url: string,
  o: { method?: string; headers?: Record<string, string>; body?: string; ca?: Buffer } = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string; peer: tls.PeerCertificate }> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method: o.method ?? 'GET', headers: o.headers, ca: o.ca ?? ca, agent: false }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () =>
        resolve({ status: res.statusCode!, headers: res.headers, body, peer: (res.socket as tls.TLSSocket).getPeerCertificate() }),
      );
    });
    req.on('error', reject);
    req.end(o.body);
  });
}

describe('security headers', () => {
  it('every answer carries a CSP that forbids framing and foreign scripts, X-Frame-Options DENY, nosniff', async () => {
    for (const p of ['/', '/control', '/api/health', '/api/devices']) {
      const r = await fetch(`${t.http}${p}`);
      const csp = r.headers.get('content-security-policy') ?? '';
      expect(csp, p).toContain("frame-ancestors 'none'");
      expect(csp, p).toContain("script-src 'self'");
      expect(csp, p).toContain("object-src 'none'");
      expect(r.headers.get('x-frame-options'), p).toBe('DENY');
      expect(r.headers.get('x-content-type-options'), p).toBe('nosniff');
    }
  });
});

describe('session token and cookie', () => {
  it('a browser login gets an httpOnly SameSite=Strict cookie and no token in the answer; API clients ask for the token', async () => {
    const b = await browserLogin('desk', 'desk-password');
    expect(b.status).toBe(200);
    expect(b.body).not.toHaveProperty('token');
    expect(b.body).toMatchObject({ user: { username: 'desk', role: 'frontdesk' } });
    expect(b.setCookie).toMatch(/bops_session=[^;]+/);
    expect(b.setCookie).toMatch(/HttpOnly/i);
    expect(b.setCookie).toMatch(/SameSite=Strict/i);
    expect(b.setCookie).not.toMatch(/Secure/i); // plain http, no proxy said https
    // the lifetime is relative (Max-Age), so a browser whose clock differs from the hub's keeps
    // the cookie exactly as long as the session lasts
    expect(b.setCookie).toMatch(new RegExp(`Max-Age=${t.hub.auth.ttlMs / 1000}(;|$)`, 'i'));
    expect(b.setCookie).not.toMatch(/Expires=/i);
    const api = await login(t, 'desk', 'desk-password'); // { token: true }
    expect(api.token).toMatch(/.{20,}/);
  });

  it('behind a trusted TLS-terminating proxy the cookie is Secure; from an untrusted peer X-Forwarded-Proto is ignored', async () => {
    const viaProxy = await browserLogin('desk', 'desk-password', { 'x-forwarded-proto': 'https' });
    expect(viaProxy.setCookie).toMatch(/;\s*Secure/i);
    // a hub that trusts no proxy (the default): anyone could send that header
    const plain = await startTestHub({ db: t.db });
    try {
      const r = await fetch(`${plain.http}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-proto': 'https' },
        body: JSON.stringify({ username: 'desk', password: 'desk-password' }),
      });
      expect(r.headers.get('set-cookie')).not.toMatch(/Secure/i);
    } finally {
      await plain.close();
    }
  });
});

describe('cross-site requests with the cookie', () => {
  it('body-less POSTs (secret rotation, logout) need X-Requested-With and a same or allowed Origin', async () => {
    const d = await provision(t, 'pm-csrf', 'power');
    const { cookie } = await browserLogin('admin', ADMIN_PASSWORD);
    const rotate = (headers: Record<string, string>) =>
      fetch(`${t.http}/api/devices/pm-csrf/secret`, { method: 'POST', headers: { cookie, ...headers } });
    // what a page on another origin can send without a preflight: no custom header (a "simple" request)
    const simple = await rotate({ 'content-type': 'text/plain', origin: EVIL });
    expect(simple.status).toBe(403);
    expect(((await simple.json()) as { code: string }).code).toBe('HUB_ERR_CSRF');
    expect((await rotate({})).status).toBe(403); // no Origin (old browser / form), still no header
    expect((await rotate({ 'x-requested-with': 'x', origin: EVIL })).status).toBe(403); // header but foreign origin
    // nothing changed: the old secret still works
    expect(t.hub.registry.authenticate(d.id, d.id, Buffer.from(d.secret))).toMatchObject({ deviceId: d.id });
    expect(await t.hub.db.auditLog.count({ where: { action: { contains: 'secret' } } })).toBe(0);
    const ok = await rotate({ 'x-requested-with': 'bops-dashboard', origin: t.http });
    expect(ok.status).toBe(200);
    expect((await rotate({ 'x-requested-with': 'bops-dashboard', origin: ALLOWED })).status).toBe(200);
    // a bearer token is never sent by the browser on its own: no header needed
    expect((await api(t, 'POST', '/api/devices/pm-csrf/secret')).status).toBe(200);

    const logoutSimple = await fetch(`${t.http}/api/auth/logout`, { method: 'POST', headers: { cookie, origin: EVIL } });
    expect(logoutSimple.status).toBe(403);
    const me = await fetch(`${t.http}/api/auth/me`, { headers: { cookie } });
    expect(me.status).toBe(200); // the session survived the forged logout
    const logout = await fetch(`${t.http}/api/auth/logout`, { method: 'POST', headers: { cookie, 'x-requested-with': 'bops-dashboard' } });
    expect(logout.status).toBe(204);
    expect((await fetch(`${t.http}/api/auth/me`, { headers: { cookie } })).status).toBe(401);
  });

  it('a login posted from a foreign origin is refused (login CSRF)', async () => {
    const r = await fetch(`${t.http}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: EVIL },
      body: JSON.stringify({ username: 'desk', password: 'desk-password' }),
    });
    expect(r.status).toBe(403);
  });
});

describe('socket.io handshake origin', () => {
  it('a page from a foreign origin cannot open a live connection with the victim’s cookie; same and allowed origins can', async () => {
    const { cookie } = await browserLogin('desk', 'desk-password');
    const url = `${t.http}/front-desk`;
    await expect(connectSocket(url, { extraHeaders: { cookie, origin: EVIL } })).rejects.toThrow();
    const same = await connectSocket(url, { extraHeaders: { cookie, origin: t.http } });
    const allowed = await connectSocket(url, { extraHeaders: { cookie, origin: ALLOWED } });
    const noOrigin = await connectSocket(url, { auth: { token: t.token } }); // CLI / bench: no Origin
    for (const s of [same, allowed, noOrigin]) {
      expect(s.connected).toBe(true);
      s.close();
    }
  });
});

describe('login throttling', () => {
  it('per username: after the limit, 429 with Retry-After — even with the right password, from any address', async () => {
    await t.hub.auth.createUser('victim', 'victim-password', 'operator', 'Victim');
    for (let i = 0; i < 3; i++) {
      const r = await browserLogin('victim', 'wrong', { 'x-forwarded-for': `198.51.100.${i + 1}` });
      expect(r.status).toBe(401);
    }
    const blocked = await fetch(`${t.http}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': '198.51.100.99' },
      body: JSON.stringify({ username: 'VICTIM', password: 'victim-password' }),
    });
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await blocked.json()) as { code: string }).code).toBe('HUB_ERR_RATE_LIMITED');
    // the password was not even checked: no session was created
    expect(await t.hub.db.session.count({ where: { user: { username: 'victim' } } })).toBe(0);
  });

  it('per address: one client guessing many accounts is stopped; other clients and successful logins are not', async () => {
    const from = { 'x-forwarded-for': '203.0.113.7' };
    for (let i = 0; i < 6; i++) expect((await browserLogin(`guess${i}`, 'wrong', from)).status).toBe(401);
    expect((await browserLogin('desk', 'desk-password', from)).status).toBe(429);
    expect((await browserLogin('desk', 'desk-password', { 'x-forwarded-for': '203.0.113.8' })).status).toBe(200);
    // staff logging in and out all day are never throttled: only failures count
    for (let i = 0; i < 8; i++) expect((await browserLogin('desk', 'desk-password', { 'x-forwarded-for': '192.0.2.50' })).status).toBe(200);
  });
});

describe('expensive routes', () => {
  it('telemetry queries are rate-limited per user (429 + Retry-After)', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await api(t, 'GET', '/api/telemetry?deviceId=pm-x&metric=voltage_v')).status);
    expect(statuses.slice(0, 5).filter((x) => x === 429)).toEqual([]); // (404: no such device — still work done)
    expect(statuses.slice(5)).toEqual([429, 429]);
    const r = await fetch(`${t.http}/api/telemetry?deviceId=pm-x&metric=voltage_v`, { headers: { authorization: `Bearer ${t.token}` } });
    expect(r.headers.get('retry-after')).toBeTruthy();
    // another user has a budget of their own
    const other = (await login(t, 'desk', 'desk-password')).token;
    expect((await api(t, 'GET', '/api/telemetry?deviceId=pm-x&metric=voltage_v', undefined, other)).status).not.toBe(429);
  });
});

describe('HTTPS', () => {
  it('serves the API, socket.io and MQTT over WebSocket on HUB_HTTPS_PORT; plain HTTP stays on loopback', async () => {
    const port = t.hub.httpsPort!;
    expect(port).toBeGreaterThan(0);
    const live = await httpsRequest(`https://127.0.0.1:${port}/api/health/live`);
    expect(live.status).toBe(200);
    expect(live.headers['content-security-policy']).toBeTruthy();
    // a login over HTTPS sets a Secure cookie
    const l = await httpsRequest(`https://127.0.0.1:${port}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'desk', password: 'desk-password' }),
    });
    expect(l.status).toBe(200);
    expect(String(l.headers['set-cookie'])).toMatch(/;\s*Secure/i);
    // socket.io
    const s = await connectSocket(`https://127.0.0.1:${port}/control-room`, { auth: { token: t.token }, ca });
    expect(s.connected).toBe(true);
    s.close();
    // MQTT over WebSocket (wss) with a real device
    const d = await provision(t, 'pm-wss', 'power');
    const c = await mqtt.connectAsync(`wss://127.0.0.1:${port}/mqtt`, {
      clientId: d.id,
      username: d.id,
      password: d.secret,
      ca,
      reconnectPeriod: 0,
    });
    await c.publishAsync(topics.telemetry(d), JSON.stringify({ v: 1, ts: Date.now(), metrics: { voltage_v: 231 } }), { qos: 1 });
    await waitFor(() => t.hub.registry.get(d.id)?.state === 'online', 5000, 'device online over wss');
    await c.endAsync();
    // with TLS on, plain HTTP answers on loopback only
    const addr = t.hub.front!.server.address() as { address: string };
    expect(addr.address).toBe('127.0.0.1');
  });

  it('a new certificate is used for new connections after reloadTls() (SIGHUP), without a restart', async () => {
    const port = t.hub.httpsPort!;
    const before = await httpsRequest(`https://127.0.0.1:${port}/api/health/live`);
    const next = makeCert(certDir, 'hub-b');
    await fs.copyFile(next.cert, t.env.HUB_TLS_CERT!);
    await fs.copyFile(next.key, t.env.HUB_TLS_KEY!);
    t.hub.reloadTls();
    const newCa = await fs.readFile(next.cert);
    const after = await httpsRequest(`https://127.0.0.1:${port}/api/health/live`, { ca: newCa });
    expect(after.status).toBe(200);
    expect(after.peer.fingerprint256).not.toBe(before.peer.fingerprint256);
    expect(after.peer.fingerprint256).toBe(new X509Certificate(newCa).fingerprint256);
  });
});
