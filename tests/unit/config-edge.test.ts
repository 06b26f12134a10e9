// The MQTT edge and TLS settings (issue 7): defaults, TLS files read once at boot, clear errors.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../services/core/config.js';

describe('MQTT edge and TLS configuration', () => {
  it('has safe defaults: no TLS, 256 KiB packets, 8 KiB CONNECTs, bans on', () => {
    const c = loadConfig({});
    expect(c.tls).toBeNull();
    expect(c).toMatchObject({ mqttsPort: 8883, httpsPort: 8443, rejectBurstMs: 10_000 });
    expect(c.mqtt).toMatchObject({
      maxPacket: 262_144,
      maxConnectPacket: 8192,
      ban: { addressFails: 20, clientFails: 5, windowMs: 60_000, banMs: 60_000, maxBanMs: 3_600_000 },
      eventHoldMs: 600_000,
    });
  });

  it('reads the PEM files once at boot and names a missing or half-given setting', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'bops-cfg-'));
    try {
      await fs.writeFile(path.join(dir, 'c.pem'), 'CERT');
      await fs.writeFile(path.join(dir, 'k.pem'), 'KEY');
      const c = loadConfig({ HUB_TLS_CERT: path.join(dir, 'c.pem'), HUB_TLS_KEY: path.join(dir, 'k.pem'), HUB_MQTTS_PORT: '18883' });
      expect(c.tls).toEqual({ cert: Buffer.from('CERT'), key: Buffer.from('KEY') });
      expect(c.tlsCert).toBe(path.join(dir, 'c.pem'));
      expect(c.mqttsPort).toBe(18883);
      expect(() => loadConfig({ HUB_TLS_CERT: path.join(dir, 'c.pem') })).toThrow(/HUB_TLS_KEY: set both/);
      expect(() => loadConfig({ HUB_TLS_CERT: path.join(dir, 'nope.pem'), HUB_TLS_KEY: path.join(dir, 'k.pem') })).toThrow(
        /HUB_TLS_CERT: cannot read/,
      );
      expect(() => loadConfig({ HUB_MQTT_MAX_PACKET: '10' })).toThrow(/HUB_MQTT_MAX_PACKET/);
      expect(() => loadConfig({ HUB_MQTT_BAN_S: '60', HUB_MQTT_BAN_MAX_S: '30' })).toThrow(/HUB_MQTT_BAN_MAX_S/);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
