import { createHash } from 'node:crypto';
import { AppError } from '../common/app.errors.js';

/**
 * Far deeper than any vendor event (Stripe objects nest about ten levels), far shallower than what
 * breaks JSON.stringify's recursion or Postgres's jsonb parser. Past it the body is refused with a
 * 400 up front rather than failing the insert and being answered 503, which the vendor would retry.
 */
export const MAX_WEBHOOK_JSON_DEPTH = 100;

const invalid = (message: string) =>
  new AppError(400, 'validation_failed', message, { issues: [{ in: 'body', field: '', message }] });

/** The verified raw body as JSON; not JSON, or nested past MAX_WEBHOOK_JSON_DEPTH, is a 400 validation_failed. */
export function parseWebhookJson(raw: Buffer): unknown {
  const text = raw.toString('utf8');
  if (nestingDepth(text) > MAX_WEBHOOK_JSON_DEPTH)
    throw invalid(`The request body nests deeper than ${MAX_WEBHOOK_JSON_DEPTH} levels.`);
  try {
    return JSON.parse(text);
  } catch {
    throw new AppError(400, 'validation_failed', 'The request body is not valid JSON.', {
      issues: [{ in: 'body', field: '', message: 'Body is not valid JSON.' }],
    });
  }
}

/** Deepest bracket nesting outside strings; one pass, no recursion (so it cannot overflow itself). */
function nestingDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) max = Math.max(max, ++depth);
    else if (c === 0x7d || c === 0x5d) depth--;
  }
  return max;
}

/**
 * A verified webhook body that cannot be kept as JSON (not JSON at all, or nested past
 * MAX_WEBHOOK_JSON_DEPTH): its signature makes it evidence, so it is stored anyway, byte for byte
 * in base64 inside this wrapper, and the worker parks it as dead `invalid_payload`.
 */
export interface UnparsedBody {
  unparsedBody: { reason: string; bytes: number; base64: string };
}

export function unparsedBody(raw: Buffer, reason: string): UnparsedBody {
  return { unparsedBody: { reason, bytes: raw.length, base64: raw.toString('base64') } };
}

export function isUnparsedBody(v: unknown): v is UnparsedBody {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const keys = Object.keys(v);
  const inner = (v as { unparsedBody?: unknown }).unparsedBody;
  return (
    keys.length === 1 &&
    keys[0] === 'unparsedBody' &&
    inner !== null &&
    typeof inner === 'object' &&
    typeof (inner as { base64?: unknown }).base64 === 'string'
  );
}

/** The verified raw body as JSON, or why it cannot be kept as JSON (never throws). */
export function readWebhookJson(raw: Buffer): { ok: true; value: unknown } | { ok: false; reason: string } {
  try {
    return { ok: true, value: parseWebhookJson(raw) };
  } catch (err) {
    return { ok: false, reason: err instanceof AppError ? err.message : 'The request body is not valid JSON.' };
  }
}

/** Dedupe key of a stored event that has no usable vendor id: the same bytes are the same event. */
export function digestKey(bytes: Buffer | string): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}
