import { Prng } from '../prng.js';
import { StripeSimState, type StripeSimData } from './stripe-state.js';

export interface StripeDatasetOptions {
  /** Same seed + same options → byte-identical dataset. */
  seed?: number;
  /** How many charges (default 3000). */
  charges?: number;
  /** Unix seconds; default: the start of the current UTC day. */
  end?: number;
  /** Unix seconds; default: 150 days before `end`. */
  start?: number;
}

export interface StripeDataset extends StripeSimData {
  seed: number;
  start: number;
  end: number;
}

const DAY = 86_400;

/** Price points per currency in minor units (JPY is zero-decimal: 1500 means ¥1,500). */
const PRICES: Record<string, number[]> = {
  usd: [900, 1900, 2900, 4900, 9900, 19900, 49900],
  eur: [800, 1500, 2500, 4500, 8900, 17900],
  jpy: [500, 1200, 3000, 9800, 29800],
};

interface Op {
  t: number;
  order: number;
  run: (s: StripeSimState) => void;
}

/**
 * A realistic, deterministic account history: charges over several months in USD, EUR and JPY
 * with full and partial refunds (some pending, a few failing), declines, bank debits that clear or
 * bounce, card authorizations captured in full or in part or left to expire, and disputes won and
 * lost. It is produced by replaying the operations through StripeSimState at their own times, so
 * objects and their Events are exactly what the live simulator would have produced.
 */
export function generateStripeDataset(opts: StripeDatasetOptions = {}): StripeDataset {
  const seed = opts.seed ?? 42;
  const end = opts.end ?? Math.floor(Date.now() / 1000 / DAY) * DAY;
  const start = opts.start ?? end - 150 * DAY;
  if (!(start < end)) throw new Error('dataset start must be before end');
  const n = opts.charges ?? 3000;
  const rng = new Prng(seed);
  let now = start;
  const state = new StripeSimState({ seed: seed ^ 0x9e3779b9, clock: () => now });
  const ops: Op[] = [];
  const at = (t: number, run: Op['run']) => {
    if (t <= end) ops.push({ t, order: ops.length, run });
  };

  for (let i = 0; i < n; i++) {
    const t = start + Math.floor(rng.next() * (end - start));
    const currency = rng.weighted([
      ['usd', 68],
      ['eur', 24],
      ['jpy', 8],
    ] as const);
    const amount = rng.chance(0.7)
      ? rng.pick(PRICES[currency])
      : currency === 'jpy'
        ? rng.int(3, 600) * 50
        : rng.int(5, 900) * 50;
    const kind = rng.weighted([
      ['paid', 86],
      ['declined', 5],
      ['auth', 5],
      ['bank', 4],
    ] as const);
    const customer = rng.chance(0.8) ? `cus_${String(rng.int(1, 900)).padStart(6, '0')}` : null;
    const ref = { id: '' };
    const create = (outcome: 'succeeded' | 'failed' | 'pending', capture: boolean) =>
      at(t, (s) => {
        ref.id = s.createCharge({
          amount,
          currency,
          outcome,
          capture,
          customer,
          description: `Order #${100000 + i}`,
        }).id;
      });

    if (kind === 'declined') {
      create('failed', true);
      continue;
    }
    if (kind === 'bank') {
      create('pending', true);
      const cleared = rng.chance(0.85);
      at(t + rng.int(2, 5) * DAY, (s) => s.settleCharge(ref.id, cleared ? 'succeeded' : 'failed'));
      if (cleared) planAfterPayment(rng, at, ref, t + 6 * DAY, amount);
      continue;
    }
    if (kind === 'auth') {
      create('succeeded', false);
      const fate = rng.weighted([
        ['capture', 60],
        ['expire', 25],
        ['open', 15],
      ] as const);
      if (fate === 'capture') {
        const partial = rng.chance(0.3);
        const captured = partial ? Math.max(1, Math.round((amount * rng.int(50, 95)) / 100)) : amount;
        at(t + rng.int(60, 5 * DAY), (s) => s.captureCharge(ref.id, captured));
        planAfterPayment(rng, at, ref, t + 6 * DAY, captured);
      } else if (fate === 'expire') {
        at(t + 7 * DAY, (s) => s.expireCharge(ref.id));
      }
      continue;
    }
    create('succeeded', true);
    planAfterPayment(rng, at, ref, t, amount);
  }

  ops.sort((a, b) => a.t - b.t || a.order - b.order);
  for (const op of ops) {
    now = op.t;
    op.run(state);
  }
  return { ...state.snapshot(), seed, start, end };
}

/** Refunds or a dispute (never both on one charge) after money was collected at `t`. */
function planAfterPayment(
  rng: Prng,
  at: (t: number, run: Op['run']) => void,
  ref: { id: string },
  t: number,
  collected: number,
): void {
  const fate = rng.weighted([
    ['keep', 898],
    ['refund', 90],
    ['dispute', 12],
  ] as const);
  if (fate === 'refund') {
    const full = rng.chance(0.5);
    const first = full ? collected : Math.max(1, Math.round((collected * rng.int(10, 60)) / 100));
    const pending = rng.chance(0.1);
    const refundAt = t + rng.int(1, 20) * DAY + rng.int(0, DAY);
    const refundRef = { id: '' };
    at(refundAt, (s) => {
      refundRef.id = s.refundCharge(ref.id, { amount: first, status: pending ? 'pending' : 'succeeded' }).id;
    });
    if (pending) {
      const outcome = rng.chance(0.85) ? 'succeeded' : 'failed';
      at(refundAt + rng.int(1, 5) * DAY, (s) => s.updateRefund(refundRef.id, outcome));
    }
    if (!full && rng.chance(0.2)) {
      const second = Math.max(1, Math.floor((collected - first) / 2));
      at(refundAt + rng.int(1, 10) * DAY, (s) => s.refundCharge(ref.id, { amount: second }));
    }
  } else if (fate === 'dispute') {
    const openAt = t + rng.int(3, 40) * DAY;
    const disputeRef = { id: '' };
    at(openAt, (s) => {
      disputeRef.id = s.openDispute(ref.id).id;
    });
    const respond = rng.chance(0.5);
    if (respond) at(openAt + rng.int(2, 10) * DAY, (s) => s.submitDisputeEvidence(disputeRef.id));
    const outcome = rng.chance(respond ? 0.6 : 0.1) ? 'won' : 'lost';
    at(openAt + rng.int(11, 40) * DAY, (s) => s.closeDispute(disputeRef.id, outcome));
  }
}
