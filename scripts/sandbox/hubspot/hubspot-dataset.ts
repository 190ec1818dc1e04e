/**
 * Deterministic HubSpot CRM dataset (same seed → same objects) for the simulator, tests and the
 * demo: deals across the default pipeline stages plus a custom (unmapped) stage, decimal-string
 * amounts including awkward ones ("1234.565", "", "abc"), a mix of currencies with some deals
 * relying on the portal currency, and contacts.
 */
import { prng } from '../prng.js';
export interface SimObject {
  id: string;
  properties: Record<string, string | null>;
  createdAt: string;
  updatedAt: string;
  archived: boolean;
  archivedAt: string | null;
}

export type SimObjectType = 'deals' | 'contacts';

/** HubSpot's last-modified property differs per object type. */
export const MODIFIED_PROPERTY: Readonly<Record<SimObjectType, string>> = { deals: 'hs_lastmodifieddate', contacts: 'lastmodifieddate' };

export interface DatasetOptions {
  seed?: number;
  deals?: number;
  contacts?: number;
  /** closedate/createdate range; defaults to the 180 days before 2026-11-01. */
  from?: Date;
  to?: Date;
  /** First object id (HubSpot ids are large integers). */
  firstId?: number;
}

export interface HubSpotDataset {
  deals: SimObject[];
  contacts: SimObject[];
}


export const OPEN_STAGES = ['appointmentscheduled', 'qualifiedtobuy', 'presentationscheduled', 'decisionmakerboughtin', 'contractsent'] as const;
/** A custom pipeline stage id, as HubSpot gives them: our stage map does not know it. */
export const CUSTOM_STAGE = '98765432';

const FIRST = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Donald', 'Margaret', 'Ken', 'Frances', 'Linus', 'Radia', 'John'];
const LAST = ['Lovelace', 'Hopper', 'Turing', 'Dijkstra', 'Liskov', 'Knuth', 'Hamilton', 'Thompson', 'Allen', 'Torvalds', 'Perlman', 'Backus'];
const LIFECYCLE = ['subscriber', 'lead', 'marketingqualifiedlead', 'salesqualifiedlead', 'opportunity', 'customer', 'evangelist', 'other'];

function pick<T>(rnd: () => number, xs: readonly T[]): T {
  return xs[Math.floor(rnd() * xs.length)];
}

function amountFor(rnd: () => number, i: number, currency: string | null): string {
  if (i % 97 === 13) return 'abc';
  if (i % 53 === 7) return '';
  if (i % 41 === 5) return '1234.565';
  if (currency === 'JPY') return String(1000 * (1 + Math.floor(rnd() * 500)));
  const cents = 500 + Math.floor(rnd() * 2_000_000);
  // Mostly two decimals, sometimes whole units or a third decimal.
  const r = rnd();
  if (r < 0.15) return String(Math.floor(cents / 100));
  if (r < 0.2) return `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}5`;
  return `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;
}

export function generateHubSpotDataset(opts: DatasetOptions = {}): HubSpotDataset {
  const rnd = prng(opts.seed ?? 42);
  const to = (opts.to ?? new Date('2026-11-01T00:00:00Z')).getTime();
  const from = (opts.from ?? new Date(to - 180 * 86_400_000)).getTime();
  let nextId = opts.firstId ?? 9_000_000_001;
  const span = to - from;
  const iso = (ms: number) => new Date(Math.round(ms)).toISOString();

  const deals: SimObject[] = [];
  for (let i = 0; i < (opts.deals ?? 300); i++) {
    const id = String(nextId++);
    const r = rnd();
    const stage = r < 0.4 ? 'closedwon' : r < 0.55 ? 'closedlost' : r < 0.9 ? pick(rnd, OPEN_STAGES) : CUSTOM_STAGE;
    const c = rnd();
    const currency = c < 0.65 ? 'USD' : c < 0.8 ? 'EUR' : c < 0.9 ? null : c < 0.95 ? 'JPY' : 'GBP';
    const close = from + rnd() * span;
    const created = close - rnd() * 30 * 86_400_000;
    const modified = Math.min(to, close + rnd() * 3 * 86_400_000);
    deals.push({
      id,
      properties: {
        dealname: `Deal ${i + 1}`,
        amount: amountFor(rnd, i, currency),
        dealstage: stage,
        pipeline: stage === CUSTOM_STAGE ? '7654321' : 'default',
        closedate: iso(close),
        deal_currency_code: currency,
        createdate: iso(created),
        hs_lastmodifieddate: iso(modified),
        hs_object_id: id,
      },
      createdAt: iso(created),
      updatedAt: iso(modified),
      archived: false,
      archivedAt: null,
    });
  }

  const contacts: SimObject[] = [];
  for (let i = 0; i < (opts.contacts ?? 100); i++) {
    const id = String(nextId++);
    const first = pick(rnd, FIRST);
    const last = pick(rnd, LAST);
    const created = from + rnd() * span;
    const modified = Math.min(to, created + rnd() * 10 * 86_400_000);
    contacts.push({
      id,
      properties: {
        email: `${first}.${last}.${i}@example.com`.toLowerCase(),
        phone: rnd() < 0.8 ? `+1555${String(Math.floor(rnd() * 10_000_000)).padStart(7, '0')}` : null,
        firstname: first,
        lastname: last,
        lifecyclestage: pick(rnd, LIFECYCLE),
        createdate: iso(created),
        lastmodifieddate: iso(modified),
        hs_object_id: id,
      },
      createdAt: iso(created),
      updatedAt: iso(modified),
      archived: false,
      archivedAt: null,
    });
  }
  return { deals, contacts };
}
