// MQTT over TLS (issue 7 item 11, MQTT part): with HUB_TLS_CERT + HUB_TLS_KEY the hub listens for
// MQTTS with the same authentication and ACL as plain MQTT, which stays available. The
// certificate is a self-signed one made here with the openssl CLI (node:crypto cannot make X.509).
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topics } from '../../contracts/mqtt.js';
import { readTlsFiles } from '../../services/core/config.js';
import { connectDevice, connectRaw, provision, seedPlace, startTestHub, waitFor, type Provisioned, type TestHub } from '../helpers/hub.js';

let dir = '';
let t: TestHub;
let el: Provisioned;
let other: Provisioned;
const clients: MqttClient[] = [];

function makeCert(name: string): { cert: string; key: string } {
  const cert = path.join(dir, `${name}.crt`);
  const key = path.join(dir, `${name}.key`);
  execFileSync(
    'openssl',
    [
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
    ],
    { stdio: 'ignore' },
  );
  return { cert, key };
}

const fingerprint = (pem: Buffer) => new crypto.X509Certificate(pem).fingerprint256;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'bops-tls-'));
  const { cert, key } = makeCert('hub-a');
  t = await startTestHub({ env: { HUB_TLS_CERT: cert, HUB_TLS_KEY: key, HUB_MQTTS_PORT: '0', HUB_HTTPS_PORT: '0' } });
  await seedPlace(t);
  el = await provision(t, 'el-tls', 'elevator');
  other = await provision(t, 'el-other', 'elevator');
});
afterAll(async () => {
  for (const c of clients) c.end(true);
  await t?.close();
  if (dir) await fs.rm(dir, { recursive: true, force: true });
});

const mqttsUrl = () => `mqtts://127.0.0.1:${t.hub.mqttsPort}`;

describe('MQTT over TLS', () => {
  it('authenticates and enforces the ACL exactly like plain MQTT; the plain port stays open', async () => {
    const ca = await fs.readFile(t.env.HUB_TLS_CERT!);
    expect(t.hub.mqttsPort).toBeGreaterThan(0);
    await expect(
      connectRaw(mqttsUrl(), { clientId: el.id, username: el.id, password: 'wrong', ca, rejectUnauthorized: true }),
    ).rejects.toThrow(/Bad username or password/i);
    const c = await connectRaw(mqttsUrl(), { clientId: el.id, username: el.id, password: el.secret, ca, rejectUnauthorized: true });
    clients.push(c);
    await expect(c.subscribeAsync(topics.commandFilter(other))).rejects.toThrow(/Subscribe error/);
    await c.publishAsync(topics.telemetry(el), JSON.stringify({ v: 1, ts: Date.now(), metrics: { floor: 7 } }), { qos: 1 });
    await waitFor(() => t.hub.registry.get(el.id)?.lastTelemetry?.floor === 7);
    expect(t.hub.rejections.device(el.id).forbidden_subscribe).toBe(1);
    // the plain listener still serves loopback/dev devices
    const plain = await connectDevice(t, other);
    clients.push(plain);
    expect(plain.connected).toBe(true);
  });

  it('a client that does not trust the certificate is refused by its own TLS check', async () => {
    await expect(
      connectRaw(mqttsUrl(), { clientId: el.id, username: el.id, password: el.secret, rejectUnauthorized: true }),
    ).rejects.toThrow(/self[- ]signed/i);
  });

  it('rotates the certificate without a restart: new connections get the new one', async () => {
    const peer = () =>
      new Promise<Buffer>((resolve, reject) => {
        const s = tls.connect({ host: '127.0.0.1', port: t.hub.mqttsPort, rejectUnauthorized: false }, () => {
          resolve(s.getPeerCertificate().raw);
          s.destroy();
        });
        s.once('error', reject);
      });
    const a = readTlsFiles(t.env.HUB_TLS_CERT!, t.env.HUB_TLS_KEY!);
    expect(new crypto.X509Certificate(await peer()).fingerprint256).toBe(fingerprint(a.cert));
    const next = makeCert('hub-b');
    const b = readTlsFiles(next.cert, next.key);
    t.hub.broker.setTls(b);
    expect(new crypto.X509Certificate(await peer()).fingerprint256).toBe(fingerprint(b.cert));
    const c = await connectRaw(mqttsUrl(), { clientId: el.id, username: el.id, password: el.secret, ca: b.cert, rejectUnauthorized: true });
    clients.push(c);
    expect(c.connected).toBe(true);
  });
});
