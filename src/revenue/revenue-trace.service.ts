import { Injectable } from '@nestjs/common';
import type { z } from 'zod';
import { Errors } from '../common/app.errors.js';
import { Database } from '../database/database.sql.js';
import { OutboxRepository } from '../outbox/outbox.repository.js';
import { LedgerFiguresRepository, type CountedRow } from '../records/ledger-figures.repository.js';
import { PaymentLineageRepository, type LineageEntry } from '../records/payment-lineage.repository.js';
import { PaymentsRepository } from '../records/payments.repository.js';
import type { RevenueSource, Version } from '../records/record.types.js';
import { compareVersions } from '../records/record.version.js';
import { assertAgree, netCents } from './revenue.buckets.js';
import type { TraceQuery } from './revenue.query.js';
import { encodeCursor } from './revenue-trace.cursor.js';
import type { PaymentRecordView, Trace } from './revenue-trace.schemas.js';
import { RevenueService } from './revenue.service.js';

export type TraceJson = z.input<typeof Trace>;
export type PaymentRecordJson = z.input<typeof PaymentRecordView>;
type EventJson = TraceJson['rows'][number]['events'][number];

/**
 * "Explain a figure" (DESIGN invariant 7): figure → the ledger rows that make it → the stored vendor
 * events that wrote or touched each row. A page costs the summary (rollups) plus one index range of
 * rows, one primary-key range of lineage per row and one probe per event for `payloadKept`,
 * whatever `limit` is: no query per row.
 */
@Injectable()
export class RevenueTraceService {
  constructor(
    private readonly db: Database,
    private readonly revenue: RevenueService,
    private readonly figures: LedgerFiguresRepository,
    private readonly lineage: PaymentLineageRepository,
    private readonly payments: PaymentsRepository,
    private readonly outbox: OutboxRepository,
  ) {}

  /**
   * One page of the rows behind the summary of `q`, with the summary itself read in the same
   * snapshot. Rows come in (occurred_at, id) order by the same window and definition of "counted"
   * as the figure, so the pages of an unchanged ledger add up to it exactly; a query that fits in
   * one page is checked to (500 metric_drift otherwise, like the other revenue endpoints).
   */
  async trace(q: TraceQuery): Promise<TraceJson> {
    const { report, read } = await this.revenue.explain(q, async (sql, window, report) => {
      if (!window) return { rows: [] as CountedRow[], lineage: new Map<string, LineageEntry[]>() };
      const rows = await this.figures.countedRows(sql, window, q.cursor, q.limit + 1);
      const page = rows.slice(0, q.limit);
      if (q.cursor === null && rows.length <= q.limit) assertAgree('trace rows vs summary', report.totals, sumOf(page));
      return {
        rows,
        lineage: await this.lineage.forPayments(
          sql,
          page.map((r) => r.id),
        ),
      };
    });
    const page = read.rows.slice(0, q.limit);
    const kept = await this.kept([...read.lineage.values()].flat());
    const t = report.totals;
    return {
      figure: {
        totalRevenueCents: netCents(t).toString(),
        grossCents: t.grossCents.toString(),
        refundsCents: t.refundsCents.toString(),
        count: t.count,
        refundCount: t.refundCount,
      },
      rows: page.map((r) => ({
        source: r.source,
        kind: r.kind as TraceJson['rows'][number]['kind'],
        externalId: r.externalId,
        parentExternalId: r.parentExternalId,
        effect: r.effect,
        amountCents: r.amountCents.toString(),
        currency: r.currency,
        occurredAt: new Date(r.occurredAt).toISOString(),
        status: r.status,
        rawStatus: r.rawStatus,
        events: (read.lineage.get(r.id) ?? []).map((e) => eventJson(e, kept)),
      })),
      nextCursor: read.rows.length > q.limit ? encodeCursor(page[page.length - 1]) : null,
    };
  }

  /** One ledger row with every version that arrived and every event that wrote or touched it. */
  async record(source: RevenueSource, externalId: string): Promise<PaymentRecordJson> {
    const found = await this.db.tx(
      async (sql) => {
        const row = await this.payments.findByKey(sql, source, externalId);
        return row && { row, lineage: (await this.lineage.forPayments(sql, [row.id])).get(row.id) ?? [] };
      },
      { isolation: 'repeatable read', readOnly: true },
    );
    if (!found)
      throw Errors.notFound('record_not_found', `No ${source} ledger row with external id ${externalId}.`, {
        source,
        externalId,
      });
    const { row, lineage } = found;
    const kept = await this.kept(lineage);
    return {
      source: row.source,
      kind: row.kind,
      externalId: row.externalId,
      parentExternalId: row.parentExternalId,
      amountCents: row.amountCents.toString(),
      currency: row.currency,
      occurredAt: row.occurredAt.toISOString(),
      status: row.status,
      rawStatus: row.rawStatus,
      effect: row.effect,
      counted: row.effect !== 'none' && row.deletedAt === null,
      deletedAt: row.deletedAt?.toISOString() ?? null,
      customerRef: row.customerRef,
      description: row.description,
      version: versionJson(row.version),
      derivationRev: row.derivationRev,
      outboxId: row.outboxId,
      createdAt: row.createdAt.toISOString(),
      updatedAt: row.updatedAt.toISOString(),
      versions: versions(lineage, row.version, row.outboxId),
      events: lineage.map((e) => eventJson(e, kept)),
    };
  }

  private kept(entries: readonly LineageEntry[]): Promise<Set<string>> {
    return this.outbox.existingIds(entries.map((e) => e.outboxId));
  }
}

function sumOf(rows: readonly CountedRow[]) {
  const f = { grossCents: 0n, refundsCents: 0n, count: 0, refundCount: 0 };
  for (const r of rows) {
    if (r.effect === 'gross') {
      f.grossCents += r.amountCents;
      f.count += 1;
    } else {
      f.refundsCents += r.amountCents;
      f.refundCount += 1;
    }
  }
  return f;
}

function eventJson(e: LineageEntry, kept: ReadonlySet<string>): EventJson {
  return {
    outboxId: e.outboxId,
    // Only vendor events write the ledger; internal rows (alert deliveries) never have lineage.
    origin: e.origin as EventJson['origin'],
    vendorEventId: e.vendorEventId,
    type: e.eventType,
    receivedAt: e.receivedAt.toISOString(),
    payloadKept: kept.has(e.outboxId),
    payloadSha256: e.payloadSha256,
    won: e.won,
    replayed: e.replayed,
    derivationRev: e.derivationRev,
  };
}

const versionJson = (v: Version) => ({ at: v.at.toISOString(), rank: v.rank, tiebreak: v.tiebreak });

/**
 * The distinct vendor versions of the lineage, oldest first; a version won if any of its events
 * changed the row. The version the row holds is listed even when no lineage records it (rows
 * written before lineage existed, or by a path that keeps none).
 */
function versions(lineage: readonly LineageEntry[], current: Version, currentOutbox: string | null) {
  const byKey = new Map<string, { version: Version; won: boolean; outboxIds: Set<string> }>();
  const key = (v: Version) => `${v.at.getTime()}|${v.rank}|${v.tiebreak}`;
  for (const e of lineage) {
    const k = key(e.version);
    const v = byKey.get(k) ?? { version: e.version, won: false, outboxIds: new Set<string>() };
    v.won ||= e.won;
    v.outboxIds.add(e.outboxId);
    byKey.set(k, v);
  }
  if (!byKey.has(key(current)))
    byKey.set(key(current), {
      version: current,
      won: true,
      outboxIds: new Set(currentOutbox === null ? [] : [currentOutbox]),
    });
  return [...byKey.values()]
    .sort((a, b) => compareVersions(a.version, b.version))
    .map((v) => ({
      ...versionJson(v.version),
      won: v.won,
      current: compareVersions(v.version, current) === 0,
      outboxIds: [...v.outboxIds],
    }));
}
