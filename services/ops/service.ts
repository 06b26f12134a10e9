// Operations actions behind the admin routes (services/ops/routes.ts): the run-time log level
// and the data-lifecycle job. Every change is audited (GUIDE: an audit row for every change).
import type { LogLevel, LogLevelView, RetentionView } from '../../contracts/ops.js';
import type { AuthUser } from '../auth/service.js';
import type { Db } from '../core/db.js';
import { setLogLevel, type Logger } from '../core/logger.js';
import type { PurgeResult, RetentionService } from './retention.js';

export interface OpsServiceOptions {
  db: Db;
  /** the hub's root logger: its level is every child's */
  log: Logger;
  configuredLevel: LogLevel;
  retention: RetentionService;
  telemetry: { backend: () => string; retentionMs: number | undefined };
}

export class OpsService {
  constructor(private readonly o: OpsServiceOptions) {}

  logLevel(): LogLevelView {
    return { level: this.o.log.level as LogLevel, configured: this.o.configuredLevel };
  }

  /** Takes effect at once for every logger of the hub; lasts until the next restart. */
  async setLogLevel(user: AuthUser, level: LogLevel): Promise<LogLevelView> {
    const previous = this.o.log.level as LogLevel;
    await this.o.db.auditLog.create({
      data: { actor: `user:${user.id}`, action: 'ops.log_level', target: 'hub', data: { from: previous, to: level } },
    });
    setLogLevel(this.o.log, level);
    // at warn, so the change itself is visible at any level but silent/fatal/error
    this.o.log.warn({ from: previous, to: level, by: user.id }, 'log level changed');
    return { level, previous, configured: this.o.configuredLevel };
  }

  retention(): RetentionView {
    const backend = this.o.telemetry.backend();
    const ms = this.o.telemetry.retentionMs;
    return {
      ...this.o.retention.settings,
      // only the embedded store applies TELEMETRY_RETENTION_DAYS; InfluxDB keeps its own policy
      telemetry: { backend, retentionDays: backend === 'embedded-pg' && ms ? ms / 86_400_000 : null },
      last: this.o.retention.last,
    };
  }

  /** Run the retention job now (audited with the user as actor). */
  runRetention(user: AuthUser): Promise<PurgeResult> {
    return this.o.retention.run(`user:${user.id}`);
  }
}
