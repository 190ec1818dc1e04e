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

/**
 * The bound arrays every LWW upsert ends with, in column order
 * (deleted_at, version_at, version_rank, version_tiebreak, outbox_id).
 */
export function versionParams(
  rows: ReadonlyArray<{ deletedAt: Date | null; version: Version; outboxId?: string | null }>,
  outboxId: string | null = null,
): unknown[] {
  return [
    rows.map((r) => (r.deletedAt ? r.deletedAt.toISOString() : null)),
    rows.map((r) => r.version.at.toISOString()),
    rows.map((r) => r.version.rank),
    rows.map((r) => r.version.tiebreak),
    rows.map((r) => r.outboxId ?? outboxId),
  ];
}
