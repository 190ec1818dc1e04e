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

/**
 * How far a rules revision may go before it would spill into the code revision. HubSpot's stage
 * classification revision moves only when a stage changes class: a million is out of reach.
 */
export const RULES_REV_SPAN = 1_000_000;

/**
 * `payments.derivation_rev`, the last member of the last-write-wins tuple: the revision of the code
 * that derived the row (a mapper family's constant, bumped with every change that alters a derived
 * row) and of the data rules it used (HubSpot's stage classification; 0 where there are none),
 * packed as `codeRev × RULES_REV_SPAN + rulesRev`. Both only ever grow, so a row derived from the
 * same vendor version by newer code, or under newer rules, compares greater, and nothing older can
 * win back. Revision 0 of every family is the code as it stood when revisions were introduced, so
 * rows written before keep their meaning.
 */
export function derivationRev(codeRev: number, rulesRev = 0): number {
  if (!Number.isSafeInteger(codeRev) || codeRev < 0 || !Number.isSafeInteger(rulesRev) || rulesRev < 0)
    throw new Error(`derivation revisions are non-negative integers (got ${codeRev}, ${rulesRev})`);
  if (rulesRev >= RULES_REV_SPAN) throw new Error(`rules revision ${rulesRev} overflows the derivation revision`);
  const rev = codeRev * RULES_REV_SPAN + rulesRev;
  // payments.derivation_rev is a 32-bit integer.
  if (rev > 2_147_483_647) throw new Error(`code revision ${codeRev} overflows the derivation revision`);
  return rev;
}
