/**
 * The Stripe simulator in a process of its own for the backfill bench: the vendor is not on the
 * backfill's event loop (as in production), and its memory is not counted in the backfill's RSS.
 * Argument: JSON { apiKey, synthetic: { count, start, end, seed } }. Prints { url } once listening;
 * exits on SIGTERM.
 */
import { startStripeSimulator } from '../sandbox/stripe/index.js';
import type { SyntheticChargesOptions } from '../sandbox/stripe/index.js';

const arg = JSON.parse(process.argv[2] ?? '{}') as { apiKey: string; synthetic: SyntheticChargesOptions };
const sim = await startStripeSimulator({
  apiKey: arg.apiKey,
  syntheticCharges: arg.synthetic,
  clock: () => arg.synthetic.end + 60,
});
process.stdout.write(`${JSON.stringify({ url: sim.url })}\n`);
process.on('SIGTERM', () => {
  void sim.stop().then(() => process.exit(0));
});
