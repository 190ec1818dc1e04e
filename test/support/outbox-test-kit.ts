import { PaymentLinksRepository } from '../../src/records/payment-links.repository.js';
import { OrphansRepository } from '../../src/reconciler/orphans.repository.js';
import { HttpMetrics } from '../../src/common/http.metrics.js';
import { loadConfig, type AppConfig } from '../../src/config/app.config.js';
import type { Database } from '../../src/database/database.sql.js';
import type { PgLocks } from '../../src/database/database.locks.js';
import { OutboxHandlerRegistry, type HandlerContext, type OutboxHandler } from '../../src/outbox/outbox.handlers.js';
import { OutboxInsertRepository } from '../../src/outbox/outbox-insert.repository.js';
import { OutboxRepository } from '../../src/outbox/outbox.repository.js';
import type { OutboxInsert, OutboxKind, OutboxRow, RowOutcome } from '../../src/outbox/outbox.types.js';
import { OutboxWorker } from '../../src/outbox/outbox.worker.js';
import type { SightingsRepository } from '../../src/reconciler/sightings.repository.js';
import { PaymentsRepository } from '../../src/records/payments.repository.js';
import type { PaymentRecord } from '../../src/records/record.types.js';

/** A minimal charge/refund snapshot: what the test handler turns into a ledger row. */
export interface TestPayment {
  id: string;
  kind: 'charge' | 'refund';
  amount: number;
  currency: string;
  /** Unix seconds: when the money counts. */
  created: number;
  status: 'pending' | 'succeeded';
  /** Vendor version: a higher one is a later state of the same object. */
  version: number;
  parent?: string;
}

export function paymentInsert(p: TestPayment, kind: OutboxKind = 'stripe.charge'): OutboxInsert {
  return {
    source: 'stripe',
    kind,
    dedupeKey: `${p.kind}:${p.id}:v${p.version}`,
    origin: 'poll',
    eventType: `${p.kind}.snapshot`,
    payload: p,
    vendorTime: new Date((p.created + p.version) * 1000),
  };
}

export function toRecord(p: TestPayment): PaymentRecord {
  return {
    source: 'stripe',
    kind: p.kind,
    externalId: p.id,
    parentExternalId: p.parent ?? null,
    amountCents: BigInt(p.amount),
    currency: p.currency.toUpperCase(),
    status: p.status === 'succeeded' ? 'SUCCEEDED' : 'PENDING',
    rawStatus: p.status,
    effect: p.status !== 'succeeded' ? 'none' : p.kind === 'refund' ? 'refund' : 'gross',
    occurredAt: new Date(p.created * 1000),
    customerRef: null,
    description: null,
    deletedAt: null,
    version: { at: new Date((p.created + p.version) * 1000), rank: p.version, tiebreak: `v${p.version}` },
  };
}

export interface LedgerHandlerOptions {
  kinds?: OutboxKind[];
  /** Per-batch artificial latency, to interleave concurrent workers. */
  delayMs?: () => number;
  /** A per-row verdict other than success (checked before writing). */
  outcomeFor?: (row: OutboxRow) => RowOutcome | undefined;
  /** The whole call throws when this returns true for any row in it. */
  throwsOn?: (row: OutboxRow) => boolean;
  /** Called after the ledger writes, before returning: lets a test freeze a worker mid-batch. */
  afterWrite?: (rows: OutboxRow[]) => Promise<void>;
}

/** Writes real ledger rows through PaymentsRepository and counts how often it saw each outbox id. */
export class LedgerTestHandler implements OutboxHandler {
  readonly kinds: readonly OutboxKind[];
  readonly invocations = new Map<string, number>();
  private readonly payments = new PaymentsRepository();

  constructor(private readonly opts: LedgerHandlerOptions = {}) {
    this.kinds = opts.kinds ?? ['stripe.charge'];
  }

  async handle(rows: OutboxRow[], ctx: HandlerContext): Promise<Map<string, RowOutcome>> {
    for (const r of rows) this.invocations.set(r.id, (this.invocations.get(r.id) ?? 0) + 1);
    const delay = this.opts.delayMs?.() ?? 0;
    if (delay) await new Promise((res) => setTimeout(res, delay));
    if (this.opts.throwsOn && rows.some(this.opts.throwsOn)) throw new Error('poison row in batch');
    const out = new Map<string, RowOutcome>();
    const good: OutboxRow[] = [];
    for (const r of rows) {
      const verdict = this.opts.outcomeFor?.(r);
      if (verdict) out.set(r.id, verdict);
      else good.push(r);
    }
    await ctx.db.tx(async (sql) => {
      for (const r of good) await this.payments.upsertMany(sql, [toRecord(r.payload as TestPayment)], r.id);
    });
    await this.opts.afterWrite?.(good);
    for (const r of good) out.set(r.id, { status: 'done' });
    return out;
  }
}

export function testConfig(env: Record<string, string> = {}): AppConfig {
  return loadConfig({ NODE_ENV: 'test', WORKER: 'on', ...env });
}

export function buildWorker(
  t: { db: Database; locks: PgLocks },
  handlers: OutboxHandler[],
  env: Record<string, string> = {},
  sightings?: SightingsRepository,
): OutboxWorker {
  const registry = new OutboxHandlerRegistry();
  for (const h of handlers) registry.register(h);
  return new OutboxWorker(
    new OutboxRepository(t.db),
    new OrphansRepository(t.db, new PaymentLinksRepository()),
    registry,
    t.db,
    t.locks,
    new HttpMetrics(),
    testConfig(env),
    sightings,
  );
}

export async function insertOutbox(db: Database, rows: OutboxInsert[]): Promise<void> {
  const repo = new OutboxInsertRepository();
  await db.tx((sql) => repo.insertMany(sql, rows));
}

export async function outboxRows(db: Database): Promise<
  {
    id: string;
    status: string;
    attempts: number;
    failure_class: string | null;
    last_error: string | null;
    locked_by: string | null;
    delay_s: number;
  }[]
> {
  const rows = await db.query<any>(
    `SELECT id, status, attempts, failure_class, last_error, locked_by, extract(epoch FROM available_at - now()) AS delay_s FROM ingest_outbox ORDER BY id`,
  );
  return rows.map((r) => ({ ...r, id: String(r.id), attempts: Number(r.attempts), delay_s: Number(r.delay_s) }));
}

/** The ledger as content, without surrogate ids, provenance or wall-clock columns. */
export async function ledger(db: Database): Promise<string[]> {
  const rows = await db.query<any>(
    `SELECT source, kind, external_id, parent_external_id, amount_cents, currency, status, raw_status, effect, occurred_at, version_at, version_rank
       FROM payments ORDER BY source, external_id`,
  );
  return rows.map((r) => JSON.stringify(r));
}

/** Deterministic PRNG so a failing run can be reproduced from its seed. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `n` charges, some with a later version (pending → succeeded), shuffled. */
export function paymentStream(n: number, seed: number): TestPayment[] {
  const rand = rng(seed);
  const out: TestPayment[] = [];
  for (let i = 0; i < n; i++) {
    const base = {
      id: `ch_${seed}_${i}`,
      kind: 'charge' as const,
      amount: 100 + Math.floor(rand() * 100_000),
      currency: rand() < 0.8 ? 'usd' : 'eur',
      created: 1_780_000_000 + i * 60,
    };
    if (rand() < 0.3) {
      out.push({ ...base, status: 'pending', version: 1 });
      out.push({ ...base, status: 'succeeded', version: 2 });
    } else {
      out.push({ ...base, status: 'succeeded', version: 1 });
    }
  }
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function waitFor<T>(
  fn: () => Promise<T | null | undefined | false>,
  timeoutMs: number,
  stepMs = 5,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(stepMs);
  }
}
