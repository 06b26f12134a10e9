// Configuration is checked once at boot with messages that name the variable (README table).
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../services/core/config.js';

describe('loadConfig', () => {
  it('zero-setup defaults: embedded database and telemetry, demo only for the start command', () => {
    const c = loadConfig({}, true);
    expect(c).toMatchObject({
      httpPort: 8080,
      mqttPort: 1883,
      host: '0.0.0.0',
      databaseUrl: undefined,
      influx: { kind: 'embedded' },
      demo: true,
      demoFleet: true,
    });
    expect(loadConfig({}).demo).toBe(false);
    expect(loadConfig({ HUB_DEMO: '0' }, true).demo).toBe(false);
  });

  it('external PostgreSQL and InfluxDB 2.x or 1.x by environment alone', () => {
    const v2 = loadConfig({
      DATABASE_URL: 'postgresql://u:p@db:5432/bops',
      INFLUX_URL: 'http://influx:8086',
      INFLUX_TOKEN: 'tok',
      INFLUX_ORG: 'bops',
    });
    expect(v2.databaseUrl).toBe('postgresql://u:p@db:5432/bops');
    expect(v2.influx).toEqual({ kind: 'v2', url: 'http://influx:8086', token: 'tok', org: 'bops', bucket: 'bops' });
    const v1 = loadConfig({
      INFLUX_URL: 'http://127.0.0.1:8086',
      INFLUX_API: '1',
      INFLUX_DB: 'tele',
      INFLUX_USERNAME: 'u',
      INFLUX_PASSWORD: 'p',
    });
    expect(v1.influx).toEqual({ kind: 'v1', url: 'http://127.0.0.1:8086', db: 'tele', username: 'u', password: 'p' });
  });

  it('refuses bad values with a message naming each variable', () => {
    const bad = () =>
      loadConfig({
        HUB_HTTP_PORT: 'eighty',
        DATABASE_URL: 'mysql://x',
        INFLUX_URL: 'http://i:8086',
        HUB_ADMIN_PASSWORD: 'short',
        HUB_DEMO: 'maybe',
      });
    expect(bad).toThrow(/HUB_HTTP_PORT/);
    expect(bad).toThrow(/DATABASE_URL: must be a postgres/);
    expect(bad).toThrow(/HUB_ADMIN_PASSWORD/);
    expect(bad).toThrow(/HUB_DEMO/);
    expect(() => loadConfig({ HUB_MQTT_PORT: '70000' })).toThrow(/HUB_MQTT_PORT/);
    expect(() => loadConfig({ INFLUX_URL: 'http://i:8086' })).toThrow(/INFLUX_TOKEN: INFLUX_API=2 needs INFLUX_TOKEN and INFLUX_ORG/);
    expect(() => loadConfig({ INFLUX_URL: 'not a url', INFLUX_API: '1' })).toThrow(/INFLUX_URL/);
  });
});
