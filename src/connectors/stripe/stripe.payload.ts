/**
 * Defensive reading of raw Stripe JSON (webhooks and Events can carry older API versions, and the
 * outbox keeps whatever arrived). Every accessor either returns the typed value or throws
 * StripePayloadError naming the field, which the outbox handler turns into `invalid_payload`.
 */
export class StripePayloadError extends Error {
  override name = 'StripePayloadError';
}

export type Json = Record<string, unknown>;

export function asObject(v: unknown, what: string): Json {
  if (v === null || typeof v !== 'object' || Array.isArray(v))
    throw new StripePayloadError(`${what} must be a JSON object`);
  return v as Json;
}

export function str(o: Json, key: string, what: string): string {
  const v = o[key];
  if (typeof v !== 'string' || v.length === 0 || v.length > 255)
    throw new StripePayloadError(`${what}.${key} must be a non-empty string`);
  return v;
}

export function optStr(o: Json, key: string): string | null {
  const v = o[key];
  return typeof v === 'string' && v.length > 0 ? v : null;
}

/** Non-negative integer minor units or unix seconds, exact (no floats, no unsafe integers). */
export function int(o: Json, key: string, what: string): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0)
    throw new StripePayloadError(`${what}.${key} must be a non-negative integer`);
  return v;
}

export function bool(o: Json, key: string, what: string): boolean {
  const v = o[key];
  if (typeof v !== 'boolean') throw new StripePayloadError(`${what}.${key} must be a boolean`);
  return v;
}

/** ISO 4217, upper-cased (Stripe sends lower case). */
export function currency(o: Json, what: string): string {
  const v = o.currency;
  if (typeof v !== 'string' || !/^[a-zA-Z]{3}$/.test(v))
    throw new StripePayloadError(`${what}.currency must be a 3-letter currency code`);
  return v.toUpperCase();
}

/** A reference that may be an id or an expanded object (`expand[]=charge`). */
export function ref(o: Json, key: string): string | null {
  const v = o[key];
  if (typeof v === 'string' && v.length > 0) return v;
  if (v && typeof v === 'object' && typeof (v as Json).id === 'string') return (v as Json).id as string;
  return null;
}

/** Unix seconds as a Date; past year 9999 it cannot be stored, so it is a payload error, not a retry. */
export function seconds(unix: number): Date {
  const d = new Date(unix * 1000);
  if (Number.isNaN(d.getTime()) || d.getUTCFullYear() > 9999)
    throw new StripePayloadError(`timestamp ${unix} is past year 9999`);
  return d;
}
