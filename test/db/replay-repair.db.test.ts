import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StripeOutboxHandler } from '../../src/connectors/stripe/stripe-outbox.handler.js';
import { STRIPE_RULES, type StripeRules } from '../../src/connectors/stripe/stripe.mappers.js';
import { eventRow } from '../../src/connectors/stripe/stripe.outbox-rows.js';
import { disputeStatus } from '../../src/connectors/stripe/stripe.status-map.js';
import { OutboxHandlerRegistry } from '../../src/outbox/outbox.handlers.js';
import { OutboxRepository } from '../../src/outbox/outbox.repository.js';
import { LedgerFiguresRepository } from '../../src/records/ledger-figures.repository.js';
import { PaymentsRepository } from '../../src/records/payments.repository.js';
import { derivationRev, RULES_REV_SPAN } from '../../src/records/record.version.js';
import { generateStripeDataset } from '../../scripts/sandbox/stripe/index.js';
import { openTestDb } from '../support/db.js';
import { buildWorker, insertOutbox, ledger } from '../support/outbox-test-kit.js';

/**
 * Replay that repairs (DESIGN invariant 3): a mapper ships with a wrong rule (won disputes taken as
 * lost, so they subtract money), events are processed, the rule is fixed and its revision bumped,
 * POST /outbox/replay's re-queue runs them again: the figures become exactly those of a ledger built
 * by the correct code from the start, only the rows the rule touched change, and replaying again
 * (or through the old code) changes nothing, not even updated_at.
 */
const DAY = 86_400;
const START = Date.UTC(2026, 4, 1) / 1000;
const END = START + 150 * DAY;
const WINDOWS = ['USD', 'EUR', 'JPY'].map((currency) => ({
  currency,
  source: null,
  from: '2026-01-01T00:00:00Z',
  to: '2027-01-01T00:00:00Z',
}));

/** The deliberately wrong rule: a dispute the merchant won is taken as lost. */
const WRONG: StripeRules = {
  ...STRIPE_RULES,
  disputeStatus: (raw) => (raw === 'won' ? { status: 'LOST', rank: 50 } : disputeStatus(raw)),
};
const FIXED_SAME_REV: StripeRules = { ...STRIPE_RULES };
const FIXED: StripeRules = { ...STRIPE_RULES, rev: STRIPE_RULES.rev + 1 };

const handler = (rules: StripeRules) =>
  new StripeOutboxHandler(new OutboxHandlerRegistry(), new PaymentsRepository(), rules);

describe('replay through corrected code repairs the ledger', () => {
  let t: Awaited<ReturnType<typeof openTestDb>>;
  let reference: Awaited<ReturnType<typeof openTestDb>>;
  const { events } = generateStripeDataset({ seed: 23, charges: 2000, start: START, end: END });
  const figures = new LedgerFiguresRepository();
  const totals = async (db: typeof t.db) => Promise.all(WINDOWS.map((w) => figures.totals(db, w)));
  const rowStamps = async () =>
    Object.fromEntries(
      (
        await t.db.query<{ external_id: string; updated_at: string; derivation_rev: number }>(
          `SELECT external_id, updated_at::text, derivation_rev FROM payments ORDER BY external_id`,
        )
      ).map((r) => [r.external_id, `${r.updated_at}|${r.derivation_rev}`]),
    );
  const lineageCount = async () =>
    Number((await t.db.query<{ n: string }>(`SELECT count(*) AS n FROM payment_lineage`))[0].n);
  const replay = async (rules: StripeRules) => {
    const r = await new OutboxRepository(t.db).replay('stripe', new Date(0), new Date(Date.now() + 60_000));
    expect(r.requeued).toBe(events.length);
    await buildWorker(t, [handler(rules)]).drain();
  };

  beforeAll(async () => {
    [t, reference] = await Promise.all([openTestDb(), openTestDb()]);
    for (const db of [t, reference])
      await insertOutbox(
        db.db,
        events.map((e) => eventRow(e, 'webhook')),
      );
    await buildWorker(t, [handler(WRONG)]).drain();
    await buildWorker(reference, [handler(STRIPE_RULES)]).drain();
  }, 120_000);
  afterAll(async () => Promise.all([t?.close(), reference?.close()]));

  it('the wrong rule shows in the figures', async () => {
    const wonDisputes = await t.db.query(`SELECT 1 FROM payments WHERE kind = 'dispute' AND raw_status = 'won'`);
    expect(wonDisputes.length).toBeGreaterThan(0);
    expect(await totals(t.db)).not.toEqual(await totals(reference.db));
  });

  it('the fixed code under the same revision changes nothing: a revision bump is what lets a re-derivation win', async () => {
    const before = await rowStamps();
    const figuresBefore = await totals(t.db);
    await replay(FIXED_SAME_REV);
    expect(await rowStamps()).toEqual(before);
    expect(await totals(t.db)).toEqual(figuresBefore);
  });

  it('fixed and bumped, a replay corrects the figures exactly and changes only the rows the rule touched', async () => {
    const before = await rowStamps();
    await replay(FIXED);
    expect(await totals(t.db)).toEqual(await totals(reference.db));
    expect(await ledger(t.db)).toEqual(await ledger(reference.db));

    const after = await rowStamps();
    const changed = Object.keys(after).filter((k) => after[k] !== before[k]);
    const touched = await t.db.query<{ external_id: string; derivation_rev: number }>(
      `SELECT external_id, derivation_rev FROM payments WHERE kind = 'dispute' AND raw_status = 'won' ORDER BY external_id`,
    );
    expect(touched.length).toBeGreaterThan(0);
    expect(changed.sort()).toEqual(touched.map((r) => r.external_id));
    expect(touched.every((r) => r.derivation_rev === derivationRev(FIXED.rev))).toBe(true);
    expect(derivationRev(FIXED.rev)).toBe(RULES_REV_SPAN * FIXED.rev);

    // The lineage tells the story: the repairing replay won exactly on those rows.
    const replays = await t.db.query<{ external_id: string; won: boolean }>(
      `SELECT p.external_id, l.won FROM payment_lineage l JOIN payments p ON p.id = l.payment_id
        WHERE l.replayed AND l.derivation_rev = $1`,
      [derivationRev(FIXED.rev)],
    );
    expect([...new Set(replays.filter((r) => r.won).map((r) => r.external_id))].sort()).toEqual(
      touched.map((r) => r.external_id),
    );
  });

  it('replaying again, or through the old wrong code, changes nothing: no updated_at moves, figures identical', async () => {
    const before = await rowStamps();
    const figuresBefore = await totals(t.db);
    const lineageBefore = await lineageCount();
    await replay(FIXED);
    expect(await rowStamps()).toEqual(before);
    expect(await totals(t.db)).toEqual(figuresBefore);
    expect(await lineageCount()).toBe(lineageBefore);
    // A process still running the old code (a rolling deploy) cannot win back with it.
    await replay(WRONG);
    expect(await rowStamps()).toEqual(before);
    expect(await totals(t.db)).toEqual(figuresBefore);
  });
});
