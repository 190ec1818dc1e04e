import { openTestDb } from './db.js';
import type { TestPayment } from './outbox-test-kit.js';
import { HttpMetrics } from '../../src/common/http.metrics.js';
import { PaymentLinksRepository } from '../../src/records/payment-links.repository.js';
import { OrphansRepository } from '../../src/reconciler/orphans.repository.js';
import { ReconcilerService } from '../../src/reconciler/reconciler.service.js';

/** Stripe ledger rows for orphan tests: a charge, and a refund that names its charge. */
const base = { currency: 'usd', created: 1_780_000_000, status: 'succeeded' as const, version: 1 };
export const charge = (id: string): TestPayment => ({ ...base, id, kind: 'charge', amount: 5000 });
export const refund = (id: string, parent: string): TestPayment => ({
  ...base,
  id,
  kind: 'refund',
  amount: 1000,
  parent,
});

/** A fresh database with the orphans repository and the reconciler wired as the module wires them. */
export async function openReconcilerDb() {
  const t = await openTestDb();
  const orphans = new OrphansRepository(t.db, new PaymentLinksRepository());
  const reconciler = new ReconcilerService(t.db, orphans, new HttpMetrics());
  return { t, orphans, reconciler };
}
