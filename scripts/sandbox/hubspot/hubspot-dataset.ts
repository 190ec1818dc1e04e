/**
 * Deterministic HubSpot CRM dataset (same seed → same objects) for the simulator, tests and the
 * demo: deal pipelines as GET /crm/v3/pipelines/deals returns them (the default one plus two
 * custom ones with numeric stage ids, one archived stage), deals across all their stages plus a
 * few in a stage no pipeline lists any more, decimal-string amounts including awkward ones
 * ("1234.565", "", "abc"), a mix of currencies with some deals relying on the portal currency,
 * and contacts.
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
export const MODIFIED_PROPERTY: Readonly<Record<SimObjectType, string>> = {
  deals: 'hs_lastmodifieddate',
  contacts: 'lastmodifieddate',
};

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
  pipelines?: SimPipeline[];
}

/** A deal stage as the pipelines API sends it: metadata values are strings ("true", "0.2"). */
export interface SimStage {
  id: string;
  label: string;
  displayOrder: number;
  metadata: Record<string, string>;
  createdAt: string;
  updatedAt: string;
  archived: boolean;
  archivedAt?: string;
  writePermissions?: string;
}

export interface SimPipeline {
  id: string;
  label: string;
  displayOrder: number;
  stages: SimStage[];
  createdAt: string;
  updatedAt: string;
  archived: boolean;
}

const PIPELINES_CREATED = '2024-03-04T10:15:00.000Z';
const stage = (
  id: string,
  label: string,
  displayOrder: number,
  isClosed: boolean,
  probability: string,
  archivedAt?: string,
): SimStage => ({
  id,
  label,
  displayOrder,
  metadata: { isClosed: String(isClosed), probability },
  createdAt: PIPELINES_CREATED,
  updatedAt: archivedAt ?? PIPELINES_CREATED,
  archived: archivedAt !== undefined,
  ...(archivedAt !== undefined ? { archivedAt } : {}),
  writePermissions: 'CRM_PERMISSIONS_ENFORCEMENT',
});

export const RENEWALS_PIPELINE = '705209413';
export const PARTNER_PIPELINE = '705209414';
/** Custom pipeline stage ids, numeric as HubSpot generates them. */
export const CUSTOM_STAGES = {
  renewalDue: '1038553757',
  renewed: '1038553758',
  notRenewed: '1038553759',
  partnerRegistered: '1038560001',
  partnerWon: '1038560002',
  partnerLost: '1038560003',
  /** Archived in HubSpot; deals still sit in it and it is still a won stage. */
  partnerLegacyWon: '1038560004',
} as const;

/** HubSpot's default sales pipeline plus two custom ones, with the probabilities HubSpot ships. */
export function dealPipelines(): SimPipeline[] {
  return [
    {
      id: 'default',
      label: 'Sales Pipeline',
      displayOrder: 0,
      createdAt: PIPELINES_CREATED,
      updatedAt: PIPELINES_CREATED,
      archived: false,
      stages: [
        stage('appointmentscheduled', 'Appointment Scheduled', 0, false, '0.2'),
        stage('qualifiedtobuy', 'Qualified To Buy', 1, false, '0.4'),
        stage('presentationscheduled', 'Presentation Scheduled', 2, false, '0.6'),
        stage('decisionmakerboughtin', 'Decision Maker Bought-In', 3, false, '0.8'),
        stage('contractsent', 'Contract Sent', 4, false, '0.9'),
        stage('closedwon', 'Closed Won', 5, true, '1.0'),
        stage('closedlost', 'Closed Lost', 6, true, '0.0'),
      ],
    },
    {
      id: RENEWALS_PIPELINE,
      label: 'Renewals',
      displayOrder: 1,
      createdAt: PIPELINES_CREATED,
      updatedAt: PIPELINES_CREATED,
      archived: false,
      stages: [
        stage(CUSTOM_STAGES.renewalDue, 'Renewal due', 0, false, '0.5'),
        stage(CUSTOM_STAGES.renewed, 'Renewed', 1, true, '1.0'),
        stage(CUSTOM_STAGES.notRenewed, 'Not renewed', 2, true, '0.0'),
      ],
    },
    {
      id: PARTNER_PIPELINE,
      label: 'Partner channel',
      displayOrder: 2,
      createdAt: PIPELINES_CREATED,
      updatedAt: PIPELINES_CREATED,
      archived: false,
      stages: [
        stage(CUSTOM_STAGES.partnerRegistered, 'Deal registered', 0, false, '0.1'),
        stage(CUSTOM_STAGES.partnerWon, 'Won through partner', 1, true, '1.0'),
        stage(CUSTOM_STAGES.partnerLost, 'Lost through partner', 2, true, '0.0'),
        stage(CUSTOM_STAGES.partnerLegacyWon, 'Won (legacy program)', 3, true, '1.0', '2025-09-30T12:00:00.000Z'),
      ],
    },
  ];
}

/**
 * Stage ids that are won by the rule (closed, probability exactly 1), computed independently of
 * the app's classifier for tests: archived stages keep their classification.
 */
export function wonStageIds(pipelines: readonly SimPipeline[]): Set<string> {
  const won = new Set<string>();
  for (const p of pipelines)
    for (const s of p.stages)
      if (s.metadata.isClosed === 'true' && /^1(\.0+)?$/.test(s.metadata.probability ?? '')) won.add(s.id);
  return won;
}

export const OPEN_STAGES = [
  'appointmentscheduled',
  'qualifiedtobuy',
  'presentationscheduled',
  'decisionmakerboughtin',
  'contractsent',
] as const;
/** A stage id from a pipeline deleted since: no pipeline lists it, so its deals stay UNKNOWN. */
export const CUSTOM_STAGE = '98765432';
const DELETED_PIPELINE = '7654321';

/** Where the 20% of deals outside the default pipeline go; u is uniform in [0, 1). */
function customStage(u: number): { stage: string; pipeline: string } {
  if (u < 0.3) return { stage: CUSTOM_STAGES.renewed, pipeline: RENEWALS_PIPELINE };
  if (u < 0.42) return { stage: CUSTOM_STAGES.renewalDue, pipeline: RENEWALS_PIPELINE };
  if (u < 0.5) return { stage: CUSTOM_STAGES.notRenewed, pipeline: RENEWALS_PIPELINE };
  if (u < 0.68) return { stage: CUSTOM_STAGES.partnerWon, pipeline: PARTNER_PIPELINE };
  if (u < 0.76) return { stage: CUSTOM_STAGES.partnerRegistered, pipeline: PARTNER_PIPELINE };
  if (u < 0.8) return { stage: CUSTOM_STAGES.partnerLost, pipeline: PARTNER_PIPELINE };
  if (u < 0.88) return { stage: CUSTOM_STAGES.partnerLegacyWon, pipeline: PARTNER_PIPELINE };
  return { stage: CUSTOM_STAGE, pipeline: DELETED_PIPELINE };
}

const FIRST = [
  'Ada',
  'Grace',
  'Alan',
  'Edsger',
  'Barbara',
  'Donald',
  'Margaret',
  'Ken',
  'Frances',
  'Linus',
  'Radia',
  'John',
];
const LAST = [
  'Lovelace',
  'Hopper',
  'Turing',
  'Dijkstra',
  'Liskov',
  'Knuth',
  'Hamilton',
  'Thompson',
  'Allen',
  'Torvalds',
  'Perlman',
  'Backus',
];
const LIFECYCLE = [
  'subscriber',
  'lead',
  'marketingqualifiedlead',
  'salesqualifiedlead',
  'opportunity',
  'customer',
  'evangelist',
  'other',
];

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
    const { stage, pipeline } =
      r < 0.35
        ? { stage: 'closedwon', pipeline: 'default' }
        : r < 0.48
          ? { stage: 'closedlost', pipeline: 'default' }
          : r < 0.8
            ? { stage: pick(rnd, OPEN_STAGES), pipeline: 'default' }
            : customStage((r - 0.8) / 0.2);
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
        pipeline,
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
  return { deals, contacts, pipelines: dealPipelines() };
}
