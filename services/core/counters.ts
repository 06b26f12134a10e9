// Lifetime counters kept in the hub's database (HubCounter), so that what was lost stays
// visible after a restart (issue 7 item 5: dropped telemetry points survive a restart).
import type { CounterPersistence } from '../telemetry/types.js';
import type { Db } from './db.js';

export class DbCounters implements CounterPersistence {
  constructor(private readonly db: Db) {}

  async load(names: string[]): Promise<Record<string, number>> {
    const rows = await this.db.hubCounter.findMany({ where: { name: { in: names } } });
    return Object.fromEntries(rows.map((r) => [r.name, Number(r.value)]));
  }

  async save(values: Record<string, number>): Promise<void> {
    await this.db.$transaction(
      Object.entries(values).map(([name, v]) =>
        this.db.hubCounter.upsert({ where: { name }, create: { name, value: BigInt(v) }, update: { value: BigInt(v) } }),
      ),
    );
  }
}
