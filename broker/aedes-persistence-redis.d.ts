// aedes-persistence-redis 11.2 ships no types (12.x does, but needs aedes ≥ 2: docs/architecture.md).
// Only what broker/index.ts uses: the factory and the instance aedes is given.
declare module 'aedes-persistence-redis' {
  import type { Redis } from 'ioredis';
  interface RedisPersistenceOptions {
    /** an ioredis connection to use (else one is made from the other options) */
    conn?: Redis;
    maxSessionDelivery?: number;
  }
  export default function aedesPersistenceRedis(opts?: RedisPersistenceOptions): unknown;
}
