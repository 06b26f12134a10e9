// Oldest-first eviction from a Map used as a bounded, insertion-ordered cache.

/**
 * Delete the oldest keys (insertion order) until `size` remain, in one walk, calling `onDrop`
 * for each. Not one `keys().next()` per key: V8's hash maps keep deleted entries as holes until
 * they rehash, and each fresh iterator walks every hole at the head — per-key eviction grows
 * quadratic (issue 12: RecentEventIds in services/devices/ingest.ts cost up to ~90 µs per event
 * that way; the connect guard 233 µs per sprayed CONNECT). Callers evict well below their bound,
 * so the next many inserts do not walk again.
 */
export function dropOldest<K, V>(map: Map<K, V>, size: number, onDrop?: (key: K, value: V) => void): void {
  for (const [k, v] of map) {
    if (map.size <= size) break;
    map.delete(k);
    onDrop?.(k, v);
  }
}
