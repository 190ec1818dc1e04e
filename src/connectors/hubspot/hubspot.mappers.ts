import { createHash } from 'node:crypto';
import type { OutboxInsert, OutboxOrigin } from '../../outbox/outbox.types.js';
import type { ContactRecord, PaymentRecord, Version } from '../../records/record.types.js';
import { derivationRev } from '../../records/record.version.js';
import { AmountParseError, currencyExponent, parseDecimalToMinor } from './hubspot.amount.js';
import { StageClassifier } from './deal-stage.map.js';
import { HubspotInvalidPayload } from './hubspot.errors.js';
import { ENTITY_SPECS, type EntitySpec, type HubspotEntity, type HubspotObject } from './hubspot.types.js';

/** HubSpot datetimes arrive as ISO 8601 or, in older surfaces and webhooks, epoch milliseconds. */
export function parseHubspotTime(v: unknown): Date | null {
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : v;
  if (typeof v === 'number') return storable(new Date(v));
  if (typeof v !== 'string' || v.trim() === '') return null;
  const s = v.trim();
  if (/^\d{10,16}$/.test(s)) return storable(new Date(Number(s)));
  if (!/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(s)) return null;
  const d = new Date(s);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** An Invalid Date (epoch ms past ±8.64e15) or a year past 9999 cannot be stored: treated as absent. */
const storable = (d: Date): Date | null => (Number.isNaN(d.getTime()) || d.getUTCFullYear() > 9999 ? null : d);

const text = (v: unknown): string | null => (typeof v === 'string' && v.trim() !== '' ? v.trim() : null);

/** SDK object (Dates, maybe undefined fields) or stored JSON → the plain stored shape. */
export function toHubspotObject(raw: unknown): HubspotObject {
  const o = (raw ?? {}) as Record<string, unknown>;
  const iso = (v: unknown): string | null => {
    if (v === undefined || v === null) return null;
    const d = parseHubspotTime(v);
    return d ? d.toISOString() : String(v);
  };
  const props: Record<string, string | null> = {};
  if (o.properties && typeof o.properties === 'object') {
    for (const [k, v] of Object.entries(o.properties as Record<string, unknown>))
      props[k] = v === null || v === undefined ? null : String(v);
  }
  return {
    id: o.id === undefined || o.id === null ? '' : String(o.id),
    properties: props,
    createdAt: iso(o.createdAt),
    updatedAt: iso(o.updatedAt),
    archived: o.archived === true,
    archivedAt: iso(o.archivedAt),
  };
}

function lastModified(obj: HubspotObject, spec: EntitySpec): Date | null {
  return parseHubspotTime(obj.properties[spec.modifiedProperty]) ?? parseHubspotTime(obj.updatedAt);
}

/**
 * The vendor version of a snapshot: its last-modified time. Archiving does not necessarily bump
 * the last-modified property, so an archived snapshot is versioned at max(modified, archivedAt)
 * with rank 1: it beats the last live snapshot, and a late older update cannot resurrect it.
 */
export function snapshotVersion(obj: HubspotObject, spec: EntitySpec): Version {
  const modified = lastModified(obj, spec);
  if (!modified)
    throw new HubspotInvalidPayload(`${spec.objectType} ${obj.id || '?'} has no valid ${spec.modifiedProperty}.`);
  if (!obj.archived) return { at: modified, rank: 0, tiebreak: '' };
  const archivedAt = parseHubspotTime(obj.archivedAt);
  const at = archivedAt && archivedAt > modified ? archivedAt : modified;
  return { at, rank: 1, tiebreak: '' };
}

function requireId(obj: HubspotObject, spec: EntitySpec): string {
  if (!/^\d{1,20}$/.test(obj.id)) throw new HubspotInvalidPayload(`${spec.objectType} has no valid id.`);
  return obj.id;
}

/**
 * Revision of mapDeal (bump it with every change that alters a derived ledger row, so a replay of
 * the stored snapshots repairs exactly the rows that change). It is packed with the stage
 * classification revision into payments.derivation_rev (see derivationRev in src/records).
 */
export const HUBSPOT_DEAL_DERIVATION_REV = 0;

/** The derivation revision of a deal row mapped with this classification by this code. */
export function dealDerivationRev(stages: Pick<StageClassifier, 'rev'>): number {
  return derivationRev(HUBSPOT_DEAL_DERIVATION_REV, stages.rev);
}

/**
 * Deal → ledger row. Only a deal in a won stage counts (gross on closedate), the stage's class
 * coming from `stages` (HubSpot's pipelines, HUBSPOT_STAGE_MAP; see deal-stage.map.ts); its
 * amount must parse exactly (see hubspot.amount.ts) and be ≥ 0, its currency is
 * deal_currency_code or else the portal currency, and it needs a closedate: otherwise
 * HubspotInvalidPayload (dead-lettered, visible). Deals that do not count keep whatever amount
 * parses (0 otherwise) since it never sums. Archived deals are deletions and are accepted
 * whatever their amount.
 */
export function mapDeal(
  obj: HubspotObject,
  portalCurrency: string,
  stages: StageClassifier = StageClassifier.builtin,
): PaymentRecord {
  const spec = ENTITY_SPECS.deals;
  const id = requireId(obj, spec);
  const version = snapshotVersion(obj, spec);
  const p = obj.properties;
  const rawStage = text(p.dealstage) ?? '';
  const { status, effect } = stages.mapping(rawStage);
  const strict = effect !== 'none' && !obj.archived;

  const rawCurrency = text(p.deal_currency_code)?.toUpperCase() ?? portalCurrency;
  let currency = rawCurrency;
  if (!/^[A-Z]{3}$/.test(rawCurrency)) {
    if (strict)
      throw new HubspotInvalidPayload(
        `deal ${id}: deal_currency_code "${p.deal_currency_code}" is not an ISO 4217 code.`,
      );
    currency = portalCurrency;
  }

  let amountCents = 0n;
  const rawAmount = p.amount ?? '';
  try {
    if (rawAmount.trim() === '') throw new AmountParseError('amount is empty');
    amountCents = parseDecimalToMinor(rawAmount, currencyExponent(currency));
    if (amountCents < 0n) throw new AmountParseError(`amount "${rawAmount}" is negative`);
  } catch (err) {
    if (!(err instanceof AmountParseError)) throw err;
    if (strict) throw new HubspotInvalidPayload(`deal ${id}: won deal has an unusable amount (${err.message}).`);
    amountCents = 0n;
  }

  const closedate = parseHubspotTime(p.closedate);
  if (!closedate && strict) throw new HubspotInvalidPayload(`deal ${id}: won deal has no valid closedate.`);
  const occurredAt = closedate ?? parseHubspotTime(p.createdate) ?? parseHubspotTime(obj.createdAt) ?? version.at;

  return {
    source: 'hubspot',
    kind: 'deal',
    externalId: id,
    parentExternalId: null,
    amountCents,
    currency,
    status,
    rawStatus: rawStage,
    effect,
    occurredAt,
    customerRef: null,
    description: text(p.dealname),
    deletedAt: obj.archived ? version.at : null,
    version,
  };
}

export function mapContact(obj: HubspotObject): ContactRecord {
  const spec = ENTITY_SPECS.contacts;
  const id = requireId(obj, spec);
  const version = snapshotVersion(obj, spec);
  const p = obj.properties;
  return {
    source: 'hubspot',
    externalId: id,
    email: text(p.email)?.toLowerCase() ?? null,
    phone: text(p.phone),
    firstName: text(p.firstname),
    lastName: text(p.lastname),
    lifecycleStage: text(p.lifecyclestage),
    deletedAt: obj.archived ? version.at : null,
    version,
  };
}

/**
 * Outbox row for a fetched snapshot. The dedupe key is entity + id + vendor version, so re-polling
 * an unchanged object is a duplicate while every real change (or archiving) is a new row. A
 * snapshot without a usable version is still stored (keyed by a content hash) so the handler can
 * dead-letter it visibly instead of the connector dropping it.
 */
export function snapshotInsert(
  entity: HubspotEntity,
  obj: HubspotObject,
  origin: OutboxOrigin,
  runId: string | null = null,
): OutboxInsert {
  const spec = ENTITY_SPECS[entity];
  const modified = lastModified(obj, spec);
  let key = `${spec.objectType}:${obj.id}:${modified ? modified.toISOString() : `nover-${createHash('sha256').update(JSON.stringify(obj)).digest('hex').slice(0, 16)}`}`;
  if (obj.archived) key += `:archived:${parseHubspotTime(obj.archivedAt)?.toISOString() ?? ''}`;
  return {
    source: 'hubspot',
    kind: spec.kind,
    dedupeKey: key,
    origin,
    eventType: `${spec.objectType}.snapshot`,
    payload: obj,
    vendorTime: modified,
    runId,
  };
}
