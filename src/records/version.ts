import type { Version } from './record.types.js';

/** Total order on versions: time, then rank, then tiebreak. Mirrors the SQL row comparison. */
export function compareVersions(a: Version, b: Version): number {
  const t = a.at.getTime() - b.at.getTime();
  if (t !== 0) return t;
  if (a.rank !== b.rank) return a.rank - b.rank;
  return a.tiebreak < b.tiebreak ? -1 : a.tiebreak > b.tiebreak ? 1 : 0;
}

/** Keeps the newest record per key; a batch must not touch one row twice in ON CONFLICT. */
export function newestPerKey<T extends { version: Version }>(records: readonly T[], key: (r: T) => string): T[] {
  const best = new Map<string, T>();
  for (const r of records) {
    const k = key(r);
    const cur = best.get(k);
    if (!cur || compareVersions(r.version, cur.version) > 0) best.set(k, r);
  }
  return [...best.values()];
}
